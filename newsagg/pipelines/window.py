"""Keep only articles published inside the crawl's ``since``/``until`` window."""

from __future__ import annotations

from scrapy.exceptions import NotConfigured

from newsagg.args import CrawlArgs
from newsagg.dates import to_date
from newsagg.items import ArticleItem
from newsagg.pipelines import drop


class WindowPipeline:
    """Drops ``out_of_window`` articles, and ``undated_in_window`` ones (no date to
    place them) when a window is set. Off (NotConfigured) without since/until.

    The window itself is :meth:`newsagg.args.CrawlArgs.in_window`.
    """

    def __init__(self, stats, args: CrawlArgs):
        self.stats, self.args = stats, args

    @classmethod
    def from_crawler(cls, crawler):
        args = getattr(crawler.spider, "args", None)
        if args is None or (args.since is None and args.until is None):
            # Off is the default: no message, which Scrapy would log as a WARNING on every run.
            raise NotConfigured()
        return cls(crawler.stats, args)

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        since, until = self.args.since, self.args.until
        if not item.published_at:
            raise drop(self.stats, "undated_in_window", f"{item.url}: no date, window {since}..{until}")
        day = to_date(item.published_at)
        if not self.args.in_window(day):
            raise drop(self.stats, "out_of_window", f"{item.url}: {day} outside {since}..{until}")
        return item
