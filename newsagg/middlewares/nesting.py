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
        # A stretch of 3 * run bytes covers a whole aligned window of this size.
        self.window = (3 * run + 1) // 2

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
        """False when no run can be there; the regex (~10% of a crawl's CPU on 40 KB
        pages) only runs on the rare page that passes.

        A run holds no end tag and is at least 3 bytes (``<b>``) per tag long, so
        it covers a whole aligned window of ``self.window`` bytes free of ``</``.
        Only around such a window is the stretch between two ``</`` looked at
        (C-speed ``find``/``count``: about 100 calls on a 40 KB page, no copies):
        it must hold ``run`` tags.
        """
        find, w, n, p = body.find, self.window, len(body), 0
        while p + w <= n:
            if find(b"</", p, p + w) != -1:
                p += w
                continue
            before, end = body.rfind(b"</", 0, p + 1), find(b"</", p)
            start = before + 2 if before >= 0 else 0
            if end < 0:
                return body.count(b"<", start) >= self.run
            if body.count(b"<", start, end) >= self.run:
                return True
            p = (end // w + 1) * w  # the next window not holding this stretch's end
        return False

    def _shorten(self, run: re.Match) -> bytes:
        tags = self.tag.findall(run.group(0))
        return b"".join(tags[:_KEEP_HEAD] + [b"\n"] + tags[-_KEEP_TAIL:])
