"""Item pipelines, one concern per module (order in settings.ITEM_PIPELINES)."""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem

from newsagg.stats import drop_key, inc

logger = logging.getLogger(__name__)


class CountedDrop(DropItem):
    """DropItem carrying a stat reason."""

    def __init__(self, reason: str, message: str, log_level: str | None = None):
        super().__init__(f"[{reason}] {message}", log_level=log_level)
        self.reason = reason


def drop(stats, reason: str, message: str, log_level: str | None = None) -> CountedDrop:
    """Count a drop under ``newsagg/items_dropped/<reason>`` and return the exception to raise.

    *log_level* (e.g. "INFO" for expected duplicates) is how Scrapy logs the drop.
    """
    inc(stats, drop_key(reason))
    return CountedDrop(reason, message, log_level)


class StatsPipeline:
    """Base for pipelines that only need the crawl's stats collector."""

    def __init__(self, stats=None):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)
