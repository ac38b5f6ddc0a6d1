"""Drop records that are not articles: no title or no body."""

from __future__ import annotations

import logging

from newsagg.items import ArticleItem
from newsagg.pipelines import StatsPipeline, drop

logger = logging.getLogger(__name__)


class ValidationPipeline(StatsPipeline):
    """An item without title or body is dropped (``invalid_no_title`` / ``invalid_no_body``)."""

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        if not item.title:
            logger.warning("Dropped, no title: %s", item.url)
            raise drop(self.stats, "invalid_no_title", item.url)
        if not item.body:
            logger.warning("Dropped, no body: %s", item.url)
            raise drop(self.stats, "invalid_no_body", item.url)
        return item
