"""Article pages in three markup variants: semantic, legacy spans, bare.

The visible text of title, byline and paragraphs collapses (all whitespace
runs, nbsp included, to one ASCII space) to exactly the ground truth; what
surrounds it (scripts, images, comments, inline tags) must not add text.
"""

from __future__ import annotations

import random
from html import escape

from . import bank, chrome
from .chrome import Ctx, esc, inline_html, spaced
from .generator import AD_BLOCK, AUTHOR_AFTER, AUTHOR_LINK, AUTHOR_PAR_LINK, Article, ad_position, served_paragraphs

_SCRIPT = (
    '<script type="text/javascript">\n  var googletag = googletag || {};\n'
    "  googletag.cmd = [];  /* Publicité : ne pas supprimer */\n"
    '  document.write("<div id=\\"pub\\">Publicité</div>");\n</script>'
)


def _img(rng: random.Random) -> str:
    alt = rng.choice(("Photo d'illustration", "Le ministre lors de la conférence", "DR", "Image : MAP"))
    return f'<img src="/img/{rng.randrange(10**6)}.jpg" alt="{escape(alt)}" width="600">'


def _byline(ctx: Ctx, art: Article, link: bool) -> str:
    """``Publié dans <Source> le <date>`` with whitespace and entity noise."""
    rng = ctx.rng
    name = esc(art.source.name, rng, 0.3)
    if link:
        name = f'<a href="{chrome.href(ctx, "/fr/" + art.source.slug, messy=False)}">{name}</a>'
    text = f"Publi{'&eacute;' if rng.random() < 0.2 else 'é'} dans{spaced(rng, 0.3)}{name}"
    if art.published_raw is not None:
        date = art.published_raw.replace(" ", "&nbsp;" if rng.random() < 0.15 else " ")
        text += f"{spaced(rng)}le{spaced(rng)}{date}"
    if art.author_form in (AUTHOR_LINK, AUTHOR_PAR_LINK):
        text += rng.choice((", par ", " par ", " | ", " - ")) + author_link(ctx, art)
    return text


def author_link(ctx: Ctx, art: Article) -> str:
    """``<a href="/fr/author/<slug>">Name</a>`` (the slug already percent-encoded)."""
    rng = ctx.rng
    path = f"/fr/author/{art.author_slug}"
    target = ctx.absolute(path) if rng.random() < 0.3 else path
    name = bank.JUNK_AUTHOR_TEXT if art.author is None else esc(art.author, rng, 0.3).replace(" ", spaced(rng, 0.5), 1)
    return f'<a href="{escape(target)}" class="author">{name}</a>'


def _after_byline(ctx: Ctx, art: Article) -> str:
    """The author link placed after the byline's element: `` | Name`` leaks into the body if taken as text."""
    return f" | {author_link(ctx, art)}\n" if art.author_form == AUTHOR_AFTER else ""


def _source_link(ctx: Ctx, art: Article) -> str:
    if art.original_url is None:
        return ""
    text = chrome.SOURCE_LINK if ctx.rng.random() < 0.85 else chrome.SOURCE_LINK.replace("'", "\u2019")
    return f'<a href="{escape(art.original_url)}" target="_blank" rel="nofollow">{escape(text, quote=False)}</a>'


def _extras(rng: random.Random, k: int) -> str:
    """Non-text things between paragraphs: image, inline script, comment (or nothing)."""
    r = rng.random()
    if r < 0.12:
        return _img(rng)
    if r < 0.2:
        return _SCRIPT
    if r < 0.28:
        return f"<!-- paragraphe {k} -->"
    return ""


#: Ad copy and ad-server hosts of the ads set into bodies: never article text.
AD_TEXTS = (
    "Crédit auto à 0 % : simulez votre offre en ligne",
    "Vols vers Paris dès 990 dirhams, réservez maintenant",
    "Immobilier neuf : découvrez nos appartements témoins",
    "Assurance santé : devis gratuit en deux minutes",
    "Soldes d'été : jusqu'à -70 % sur toute la collection",
)
AD_HOSTS = ("https://adserver.maghreb-regie.com/click", "https://googleads.g.doubleclick.net/pagead/aclk")


def ad_html(ctx: Ctx, art: Article) -> str:
    """The ad set into the body: ``<div id="ads">`` (label, ad-server links, an
    image) or a bare paragraph of ad links; its own RNG (the page's stays as it was)."""
    rng = random.Random(f"{ctx.corpus.seed}:{ctx.corpus.site}:{art.index}:ad")
    links = []
    for text in rng.sample(AD_TEXTS, 2):
        target = f"{rng.choice(AD_HOSTS)}?ai={rng.randrange(10**9)}&amp;adurl=https%3A%2F%2Fpromo.example%2F{rng.randrange(999)}"
        links.append(f'<a href="{target}" rel="sponsored nofollow" target="_blank">{escape(text, quote=False)}</a>')
    if art.ad == AD_BLOCK:
        image = (
            f'<a href="{AD_HOSTS[0]}?ai={rng.randrange(10**9)}"><img src="/img/pub-{rng.randrange(99)}.gif" alt=""></a>'
        )
        return f'<div id="ads"><span>Publicité</span>{image}<p>{links[0]}</p><p>{links[1]}</p></div>\n'
    return f"<p>{links[0]} · {links[1]}</p>\n"


def thumb_html(art: Article) -> str:
    """The article's thumbnail, served from another host (``images2.<site>``): never fetched."""
    return f'<a href="{escape(art.thumb)}" class="lightbox"><img src="{escape(art.thumb)}" alt="" width="120"></a>\n'


def _is_subheading(para: str) -> bool:
    return len(para) < 60 and not para.endswith((".", "!", "?", "»"))


def semantic(ctx: Ctx, art: Article) -> str:
    """``<article><h1>…</h1><p class="byline">…</p><p>…</p>…</article>``."""
    rng = ctx.rng
    out = [
        f'<article class="post">\n<h1 class="entry-title">{inline_html(art.title, rng, nasty=0.5, links=False)}</h1>\n',
        f'<p class="byline">{_byline(ctx, art, link=True)}</p>{_after_byline(ctx, art)}\n',
        _img(rng) if rng.random() < 0.5 else "",
        thumb_html(art),
    ]
    served = served_paragraphs(art)
    ad_at = ad_position(art, len(served))
    for k, para in enumerate(served):
        if k == ad_at:
            out.append(ad_html(ctx, art))
        out.append(_extras(rng, k))
        body = inline_html(para, rng)
        if _is_subheading(para):
            out.append(f"<h2>{body}</h2>\n" if rng.random() < 0.5 else f"<p><strong>{body}</strong></p>\n")
        else:
            out.append(f"<p>\n    {body}\n</p>\n" if rng.random() < 0.2 else f"<p>{body}</p>\n")
    if rng.random() < 0.5:
        out.append(_SCRIPT + "\n")
    link = _source_link(ctx, art)
    if link:
        out.append(f'<p class="source">{link}</p>\n')
    out.append("</article>\n")
    return "".join(out)


def legacy(ctx: Ctx, art: Article) -> str:
    """The old template: ``span.articletitle``, ``span.articlenewspaper``, ``span.articlecontent``."""
    rng = ctx.rng
    segs = []
    served = served_paragraphs(art)
    for k, para in enumerate(served):
        body = inline_html(para, rng)
        if _is_subheading(para):
            body = f"<b>{body}</b>"
        segs.append(_extras(rng, k) + body)
    ad_at = ad_position(art, len(served))
    content = ""
    for k, seg in enumerate(segs):
        if k == ad_at:  # split: the body goes on in a second articlecontent span
            content += f'</span>\n{ad_html(ctx, art)}<span class="articlecontent">' if art.split else ad_html(ctx, art)
        elif k:
            content += rng.choice(("<br>", "<br>", "<br>\n", "<br><br>", "<br />\n<br />\n  "))
        content += seg
    link = _source_link(ctx, art)
    return (
        f'<div class="article_block">\n<span class="articletitle">{inline_html(art.title, rng, nasty=0.5, links=False)}'
        f'</span><br>\n<span class="articlenewspaper">{_byline(ctx, art, link=False)}</span>'
        f"{_after_byline(ctx, art)}<br><br>\n{thumb_html(art)}"
        f'<span class="articlecontent">{content}</span>\n' + (f"<br><br>{link}\n" if link else "") + "</div>\n"
    )


def bare(ctx: Ctx, art: Article) -> str:
    """Nested divs/tds with meaningless classes; nothing tells title from body but the layout."""
    rng = ctx.rng

    def cls() -> str:  # fresh nonsense each time
        return chrome.meaningless(rng)

    title = inline_html(art.title, rng, nasty=0.5, links=False)
    title = f"<div><b>{title}</b></div>" if rng.random() < 0.5 else f"<font size=5>{title}</font>"
    out = [
        f'<div class="{cls()}"><div class="{cls()}">{title}</div>\n',
        f'<div class="{cls()}">{_byline(ctx, art, link=rng.random() < 0.5)}</div>{_after_byline(ctx, art)}\n',
    ]
    as_divs = rng.random() < 0.5
    out.append(f'<div class="{cls()}"><table><tr><td class="{cls()}">\n')
    served = served_paragraphs(art)
    ad_at = ad_position(art, len(served))
    for k, para in enumerate(served):
        if k == ad_at:
            out.append(ad_html(ctx, art))
        extra = _extras(rng, k)
        body = inline_html(para, rng)
        if as_divs:
            out.append(f'{extra}<div class="{cls()}">{body}</div>\n')
        else:
            out.append((rng.choice(("<br>", "<br><br>", "<br>\n")) if k else "") + extra + body)
    out.append("\n</td></tr></table></div>\n")
    link = _source_link(ctx, art)
    if link:
        out.append(f'<div class="{cls()}">{link}</div>\n')
    out.append("</div>\n")
    return "".join(out)


def old(ctx: Ctx, art: Article) -> str:
    """The older turess layout: ``Tweet Share`` widgets around the text, paragraphs
    split by ``<br>``, and a ``Suivant`` link to the source's next article."""
    rng = ctx.rng
    share = (
        '<div class="share-buttons"><a class="twitter-share-button" href="https://twitter.com/share">Tweet</a>'
        f' <a href="https://www.facebook.com/sharer.php?u={escape(ctx.absolute(art.path))}">Share</a></div>\n'
    )
    served = served_paragraphs(art)
    ad_at = ad_position(art, len(served))
    content = ""
    for k, p in enumerate(served):
        content += (ad_html(ctx, art) if k == ad_at else "<br><br>\n" if k else "") + inline_html(p, rng)
    # Some pages glue the widget's links to the first line of the text (same block).
    glued = rng.random() < 0.4
    if glued:
        content = share[share.index("<a ") : share.rindex("</div>")] + " " + content
    out = [
        (
            f'<div id="article-{art.article_id}" class="post-old">\n<h1 class="titre">'
            f"{inline_html(art.title, rng, nasty=0.5, links=False)}</h1>\n"
        ),
        f'<div class="infos">{_byline(ctx, art, link=True)}</div>{_after_byline(ctx, art)}\n',
        "" if glued else share,
        f'<div class="texte">{content}</div>\n',
        share.replace("</a> <a", "</a>\n<a"),
    ]
    if art.next_path:
        out.append(
            f'<div class="suivant"><a href="{chrome.href(ctx, art.next_path, messy=False)}">Suivant »</a></div>\n'
        )
    link = _source_link(ctx, art)
    if link:
        out.append(f"<p>{link}</p>\n")
    out.append("</div>\n")
    return "".join(out)


RENDERERS = {"semantic": semantic, "legacy": legacy, "bare": bare, "old": old}


def render_article(ctx: Ctx, art: Article, dead: str | None) -> str:
    """The full HTML text of an article page (chrome + the article in its variant)."""
    main = RENDERERS[art.layout or art.variant](ctx, art)
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


def render_print(ctx: Ctx, art: Article) -> str:
    """The printable copy under /fr/print/ (forbidden by robots.txt: a polite crawler never sees it)."""
    paras = "".join(f"<p>{escape(p, quote=False)}</p>\n" for p in art.paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>{escape(art.title)} - '
        f'{ctx.corpus.site_name}</title></head>\n<body onload="window.print()">\n<h1>{escape(art.title)}</h1>\n'
        f"<p>Publié dans {escape(art.source.name)}"
        + (f" le {art.published_raw}" if art.published_raw else "")
        + f"</p>\n{paras}</body></html>\n"
    )
