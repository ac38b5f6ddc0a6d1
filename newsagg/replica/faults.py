"""Fault injection for the replica server: a plan (which page, when) + handlers (what).

Every request asks ``plan.fault_for(key, count)`` (the page's canonical path,
and its requests so far in this server process, 1 = first); a name it returns
selects a handler in :data:`HANDLERS`, which then owns the raw connection.
:data:`MODES` is the catalogue of faults real sites throw, applied to
deterministically chosen pages by :meth:`FaultPlan.for_modes`. How to add one:
docs/CONTRIBUTING.md "Adding a fault mode"; the plan's knobs: newsagg/replica/README.md.
"""

from __future__ import annotations

import asyncio
import gzip
import random
import re
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .generator import Corpus


@dataclass
class FaultContext:
    """What a fault handler may use. ``respond()`` sends the normal page."""

    method: str
    target: str  # raw request target as received (path + query)
    key: str  # canonical page key
    count: int  # requests for *key* so far, this one included
    keep_alive: bool  # what the client asked for
    writer: asyncio.StreamWriter
    normal: Callable[[], tuple[int, str, bytes]]  # (status, content type, body) of the real page
    respond: Callable[[], Awaitable[bool]]  # send the real page; returns keep-alive
    send: Callable[[int, str, bytes], Awaitable[bool]]  # well-formed response with any status/body
    plan: FaultPlan | None = None  # the plan that chose this fault (its knobs: other_host, slow_seconds, ...)
    corpus: Corpus | None = None  # the corpus served
    page: Callable[[str], tuple[int, str, bytes]] | None = None  # (status, type, body) of any target, as served


Handler = Callable[[FaultContext], Awaitable[bool]]

#: Fault name -> handler. Register new ones with :func:`register`.
HANDLERS: dict[str, Handler] = {}


def register(name: str) -> Callable[[Handler], Handler]:
    """Decorator: make *handler* available to plans under *name*."""

    def deco(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        return handler

    return deco


@register("error_once")
async def error_once(ctx: FaultContext) -> bool:
    """HTTP 500 (the rule decides on which requests; by default only the first)."""
    body = b"<!DOCTYPE html><html><head><title>500</title></head><body><h1>Erreur interne</h1></body></html>\n"
    return await ctx.send(500, "text/html; charset=utf-8", body)


# --- the catalogue of real-site faults --------------------------------------

_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    403: "Forbidden",
    429: "Too Many Requests",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


async def raw_response(
    ctx: FaultContext,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes = b"",
    length: int | None = None,
    keep: bool | None = None,
) -> bool:
    """Write a response by hand: any status, extra headers, and a Content-Length
    that may differ from the body sent (``length=None``: the body's; -1: none)."""
    keep = ctx.keep_alive if keep is None else keep
    lines = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}",
        f"Date: {formatdate(usegmt=True)}",
        "Server: newsagg-replica",
        *(f"{k}: {v}" for k, v in headers),
    ]
    if length != -1:
        lines.append(f"Content-Length: {len(body) if length is None else length}")
    lines.append(f"Connection: {'keep-alive' if keep else 'close'}")
    ctx.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    if ctx.method != "HEAD":
        ctx.writer.write(body)
    await ctx.writer.drain()
    return keep


def _error_page(status: int) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>{status}</title></head><body><h1>{status} "
        f"{_REASONS.get(status, '')}</h1></body></html>\n"
    ).encode()


def _knob(ctx: FaultContext, name: str):
    return getattr(ctx.plan or _DEFAULT_KNOBS, name)


def _status_handler(status: int) -> Handler:
    async def status_error(ctx: FaultContext) -> bool:
        return await ctx.send(status, "text/html; charset=utf-8", _error_page(status))

    status_error.__doc__ = f"HTTP {status} with a small error page."
    return status_error


for _status in (403, 451, 500, 502, 503):
    register(f"status_{_status}")(_status_handler(_status))


@register("status_429")
async def status_429(ctx: FaultContext) -> bool:
    """HTTP 429 with ``Retry-After: <plan.retry_after>`` (seconds)."""
    return await raw_response(
        ctx,
        429,
        [("Content-Type", "text/html; charset=utf-8"), ("Retry-After", str(_knob(ctx, "retry_after")))],
        _error_page(429),
    )


@register("slow")
async def slow(ctx: FaultContext) -> bool:
    """Answer only after ``plan.slow_seconds`` (beyond the client's download timeout)."""
    await asyncio.sleep(_knob(ctx, "slow_seconds"))
    try:
        return await ctx.respond()
    except ConnectionError:
        return False  # the client gave up long ago


@register("reset")
async def reset(ctx: FaultContext) -> bool:
    """Headers and half the body, then a TCP reset (RST, not FIN)."""
    _, ctype, body = ctx.normal()
    await raw_response(ctx, 200, [("Content-Type", ctype)], body[: len(body) // 2], length=len(body), keep=False)
    await asyncio.sleep(0.3)  # let the first half arrive before the RST
    sock = ctx.writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ctx.writer.transport.abort()
    return False


@register("truncated")
async def truncated(ctx: FaultContext) -> bool:
    """Content-Length of the whole page, two thirds of it sent, then a clean close."""
    _, ctype, body = ctx.normal()
    await raw_response(ctx, 200, [("Content-Type", ctype)], body[: len(body) * 2 // 3], length=len(body), keep=False)
    return False


async def _stream_oversized(ctx: FaultContext, declare: bool) -> bool:
    _, ctype, body = ctx.normal()
    size = max(_knob(ctx, "oversize_bytes"), len(body) + 1)
    await raw_response(ctx, 200, [("Content-Type", ctype)], b"", length=size if declare else -1, keep=False)
    if ctx.method == "HEAD":
        return False
    pad = b"<!-- " + b"x" * 65_000 + b" -->\n"
    try:
        ctx.writer.write(body)
        sent = len(body)
        while sent < size:  # the client hangs up once it has seen enough
            chunk = pad[: size - sent]
            ctx.writer.write(chunk)
            sent += len(chunk)
            await ctx.writer.drain()
    except ConnectionError:
        pass
    return False


@register("too_large")
async def too_large(ctx: FaultContext) -> bool:
    """A page of ``plan.oversize_bytes`` (over ``DOWNLOAD_MAXSIZE``), declared in Content-Length."""
    return await _stream_oversized(ctx, declare=True)


@register("too_large_undeclared")
async def too_large_undeclared(ctx: FaultContext) -> bool:
    """The same oversized page without Content-Length (ends with the connection)."""
    return await _stream_oversized(ctx, declare=False)


@register("redirect_loop")
async def redirect_loop(ctx: FaultContext) -> bool:
    """``/a`` -> ``/a?loop=1`` -> ``/a`` -> ...: a two-step redirect cycle."""
    path = ctx.target.split("?", 1)[0]
    location = path if "loop=1" in ctx.target else f"{path}?loop=1"
    return await raw_response(ctx, 302, [("Location", location), ("Content-Type", "text/html")], b"")


@register("redirect_offsite")
async def redirect_offsite(ctx: FaultContext) -> bool:
    """301 to the same path on ``plan.other_host`` (another host)."""
    location = _knob(ctx, "other_host").rstrip("/") + ctx.target
    return await raw_response(ctx, 301, [("Location", location), ("Content-Type", "text/html")], b"")


@register("not_html")
async def not_html(ctx: FaultContext) -> bool:
    """200 with a PDF (``application/pdf``) where the page should be."""
    body = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    return await ctx.send(200, "application/pdf", body)


@register("garbage")
async def garbage(ctx: FaultContext) -> bool:
    """200 ``text/html`` whose body is random bytes (deterministic per page)."""
    rng = random.Random(f"garbage:{ctx.key}")
    return await ctx.send(200, "text/html; charset=utf-8", rng.randbytes(rng.randint(2048, 8192)))


_META_CHARSET = re.compile(rb"(<meta[^>]*charset=[\"']?)([\w-]+)", re.I)


def lie_about_charset(ctype: str, body: bytes) -> tuple[str, bytes]:
    """Declare the other charset (UTF-8 <-> windows-1252) in the header and in any ``<meta>``."""
    lie = "utf-8" if "1252" in ctype else "windows-1252"
    return f"text/html; charset={lie}", _META_CHARSET.sub(lambda m: m.group(1) + lie.encode(), body, count=1)


@register("wrong_charset")
async def wrong_charset(ctx: FaultContext) -> bool:
    """The real bytes, declared in the wrong charset (header and ``<meta>`` both lie)."""
    status, ctype, body = ctx.normal()
    return await ctx.send(status, *lie_about_charset(ctype, body))


_BYLINE_WORD = re.compile(rb"Publi(?=(\xc3\xa9|\xe9|&eacute;|&#233;|&#xe9;) dans)")


@register("no_byline")
async def no_byline(ctx: FaultContext) -> bool:
    """The page after a redesign that dropped the byline anchor ("Publié dans X le ..."
    reads "Diffusé dans ..."): nothing else changes. Not in :data:`MODES` (not a
    transient fault: the health checks' test, tests/test_monitoring.py)."""
    status, ctype, body = ctx.normal()
    return await ctx.send(status, ctype, _BYLINE_WORD.sub(b"Diffus", body))


@register("deep_nesting")
async def deep_nesting(ctx: FaultContext) -> bool:
    """The page wrapped in ``plan.nesting_depth`` unclosed ``div/span/font`` levels
    (a broken template loop), deeper than libxml2's parser limit."""
    status, ctype, body = ctx.normal()
    wrap = b"\n".join([b'<div class="wrap"><span><font>'] * (_knob(ctx, "nesting_depth") // 3))
    return await ctx.send(status, ctype, re.sub(rb"(<body[^>]*>)", lambda m: m.group(1) + wrap, body, count=1))


_OPTIONAL_END = re.compile(rb"</(?:p|li|td|th|tr|tbody|thead|dt|dd|option|b|i|em|strong|font)>|</body>|</html>", re.I)


@register("unclosed_html")
async def unclosed_html(ctx: FaultContext) -> bool:
    """The page without optional end tags (``</p>``, ``</li>``, ``</td>`` ...), unclosed
    inline tags (``<b>``, ``<i>``, ``<font>`` ...) and no ``</body></html>``."""
    status, ctype, body = ctx.normal()
    return await ctx.send(status, ctype, _OPTIONAL_END.sub(b"", body))


@register("robots_extra")
async def robots_extra(ctx: FaultContext) -> bool:
    """robots.txt with the plan's extra ``Disallow`` lines (``plan.robots_disallow``)."""
    _, ctype, body = ctx.normal()
    extra = "".join(f"Disallow: {p}\n" for p in _knob(ctx, "robots_disallow"))
    return await ctx.send(200, ctype, body + extra.encode())


_SOURCE_LINK = re.compile(rb"""(<a\s[^>]*href=["'])([^"']*)(["'][^>]*>\s*Cliquez ici pour lire)""")


def foreign_source_link(other_host: str, key: str) -> str:
    """Where ``foreign_links`` points an article's source link."""
    return f"{other_host.rstrip('/')}/source{key}"


@register("foreign_links")
async def foreign_links(ctx: FaultContext) -> bool:
    """The real page plus article-, listing- and home-shaped links to ``plan.other_host``;
    an article's source link ("Cliquez ici ...") points there too
    (:func:`foreign_source_link`)."""
    status, ctype, body = ctx.normal()
    other = _knob(ctx, "other_host").rstrip("/")
    block = (
        f'<div class="partners"><a href="{other}{ctx.key}">{ctx.key}</a> <a href="{other}/fr/">Accueil</a> '
        f'<a href="{other}/fr/lematin">Le Matin</a> <a href="{other}/fr/lematin/2016?page=2">2016</a></div>\n'
    )
    body = _SOURCE_LINK.sub(
        lambda m: m.group(1) + foreign_source_link(other, ctx.key).encode() + m.group(3), body, count=1
    )
    return await ctx.send(status, ctype, body.replace(b"</body>", block.encode() + b"</body>", 1))


@register("gzip_bomb")
async def gzip_bomb(ctx: FaultContext) -> bool:
    """200 with ``Content-Encoding: gzip``: a few KB that inflate to ``plan.oversize_bytes``
    (over ``DOWNLOAD_MAXSIZE``), the page first."""
    _, ctype, body = ctx.normal()
    size = max(_knob(ctx, "oversize_bytes"), len(body) + 1)
    bomb = gzip.compress(body + b" " * (size - len(body)), compresslevel=9, mtime=0)
    return await raw_response(ctx, 200, [("Content-Type", ctype), ("Content-Encoding", "gzip")], bomb)


@register("empty_body")
async def empty_body(ctx: FaultContext) -> bool:
    """200 ``text/html`` with an empty body."""
    return await ctx.send(200, "text/html; charset=utf-8", b"")


@register("json_body")
async def json_body(ctx: FaultContext) -> bool:
    """200 ``text/html`` whose body is JSON (an API error leaking through the template)."""
    body = b'{"error": "article indisponible", "path": "%s", "retry": false}' % ctx.key.encode()
    return await ctx.send(200, "text/html; charset=utf-8", body)


_TITLE_TAGS = re.compile(rb"(<title>)|(<h1[^>]*>)", re.I)


@register("nul_title")
async def nul_title(ctx: FaultContext) -> bool:
    """The page with stray control bytes at the start of its titles: a NUL in ``<title>``
    (in the first kilobytes), a NUL and a backspace in the ``<h1>``."""
    status, ctype, body = ctx.normal()
    return await ctx.send(
        status, ctype, _TITLE_TAGS.sub(lambda m: m.group(0) + (b"\x00" if m.group(1) else b"\x00\x08"), body)
    )


_BYLINE_P = re.compile(rb'<p class="byline">.*?</p>.*?</p>', re.S)


@register("deep_nesting_text")
async def deep_nesting_text(ctx: FaultContext) -> bool:
    """``plan.nesting_depth / 3`` unclosed ``<div>`` wrappers, each holding a word
    in an ad ``<b>`` (not empty: no run of bare tags), after the first paragraph of the
    article (or before its source link, or the end of the page): deeper than
    libxml2's limit in the middle of the text."""
    status, ctype, body = ctx.normal()
    wrap = b"<div><b class=ad>pub</b>\n" * (_knob(ctx, "nesting_depth") // 3)
    m = _BYLINE_P.search(body) or _SOURCE_LINK.search(body)
    at = (m.end() if m.re is _BYLINE_P else m.start()) if m else body.rfind(b"</body>")
    return await ctx.send(status, ctype, body[:at] + wrap + body[at:])


def long_slug_path(key: str) -> str:
    """Where ``long_slug`` links the article *key*: its id under a 300-character slug."""
    slug, aid = key.split("/")[2:4]
    return f"/fr/{(slug + 'x' * 300)[:300]}/{aid}"


_END_BODY = re.compile(rb"</body>", re.I)


def _with_links(body: bytes, hrefs: list[str]) -> bytes:
    block = "".join(f'<p><a href="{h}">Lire aussi</a></p>\n' for h in hrefs).encode()
    m = _END_BODY.search(body)
    return body[: m.start()] + block + body[m.start() :] if m else body + block


@register("long_slug")
async def long_slug(ctx: FaultContext) -> bool:
    """The page plus a link to itself under a 300-character slug (:func:`long_slug_path`),
    which the site answers with a copy of the page (titled "Copie : ..."): a slug
    that matches the slug pattern but cannot be a file name."""
    status, ctype, body = ctx.normal()
    return await ctx.send(status, ctype, _with_links(body, [long_slug_path(ctx.key)]))


@register("long_slug_copy")
async def long_slug_copy(ctx: FaultContext) -> bool:
    """The page of the article behind a :func:`long_slug_path`, its titles prefixed "Copie : "."""
    slug_id = ctx.key.rsplit("/", 1)[1]
    original = next(
        k for k in (ctx.plan.assigned.get("long_slug", []) if ctx.plan else []) if k.endswith(f"/{slug_id}")
    )
    status, ctype, body = ctx.page(original)
    return await ctx.send(status, ctype, _TITLE_TAGS.sub(lambda m: m.group(0) + b"Copie : ", body))


@register("long_url")
async def long_url(ctx: FaultContext) -> bool:
    """The page plus an article link of 2,100 digits (over the 2,083 characters of ``URLLENGTH_LIMIT``)."""
    status, ctype, body = ctx.normal()
    slug = ctx.key.split("/")[2]
    return await ctx.send(status, ctype, _with_links(body, [f"/fr/{slug}/{'7' * 2100}"]))


@register("unicode_digits")
async def unicode_digits(ctx: FaultContext) -> bool:
    """The page plus article-looking links whose id has Arabic-Indic (``٢١``) or
    full-width (``２１``) digits: no article URL of the template."""
    status, ctype, body = ctx.normal()
    slug = ctx.key.split("/")[2]
    return await ctx.send(
        status, ctype, _with_links(body, [f"/fr/{slug}/&#1634;&#1633;", f"/fr/{slug}/&#65298;&#65297;"])
    )


_LIST_BLOCK = re.compile(rb"(</h1>\s*<ul[^>]*>)(.*?)(</ul>)", re.S)
_ENTRY = re.compile(rb"<li>.*?</li>", re.S)


def chain_next(corpus: Corpus, slug: str, page: int, length: int | None) -> str | None:
    """The page after listing page *page* of *slug* in a chain of *length* pages
    beyond the real ones (None: endless); None where the chain ends."""
    src = corpus.source(slug)
    if src is None or (length is not None and page >= corpus.listing_page_count(slug) + length):
        return None
    return corpus.listing_path(src, page + 1)


async def _listing_chain(ctx: FaultContext, entries: int) -> bool:
    """Listing page *n* of a source: the last real page gains a next link; pages
    beyond it (``plan.chain_pages`` of them, None: endlessly many) are copies of
    the last page holding *entries* of its articles (0 or 1, an article listed
    already) and a next link."""
    corpus = ctx.corpus
    slug = ctx.key.split("?", 1)[0].split("/")[2]
    src, real = corpus.source(slug), corpus.listing_page_count(slug)
    m = re.search(r"[?/]page[=/](\d+)$", ctx.key)
    n = int(m.group(1)) if m else 1
    _, ctype, body = ctx.page(corpus.listing_path(src, real))
    if n > real:
        lm = _LIST_BLOCK.search(body)
        if lm:
            kept = b"\n".join(_ENTRY.findall(lm.group(2))[:entries])
            body = body[: lm.start(2)] + b"\n" + kept + b"\n" + body[lm.end(2) :]
    nxt = chain_next(corpus, slug, n, _knob(ctx, "chain_pages"))
    if nxt is not None:
        pager = f'<div class="pager"><a href="{nxt}" rel="next">Suivant &raquo;</a></div>\n'.encode()
        lm = _LIST_BLOCK.search(body)
        at = lm.end() if lm else body.rfind(b"</body>")
        body = body[:at] + pager + body[at:]
    return await ctx.send(200, ctype, body)


@register("listing_chain_empty")
async def listing_chain_empty(ctx: FaultContext) -> bool:
    """Endless pagination: empty listing pages, each linking the next (:func:`_listing_chain`)."""
    return await _listing_chain(ctx, 0)


@register("listing_chain_one")
async def listing_chain_one(ctx: FaultContext) -> bool:
    """Endless pagination: pages of one (known) article each, each linking the next."""
    return await _listing_chain(ctx, 1)


@dataclass(frozen=True)
class Mode:
    """A fault mode: which handler, on how many requests of a page, and what a crawler can do about it."""

    handler: str
    times: int | None  # first N requests of the page; None: every request
    recoverable: bool  # can a crawler still get the exact article?
    reason: str | None  # newsagg/pages_failed/<reason> each faulted page makes count once (lost or refused)
    listing: bool = False  # also fault one listing page (only for recoverable modes)
    doc: str = ""
    #: "article": faults article pages; "listing": the last listing page of sources and the
    #: (made-up) pages after it.
    target: str = "article"


#: The fault modes of ``for_modes`` / ``serve --faults`` (README "Failures and resuming").
MODES: dict[str, Mode] = {
    "status_500_once": Mode("status_500", 1, True, None, True, "500 once, then OK: retried"),
    "status_500_twice": Mode("status_500", 2, True, None, True, "500 twice, then OK: retried"),
    "status_502_once": Mode("status_502", 1, True, None, True, "502 once, then OK: retried"),
    "status_502_twice": Mode("status_502", 2, True, None, True, "502 twice, then OK: retried"),
    "status_503_once": Mode("status_503", 1, True, None, True, "503 once, then OK: retried"),
    "status_503_twice": Mode("status_503", 2, True, None, True, "503 twice, then OK: retried"),
    "status_429": Mode("status_429", 1, True, None, True, "429 + Retry-After once: retried after the delay"),
    "status_429_always": Mode(
        "status_429",
        None,
        False,
        "http_429",
        False,
        "429 + Retry-After every time: retried (delay capped), then given up",
    ),
    "slow_once": Mode("slow", 1, True, None, False, "no answer within the download timeout once: retried"),
    "slow": Mode("slow", None, False, "timeout", False, "never answers in time: retried, then given up"),
    "reset_once": Mode("reset", 1, True, None, False, "connection reset mid-body once: retried"),
    "reset": Mode("reset", None, False, "connection_reset", False, "reset mid-body every time"),
    "truncated_once": Mode("truncated", 1, True, None, False, "body shorter than Content-Length once: retried"),
    "truncated": Mode("truncated", None, False, "truncated", False, "body shorter than Content-Length every time"),
    "too_large": Mode("too_large", None, False, "too_large", False, "over DOWNLOAD_MAXSIZE (declared): not retried"),
    "too_large_undeclared": Mode(
        "too_large_undeclared",
        None,
        False,
        "too_large",
        False,
        "over DOWNLOAD_MAXSIZE, no Content-Length: cut off, not retried",
    ),
    "redirect_loop": Mode("redirect_loop", None, False, "redirect_loop", False, "a -> a?loop=1 -> a"),
    "redirect_offsite": Mode(
        "redirect_offsite", None, False, "offsite_redirect", False, "redirect to another host: never followed"
    ),
    "not_html": Mode("not_html", None, False, "not_html", False, "a PDF (application/pdf)"),
    "garbage": Mode("garbage", None, False, "garbage", False, "random bytes served as text/html"),
    "wrong_charset": Mode(
        "wrong_charset",
        None,
        True,
        None,
        False,
        "header and <meta> declare the wrong charset: fixed by UTF-8 validity + fallback",
    ),
    "deep_nesting": Mode(
        "deep_nesting",
        None,
        True,
        None,
        False,
        "9000 unclosed wrapper elements (over the parser's depth limit): flattened",
    ),
    "unclosed_html": Mode("unclosed_html", None, True, None, False, "optional and inline end tags missing"),
    "gzip_bomb": Mode(
        "gzip_bomb", None, False, "too_large", False, "gzip body inflating over DOWNLOAD_MAXSIZE: not retried"
    ),
    "empty_body": Mode("empty_body", None, False, "not_html", False, "200 text/html, empty body: no browser"),
    "json_body": Mode("json_body", None, False, "not_html", False, "200 text/html holding JSON: no browser"),
    "nul_title": Mode("nul_title", None, True, None, False, "NUL and backspace bytes in the titles: stripped"),
    "deep_nesting_text": Mode(
        "deep_nesting_text",
        None,
        True,
        None,
        False,
        "3000 unclosed wrappers holding text inside the article: nesting capped as a browser does",
    ),
    "long_slug": Mode(
        "long_slug",
        None,
        True,
        "slug_too_long",
        False,
        "a link under a 300-character slug (served): refused, counted",
    ),
    "long_url": Mode(
        "long_url", None, True, "url_too_long", False, "an article link over 2,083 characters: refused, counted"
    ),
    "unicode_digits": Mode(
        "unicode_digits", None, True, None, False, "article-like links with Arabic-Indic/full-width digits: no article"
    ),
    "listing_chain_empty": Mode(
        "listing_chain_empty",
        None,
        True,
        None,
        False,
        "endless pagination: empty listing pages after the last one, each linking the next",
        target="listing",
    ),
    "listing_chain_one": Mode(
        "listing_chain_one",
        None,
        True,
        None,
        False,
        "endless pagination: pages of one known article each after the last one",
        target="listing",
    ),
}


@dataclass
class Rule:
    """Apply *fault* to the first *times* requests of a key (None: to every request)."""

    fault: str
    times: int | None = 1

    def applies(self, count: int) -> bool:
        return self.times is None or count <= self.times


Matcher = Callable[[str, int], "str | None"]


@dataclass
class FaultPlan:
    """Which fault (if any) a request gets: exact-key rules first, then matchers in order.

    The knobs below are read by the fault handlers (tests lower them to stay fast).
    """

    rules: dict[str, Rule] = field(default_factory=dict)
    matchers: list[Matcher] = field(default_factory=list)
    other_host: str = "http://other-host.invalid"  # where offsite redirects / foreign links point
    slow_seconds: float = 20.0  # "slow": above the local profile's 15 s DOWNLOAD_TIMEOUT
    retry_after: int = 1  # Retry-After of a 429, seconds
    oversize_bytes: int = 9 * 1024 * 1024  # "too_large": above the 8 MiB DOWNLOAD_MAXSIZE
    nesting_depth: int = 9000  # "deep_nesting": elements, well over libxml2's 2048 (huge tree: more)
    chain_pages: int | None = None  # "listing_chain_*": made-up listing pages after the last one (None: endless)
    robots_disallow: list[str] = field(default_factory=list)  # "robots_extra"
    #: Mode -> page keys it was applied to (filled by :meth:`for_modes`).
    assigned: dict[str, list[str]] = field(default_factory=dict)
    #: (key, count, monotonic time, fault or None) of every request to a key with a rule.
    events: list[tuple[str, int, float, str | None]] = field(default_factory=list)

    def add(self, key: str, fault: str, times: int | None = 1) -> FaultPlan:
        """Fault the page *key* (canonical path, e.g. ``/fr/lematin/2016``); chainable."""
        if fault not in HANDLERS:
            raise KeyError(f"unknown fault {fault!r}; registered: {sorted(HANDLERS)}")
        self.rules[key] = Rule(fault, times)
        return self

    def add_matcher(self, matcher: Matcher) -> FaultPlan:
        """Add ``matcher(key, count) -> fault name | None`` for pattern-wide faults; chainable."""
        self.matchers.append(matcher)
        return self

    def fault_for(self, path: str, request_count: int) -> str | None:
        """The fault for the *request_count*-th request of page *path*, or None."""
        rule = self.rules.get(path)
        if rule is not None:
            fault = rule.fault if rule.applies(request_count) else None
            self.events.append((path, request_count, time.monotonic(), fault))
            if fault:
                return fault
        for matcher in self.matchers:
            fault = matcher(path, request_count)
            if fault:
                return fault
        return None

    def keys(self, modes: list[str] | None = None, recoverable: bool | None = None) -> list[str]:
        """Page keys assigned to *modes* (default: all), optionally only (un)recoverable ones."""
        return [
            k
            for m, ks in self.assigned.items()
            if (modes is None or m in modes) and (recoverable is None or MODES[m].recoverable == recoverable)
            for k in ks
        ]

    @classmethod
    def none(cls) -> FaultPlan:
        """No faults at all."""
        return cls()

    @classmethod
    def default(cls, corpus: Corpus) -> FaultPlan:
        """The corpus's built-in handful: 2 articles and 1 listing page answer 500 once."""
        plan = cls()
        for key in corpus.error_once_paths:
            plan.add(key, "error_once", times=1)
        return plan

    @classmethod
    def for_modes(cls, corpus: Corpus, modes: list[str] | str, per_mode: int = 2, **knobs) -> FaultPlan:
        """Apply each mode of *modes* (names from :data:`MODES`, or ``"all"``) to
        *per_mode* article pages (plus one listing page for the recoverable
        5xx/429 modes), chosen deterministically from the corpus's seed.

        Pages are distinct across modes and never members of a republication or
        near-duplicate pair (so losing one leaves the ground truth of the others
        unchanged). ``assigned`` records the choice; *knobs* set the plan's
        fields (``slow_seconds=...``).
        """
        names = list(MODES) if modes == "all" or modes == ["all"] else list(modes)
        unknown = [m for m in names if m not in MODES]
        if unknown:
            raise KeyError(f"unknown fault mode(s) {unknown}; known: {', '.join(MODES)}")
        plan = cls(**knobs)
        rng = random.Random(f"{corpus.seed}:{corpus.site}:fault-modes")
        paired = {p for pair in corpus.republication_pairs() + corpus.near_duplicate_pairs() for p in pair}
        skip = paired | set(corpus.error_once_paths)
        pool = [i for i in range(len(corpus)) if corpus.path(i) not in skip]
        rng.shuffle(pool)
        listings = [
            corpus.listing_path(s, n) for s in corpus.sources for n in range(2, corpus.listing_page_count(s.slug) + 1)
        ]
        listings = [p for p in listings if p not in skip]
        rng.shuffle(listings)
        sources = list(corpus.sources)
        rng.shuffle(sources)
        for name in names:
            mode = MODES[name]
            if mode.target == "listing":  # the last page of per_mode sources, and the pages after it
                if len(sources) < per_mode:
                    raise ValueError(f"corpus has too few sources for {len(names)} fault modes x {per_mode}")
                chosen = [sources.pop() for _ in range(per_mode)]
                keys = [corpus.listing_path(src, corpus.listing_page_count(src.slug)) for src in chosen]
                listings = [p for p in listings if p not in keys]
                for key in keys:
                    plan.add(key, mode.handler, times=None)
                plan.add_matcher(_beyond_listings(corpus, [src.slug for src in chosen], mode.handler))
                plan.assigned[name] = keys
                continue
            if name == "wrong_charset":  # both directions: a windows-1252 page first, then a UTF-8 one
                for n, enc in enumerate(("windows-1252", "utf-8")[:per_mode]):
                    k = next((j for j, i in enumerate(pool) if j >= n and corpus.flags(i)["encoding"] == enc), n)
                    pool.insert(n, pool.pop(k))
            if name == "deep_nesting_text":  # pages of the semantic markup with a source link (its handler)
                for n in range(per_mode):
                    k = next((j for j, i in enumerate(pool) if j >= n and _semantic_with_source(corpus, i)), n)
                    pool.insert(n, pool.pop(k))
            if len(pool) < per_mode:
                raise ValueError(f"corpus too small for {len(names)} fault modes x {per_mode} pages")
            keys = [corpus.path(pool.pop(0)) for _ in range(per_mode)]
            if mode.listing and listings:
                keys.append(listings.pop())
            for key in keys:
                plan.add(key, mode.handler, times=mode.times)
                if name == "long_slug":  # the site answers the long slug too (a copy)
                    plan.add(long_slug_path(key), "long_slug_copy", times=None)
            plan.assigned[name] = keys
        return plan


def _semantic_with_source(corpus: Corpus, i: int) -> bool:
    flags = corpus.flags(i)
    return flags["variant"] == "semantic" and flags["has_original_url"] and not corpus.extras(i).layout


def _beyond_listings(corpus: Corpus, slugs: list[str], fault: str) -> Matcher:
    """A matcher giving *fault* to the listing pages of *slugs* after their last one
    (their route key is ``/fr/<slug>?page=N`` in either URL shape)."""
    last = {slug: corpus.listing_page_count(slug) for slug in slugs}
    shape = re.compile(r"/fr/([a-z0-9]+)\?page=(\d+)")

    def match(key: str, _count: int) -> str | None:
        m = shape.fullmatch(key)
        return fault if m and m.group(1) in last and int(m.group(2)) > last[m.group(1)] else None

    return match


#: Knob defaults for handlers called without a plan in their context.
_DEFAULT_KNOBS = FaultPlan()
