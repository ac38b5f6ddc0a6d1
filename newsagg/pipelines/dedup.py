"""One item per article key; exact republications dropped."""

from __future__ import annotations

import logging

from newsagg.items import ArticleItem
from newsagg.pipelines import StatsPipeline, drop

logger = logging.getLogger(__name__)


class DedupPipeline(StatsPipeline):
    """Drops a second item with the same (site, source_slug, article_id)
    (``duplicate_key``) and a republication of the same title + body under
    another key (``duplicate_content``). Memory: one key and one digest per
    article kept.
    """

    def __init__(self, stats=None):
        super().__init__(stats)
        self.keys: set[tuple[str, str, str]] = set()
        self.fingerprints: dict[str, str] = {}

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        if item.key in self.keys:
            raise drop(self.stats, "duplicate_key", item.url, "INFO")
        first = self.fingerprints.get(item.fingerprint)
        if first is not None:
            raise drop(self.stats, "duplicate_content", f"{item.url} republishes {first}", "INFO")
        self.keys.add(item.key)
        self.fingerprints[item.fingerprint] = item.url
        return item
