"""Page chrome shared by every page kind, and the HTML "nastiness" helpers.

Chrome = header/nav, ticker, report-image modal, "Les plus lus" sidebar,
share widgets, footer; with ``Corpus(heavy=True)`` (the default) also the
live weight: a 50-headline ticker, big inline styles and scripts, more
sidebars. Every random choice is drawn from the page's own RNG (``Ctx.rng``)
or the period's (the ticker's text), so a page is a pure function of
(corpus, page, Host header).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from html import escape
from urllib.parse import quote

from .generator import Corpus

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_ABBR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

MODAL_THANKS = "Merci d'avoir signalé!"
MODAL_NOTICE = "Cette image sera automatiquement bloquée après qu'elle soit signalée par plusieurs personnes."
SOURCE_LINK = "Cliquez ici pour lire l'article depuis sa source."

_ROLES = ("header", "nav", "ticker", "modal", "main", "sidebar", "share", "footer", "list", "pager", "date")
_ENTITIES = {
    "'": "&#39;",
    "\u2019": "&rsquo;",
    "é": "&eacute;",
    "è": "&egrave;",
    "à": "&agrave;",
    "«": "&laquo;",
    "»": "&raquo;",
    '"': "&quot;",
    "ç": "&#231;",
    "ô": "&ocirc;",
}
_ENTITY_TABLE = str.maketrans(_ENTITIES)
# French typography puts a (non-breaking) space before these and after «.
_TIGHT = {":", ";", "?", "!", "»"}
_NBSPS = ("&nbsp;", "\u00a0", "\u202f", "&#160;")


#: Around the HTML of a text run to be served in the page's *other* charset
#: (render.encode_page() encodes it apart). Private-use characters: never in
#: the text bank.
FRAGMENT_START, FRAGMENT_END = "\ue000", "\ue001"


class Fragment(str):
    """A text run that :func:`inline_html` marks for the other charset."""

    __slots__ = ()


@dataclass
class Ctx:
    """Everything a renderer needs for one page."""

    corpus: Corpus
    host: str  # from the request's Host header: absolute links use it
    rng: random.Random
    edition: int  # snapshot for ticker/sidebar (an old article page keeps its own)
    bare: bool = False  # no telling class names anywhere on the page
    classes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for role in _ROLES:
            self.classes[role] = meaningless(self.rng) if self.bare else role

    def cls(self, role: str) -> str:
        return self.classes[role]

    def absolute(self, path: str) -> str:
        return f"http://{self.host}{path}"


def meaningless(rng: random.Random) -> str:
    """A class name that says nothing (``c3f``, ``x-1a0``)."""
    return rng.choice(("c", "x-", "b", "r", "col-", "w")) + format(rng.randrange(16, 4096), "x")


def french_date(dt: datetime, form: int) -> str:
    """A listing date in one of four French forms (``24 avril 2019`` ...)."""
    day = "1er" if dt.day == 1 and form in (0, 1) else str(dt.day)
    if form == 0:
        return f"{day} {MONTHS[dt.month - 1]} {dt.year}"
    if form == 1:
        return f"{WEEKDAYS[dt.weekday()]} {day} {MONTHS[dt.month - 1]} {dt.year}"
    if form == 2:
        return f"{dt.day:02d}/{dt.month:02d}/{dt.year}"
    return f"{dt.day} {MONTHS_ABBR[dt.month - 1]} {dt.year}"


# --- text -> HTML with the nastiness real pages have --------------------------


def esc(text: str, rng: random.Random, entity_rate: float = 0.0) -> str:
    """HTML-escape; sometimes spell characters as named/numeric entities."""
    if "&" in text or "<" in text or ">" in text:
        text = escape(text, quote=False)
    if entity_rate and rng.random() < entity_rate:
        text = text.translate(_ENTITY_TABLE)
    return text


def inline_html(text: str, rng: random.Random, *, nasty: float = 1.0, links: bool = True) -> str:
    """Render one whitespace-normalised text run as HTML whose text collapses back to it.

    Spaces may become ``&nbsp;`` / U+00A0 / U+202F (before ``: ; ? !``),
    newlines with indentation or comments; words may be wrapped in ``<b>``,
    ``<i>`` or ``<a>``. Never adds or removes a word boundary.
    """
    tokens = text.split(" ")
    # A run for the other charset keeps its letters as bytes (no entities):
    # the page then really mixes two charsets.
    entities = 0.0 if isinstance(text, Fragment) else 1.0
    out: list[str] = []
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        if k:
            prev = tokens[k - 1]
            r = rng.random()
            if (tok in _TIGHT or prev == "«") and r < 0.7 * nasty:
                out.append(rng.choice(_NBSPS))
            elif r < 0.04 * nasty:
                out.append("\n" + " " * rng.choice((4, 8, 12)))
            elif r < 0.05 * nasty:
                out.append(" <!-- pub -->\n ")
            elif r < 0.06 * nasty:
                out.append("  ")
            else:
                out.append(" ")
        r = rng.random()
        if r < 0.05 * nasty and k + 1 < len(tokens) and tokens[k + 1] not in _TIGHT:
            # Two words inside one inline element: the space stays inside it.
            pair = f"{esc(tok, rng, 0.2 * nasty * entities)} {esc(tokens[k + 1], rng, 0.2 * nasty * entities)}"
            out.append(_wrap(pair, rng, links, tok))
            k += 2
            continue
        word = esc(tok, rng, 0.25 * nasty * entities)
        out.append(_wrap(word, rng, links, tok) if r < 0.08 * nasty and tok.isalpha() else word)
        k += 1
    if isinstance(text, Fragment):
        return FRAGMENT_START + "".join(out) + FRAGMENT_END
    return "".join(out)


def _wrap(inner: str, rng: random.Random, links: bool, word: str) -> str:
    r = rng.random()
    if links and r < 0.3 and word.isalpha():
        return f'<a href="/fr/tag/{quote(word.lower())}">{inner}</a>'
    if r < 0.65:
        return f"<b>{inner}</b>"
    return f"<i>{inner}</i>" if r < 0.85 else f"<strong>{inner}</strong>"


def spaced(rng: random.Random, nasty: float = 1.0) -> str:
    """A space that may be a non-breaking one or a line break with indentation."""
    r = rng.random()
    if r < 0.15 * nasty:
        return "&nbsp;"
    return "\n        " if r < 0.25 * nasty else " "


# --- links ------------------------------------------------------------------


def href(ctx: Ctx, path: str, where: str = "list", messy: bool = True) -> str:
    """An attribute-ready href to *path*: relative or absolute, maybe tracked or with a fragment."""
    rng = ctx.rng
    raw_amp = False
    if messy:
        r = rng.random()
        if r < 0.12:
            path += f"?utm_source={ctx.corpus.site}&utm_medium={where}&utm_campaign=fil"
            raw_amp = rng.random() < 0.2  # some pages do not escape & in attributes
        elif r < 0.18:
            path += "#comments"
        elif r < 0.21:
            path += "?utm_source=ticker#comments"
    out = escape(ctx.absolute(path) if rng.random() < 0.3 else path)
    return out.replace("&amp;", "&") if raw_amp else out


def article_link(ctx: Ctx, i: int, where: str, prefix: str = "") -> str:
    title = ctx.corpus.title(i)
    return f'<a href="{href(ctx, ctx.corpus.path(i), where)}">{prefix}{esc(title, ctx.rng, 0.1)}</a>'


# --- chrome -----------------------------------------------------------------


def head(ctx: Ctx, title: str, charset_meta: str | None, lang: str = "fr") -> str:
    meta = ""
    if charset_meta:
        meta = (
            f'<meta charset="{charset_meta}">'
            if ctx.rng.random() < 0.5
            else f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">'
        )
    heavy = _heavy_head(ctx.corpus.site) if ctx.corpus.heavy else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n{meta}\n<title>{escape(title)}</title>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<style>.{ctx.cls('modal').split()[0]}{{display:none}}</style>\n"
        f"<script>window.dataLayer = window.dataLayer || [];</script>\n{heavy}</head>\n<body>\n"
    )


# --- live weight (Corpus(heavy=True)) ---------------------------------------------
# Live article pages are tens of KB: mostly inline CSS and scripts (ads,
# analytics, consent), a long ticker and several sidebars. The blocks are
# built once per site (deterministic) and hold no text a crawler should keep;
# the scripts fetch nothing and add no text (a browser render stays the same).


@lru_cache(maxsize=8)
def _heavy_head(site: str) -> str:
    rng = random.Random(f"{site}:heavy:head")
    rules = []
    for _k in range(260):
        sel = rng.choice((".c", ".x-", ".col-", ".w", "#b", ".r")) + format(rng.randrange(16, 4096), "x")
        sub = rng.choice(("", " a", " h3", " li", ":hover", " .t", " img", " p"))
        props = ";".join(rng.sample(_CSS_PROPS, rng.randint(2, 4)))
        rules.append(f"{sel}{sub}{{{props}}}")
    css = "\n".join(rules)
    slots = ",\n".join(
        f'    {{"id": "div-gpt-ad-{rng.randrange(10**12, 10**13)}-{k}", "path": "/{rng.randrange(10**7, 10**8)}/'
        f'{site}_fr_{rng.choice(("top", "pave", "side", "footer", "inread"))}", "sizes": [[300, 250], [728, 90], '
        f'[970, 250]], "targeting": {{"section": "fr", "pos": "{k}"}}}}'
        for k in range(24)
    )
    return (
        f'<style type="text/css">\n{css}\n</style>\n'
        "<script>\n  function gtag(){dataLayer.push(arguments);}\n  gtag('js', new Date());\n"
        "  gtag('config', 'G-ABCDEF1234', {'anonymize_ip': true, 'page_path': location.pathname});\n</script>\n"
        f'<script type="text/javascript">\n  var adSlots = [\n{slots}\n  ];\n'
        "  var googletag = googletag || {}; googletag.cmd = googletag.cmd || [];\n"
        "  googletag.cmd.push(function () { adSlots.forEach(function (s) {\n"
        "    googletag.defineSlot(s.path, s.sizes, s.id).addService(googletag.pubads()); });\n"
        "    googletag.pubads().enableSingleRequest(); googletag.enableServices(); });\n</script>\n" + _CONSENT_SCRIPT
    )


_CSS_PROPS = (
    "margin:0 auto",
    "padding:4px 8px",
    "color:#333",
    "color:#c00",
    "background:#f5f5f5",
    "font-size:13px",
    "font-weight:700",
    "line-height:1.5",
    "display:block",
    "display:none",
    "float:left",
    "float:right",
    "width:300px",
    "max-width:100%",
    "border-bottom:1px solid #ddd",
    "text-decoration:none",
    "overflow:hidden",
    "white-space:nowrap",
    "position:relative",
    "font-family:Arial,Helvetica,sans-serif",
    "text-transform:uppercase",
    "border-radius:3px",
)
_CONSENT_SCRIPT = (
    "<script>\n(function (w, d) {\n  var KEY = 'cookie_consent_v2', days = 180;\n"
    "  function read() { var m = d.cookie.match(new RegExp('(?:^|; )' + KEY + '=([^;]*)')); "
    "return m ? decodeURIComponent(m[1]) : null; }\n"
    "  function write(v) { var e = new Date(); e.setTime(e.getTime() + days * 864e5); "
    "d.cookie = KEY + '=' + encodeURIComponent(v) + '; expires=' + e.toUTCString() + '; path=/'; }\n"
    "  w.addEventListener('load', function () {\n    if (read()) return;\n"
    "    d.documentElement.className += ' needs-consent';\n"
    "    d.addEventListener('click', function () { write('1'); }, {once: true});\n"
    "  });\n})(window, document);\n</script>\n"
)
_BODY_SCRIPT = (
    '<script type="text/javascript">\n  /* lazy images, marquee speed, share counters */\n'
    "  document.querySelectorAll('img[data-src]').forEach(function (i) { i.src = i.dataset.src; });\n"
    "  var m = document.querySelector('marquee'); if (m) { m.scrollAmount = 3; "
    "m.onmouseover = function () { m.stop(); }; m.onmouseout = function () { m.start(); }; }\n"
    "  var sc = document.getElementById('sc'); if (sc && sc.dataset.count) { sc.title = sc.dataset.count; }\n"
    "</script>\n"
    '<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-XYZ123" height="0" width="0" '
    'style="display:none;visibility:hidden"></iframe></noscript>\n'
)


def _link_list(ctx: Ctx, label: str, picks: list[int], where: str) -> str:
    items = "\n".join(f"<li>{article_link(ctx, i, where)}</li>" for i in picks)
    return f'<div class="{ctx.cls("sidebar")}"><h3>{label}</h3>\n<ul>\n{items}\n</ul></div>\n'


def heavy_sidebars(ctx: Ctx) -> str:
    """More sidebars of live pages ("Lire aussi", "Articles similaires") and a body script."""
    n = ctx.corpus.snapshot_size(ctx.edition)
    rng = ctx.rng
    return (
        _link_list(ctx, "Lire aussi", [rng.randrange(n) for _ in range(10)], "related")
        + f"<style>.{ctx.cls('sidebar').split()[0]} li{{list-style:none;margin:2px 0}}</style>\n"
        + _link_list(ctx, "Articles similaires", [rng.randrange(n) for _ in range(10)], "similar")
        + _BODY_SCRIPT
    )


def header(ctx: Ctx) -> str:
    c = ctx.corpus
    links = [f'<a href="{href(ctx, "/fr/", messy=False)}">Accueil</a>']
    links += [f'<a href="{href(ctx, f"/fr/{s.slug}", messy=False)}">{esc(s.name, ctx.rng, 0.2)}</a>' for s in c.sources]
    links += [
        '<a href="/fr/tag/economie">Économie</a>',
        '<a href="/fr/tag/sport">Sport</a>',
        '<a href="/fr/contact">Contact</a>',
        '<a href="/fr/recherche?q=maroc">Recherche</a>',
        '<a href="/">العربية</a>',
        f'<a href="/{c.sources[0].slug}">النسخة العربية</a>',
    ]
    return (
        f'<div class="{ctx.cls("header")}"><a href="/fr/"><img src="/img/logo.png" alt="{c.site_name}"></a>\n'
        f'<form action="/fr/recherche" method="get"><input name="q" placeholder="Rechercher"></form>\n'
        f'<div class="{ctx.cls("nav")}">' + " | ".join(links) + "</div></div>\n"
    )


# Ticker headlines that are not French article titles (live copies show them):
# other languages, and French headlines holding dates.
FOREIGN_HEADLINES = (
    "After the CJEU rulings, Morocco demands deeds not words from the EU",
    "En Marsella, Samia Chabani pone rostros a la migración de mujeres",
    "Morocco and Chile agree to strengthen their strategic partnership",
    "Argelia y España reanudan el diálogo sobre el gas y la migración",
    "Tunisia's central bank keeps its key rate unchanged at 7.5%",
    "El Atlas recibe la primera nevada del invierno",
)
DATED_HEADLINES = (
    "Revue de presse de ce {weekday} {day} {month} {year}",
    "Programme TV du {day} {month} {year}",
    "Festival des musiques sacrées : du {day} {month} au {day2} {month2} {year}",
    "Météo : les prévisions du {weekday} {day} {month} {year}",
    "Horaires des prières du {day} {month} {year}",
    "Bac {year} : les résultats attendus le {day} {month}",
)


def ticker_headlines(corpus: Corpus, edition: int) -> list[tuple[int, str]]:
    """(linked article, shown text) of the snapshot's ticker: the latest titles
    (15, 38 on heavy pages) with foreign-language, dated and blank
    headlines mixed in. A pure function of (corpus, edition): every page of
    one period shows the same ticker (only link forms vary per page)."""
    size, extra = (38, 3) if corpus.heavy else (15, 1)  # 50 and 20 items
    latest = corpus.latest(size, edition)
    items = [(i, corpus.title(i)) for i in latest]
    rng = random.Random(f"{corpus.seed}:{corpus.site}:ticker:{edition}")
    dt = corpus.local_datetime(latest[-1])
    later = dt + timedelta(days=rng.randint(5, 40))
    fields = {
        "weekday": WEEKDAYS[dt.weekday()],
        "day": dt.day,
        "month": MONTHS[dt.month - 1],
        "year": dt.year,
        "day2": later.day,
        "month2": MONTHS[later.month - 1],
    }
    odd = [h for h in rng.sample(FOREIGN_HEADLINES, 2 * extra)]
    odd += [h.format(**fields) for h in rng.sample(DATED_HEADLINES, 2 * extra)]
    odd += [" " * rng.randint(2, 9) for _ in range(extra)]  # blank items: a run of spaces
    for text in odd:  # never first: the first item carries the date prefix
        items.insert(rng.randrange(1, len(items) + 1), (latest[rng.randrange(len(latest))], text))
    return items


def ticker(ctx: Ctx) -> str:
    """The ticker (:func:`ticker_headlines`); the first item prefixed like ``18 décembre.. ``.

    A ``<marquee>`` of links; on heavy pages also (every other page) a list
    with one ``<li>`` per headline and the date fragment outside the first
    link, so that item is not all link text.
    """
    items = ticker_headlines(ctx.corpus, ctx.edition)
    dt = ctx.corpus.local_datetime(items[0][0])
    prefix = f"{dt.day} {MONTHS[dt.month - 1]}.. "
    as_list = ctx.corpus.heavy and ctx.rng.random() < 0.5
    links = []
    for n, (i, text) in enumerate(items):
        shown = esc(text, ctx.rng, 0.1) if text.strip() else text
        glued = prefix if n == 0 and not as_list else ""
        link = f'<a href="{href(ctx, ctx.corpus.path(i), "ticker")}">{glued}{shown}</a>'
        links.append(f"<li>{f'<span>{prefix}</span>' if n == 0 else ''}{link}</li>" if as_list else link)
    if as_list:
        return f'<div class="{ctx.cls("ticker")}"><ul>' + "\n".join(links) + "</ul></div>\n"
    return f'<div class="{ctx.cls("ticker")}"><marquee>' + "\n    ".join(links) + "</marquee></div>\n"


def older_headlines(ctx: Ctx) -> str:
    """The second block of older headlines after the ticker (heavy pages): articles
    months older than the snapshot and French headlines dated the day the page was
    served, under a heading with that day. It reflects when the page was served:
    never an article's date, never part of a body. Same text on every page of one
    edition; no telling class (the live markup is unknown)."""
    c = ctx.corpus
    n = c.snapshot_size(ctx.edition)
    rng = random.Random(f"{c.seed}:{c.site}:older:{ctx.edition}")
    served = c.local_datetime(n - 1)
    day = f"{WEEKDAYS[served.weekday()]} {served.day} {MONTHS[served.month - 1]} {served.year}"
    old = [rng.randrange(max(1, n * 6 // 10)) for _ in range(8)]
    items = [(i, c.title(i)) for i in old]
    for text in (f"Programme TV du {day}", f"Revue de presse du {day}"):
        items.insert(rng.randrange(len(items) + 1), (old[rng.randrange(len(old))], text))
    # Like the ticker: a telling class on most pages, a meaningless one on bare pages.
    cls = meaningless(random.Random(f"{c.seed}:older")) if ctx.bare else f"{ctx.cls('ticker')}-older"
    links = "\n".join(
        f'<li><a href="{href(ctx, c.path(i), "older")}">{esc(text, ctx.rng, 0.1)}</a></li>' for i, text in items
    )
    return f'<div class="{cls}"><h3>Les titres du {day}</h3>\n<ul>\n{links}\n</ul></div>\n'


def modal(ctx: Ctx) -> str:
    """The report-image modal: hidden by CSS, present in every page's markup."""
    return (
        f'<div class="{ctx.cls("modal")}" id="reportModal" aria-hidden="true">'
        f"<div><div><p>{escape(MODAL_THANKS, quote=False)}</p>\n"
        f"<p>{escape(MODAL_NOTICE, quote=False)}</p>\n<button>Fermer</button></div></div></div>\n"
    )


def sidebar(ctx: Ctx, dead: str | None = None) -> str:
    """ "Les plus lus": 5 links to articles of the snapshot, one maybe to a page that 404s."""
    n = ctx.corpus.snapshot_size(ctx.edition)
    count = 10 if ctx.corpus.heavy else 5
    picks = [ctx.rng.randrange(n) for _ in range(count)]
    items = [f"<li>{article_link(ctx, i, 'mostread')}</li>" for i in picks]
    if dead:
        items[ctx.rng.randrange(count)] = f'<li><a href="{href(ctx, dead, "mostread")}">Article retiré</a></li>'
    return f'<div class="{ctx.cls("sidebar")}"><h3>Les plus lus</h3>\n<ul>\n' + "\n".join(items) + "\n</ul></div>\n"


def share(ctx: Ctx, path: str, title: str = "") -> str:
    url = quote(ctx.absolute(path), safe="")
    return (
        f'<div class="{ctx.cls("share")}"><span>Partager</span>\n'
        f'<a href="https://www.facebook.com/sharer/sharer.php?u={url}">Facebook</a>\n'
        f'<a href="https://twitter.com/intent/tweet?url={url}&amp;text={quote(title)}">Twitter</a>\n'
        f'<a href="https://api.whatsapp.com/send?text={url}">WhatsApp</a></div>\n'
    )


def footer(ctx: Ctx, extra: str = "") -> str:
    name = ctx.corpus.site_name
    return (
        f'<div class="{ctx.cls("footer")}">{extra}<a href="/fr/contact">Contact</a> · '
        f'<a href="https://www.facebook.com/{name.lower()}">Facebook</a> · <a href="/">Version arabe</a>\n'
        f"<p>© 2025 {name} — Tous droits réservés.</p></div>\n"
        '<script>(function(){var s=document.createElement("script");s.src="/js/stats.js";})();</script>\n'
        "</body>\n</html>\n"
    )


def page(
    ctx: Ctx,
    title: str,
    main: str,
    share_path: str,
    *,
    charset_meta: str | None = "utf-8",
    dead: str | None = None,
    footer_extra: str = "",
) -> str:
    """A full page: head, header, ticker, modal, main, sidebar, share, footer."""
    parts = [head(ctx, title, charset_meta), header(ctx), ticker(ctx)]
    if ctx.corpus.heavy:
        parts.append(older_headlines(ctx))
    parts.append(modal(ctx))
    side = sidebar(ctx, dead) + (heavy_sidebars(ctx) if ctx.corpus.heavy else "")
    if ctx.bare:
        parts.append(
            f'<table class="{ctx.cls("main")}" width="100%"><tr><td valign="top">{main}</td>\n'
            f'<td valign="top">{side}</td></tr></table>\n'
        )
    else:
        parts.append(f'<div class="{ctx.cls("main")}">\n{main}</div>\n{side}')
    parts.append(share(ctx, share_path, title))
    parts.append(footer(ctx, footer_extra))
    return "".join(parts)
