"""Set ``language`` from the cleaned title and body; count the articles written per language."""

from __future__ import annotations

from scrapy import signals

from newsagg.items import ArticleItem
from newsagg.language import detect
from newsagg.stats import PREFIX, inc


class LanguagePipeline:
    """``item.language`` = :func:`newsagg.language.detect` of the cleaned title
    and body (ISO 639-1). Each item written (``item_scraped``: not dropped by a
    later pipeline) is counted as ``newsagg/language/<code>``."""

    def __init__(self, stats=None):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        pipe = cls(crawler.stats)
        crawler.signals.connect(pipe.item_scraped, signal=signals.item_scraped)
        return pipe

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        item.language = detect(item.title, item.body)
        return item

    def item_scraped(self, item, response=None, spider=None) -> None:
        inc(self.stats, f"{PREFIX}/language/{item.language}")
