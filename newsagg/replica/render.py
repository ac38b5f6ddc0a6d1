"""URL routing and page rendering: request target -> (status, headers, body).

``resolve()`` maps a request target to a :class:`Route` with a canonical
``key`` (one key per resource, whatever tracking query or alternate URL form
was used: fault plans count requests per key); ``render()`` turns a route into
a :class:`Response`. Page kinds live in render_article / render_listing.
"""

from __future__ import annotations

import dataclasses
import random
import re
from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qs, unquote, urlsplit

from . import bank, chrome, js
from .chrome import Ctx
from .generator import Corpus
from .render_article import render_article, render_print
from .render_listing import render_home, render_listing

ROBOTS_TXT = "User-agent: *\nDisallow: /fr/print/\nDisallow: /fr/recherche\n"

_ARTICLE = re.compile(r"^/fr/([a-z0-9]+)/(\d+)$")
_LISTING = re.compile(r"^/fr/([a-z0-9]+)$")
_LISTING_PAGE = re.compile(r"^/fr/([a-z0-9]+)/page/(\d+)$")
_PRINT = re.compile(r"^/fr/print/([a-z0-9]+)/(\d+)$")
_FEED = re.compile(r"^/fr/([a-z0-9]+)/feed\.json$")
_RESERVED = {"contact", "recherche", "tag", "print", "author"}
# Decoded author slug -> index in bank.AUTHORS (request paths arrive decoded once).
_AUTHOR_SLUGS = {unquote(slug): k for k, (_name, slug) in enumerate(bank.AUTHORS)}


@dataclass(frozen=True)
class Route:
    """What a request target designates. ``key`` is canonical (no tracking query)."""

    kind: str  # home listing article print author contact search tag robots arabic notfound
    key: str
    slug: str = ""
    number: int = 0  # article index or listing page number


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    mixed: bool = False  # the body mixes UTF-8 and windows-1252 fragments


def resolve(corpus: Corpus, target: str) -> Route:
    """Route a request target (``/fr/lematin?page=2&utm_source=x``) to a page."""
    parts = urlsplit(target)
    path = unquote(parts.path) or "/"
    if path == "/robots.txt":
        return Route("robots", path)
    if path in ("/fr", "/fr/"):
        return Route("home", "/fr/")
    if not path.startswith("/fr/"):
        return Route("notfound", path) if path == "/favicon.ico" else Route("arabic", path)
    if path in ("/fr/author", "/fr/author/"):
        return Route("author", "/fr/author", number=-1)
    if path.startswith("/fr/author/"):
        k = _AUTHOR_SLUGS.get(path[len("/fr/author/") :].rstrip("/"))
        return (
            Route("author", f"/fr/author/{bank.AUTHORS[k][1]}", number=k) if k is not None else Route("notfound", path)
        )
    if path == "/fr/contact":
        return Route("contact", path)
    if path == "/fr/recherche":
        return Route("search", path)
    if path.startswith("/fr/tag/") and len(path) > 8 and "/" not in path[8:]:
        return Route("tag", path)
    if m := _PRINT.match(path):
        i = corpus.find(m[1], m[2])
        return Route("print", path, m[1], i) if i is not None else Route("notfound", path)
    if m := _ARTICLE.match(path):
        i = corpus.find(m[1], m[2])
        return Route("article", path, m[1], i) if i is not None else Route("notfound", path)
    if (m := _LISTING.match(path)) and m[1] not in _RESERVED and (src := corpus.source(m[1])):
        page = 1
        if src.pagination == "query":  # the other shape ignores ?page=
            values = parse_qs(parts.query).get("page")
            if values:
                if not values[0].isdigit():
                    return Route("notfound", path)
                page = int(values[0])
        return _listing_route(corpus, src, page)
    if (m := _LISTING_PAGE.match(path)) and (src := corpus.source(m[1])) and src.pagination == "path":
        return _listing_route(corpus, src, int(m[2]))
    if corpus.js and (feed := _feed_route(corpus, path, parts.query)):
        return feed
    return Route("notfound", path)


def _feed_route(corpus: Corpus, path: str, query: str) -> Route | None:
    """``/fr/<slug>/feed.json?page=N`` of a scripted ``feed`` listing (js.py)."""
    m = _FEED.match(path)
    src = corpus.source(m[1]) if m else None
    if src is None or js.listing_mode(corpus, src) != js.FEED:
        return None
    values = parse_qs(query).get("page") or ["1"]
    page = int(values[0]) if values[0].isdigit() else 0
    if not 1 <= page <= corpus.listing_page_count(src.slug):
        return None
    return Route("feed", js.feed_path(src.slug, page), src.slug, page)


def _listing_route(corpus: Corpus, src, page: int) -> Route:
    if not 1 <= page <= corpus.listing_page_count(src.slug):
        return Route("notfound", f"/fr/{src.slug}?page={page}")  # never a real page's key
    return Route("listing", Corpus.listing_path(src, page), src.slug, page)


def encode(html: str, encoding: str = "utf-8", declaration: str = "both") -> tuple[str, bytes]:
    """Content-Type and bytes; characters outside windows-1252 become ``&#NNNN;``."""
    ctype, body, _mixed = encode_page(html, encoding, declaration)
    return ctype, body


def encode_page(html: str, encoding: str = "utf-8", declaration: str = "both") -> tuple[str, bytes, bool]:
    """Like :func:`encode`; runs marked as :class:`chrome.Fragment` are encoded in the
    other charset (windows-1252 in a UTF-8 page, UTF-8 in a windows-1252 one).
    The flag tells whether the bytes really mix two charsets."""
    codec = "cp1252" if encoding == "windows-1252" else "utf-8"
    ctype = f"text/html; charset={encoding}" if declaration in ("header", "both") else "text/html"
    if chrome.FRAGMENT_START not in html:
        return ctype, html.encode(codec, errors="xmlcharrefreplace"), False
    other = "utf-8" if codec == "cp1252" else "cp1252"
    out, mixed = [], False
    for n, part in enumerate(re.split(f"[{chrome.FRAGMENT_START}{chrome.FRAGMENT_END}]", html)):
        data = part.encode(other if n % 2 else codec, errors="xmlcharrefreplace")
        mixed = mixed or bool(n % 2 and not data.isascii())
        out.append(data)
    return ctype, b"".join(out), mixed


def render(corpus: Corpus, route: Route, host: str) -> Response:
    """Render *route* for a request that came with Host *host* (used by absolute links)."""
    key = f"{corpus.seed}:{corpus.site}"
    if route.kind == "robots":
        return Response(200, "text/plain; charset=utf-8", ROBOTS_TXT.encode())
    if route.kind == "article":
        art = corpus.article(route.number)
        ctx = Ctx(corpus, host, random.Random(f"{key}:{route.number}:html"), art.edition, bare=art.variant == "bare")
        i, dead = route.number, None
        if i % 17 == 3:  # a few "les plus lus" links point to removed articles
            dead = corpus.dead_paths[(i // 17) % len(corpus.dead_paths)]
        if js.is_js_article(corpus, i):
            html = js.render_js_article(ctx, art, dead)
        else:
            k = corpus.other_charset_paragraph(i)
            if k is not None:  # one paragraph in the other charset (encode_page)
                paras = art.paragraphs
                art = dataclasses.replace(art, paragraphs=(*paras[:k], chrome.Fragment(paras[k]), *paras[k + 1 :]))
            html = render_article(ctx, art, dead)
        return Response(200, *encode_page(html, art.encoding, art.declaration))
    ctx = Ctx(corpus, host, random.Random(f"{key}:page:{route.key}"), corpus.edition)
    if route.kind == "print":
        html = render_print(ctx, corpus.article(route.number))
    elif route.kind == "home":
        html = render_home(ctx)
    elif route.kind == "listing":
        src = corpus.source(route.slug)
        mode = js.listing_mode(corpus, src)
        html = js.render_js_listing(ctx, src, route.number, mode) if mode else render_listing(ctx, src, route.number)
    elif route.kind == "feed":
        return Response(200, "application/json", js.render_feed(ctx, corpus.source(route.slug), route.number))
    elif route.kind == "arabic":
        html = _arabic(corpus)
    elif route.kind == "author":
        html = render_author(ctx, route.number)
    elif route.kind in ("contact", "search", "tag"):
        html = _simple(ctx, route)
    else:
        return Response(404, "text/html; charset=utf-8", _not_found(corpus, route.key).encode())
    return Response(200, *encode(html))


def render_author(ctx: Ctx, k: int) -> str:
    """``/fr/author`` (k = -1: every author) or one author's page: teasers ending
    ``(...)``, entries repeated, no dates (as on the live sites). The crawler never
    requests these; they exist so that following one would show."""
    c = ctx.corpus
    if k < 0:
        items = "\n".join(
            f'<li><a href="/fr/author/{slug}">{escape(name or bank.JUNK_AUTHOR_TEXT)}</a></li>'
            for name, slug in bank.AUTHORS
        )
        return chrome.page(ctx, f"Auteurs - {c.site_name}", f"<h1>Auteurs</h1>\n<ul>\n{items}\n</ul>\n", "/fr/author")
    name, slug = bank.AUTHORS[k]
    mine = [i for i in c.latest(400) if c.extras(i).author_slug == slug][:8]
    entries = []
    for i in mine:
        words = " ".join(c.article(i).paragraphs[0].split()[:25])
        entries.append(
            f'<li><a href="{chrome.href(ctx, c.path(i), "author")}">{escape(c.title(i))}</a>'
            f"<p>{escape(words, quote=False)} (...)</p></li>"
        )
    entries = entries + entries[: max(1, len(entries) // 2)]  # entries repeated
    title = name or bank.JUNK_AUTHOR_TEXT
    main = f"<h1>{escape(title)}</h1>\n<ul>\n" + "\n".join(entries) + "\n</ul>\n"
    return chrome.page(ctx, f"{title} - {c.site_name}", main, f"/fr/author/{slug}")


def _simple(ctx: Ctx, route: Route) -> str:
    c = ctx.corpus
    if route.kind == "contact":
        title, text = (
            "Contact",
            f"Pour nous écrire : contact@{c.site}.com. Nous ne sommes pas responsables du contenu des sources.",
        )
    elif route.kind == "search":
        title, text = "Recherche", "Saisissez un ou plusieurs mots-clés."
    else:
        tag = route.key.rsplit("/", 1)[1]
        title, text = f"Tag : {tag}", f"Articles associés au mot-clé « {tag} »."
    main = f"<h1>{escape(title)}</h1>\n<p>{escape(text, quote=False)}</p>\n"
    return chrome.page(ctx, f"{title} - {c.site_name}", main, route.key)


def _arabic(corpus: Corpus) -> str:
    """The Arabic section: out of scope, a crawler of /fr/ must not wander here."""
    links = "\n".join(
        f'<li><a href="/{s.slug}">{escape(s.name)}</a> · <a href="/{s.slug}/{1000 + k}">مقال</a></li>'
        for k, s in enumerate(corpus.sources)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{corpus.site_name} - '
        "أخبار</title></head>\n<body><h1>آخر الأخبار</h1>\n<ul>\n"
        + links
        + '\n</ul>\n<a href="/fr/">Version française</a></body></html>\n'
    )


def _not_found(corpus: Corpus, path: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>Page introuvable - '
        f"{corpus.site_name}</title></head>\n<body><h1>Page introuvable</h1>\n<p>La page "
        f'{escape(path)} n\'existe pas ou a été supprimée.</p><a href="/fr/">Accueil</a></body></html>\n'
    )
