"""Fail pages that are not HTML (another content type, binary garbage, a body
that is no markup), and strip stray control bytes from those that are."""

from __future__ import annotations

import logging
import re

from scrapy.http import Request, Response, TextResponse

from newsagg.failures import PageFailed
from newsagg.stats import PREFIX, inc

logger = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
#: C0 bytes that text holds (ESC: terminal colours pasted into a page are no binary sign).
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\x1b")
_UNICODE_BOMS = (b"\xff\xfe", b"\xfe\xff")  # UTF-16/32: NUL bytes are part of the text
#: What strip_controls removes: every C0 byte but tab, newlines and form feed.
_STRIPPED = bytes(b for b in range(32) if b not in b"\t\n\r\f")
_NOT_STRIPPED = bytes(b for b in range(256) if b not in _STRIPPED)
#: A markup start (tag, end tag, comment, doctype) at the start of the body, or a document tag near it.
_MARKUP_START = re.compile(rb"\s*<[A-Za-z!?/]")
_DOCUMENT_TAG = re.compile(rb"<(?:!doctype\s+html|html|head|body)[\s>]", re.I)


def _strays(body: bytes) -> bytes:
    """The C0 control bytes of *body* but tab, newlines and form feed, in one C-speed pass."""
    return body.translate(None, _NOT_STRIPPED)


def _binary(body: bytes, strays: bytes) -> bool:
    return len(strays) - strays.count(b"\x1b") > len(body) // 50


def looks_binary(body: bytes) -> bool:
    """True for bytes that are no text page: more than one byte in 50 of the
    whole body is a C0 control byte (NUL included; tab, newlines, form feed and
    ESC are text). A few stray ones are a page's mistake, not binary data
    (:func:`strip_controls` removes them). UTF-16/32 pages are recognised by their BOM."""
    if not body or body.startswith(_UNICODE_BOMS):
        return False
    return _binary(body, _strays(body))


def strip_controls(body: bytes) -> bytes:
    """*body* without its C0 control bytes other than tab, newlines and form feed (pure)."""
    return body.translate(None, _STRIPPED)


def looks_like_markup(body: bytes) -> bool:
    """True when *body* is HTML at all: it starts with markup (after blanks and
    a BOM), or a doctype/html/head/body tag appears in its first 4 KB (a page
    may begin with a stray warning line). Empty bodies, JSON, plain text are not."""
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    return _MARKUP_START.match(body) is not None or _DOCUMENT_TAG.search(body, 0, 4096) is not None


class ContentGuardMiddleware:
    """A 2xx answer to a page request (home, listing, article) must be HTML.

    Another ``Content-Type`` (PDF, image, JSON ...), or an HTML type over a
    body that holds no markup (empty, JSON, plain text), fails the page as
    ``not_html``; a body that is binary garbage although declared HTML fails
    it as ``garbage`` (:func:`looks_binary`). Neither is retried. Stray control
    bytes in an HTML page are removed (``newsagg/html/controls_stripped``
    counts the pages): they cost the byte, never the page. Requests that are
    not pages (robots.txt) pass untouched.
    """

    def __init__(self, stats=None):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get("newsagg_kind") or not 200 <= response.status < 300:
            return response
        raw = response.headers.get(b"Content-Type") or b""
        ctype = raw.decode("latin-1").split(";", 1)[0].strip().lower()
        if (ctype and ctype not in HTML_TYPES) or (not ctype and not isinstance(response, TextResponse)):
            raise PageFailed("not_html", f"Content-Type {ctype or 'none'!r}, not HTML: {response.url}")
        body = response.body
        if body.startswith(_UNICODE_BOMS):
            return response
        strays = _strays(body)
        if _binary(body, strays):
            raise PageFailed("garbage", f"binary bytes declared as {ctype or 'nothing'}: {response.url}")
        if not looks_like_markup(body):
            what = "an empty body" if not body.strip() else f"no markup (starts {body[:20]!r})"
            raise PageFailed("not_html", f"{what}, declared as {ctype or 'nothing'}: {response.url}")
        if not strays:
            return response
        inc(self.stats, f"{PREFIX}/html/controls_stripped")
        logger.info("%d control byte(s) removed from %s", len(strays), response.url)
        return response.replace(body=strip_controls(body))
