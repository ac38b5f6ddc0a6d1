"""Page objects on the page shapes public copies showed (docs/SITES.md "More public copies"):
ads inside bodies, bodies in several content elements, older headlines after
the ticker; and the page object's contract (extract and links independent)."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from newsagg.pages.aggregator import ArticlePage, ListingPage

BASE = "http://127.0.0.1:8000"
URL = f"{BASE}/fr/elwatan/1494142"
SOURCE = "https://www.elwatan.com/edition/actualite/eau-1494142"
AD_BLOCK = (
    '<div id="ads"><span>Publicité</span><a href="https://adserver.example/click?ai=1"><img src="/p.gif"></a>'
    '<p><a href="https://adserver.example/click?ai=2">Crédit auto à 0 % : simulez votre offre</a></p></div>'
)
AD_LINKS = (
    '<p><a href="https://googleads.g.doubleclick.net/pagead/aclk?x=1">Vols vers Paris dès 990 dinars</a> · '
    '<a href="https://googleads.g.doubleclick.net/pagead/aclk?x=2">Soldes d\'été : -70 %</a></p>'
)
SOURCE_LINK = f'<p><a href="{SOURCE}">Cliquez ici pour lire l\'article depuis sa source.</a></p>'
SIDEBAR = (
    '<div class="c1f"><h3>Les plus lus</h3><ul><li><a href="/fr/elwatan/1494100">Un autre article</a></li>'
    '<li><a href="/fr/tsa/88">Encore un autre</a></li></ul></div>'
)
PARAS = ["Le premier paragraphe du texte.", "Le deuxième paragraphe, après la publicité.", "Le dernier paragraphe."]
OLDER = (
    '<div class="c9a"><h3>Les titres du samedi 25 octobre 2025</h3><ul>'
    '<li><a href="/fr/elwatan/1000">Programme TV du samedi 25 octobre 2025</a></li>'
    '<li><a href="/fr/tsa/77">Revue de presse du samedi 25 octobre 2025</a></li>'
    '<li><a href="/fr/elwatan/1001">Un titre plus ancien</a></li></ul></div>'
)


def page(main: str, before: str = "", after: str = SIDEBAR) -> ArticlePage:
    html = (
        "<html><head><title>L'eau à Alger - Djazairess</title></head><body>"
        f'<div class="ticker"><a href="/fr/tsa/90">Un titre du fil</a></div>{before}'
        f"<h1>L'eau à Alger</h1><p>Publié dans El Watan le 05 - 01 - 2022</p>{main}{after}</body></html>"
    )
    return ArticlePage(
        HtmlResponse(url=URL, body=html.encode()),
        BASE,
        "Africa/Algiers",
        site="djazairess",
        slug="elwatan",
        article_id="1494142",
        canonical_url=URL,
    )


def ps(paras) -> str:
    return "".join(f"<p>{p}</p>" for p in paras)


@pytest.mark.parametrize("ad", [AD_BLOCK, AD_LINKS], ids=["div-ads", "ad-links"])
@pytest.mark.parametrize("with_source", [True, False], ids=["source-link", "no-source-link"])
def test_an_ad_inside_the_body_is_cut_and_the_text_after_it_kept(ad, with_source):
    item = page(ps(PARAS[:1]) + ad + ps(PARAS[1:]) + (SOURCE_LINK if with_source else "")).extract().item
    assert item.body == "\n\n".join(PARAS)
    assert item.original_url == (SOURCE if with_source else None)
    assert item.title == "L'eau à Alger" and item.published_raw == "05 - 01 - 2022"


def test_an_ad_after_the_text_does_not_pull_in_the_sidebar():
    item = page(ps(PARAS) + AD_BLOCK, after=SIDEBAR + "<p>Un texte de la colonne, pas de l'article.</p>").extract().item
    assert item.body == "\n\n".join(PARAS)


def test_the_source_link_is_the_sentence_s_own_link_even_with_an_ad_link_in_its_block():
    glued = (
        f'<p><a href="https://adserver.example/click?ai=3">Sponsorisé</a> '
        f'<a href="{SOURCE}">Cliquez ici pour lire l\'article depuis sa source.</a></p>'
    )
    item = page(ps(PARAS) + glued).extract().item
    assert item.original_url == SOURCE
    assert item.body.split("\n\n")[:3] == PARAS  # "Sponsorisé" is left to the clean pipeline's ad labels


@pytest.mark.parametrize("between", [AD_BLOCK, AD_LINKS, "<br><br>"], ids=["div-ads", "ad-links", "br"])
def test_a_body_in_several_legacy_spans_is_joined_in_page_order(between):
    spans = (
        f'<span class="articlecontent">{PARAS[0]}<br>{PARAS[1]}</span>{between}'
        f'<span class="articlecontent">{PARAS[2]}</span><br><br>'
        f'<a href="{SOURCE}">Cliquez ici pour lire l\'article depuis sa source.</a>'
    )
    item = page(spans).extract().item
    assert item.body == "\n\n".join(PARAS)
    assert item.original_url == SOURCE


def test_older_headlines_neither_title_nor_date_nor_body():
    item = page(ps(PARAS) + SOURCE_LINK, before=OLDER).extract().item
    assert item.title == "L'eau à Alger"
    assert item.published_raw == "05 - 01 - 2022"
    assert item.body == "\n\n".join(PARAS)


def test_older_headlines_date_no_listing_entry():
    html = (
        f"<html><body>{OLDER}<ul>"
        '<li><a href="/fr/elwatan/1001">Un titre plus ancien</a> <span>3 mars 2024</span></li>'
        '<li><a href="/fr/elwatan/1002">Un autre</a> <span>2 mars 2024</span></li></ul></body></html>'
    )
    listing = ListingPage(HtmlResponse(url=f"{BASE}/fr/elwatan", body=html.encode()), BASE, slug="elwatan")
    days = {e.ref.url: e.day and e.day.isoformat() for e in listing.entries()}
    assert days == {
        f"{BASE}/fr/elwatan/1000": None,
        f"{BASE}/fr/elwatan/1001": "2024-03-03",
        f"{BASE}/fr/elwatan/1002": "2024-03-02",
    }


def test_extract_and_links_are_independent():
    """Each answers the same whatever ran before: a fresh page's links equal the
    links after extraction, and extracting twice gives the same result."""
    main = ps(PARAS[:1]) + AD_BLOCK + ps(PARAS[1:]) + SOURCE_LINK
    links_first = page(main, before=OLDER).article_links()
    authors_first = page(main).author_links()
    p = page(main, before=OLDER)
    first = p.extract("2026-01-01T00:00:00+00:00")
    assert p.article_links() == links_first and page(main).author_links() == authors_first
    assert p.extract("2026-01-01T00:00:00+00:00") == first
    assert first.why_not is None and first.notes == {}
    assert [r.url for r in links_first] == [
        f"{BASE}/fr/tsa/90",
        f"{BASE}/fr/elwatan/1000",
        f"{BASE}/fr/tsa/77",
        f"{BASE}/fr/elwatan/1001",
        f"{BASE}/fr/elwatan/1494100",
        f"{BASE}/fr/tsa/88",
    ]


def test_no_byline_gives_the_reason():
    html = "<html><body><h1>Un titre</h1><p>Diffusé dans El Watan</p><p>Un texte.</p></body></html>"
    p = ArticlePage(HtmlResponse(url=URL, body=html.encode()), BASE, canonical_url=URL)
    found = p.extract()
    assert (found.item, found.why_not, found.notes) == (None, "no_byline", {})
