"""Keep only articles published inside the crawl's ``since``/``until`` window."""

from __future__ import annotations

from scrapy.exceptions import NotConfigured

from newsagg.dates import to_date
from newsagg.items import ArticleItem
from newsagg.pipelines import drop


class WindowPipeline:
    """Drops ``out_of_window`` articles, and ``undated_in_window`` ones (no date to
    place them) when a window is set. Off (NotConfigured) without since/until.
    """

    def __init__(self, stats, since, until):
        self.stats, self.since, self.until = stats, since, until

    @classmethod
    def from_crawler(cls, crawler):
        args = getattr(crawler.spider, "args", None)
        if args is None or (args.since is None and args.until is None):
            raise NotConfigured("no since/until window")
        return cls(crawler.stats, args.since, args.until)

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        if not item.published_at:
            raise drop(self.stats, "undated_in_window", f"{item.url}: no date, window {self.since}..{self.until}")
        day = to_date(item.published_at)
        if (self.since and day < self.since) or (self.until and day > self.until):
            raise drop(self.stats, "out_of_window", f"{item.url}: {day} outside {self.since}..{self.until}")
        return item
