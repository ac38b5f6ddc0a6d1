"""Drop records that are not articles: no title or no body, or keys that are not slugs."""

from __future__ import annotations

import logging

from newsagg.items import ArticleItem
from newsagg.pipelines import StatsPipeline, drop
from newsagg.urls import SLUG_RE

logger = logging.getLogger(__name__)


class ValidationPipeline(StatsPipeline):
    """An item without title or body is dropped (``invalid_no_title`` /
    ``invalid_no_body``); one whose ``site`` or ``source_slug`` is not a valid
    slug (``SLUG_RE``) as ``invalid_slug``: both become file names and state keys."""

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        for name in ("site", "source_slug"):
            value = getattr(item, name, None)
            if not isinstance(value, str) or not SLUG_RE.fullmatch(value):
                logger.error("Dropped, %s %r is not a slug: %s", name, value, getattr(item, "url", "?"))
                raise drop(self.stats, "invalid_slug", f"{name}={value!r} {getattr(item, 'url', '?')}")
        if not item.title:
            logger.warning("Dropped, no title: %s", item.url)
            raise drop(self.stats, "invalid_no_title", item.url)
        if not item.body:
            logger.warning("Dropped, no body: %s", item.url)
            raise drop(self.stats, "invalid_no_body", item.url)
        return item
