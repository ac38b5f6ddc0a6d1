"""Source listings (paginated, two URL shapes, four pagination-link styles) and the home page."""

from __future__ import annotations

from html import escape

from . import bank, chrome
from .chrome import Ctx, esc
from .generator import Corpus, Source


def page_href(ctx: Ctx, src: Source, page: int) -> str:
    """Link to listing page *page*: root-relative, absolute, or query-only (``?page=3``)."""
    rng = ctx.rng
    if src.pagination == "query":
        if page == 1 and rng.random() < 0.3:
            return escape(f"/fr/{src.slug}?page=1")  # same page as /fr/<slug>, another URL
        if page > 1 and rng.random() < 0.3:
            return f"?page={page}"  # resolves against the listing URL
    path = Corpus.listing_path(src, page)
    return escape(ctx.absolute(path)) if rng.random() < 0.25 else escape(path)


def pagination(ctx: Ctx, src: Source, page: int, pages: int) -> str:
    """Pagination block in the source's style (``rel=next`` / numbers window / ``Page suivante``)."""
    if pages == 1:
        return ""
    style = src.nav
    parts = []
    if page > 1:
        parts.append(f'<a href="{page_href(ctx, src, page - 1)}" rel="prev">« Précédent</a>')
    if "numbers" in style:
        shown = sorted({1, 2, 3, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)} & set(range(1, pages + 1)))
        last = 0
        for p in shown:
            if p > last + 1:
                parts.append("<span>…</span>")
            parts.append(
                f'<span class="current">{p}</span>' if p == page else f'<a href="{page_href(ctx, src, p)}">{p}</a>'
            )
            last = p
    if page < pages:
        if "next" in style:
            parts.append(f'<a href="{page_href(ctx, src, page + 1)}" rel="next">Suivant »</a>')
        if "suivante" in style:
            parts.append(f'<a href="{page_href(ctx, src, page + 1)}">Page suivante</a>')
    return f'<div class="{ctx.cls("pager")}">' + "\n".join(parts) + "</div>\n"


def _entry(ctx: Ctx, i: int, with_source: bool = False) -> str:
    c = ctx.corpus
    flags = c.flags(i)
    date = ""
    if flags["date_kind"] not in ("none", "impossible"):
        date = (
            f' <span class="{ctx.cls("date")}">{chrome.french_date(c.local_datetime(i), ctx.rng.randrange(4))}</span>'
        )
    src = f" <em>{esc(c.source_of(i).name, ctx.rng)}</em>" if with_source else ""
    return f"<li>{chrome.article_link(ctx, i, 'listing')}{src}{_entry_author(ctx, i)}{date}</li>"


def _entry_author(ctx: Ctx, i: int) -> str:
    """`` par <a href="/fr/author/…">Name</a>`` before the listed date: a name may
    hold a date ("… Jeudi 27 Février 2025") that must not be taken for the entry's."""
    ex = ctx.corpus.extras(i)
    if ex.author_form in ("none", "par"):
        return ""
    return f' par <a href="/fr/author/{ex.author_slug}">{esc(ex.author or bank.JUNK_AUTHOR_TEXT, ctx.rng)}</a>'


def render_listing(ctx: Ctx, src: Source, page: int) -> str | None:
    """Listing page *page* of *src*, newest first; None beyond the last page."""
    c = ctx.corpus
    members = c.source_articles(src.slug)
    pages = c.listing_page_count(src.slug)
    if not 1 <= page <= pages:
        return None
    chunk = members[(page - 1) * c.per_page : page * c.per_page]
    title = f"{src.name} - {c.site_name}" + (f" - page {page}" if page > 1 else "")
    main = (
        f'<h1>{esc(src.name, ctx.rng)}</h1>\n<ul class="{ctx.cls("list")}">\n'
        + "\n".join(_entry(ctx, i) for i in chunk)
        + "\n</ul>\n"
        + pagination(ctx, src, page, pages)
    )
    return chrome.page(ctx, title, main, Corpus.listing_path(src, page))


def render_home(ctx: Ctx) -> str:
    """Home: the ~20 latest articles and a link to every source listing."""
    c = ctx.corpus
    latest = "\n".join(_entry(ctx, i, with_source=True) for i in c.latest(20))
    sources = "\n".join(
        f'<li><a href="{chrome.href(ctx, "/fr/" + s.slug, messy=False)}">{esc(s.name, ctx.rng)}</a></li>'
        for s in c.sources
    )
    authors = " · ".join(
        f'<a href="/fr/author/{slug}">{esc(name, ctx.rng)}</a>' for name, slug in bank.AUTHORS_NAMED[:4]
    )
    main = (
        f"<h1>{c.site_name} : l'actualité en continu</h1>\n<h2>À la une</h2>\n"
        f'<ul class="{ctx.cls("list")}">\n{latest}\n</ul>\n<h2>Nos sources</h2>\n<ul>\n{sources}\n</ul>\n'
        f'<p><a href="/fr/author">Nos auteurs</a> : {authors}</p>\n'
    )
    return chrome.page(ctx, f"{c.site_name} - Actualités", main, "/fr/", dead=c.dead_paths[0])
