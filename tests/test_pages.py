"""Page objects on saved pages of each markup variant (and markup never seen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from newsagg.pages.aggregator import ArticlePage, ListingPage, parse_byline
from newsagg.pipelines.clean import BoilerplatePipeline

PAGES = Path(__file__).parent / "pages"
BASE = "http://127.0.0.1:8000"
URL = f"{BASE}/fr/h24info/1234567"
KIM_TITLE = "Kim Jong-un est arrivé en Russie pour un sommet avec Poutine"
KIM_BODY = (PAGES / "expected-kim.txt").read_text(encoding="utf-8")
KIM_ORIGINAL = "https://www.h24info.ma/monde/kim-jong-un-est-arrive-en-russie-pour-un-sommet-avec-poutine/"


def response(body: bytes, url: str = URL, headers: dict | None = None) -> HtmlResponse:
    return HtmlResponse(url=url, body=body, headers=headers or {})


def extract(resp: HtmlResponse):
    page = ArticlePage(
        resp, BASE, "Africa/Casablanca", site="maghress", slug="h24info", article_id="1234567", canonical_url=URL
    )
    found = page.extract()
    item = found.item
    assert item is not None, found.why_not
    return BoilerplatePipeline().process_item(item)


@pytest.mark.parametrize("name", ["semantic.html", "legacy.html", "bare-cp1252.html"])
def test_saved_variants_give_the_same_record(name):
    item = extract(response((PAGES / name).read_bytes()))
    assert item.title == KIM_TITLE
    assert item.source == "H24 Info"
    assert item.published_raw == "24 - 04 - 2019"
    assert item.body == KIM_BODY
    assert item.original_url == KIM_ORIGINAL
    assert "Merci d'avoir" not in item.body and "Cliquez ici" not in item.body
    assert "Partager" not in item.body and "Les plus lus" not in item.body


def test_cp1252_declared_only_in_meta_decodes():
    resp = response((PAGES / "bare-cp1252.html").read_bytes())
    assert resp.encoding == "cp1252"
    assert "bloquée" not in extract(resp).body
    assert "À Hanoï" in extract(resp).body


UNSEEN = """<!doctype html><html><head><meta charset="utf-8"><title>Maghress | Une page</title></head>
<body><div id="app"><div class="top"><a href="/fr/lematin/99">Titre du fil</a> · <a href="/fr/lematin/98">Autre titre</a></div>
<div class="zz">Merci d'avoir signalé! Cette image sera automatiquement bloquée après qu'elle soit signalée par plusieurs personnes.</div>
<section><div class="t"><strong>Le Maroc et l’Espagne : une «&nbsp;relation&nbsp;» renouvelée</strong></div>
<div class="m"><span>Publié dans</span> <em>L'Opinion</em> <span>le 10 - 03 - 2025 à 12h00</span></div>
<div class="b">Premier paragraphe&nbsp;: il a été signalé que la réunion aura lieu.<br/>Deuxième
   paragraphe, avec un <a href="https://exemple.ma/x">lien</a> au milieu.<br/><br/>
<img src="x.jpg" alt="photo d'illustration">Troisième &amp; dernier.</div>
<div><a href="https://www.lopinion.ma/article/123">Cliquez ici pour lire l’article depuis sa source.</a></div>
</section><div class="q"><div>Partager</div><div><a href="/fr/lopinion/5">Un</a></div><div><a href="/fr/lopinion/6">Deux</a></div></div>
</div></body></html>"""


def test_unseen_markup_found_by_text_anchors():
    item = extract(response(UNSEEN.encode("utf-8"), url=f"{BASE}/fr/lopinion/777"))
    assert item.title == "Le Maroc et l’Espagne : une « relation » renouvelée"
    assert item.source == "L'Opinion"
    assert item.published_raw == "10 - 03 - 2025 à 12h00"
    assert item.body == (
        "Premier paragraphe : il a été signalé que la réunion aura lieu.\n\n"
        "Deuxième paragraphe, avec un lien au milieu.\n\nTroisième & dernier."
    )
    assert item.original_url == "https://www.lopinion.ma/article/123"


def test_no_source_link_body_stops_at_chrome():
    html = UNSEEN.replace(
        '<div><a href="https://www.lopinion.ma/article/123">Cliquez ici pour lire l’article depuis sa source.</a></div>',
        "",
    )
    item = extract(response(html.encode("utf-8"), url=f"{BASE}/fr/lopinion/777"))
    assert item.original_url is None
    assert item.body.endswith("Troisième & dernier.")


def test_page_without_byline_is_no_article():
    resp = response(b"<html><body><h1>Contact</h1><p>Ecrivez-nous.</p></body></html>")
    page = ArticlePage(resp, BASE, site="maghress", slug="h24info", article_id="1", canonical_url=URL)
    found = page.extract()
    assert found.item is None and found.why_not == "no_byline"


@pytest.mark.parametrize(
    "text, source, date",
    [
        ("Publié dans H24 Info le 24 - 04 - 2019", "H24 Info", "24 - 04 - 2019"),
        ("Publié dans Le Matin le 24 - 04 - 2019 à 08h15", "Le Matin", "24 - 04 - 2019 à 08h15"),
        ("Publié dans L'Opinion le 1 - 3 - 2023", "L'Opinion", "1 - 3 - 2023"),
        ("Publié dans Libération le 31 - 02 - 2024", "Libération", "31 - 02 - 2024"),
        ("Publié dans Le360 le 05 - 11 - 2020 à 23h59 GMT", "Le360", "05 - 11 - 2020 à 23h59 GMT"),
        ("Publié dans 2M le 07 - 07 - 2021", "2M", "07 - 07 - 2021"),
        ("Publié dans Médias 24", "Médias 24", None),
        ("Publié dans Le Matin le mercredi 18 décembre 2024", "Le Matin", "mercredi 18 décembre 2024"),
        ("  Publié  dans\nAl Bayane  le 12-01-2022 ", "Al Bayane", "12-01-2022"),
    ],
)
def test_parse_byline(text, source, date):
    by = parse_byline(text)
    assert (by.source, by.date_raw) == (source, date)


def test_parse_byline_rejects_other_text():
    assert parse_byline("Le ministre a publié un décret") is None


LISTING = """<html><body><div class="ticker"><a href="/fr/lematin/5">Autre</a></div>
<ul><li><a href="/fr/h24info/30?utm_source=x">Trente</a> <span>24 avril 2019</span></li>
<li><a href="/fr/h24info/29#comments">Vingt-neuf</a> <span>mercredi 23 avril 2019</span></li>
<li><div><a href="/fr/h24info/28">Vingt-huit</a></div><div>22/04/2019</div></li></ul>
<div class="pager"><a href="/fr/h24info?page=1">1</a> <a href="/fr/h24info?page=2">2</a> <a href="/fr/h24info?page=3">3</a></div>
</body></html>"""


def test_listing_entries_dates_and_next_page():
    page = ListingPage(response(LISTING.encode(), url=f"{BASE}/fr/h24info?utm=1"), BASE, slug="h24info", page=1)
    got = [(e.ref.url, str(e.day)) for e in page.entries()]
    assert got == [
        (f"{BASE}/fr/h24info/30", "2019-04-24"),
        (f"{BASE}/fr/h24info/29", "2019-04-23"),
        (f"{BASE}/fr/h24info/28", "2019-04-22"),
    ]
    assert page.next_page().url == f"{BASE}/fr/h24info?page=2"


@pytest.mark.parametrize("first", ["next_page", "links", "article_links"])
def test_listing_dates_whatever_was_asked_first(first):
    """The links are cached: a call without dates first must not leave the entries dateless."""
    page = ListingPage(response(LISTING.encode(), url=f"{BASE}/fr/h24info"), BASE, slug="h24info", page=1)
    getattr(page, first)()
    assert [str(e.day) for e in page.entries()] == ["2019-04-24", "2019-04-23", "2019-04-22"]
    assert page.links() is page.links(with_dates=True)  # dated once, then the same list
    assert [link.day for link in page.links() if link.ref.kind == "listing"] == [None] * 3


def test_listing_next_by_rel_and_path_shape():
    html = b"""<html><body><a href="/fr/lematin/page/2">2</a><a href="/fr/lematin/page/3">3</a>
    <a rel="next" href="/fr/lematin/page/6">Suivant &raquo;</a></body></html>"""
    page = ListingPage(response(html, url=f"{BASE}/fr/lematin/page/5"), BASE, slug="lematin", page=5)
    assert page.next_page().url == f"{BASE}/fr/lematin/page/6"


TABLE_LAYOUT = """<html><head><meta charset="utf-8"><title>Djazairess</title></head><body>
<table width="100%"><tr><td colspan="2"><h1><a href="/fr/">Djazairess</a></h1></td></tr>
<tr><td width="70%">
  <table><tr><td><h2>Sonatrach : un nouveau contrat gazier signé avec l'Italie</h2></td></tr>
  <tr><td><small>Publié dans <a href="/fr/elwatan">El Watan</a> le 05 - 01 - 2022 à 18h40</small></td></tr>
  <tr><td><p>Le groupe a annoncé mercredi la signature d'un accord.</p>
  <p>Les volumes livrés augmenteront de 20% dès l'été, selon le communiqué.</p></td></tr>
  <tr><td><a href="https://www.elwatan-dz.com/economie/x">Cliquez ici pour lire l'article depuis sa source.</a></td></tr></table>
</td><td><b>Les plus lus</b><br><a href="/fr/tsa/1">Un titre</a><br><a href="/fr/tsa/2">Un autre</a></td></tr></table>
<div>Merci d'avoir signalé!<br>Cette image sera automatiquement bloquée après qu'elle soit signalée par plusieurs personnes.</div>
<div><a href="/fr/elwatan/10">Fil 1</a> | <a href="/fr/elwatan/11">Fil 2</a></div></body></html>"""


def test_table_layout_with_modal_and_ticker_at_the_bottom():
    resp = response(TABLE_LAYOUT.encode(), url=f"{BASE}/fr/elwatan/123")
    page = ArticlePage(
        resp,
        BASE,
        "Africa/Algiers",
        site="djazairess",
        slug="elwatan",
        article_id="123",
        canonical_url=f"{BASE}/fr/elwatan/123",
    )
    item = BoilerplatePipeline().process_item(page.extract().item)
    assert item.title == "Sonatrach : un nouveau contrat gazier signé avec l'Italie"
    assert (item.source, item.published_raw) == ("El Watan", "05 - 01 - 2022 à 18h40")
    assert item.body == (
        "Le groupe a annoncé mercredi la signature d'un accord.\n\n"
        "Les volumes livrés augmenteront de 20% dès l'été, selon le communiqué."
    )
    assert item.original_url == "https://www.elwatan-dz.com/economie/x"


INLINE_GLUED = """<html><body><div class="content"><span class="articletitle">Tunis : la saison touristique démarre</span>
<span class="articlenewspaper">Publié dans La Presse le 12 - 06 - 2023</span>
<span class="articlecontent">Les premiers vols sont arrivés.<br>Les hôteliers sont optimistes.</span>
<a href="https://lapresse.tn/1">Cliquez ici pour lire l'article depuis sa source.</a></div></body></html>"""


def test_legacy_spans_without_br_between_them():
    resp = response(INLINE_GLUED.encode(), url=f"{BASE}/fr/lapresse/9")
    page = ArticlePage(
        resp,
        BASE,
        "Africa/Tunis",
        site="turess",
        slug="lapresse",
        article_id="9",
        canonical_url=f"{BASE}/fr/lapresse/9",
    )
    item = BoilerplatePipeline().process_item(page.extract().item)
    assert item.title == "Tunis : la saison touristique démarre"
    assert (item.source, item.published_raw) == ("La Presse", "12 - 06 - 2023")
    assert item.body == "Les premiers vols sont arrivés.\n\nLes hôteliers sont optimistes."
    assert item.original_url == "https://lapresse.tn/1"


def test_article_inside_a_chrome_looking_layout():
    """A class name is only a hint: the whole page sits in a table called "x-ad"
    (seen on the 10k replica), yet the body is found, and it still stops at a
    sidebar nested deeper in chrome."""
    html = """<html><head><title>Diplomatie : la réforme adoptée - Maghress</title></head><body>
    <table class="x-ad"><tr><td>
      <div>Diplomatie : la réforme adoptée</div>
      <div>Publié dans <a href="/fr/h24info">H24info</a> le 08 - 10 - 2024</div>
      <div class="rda8">Premier paragraphe du texte, assez long pour compter.</div>
      <div class="col-fb4">Deuxième paragraphe, lui aussi assez long.</div>
      <aside><div>Les plus lus</div><div>Un autre titre qui ne fait pas partie du texte</div></aside>
    </td></tr></table></body></html>"""
    item = extract(response(html.encode("utf-8")))
    assert item.title == "Diplomatie : la réforme adoptée"
    assert (
        item.body
        == "Premier paragraphe du texte, assez long pour compter.\n\nDeuxième paragraphe, lui aussi assez long."
    )
