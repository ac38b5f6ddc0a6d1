"""Keep absurdly deep nesting from making the HTML parser drop the page's text.

libxml2 silently drops everything past its depth limit. Runs of at least
:data:`MAX_TAG_RUN` empty opening tags are flattened (``newsagg/html/flattened``);
a page still deeper than the parser goes is capped at :data:`MAX_DEPTH` levels
(``newsagg/html/depth_capped``), or fails as ``too_deep``. Every text and element
is kept. How: docs/ARCHITECTURE.md "Downloader middlewares".
"""

from __future__ import annotations

import logging
import re

from lxml import etree
from scrapy.http import HtmlResponse, Request, Response

from newsagg.failures import PageFailed
from newsagg.stats import PREFIX, inc

logger = logging.getLogger(__name__)

_OPEN_TAG = rb"<[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?>\s*"
#: A run of this many opening tags with only whitespace between them is flattened.
MAX_TAG_RUN = 256
_KEEP_HEAD, _KEEP_TAIL = 8, 32  # tags kept at each end of a run

#: Nesting levels kept (Chromium's own DOM cap): far below libxml2's 2048.
MAX_DEPTH = 512
#: Levels freed each time the cap is reached: room for the content after a chain of wrappers.
HEADROOM = 64
#: Only a page with at least this many opening tags (a nesting is never deeper than their
#: count) is parsed to check its depth: half the parser's limit; a normal page has a few hundred.
DEPTH_CHECK = 2 * MAX_DEPTH

# One token of markup: a comment, an end tag (1: "/"), a start tag (2: name, 3: attributes), or
# a doctype / processing instruction. Attribute values may hold ">".
_TOKEN = re.compile(
    rb"<!--.*?(?:-->|\Z)|<(/?)([A-Za-z][A-Za-z0-9:_-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>|<[!?][^>]*>", re.S
)
_RAW_END = {b"script": re.compile(rb"</script\s*>", re.I), b"style": re.compile(rb"</style\s*>", re.I)}
_VOID = frozenset(
    b"area base br col embed hr img input link meta param source track wbr keygen basefont frame isindex".split()
)
# An open element of these names is closed by a start tag of the same name (<li>a<li>b).
_SELF_CLOSING_RUNS = frozenset(b"p li dt dd option tr td th".split())
# libxml2's end-tag priorities: an end tag never closes an open element of a higher priority.
_PRIORITY = {
    b"div": 150,
    b"td": 160,
    b"th": 160,
    b"tr": 170,
    b"thead": 180,
    b"tbody": 180,
    b"tfoot": 180,
    b"table": 190,
    b"head": 200,
    b"body": 200,
    b"html": 220,
}


def cap_depth(body: bytes, limit: int = MAX_DEPTH, headroom: int = HEADROOM) -> tuple[bytes, int]:
    """*body* with its element nesting capped at *limit* levels, and how many
    elements were closed early (pure; 0: *body* returned as it is).

    When an element would open at *limit* levels, the *headroom* deepest
    elements open in the output are closed first (end tags inserted), so it and
    what follows (a paragraph and its inline tags) nest as written, *headroom*
    levels up; an element closed early drops its own end tag when it comes.
    Text and every element are kept: only the nesting of a long chain of
    wrappers goes. The model of open elements follows libxml2 closely enough
    (void elements, ``<x/>``, raw ``<script>``/``<style>``, end-tag
    priorities); the caller checks the result with the parser itself.
    """
    out: list[bytes] = []
    names: list[bytes] = []  # the open elements, outermost first
    shown: list[bool] = []  # ... whether each is still open in the output
    opened: list[int] = []  # indices of those open in the output (its depth: len(opened))
    moved = last = pos = 0
    search = _TOKEN.search
    while (m := search(body, pos)) is not None:
        pos = m.end()
        name = m.group(2)
        if name is None:
            continue  # comment, doctype, processing instruction
        name = name.lower()
        if m.group(1):  # an end tag: closes the nearest open element of its name
            prio, found = _PRIORITY.get(name, 100), -1
            for i in range(len(names) - 1, -1, -1):
                if names[i] == name:
                    found = i
                    break
                if _PRIORITY.get(names[i], 100) > prio:
                    break
            if found < 0:
                continue  # stray: the parser ignores it
            above = []
            while opened and opened[-1] >= found:
                above.append(opened.pop())
            if not shown[found]:  # closed early: drop its end tag, close by hand what is open above it
                out += [body[last : m.start()], *(b"</%s>" % names[i] for i in above)]
                last = m.end()
            del names[found:], shown[found:]
            continue
        if name in _VOID or m.group(3).endswith(b"/"):
            continue
        if name in _SELF_CLOSING_RUNS and names and names[-1] == name:
            names.pop()
            if shown.pop():
                opened.pop()
        if len(opened) >= limit:
            closing = [opened.pop() for _ in range(min(headroom, len(opened)))]
            out += [body[last : m.start()], *(b"</%s>" % names[i] for i in closing)]
            last = m.start()
            for i in closing:
                shown[i] = False
            moved += len(closing)
        opened.append(len(names))
        names.append(name)
        shown.append(True)
        if name in _RAW_END:  # raw text up to its end tag (which the next search finds)
            end = _RAW_END[name].search(body, pos)
            if end is None:
                break
            pos = end.start()
    if not moved:
        return body, 0
    out.append(body[last:])
    return b"".join(out), moved


def too_deep(body: bytes) -> bool:
    """True when libxml2, parsing *body* as parsel does (``huge_tree``), stops at its depth limit."""
    parser = etree.HTMLParser(recover=True, huge_tree=True, encoding="iso-8859-1")  # any byte decodes; tags are ASCII
    try:
        etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        pass
    return any("Excessive depth" in e.message for e in parser.error_log)


class NestingMiddleware:
    """Removes runs of >= *run* (:data:`MAX_TAG_RUN`) empty opening tags from HTML
    (``newsagg/html/flattened`` counts the pages), then caps what is still
    nested beyond the parser's limit (``newsagg/html/depth_capped``), or fails
    the page (``too_deep``)."""

    def __init__(self, stats, run: int = MAX_TAG_RUN):
        self.stats = stats
        self.run = run
        self.pattern = re.compile(rb"(?:%s){%d,}" % (_OPEN_TAG, run))
        self.tag = re.compile(_OPEN_TAG)
        # A stretch of 3 * run bytes covers a whole aligned window of this size.
        self.window = (3 * run + 1) // 2

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, HtmlResponse):
            return response
        body = response.body
        if self._may_have_run(body):
            body, n = self.pattern.subn(self._shorten, body)
            if n:
                inc(self.stats, f"{PREFIX}/html/flattened")
                logger.info("Flattened %d run(s) of >= %d nested tags in %s", n, self.run, response.url)
        if self._may_be_deep(body) and too_deep(body):
            capped, moved = cap_depth(body)
            if not moved or too_deep(capped):
                raise PageFailed("too_deep", f"nested beyond the HTML parser's depth limit: {response.url}")
            inc(self.stats, f"{PREFIX}/html/depth_capped")
            logger.info("Nesting capped at %d levels in %s (%d elements closed early)", MAX_DEPTH, response.url, moved)
            body = capped
        return response if body is response.body else response.replace(body=body)

    @staticmethod
    def _may_be_deep(body: bytes) -> bool:
        """False when *body* has fewer than DEPTH_CHECK opening tags: it cannot be nested that deep.
        ``count(b"<")`` first (a byte: memchr speed), the slower ``count(b"</")`` only past it."""
        return body.count(b"<") >= DEPTH_CHECK and body.count(b"<") - body.count(b"</") >= DEPTH_CHECK

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
