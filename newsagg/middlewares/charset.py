"""Correct a wrongly declared charset before the page is parsed.

A body that is valid UTF-8 is UTF-8; one declared UTF-8 that is not takes its
``<meta>`` charset, else :data:`FALLBACK_ENCODING` (``newsagg/charset/fixed``);
a body mixing UTF-8 and windows-1252 fragments is re-encoded as clean UTF-8 run
by run (:func:`repair_mixed`, ``newsagg/charset/mixed``). The rules:
docs/ARCHITECTURE.md "Downloader middlewares".
"""

from __future__ import annotations

import codecs
import logging
import re

from scrapy.http import Request, Response, TextResponse
from w3lib.encoding import html_body_declared_encoding

from newsagg.stats import PREFIX, inc

logger = logging.getLogger(__name__)

#: Bytes declared UTF-8 that are not, without a usable ``<meta>``: the sites' legacy charset (windows-1252).
FALLBACK_ENCODING = "cp1252"


# A valid UTF-8 sequence of a character French/Arabic pages actually hold:
# Latin-1 supplement and Latin Extended-A (é, œ, «, nbsp), general
# punctuation (’ “ – … U+202F), € and ™, Arabic. windows-1252 text almost
# never forms these by chance ("é\xa0»" is valid UTF-8, but for U+9A3B).
_PLAUSIBLE_UTF8 = re.compile(
    rb"[\xc2-\xc5][\x80-\xbf]|\xe2\x80[\x80-\xbf]|\xe2\x82\xac|\xe2\x84\xa2|[\xd8-\xdb][\x80-\xbf]"
)
# The first bytes of those sequences, found with bytes.find (memchr): a regex
# scanning a 40 KB windows-1252 page for them costs ~150 µs.
_PLAUSIBLE_LEADS = tuple(bytes([b]) for b in (*range(0xC2, 0xC6), *range(0xD8, 0xDC), 0xE2))
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
# Characters a decoded UTF-8 run may hold: Latin, combining marks, Arabic,
# punctuation, symbols, arrows, dingbats, emoji. CJK, Hangul, Samaritan... on
# these pages are windows-1252 bytes by chance (a page really holding them
# and a windows-1252 fragment would see them as windows-1252: a known limit).
# (Not U+0240-U+027F: windows-1252 "É’" is UTF-8 U+0252. Not the Arabic
# presentation forms: "ï»»" is UTF-8 U+FEFB.)
_PLAUSIBLE_CHARS = re.compile(
    "[\u0080-\u023f\u0300-\u036f\u0600-\u06ff\u0750-\u077f\u2000-\u23ff\u2500-\u27bf\U0001f000-\U0001faff]+"
)


def _latin1_for_undefined(exc: UnicodeDecodeError):
    # The five bytes windows-1252 leaves undefined map to U+0081... (as in WHATWG).
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("newsagg-cp1252", _latin1_for_undefined)


def _run_as_utf8(m: re.Match) -> bytes:
    run = m.group()
    try:
        text = run.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and _PLAUSIBLE_CHARS.fullmatch(text):
        return run
    # Not (plausible) UTF-8: windows-1252, byte by byte, except the plausible
    # UTF-8 sequences glued to it ("é" next to a UTF-8 "’").
    out, pos = [], 0
    for seq in _PLAUSIBLE_UTF8.finditer(run):
        out.append(run[pos : seq.start()].decode("cp1252", "newsagg-cp1252").encode("utf-8"))
        out.append(seq.group())
        pos = seq.end()
    out.append(run[pos:].decode("cp1252", "newsagg-cp1252").encode("utf-8"))
    return b"".join(out)


def repair_mixed(body: bytes) -> bytes | None:
    """Clean UTF-8 bytes for a body that mixes UTF-8 and windows-1252 fragments, or None when it does not.

    A body mixes them when it is not valid UTF-8 yet holds plausible UTF-8
    sequences (see ``_PLAUSIBLE_UTF8``). Each run of non-ASCII bytes is then
    kept when it is plausible UTF-8 and read as windows-1252 otherwise, so no
    letter is lost in either direction. Never raises; ASCII bytes are kept.
    """
    if body.isascii() or _decodes(body, "utf-8"):
        return None
    return _repair(body)


def _repair(body: bytes) -> bytes | None:
    # repair_mixed() for a body already known not to be valid UTF-8.
    for lead in _PLAUSIBLE_LEADS:
        pos = body.find(lead)
        while pos >= 0:
            if _PLAUSIBLE_UTF8.match(body, pos):
                return _HIGH_RUN.sub(_run_as_utf8, body)
            pos = body.find(lead, pos + 1)
    return None


def decode_mixed(body: bytes, declared: str | None = None, fallback: str = FALLBACK_ENCODING) -> str:
    """The text of *body* with every fragment in its own charset (pure; never raises).

    Clean UTF-8 costs one ``bytes.decode``; a mixed body goes through
    :func:`repair_mixed`; anything else uses :func:`corrected_encoding`'s
    choice (else *declared*, else UTF-8) with replacement characters for
    bytes it cannot decode.
    """
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    fixed = _repair(body) if not body.isascii() else None
    if fixed is not None:
        return fixed.decode("utf-8")
    encoding = corrected_encoding(body, declared, fallback) or _norm(declared) or "utf-8"
    if encoding == "cp1252":
        return body.decode("cp1252", "newsagg-cp1252")
    return body.decode(encoding, "replace")


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


def corrected_encoding(
    body: bytes, declared: str | None, fallback: str = FALLBACK_ENCODING, valid_utf8: bool | None = None
) -> str | None:
    """The encoding to use instead of *declared*, or None when *declared* is right.

    *valid_utf8*: whether *body* decodes as UTF-8, when the caller already knows.
    """
    if body.isascii():
        return None
    declared = _norm(declared)
    if valid_utf8 if valid_utf8 is not None else _decodes(body, "utf-8"):
        return None if declared == "utf-8" else "utf-8"
    if declared != "utf-8":
        return None
    meta = _norm(html_body_declared_encoding(body))
    if meta and meta != "utf-8" and _decodes(body, meta):
        return meta
    return _norm(fallback)


class CharsetMiddleware:
    """Re-declares the encoding of HTML responses per :func:`corrected_encoding`
    (``newsagg/charset/fixed`` counts it); a body mixing UTF-8 and
    windows-1252 fragments is replaced by its clean UTF-8 (:func:`repair_mixed`,
    counted as ``newsagg/charset/mixed``)."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not 200 <= response.status < 300:
            return response
        if request.meta.get("newsagg_charset_mixed"):  # repaired before Chromium parsed it (rendering/browser.py)
            inc(self.stats, f"{PREFIX}/charset/mixed")
        body = response.body
        if body.isascii():
            return response
        valid_utf8 = _decodes(body, "utf-8")  # the one cost of a clean UTF-8 page
        if not valid_utf8:
            repaired = _repair(body)
            if repaired is not None:
                inc(self.stats, f"{PREFIX}/charset/mixed")
                logger.info(
                    "Mixed UTF-8/windows-1252 fragments in %s (declared %s): decoded run by run",
                    response.url,
                    response.encoding,
                )
                return response.replace(body=repaired, encoding="utf-8")
        fixed = corrected_encoding(body, response.encoding, FALLBACK_ENCODING, valid_utf8)
        if fixed is None:
            return response
        inc(self.stats, f"{PREFIX}/charset/fixed")
        logger.info("Declared charset %s is wrong for %s: decoding as %s", response.encoding, response.url, fixed)
        return response.replace(encoding=fixed)
