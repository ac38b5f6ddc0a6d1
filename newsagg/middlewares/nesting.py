"""Flatten absurdly deep nesting that would make the HTML parser drop the page.

libxml2 (lxml, parsel) stops building the tree beyond its depth limit, so a
page wrapped in thousands of unclosed ``<div><span>`` (a broken template loop)
parses as an empty document. Browsers cap the depth instead. Here a run of at
least ``NEWSAGG_MAX_TAG_RUN`` consecutive opening tags with nothing but
whitespace between them keeps only its first and last few tags (the real
page's own opening tags sit at the ends of such a run): the wrappers carry
no text, and the stray end tags they leave are ignored by the parser.
"""

from __future__ import annotations

import logging
import re
from itertools import repeat

from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request, Response

from newsagg.config import setting
from newsagg.stats import PREFIX, inc

logger = logging.getLogger(__name__)

_OPEN_TAG = rb"<[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?>\s*"
_KEEP_HEAD, _KEEP_TAIL = 8, 32  # tags kept at each end of a run


class NestingMiddleware:
    """Removes runs of >= ``NEWSAGG_MAX_TAG_RUN`` empty opening tags from HTML
    (``newsagg/html/flattened`` counts the pages); 0 turns it off."""

    def __init__(self, stats, run: int):
        self.stats = stats
        self.run = run
        self.pattern = re.compile(rb"(?:%s){%d,}" % (_OPEN_TAG, run))
        self.tag = re.compile(_OPEN_TAG)

    @classmethod
    def from_crawler(cls, crawler):
        run = setting(crawler.settings, "NEWSAGG_MAX_TAG_RUN", "getint")
        if run <= 0:
            raise NotConfigured("NEWSAGG_MAX_TAG_RUN = 0")
        return cls(crawler.stats, run)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, HtmlResponse) or not self._may_have_run(response.body):
            return response
        body, n = self.pattern.subn(self._shorten, response.body)
        if not n:
            return response
        inc(self.stats, f"{PREFIX}/html/flattened")
        logger.info("Flattened %d run(s) of >= %d nested tags in %s", n, self.run, response.url)
        return response.replace(body=body)

    def _may_have_run(self, body: bytes) -> bool:
        """False when no run can be there: a run holds no end tag, so some stretch between
        two ``</`` must hold ``run`` tags. C-speed counting; the regex (~10% of a crawl's
        CPU on 40 KB pages) only runs on the rare page that passes."""
        if body.count(b"<") < self.run:
            return False
        return max(map(bytes.count, body.split(b"</"), repeat(b"<"))) >= self.run

    def _shorten(self, run: re.Match) -> bytes:
        tags = self.tag.findall(run.group(0))
        return b"".join(tags[:_KEEP_HEAD] + [b"\n"] + tags[-_KEEP_TAIL:])
