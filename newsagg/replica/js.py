"""JavaScript variants of the replica (``Corpus(..., js=True)``).

Two sources get scripted listings (``feed``: filled from
``/fr/<slug>/feed.json``; ``inline``: from ``window.__LISTING__``) and a share
of articles (``js_rate``) a scripted body. Plain HTTP sees none of that content,
a browser the very text of the static pages, so the ground truth does not
change. Pure functions of (corpus, page, Host header); the JSON is ASCII.
"""

from __future__ import annotations

import json
import zlib
from html import escape

from . import bank, chrome
from .chrome import Ctx
from .generator import AUTHOR_NONE, AUTHOR_PAR, Article, Corpus, Source, served_paragraphs

FEED, INLINE = "feed", "inline"
#: Source index -> scripted listing mode (only with ``js=True``).
JS_SOURCES = {2: FEED, 4: INLINE}
FEED_SUFFIX = "/feed.json"

_LISTING_SCRIPT = """<script>
(function () {
  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  function show(d) {
    var list = document.getElementById("js-list"), pager = document.getElementById("js-pager");
    d.articles.forEach(function (a) {
      var li = el("li");
      li.appendChild(el("a", a.title, {href: a.url}));
      if (a.date) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", a.date, {"class": "date"})); }
      list.appendChild(li);
    });
    if (d.prev) pager.appendChild(el("a", "\\u00ab Pr\\u00e9c\\u00e9dent", {href: d.prev, rel: "prev"}));
    if (d.prev && d.next) pager.appendChild(document.createTextNode(" "));
    if (d.next) pager.appendChild(el("a", "Suivant \\u00bb", {href: d.next, rel: "next"}));
  }
  %s
})();
</script>
"""
_FETCH = "fetch(%s).then(function (r) { return r.json(); }).then(show);"

_ARTICLE_SCRIPT = """<script>
(function () {
  var a = window.__ARTICLE__, root = document.getElementById("js-article");
  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  root.appendChild(el("h1", a.title, {"class": "entry-title"}));
  var by = el("p", "Publi\\u00e9 dans " + a.source + (a.date ? " le " + a.date : ""), {"class": "byline"});
  if (a.author) { by.appendChild(document.createTextNode(" | ")); by.appendChild(el("a", a.author.text, {href: a.author.href})); }
  root.appendChild(by);
  a.paragraphs.forEach(function (p) { root.appendChild(el("p", p)); });
  if (a.original_url) {
    var p = el("p", "", {"class": "source"});
    p.appendChild(el("a", a.source_link, {href: a.original_url, target: "_blank", rel: "nofollow"}));
    root.appendChild(p);
  }
})();
</script>
"""


def _json(data) -> str:
    """JSON safe inside ``<script>`` and in any charset."""
    return json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")


def listing_mode(corpus: Corpus, src: Source) -> str | None:
    """``"feed"``, ``"inline"`` or None (a static listing)."""
    return JS_SOURCES.get(src.index) if corpus.js else None


def js_sources(corpus: Corpus) -> dict[str, str]:
    """Slug -> mode of the sources with scripted listings."""
    return {s.slug: mode for s in corpus.sources if (mode := listing_mode(corpus, s))}


def is_js_article(corpus: Corpus, i: int) -> bool:
    """True when article *i*'s title, byline and body are inserted by script."""
    if not corpus.js:
        return False
    h = zlib.crc32(f"{corpus.seed}:{corpus.site}:js:{i}".encode())
    return h < corpus.js_rate * 2**32


def js_articles(corpus: Corpus) -> list[int]:
    """Indices of the scripted articles (for tests and reports)."""
    return [i for i in range(len(corpus)) if is_js_article(corpus, i)]


def feed_path(slug: str, page: int) -> str:
    """Canonical target of a listing's JSON page (also the route key)."""
    return f"/fr/{slug}{FEED_SUFFIX}?page={page}"


def listing_data(ctx: Ctx, src: Source, page: int) -> dict:
    """What a scripted listing page shows: entries (with listing dates) and prev/next."""
    c = ctx.corpus
    pages = c.listing_page_count(src.slug)
    members = c.source_articles(src.slug)[(page - 1) * c.per_page : page * c.per_page]
    entries = []
    for i in members:
        entry = {"url": c.path(i), "title": c.title(i)}
        if c.flags(i)["date_kind"] not in ("none", "impossible"):
            entry["date"] = chrome.french_date(c.local_datetime(i), ctx.rng.randrange(4))
        entries.append(entry)
    return {
        "source": src.name,
        "page": page,
        "pages": pages,
        "articles": entries,
        "prev": Corpus.listing_path(src, page - 1) if page > 1 else None,
        "next": Corpus.listing_path(src, page + 1) if page < pages else None,
    }


def render_js_listing(ctx: Ctx, src: Source, page: int, mode: str) -> str:
    """A listing page whose entries and pager are inserted by script."""
    c = ctx.corpus
    title = f"{src.name} - {c.site_name}" + (f" - page {page}" if page > 1 else "")
    if mode == FEED:
        loader = _FETCH % _json(feed_path(src.slug, page))
    else:
        loader = f"show(window.__LISTING__ = {_json(listing_data(ctx, src, page))});"
    main = (
        f'<h1>{escape(src.name)}</h1>\n<ul class="{ctx.cls("list")}" id="js-list"></ul>\n'
        f'<div class="{ctx.cls("pager")}" id="js-pager"></div>\n'
        "<noscript>Activez JavaScript pour afficher les articles.</noscript>\n" + _LISTING_SCRIPT % loader
    )
    return chrome.page(ctx, title, main, Corpus.listing_path(src, page))


def render_feed(ctx: Ctx, src: Source, page: int) -> bytes:
    """The JSON behind a ``feed`` listing page."""
    return _json(listing_data(ctx, src, page)).encode("ascii")


def render_js_article(ctx: Ctx, art: Article, dead: str | None) -> str:
    """An article page whose title, byline, body and source link are built by script."""
    data = {
        "title": art.title,
        "source": art.source.name,
        "date": art.published_raw,
        "paragraphs": served_paragraphs(art),
        "original_url": art.original_url,
        "source_link": chrome.SOURCE_LINK,
    }
    if art.author_form not in (AUTHOR_NONE, AUTHOR_PAR):  # any linked form: in the byline
        data["author"] = {"text": art.author or bank.JUNK_AUTHOR_TEXT, "href": f"/fr/author/{art.author_slug}"}
    main = (
        f'<div class="post" id="js-article"></div>\n<script>window.__ARTICLE__ = {_json(data)};</script>\n'
        + _ARTICLE_SCRIPT
    )
    meta = art.encoding if art.declaration in ("meta", "both") else None
    printable = f'<a href="/fr/print/{art.source.slug}/{art.article_id}">Imprimer</a> · '
    return chrome.page(
        ctx,
        f"{art.title} - {ctx.corpus.site_name}",
        main,
        art.path,
        charset_meta=meta,
        dead=dead,
        footer_extra=printable,
    )
