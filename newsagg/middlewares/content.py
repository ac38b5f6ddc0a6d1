"""Fail pages that are not HTML: another content type, or binary garbage."""

from __future__ import annotations

from scrapy.http import Request, Response, TextResponse

from newsagg.failures import PageFailed

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\x1b")


# Every byte but the C0 controls a page may hold as binary noise: deleting these leaves the controls.
_NOT_CONTROLS = bytes(b for b in range(256) if not (b < 32 and b not in _TEXT_CONTROLS))


def looks_binary(head: bytes) -> bool:
    """True for bytes no HTML page starts with: NULs, or many C0 control bytes.

    UTF-16/32 pages (which contain NULs) are recognised by their BOM.
    """
    if not head or head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return False
    if b"\x00" in head:
        return True
    controls = len(head.translate(None, _NOT_CONTROLS))  # C-speed count of the control bytes
    return controls > len(head) // 50


class ContentGuardMiddleware:
    """A 2xx answer to a page request (home, listing, article) must be HTML.

    Another ``Content-Type`` (PDF, image, JSON ...) fails the page as
    ``not_html``; a body that is binary garbage although declared HTML fails
    it as ``garbage``. Neither is retried. Requests that are not pages
    (robots.txt) pass untouched.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get("newsagg_kind") or not 200 <= response.status < 300:
            return response
        raw = response.headers.get(b"Content-Type") or b""
        ctype = raw.decode("latin-1").split(";", 1)[0].strip().lower()
        if (ctype and ctype not in HTML_TYPES) or (not ctype and not isinstance(response, TextResponse)):
            raise PageFailed("not_html", f"Content-Type {ctype or 'none'!r}, not HTML: {response.url}")
        if looks_binary(response.body[:4096]):
            raise PageFailed("garbage", f"binary bytes declared as {ctype or 'nothing'}: {response.url}")
        return response
