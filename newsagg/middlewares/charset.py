"""Correct a wrongly declared charset before the page is parsed.

Scrapy decodes with the charset of the ``Content-Type`` header, else of the
``<meta>``; when that declaration lies, every accented letter turns into
``\ufffd`` or mojibake (``Ã©``). Rules, in order:

1. A body that is valid UTF-8 and not plain ASCII is UTF-8 (windows-1252
   French text is practically never valid UTF-8), whatever was declared.
2. A body declared UTF-8 that is not valid UTF-8 uses the ``<meta>`` charset
   when that one differs and decodes it cleanly, else
   ``NEWSAGG_FALLBACK_ENCODING`` (windows-1252, the sites' legacy charset).
3. Anything else is left as declared.
"""

from __future__ import annotations

import codecs
import logging

from scrapy.http import Request, Response, TextResponse
from w3lib.encoding import html_body_declared_encoding

from newsagg.stats import PREFIX, inc

logger = logging.getLogger(__name__)


def _norm(name: str | None) -> str | None:
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def corrected_encoding(body: bytes, declared: str | None, fallback: str = "cp1252") -> str | None:
    """The encoding to use instead of *declared*, or None when *declared* is right."""
    if body.isascii():
        return None
    declared = _norm(declared)
    if _decodes(body, "utf-8"):
        return None if declared == "utf-8" else "utf-8"
    if declared != "utf-8":
        return None
    meta = _norm(html_body_declared_encoding(body))
    if meta and meta != "utf-8" and _decodes(body, meta):
        return meta
    return _norm(fallback)


class CharsetMiddleware:
    """Re-declares the encoding of HTML responses per :func:`corrected_encoding`
    (``newsagg/charset/fixed`` counts it)."""

    def __init__(self, stats, fallback: str):
        self.stats, self.fallback = stats, fallback

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, crawler.settings.get("NEWSAGG_FALLBACK_ENCODING") or "cp1252")

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not 200 <= response.status < 300:
            return response
        fixed = corrected_encoding(response.body, response.encoding, self.fallback)
        if fixed is None:
            return response
        inc(self.stats, f"{PREFIX}/charset/fixed")
        logger.info("Declared charset %s is wrong for %s: decoding as %s", response.encoding, response.url, fixed)
        return response.replace(encoding=fixed)
