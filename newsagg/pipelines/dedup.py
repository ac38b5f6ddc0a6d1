"""One item per article key; exact republications dropped."""

from __future__ import annotations

import logging

from newsagg.hashset import HashSet
from newsagg.items import ArticleItem
from newsagg.pipelines import StatsPipeline, drop

logger = logging.getLogger(__name__)


class DedupPipeline(StatsPipeline):
    """Drops a second item with the same (site, source_slug, article_id)
    (``duplicate_key``) and a republication of the same title + body under
    another key (``duplicate_content``).

    Memory per article kept: the key's ``hash()`` and the first 64 bits of the
    fingerprint, 8 bytes each (:class:`newsagg.hashset.HashSet`): 16 MB for a
    million-article run. A 64-bit collision among a million articles has odds
    of about 3e-8.
    """

    def __init__(self, stats=None):
        super().__init__(stats)
        self.keys = HashSet()
        self.fingerprints = HashSet()

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        key = hash(item.key)
        if key in self.keys:
            raise drop(self.stats, "duplicate_key", item.url, "INFO")
        fp = int(item.fingerprint[:16], 16) - (1 << 63) if item.fingerprint else None
        if fp is not None and fp in self.fingerprints:
            raise drop(self.stats, "duplicate_content", f"{item.url} republishes an article of this run", "INFO")
        self.keys.add(key)
        if fp is not None:
            self.fingerprints.add(fp)
        return item
