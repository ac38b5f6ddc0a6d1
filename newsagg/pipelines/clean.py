"""Strip page boilerplate from title and body; derive word_count and fingerprint."""

from __future__ import annotations

from newsagg.items import ArticleItem
from newsagg.sites import SITE_NAMES
from newsagg.text import clean_paragraphs, clean_title, fingerprint, normalize_ws, word_count


class BoilerplatePipeline:
    """Second line of defence after the page object: no modal text, source-link
    sentence, share/sidebar labels or site-name suffix reaches ``title``/``body``.
    """

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        item.title = clean_title(item.title, SITE_NAMES) or None
        paragraphs = clean_paragraphs((item.body or "").split("\n\n"))
        item.body = "\n\n".join(paragraphs) or None
        item.source = normalize_ws(item.source) or None
        item.word_count = word_count(item.body)
        item.fingerprint = fingerprint(item.title, item.body)
        return item
