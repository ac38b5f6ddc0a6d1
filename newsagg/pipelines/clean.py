"""Strip page boilerplate from title and body; derive word_count and fingerprint."""

from __future__ import annotations

import json
import logging
import re

from newsagg.config import setting
from newsagg.items import ArticleItem
from newsagg.pipelines import StatsPipeline
from newsagg.sites import SITE_NAMES
from newsagg.stats import PREFIX, inc
from newsagg.text import (
    clean_paragraphs,
    clean_title,
    normalize_author,
    normalize_ws,
    remove_promo,
    word_count_and_fingerprint,
)

logger = logging.getLogger(__name__)


def promo_patterns(value) -> tuple[re.Pattern[str], ...]:
    """``NEWSAGG_BODY_PROMO_PATTERNS`` compiled: a list of regexes, or a JSON
    list / one regex per line as a string (``-s`` on the command line).

    A pattern that does not compile is logged and left out (the crawl goes on).
    """
    if isinstance(value, str):
        value = json.loads(value) if value.lstrip().startswith("[") else value.splitlines()
    out = []
    for p in value or ():
        if not str(p).strip():
            continue
        try:
            out.append(re.compile(str(p), re.I))
        except re.error as exc:
            logger.error("NEWSAGG_BODY_PROMO_PATTERNS: bad regex %r left out (%s)", p, exc)
    return tuple(out)


class BoilerplatePipeline(StatsPipeline):
    """Second line of defence after the page object: no modal text, source-link
    sentence, share/sidebar labels or site-name suffix reaches ``title``/``body``.
    Promo lines (``NEWSAGG_BODY_PROMO_PATTERNS``) are cut from the body here.
    """

    def __init__(self, stats=None, patterns: tuple[re.Pattern[str], ...] = ()):
        super().__init__(stats)
        self.patterns = patterns

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, promo_patterns(setting(crawler.settings, "NEWSAGG_BODY_PROMO_PATTERNS")))

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        item.title = clean_title(item.title, SITE_NAMES) or None
        paragraphs = clean_paragraphs((item.body or "").split("\n\n"))
        paragraphs, promos = remove_promo(paragraphs, self.patterns)
        if promos:
            inc(self.stats, f"{PREFIX}/body/promo_removed", promos)
        item.body = "\n\n".join(paragraphs) or None
        item.source = normalize_ws(item.source) or None
        item.author = normalize_author(item.author)
        item.word_count, item.fingerprint = word_count_and_fingerprint(item.title, item.body)
        return item
