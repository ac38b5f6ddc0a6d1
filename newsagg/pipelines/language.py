"""Set ``language`` from the cleaned title and body; count it per language."""

from __future__ import annotations

from newsagg.items import ArticleItem
from newsagg.language import detect
from newsagg.pipelines import StatsPipeline
from newsagg.stats import PREFIX, inc


class LanguagePipeline(StatsPipeline):
    """``item.language`` = :func:`newsagg.language.detect` of the cleaned title
    and body (ISO 639-1), counted as ``newsagg/language/<code>``."""

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        item.language = detect(item.title, item.body)
        inc(self.stats, f"{PREFIX}/language/{item.language}")
        return item
