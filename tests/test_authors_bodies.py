"""Authors and bodies: pure functions on tables of real strings, and
page objects on saved pages (tests/pages/) shaped like the live ones."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from newsagg.pages.aggregator import ArticlePage, ListingPage
from newsagg.pipelines.clean import BoilerplatePipeline, promo_patterns
from newsagg.settings import NEWSAGG_BODY_PROMO_PATTERNS
from newsagg.text import (
    author_from_url,
    collapse_repeated,
    is_share_widget,
    normalize_author,
    remove_promo,
    split_par_line,
    strip_share_words,
)
from newsagg.urls import classify

PAGES = Path(__file__).parent / "pages"
BASE = "http://127.0.0.1:8000"
YOUTUBE = "Que se passe-t-il en Tunisie? Nous expliquons sur notre chaîne YouTube . Abonnez-vous!"


# --- author names --------------------------------------------------------------


@pytest.mark.parametrize(
    "slug, name",
    [
        # real slugs of live author pages (ANATOMY.md)
        ("Youssef+Benkirane+Jeudi+27+F%C3%A9vrier+2025", "Youssef Benkirane"),  # the date goes
        ("Sa%C3%AFd+BENKRAIEM+et+Chokri+BEN+NESSIR", "Saïd BENKRAIEM et Chokri BEN NESSIR"),
        ("Mhand+Kasmi", "Mhand Kasmi"),
        ("A%C3%AFcha+L%27Hadj", "Aïcha L'Hadj"),
        ("Nour+El%2BHouda+Ben%2BAli", "Nour El Houda Ben Ali"),  # a "+" encoded twice
        ("Karim%252BO%2527Neill", "Karim O'Neill"),  # everything encoded twice
        ("R%C3%A9daction", "Rédaction"),
        ("Ren%E9+Dupont", "René Dupont"),  # a windows-1252 byte, not UTF-8
        ("++Leila+++Cherif+", "Leila Cherif"),
        ("%3F%3F%3F", None),  # junk
        ("%20", None),
        ("-", None),
        ("", None),
    ],
)
def test_author_from_slug(slug, name):
    assert normalize_author(slug, encoded=True) == name
    assert author_from_url(f"https://www.maghress.com/fr/author/{slug}") == name


@pytest.mark.parametrize(
    "text, name",
    [
        ("Youssef Benkirane\n   Jeudi 27 Février 2025", "Youssef Benkirane"),
        ("Hamid Amrani 12 - 03 - 2021", "Hamid Amrani"),
        ("Nadia Lamrani - 05/11/2024 à 10h30", "Nadia Lamrani"),
        ("Sarah Benali, Thursday, February 27, 2025", "Sarah Benali"),  # sister sites' English pages
        ("Le 3 mai 2024 | Karim Tazi", "Karim Tazi"),
        ("Ahmed Tazi (27 février 2025)", "Ahmed Tazi"),
        ("Mehdi Mai", "Mehdi Mai"),  # a month word is a name without a day or a year
        ("Karim 2M", "Karim 2M"),
        ("12 - 03 - 2021", None),  # nothing but a date
        ("| Mhand Kasmi", "Mhand Kasmi"),
        ("Saïd\u00a0BENKRAIEM et Chokri BEN NESSIR ,", "Saïd BENKRAIEM et Chokri BEN NESSIR"),
        ("Rédaction C+", "Rédaction C+"),  # shown text is not URL-decoded
        ("???", None),
        ("   ", None),
        (None, None),
        ("x" * 130, None),
    ],
)
def test_author_from_link_text(text, name):
    assert normalize_author(text) == name


def test_author_url_without_name():
    assert author_from_url(f"{BASE}/fr/author") is None
    assert author_from_url(f"{BASE}/fr/author/") is None


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/fr/author",
        f"{BASE}/fr/author/",
        f"{BASE}/fr/author/Mhand+Kasmi",
        f"{BASE}/fr/author/Youssef+Benkirane+Jeudi+27+F%C3%A9vrier+2025?page=2",
        f"{BASE}/fr/author/Sa%C3%AFd+BENKRAIEM+et+Chokri+BEN+NESSIR/",
        f"{BASE}/fr/Author/x",
    ],
)
def test_author_pages_are_neither_sources_nor_articles(url):
    assert classify(url, BASE).kind == "author"


@pytest.mark.parametrize(
    "first, author",
    [
        ("Par Mhand Kasmi", "Mhand Kasmi"),  # djazairess/lesoirdalgerie/132198
        ("PAR MHAND KASMI", "MHAND KASMI"),
        ("Par : Saïd BENKRAIEM et Chokri BEN NESSIR", "Saïd BENKRAIEM et Chokri BEN NESSIR"),
        ("Par Youssef Benkirane Jeudi 27 Février 2025", "Youssef Benkirane"),
        ("Par Aïcha L'Hadj.", "Aïcha L'Hadj"),
        ("Par Nour El Houda Ben Ali", "Nour El Houda Ben Ali"),
        ("Par la Rédaction", "la Rédaction"),
        # sentences, not bylines
        ("Par ailleurs, les habitants réclament la réfection du réseau.", None),
        ("Par conséquent", None),
        ("Par la suite", None),
        ("Par 12 voix contre 3, le conseil a adopté le texte.", None),
        ("Partager les ressources entre les régions reste un défi pour la société civile.", None),
        ("Par notre correspondant à Oran", None),
        ("Pas de communiqué commun ni d'accord", None),
    ],
)
def test_par_line(first, author):
    got, rest = split_par_line([first, "Le texte."])
    assert got == author
    assert rest == (["Le texte."] if author else [first, "Le texte."])


# --- bodies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "paras, want, doubled",
    [
        (["A.", "B.", "A.", "B."], ["A.", "B."], True),  # djazairess/lemidi/904301403
        (["A.", "B.", "A.", "B.", "A.", "B."], ["A.", "B."], True),
        (["Affaire à suivre !", "Affaire à suivre !"], ["Affaire à suivre !"], True),
        (["A.", "B.", "A."], ["A.", "B.", "A."], False),  # a partial repeat is text
        (["A.", "B.", "B.", "A."], ["A.", "B.", "B.", "A."], False),
        (["A."], ["A."], False),
        ([], [], False),
    ],
)
def test_collapse_repeated(paras, want, doubled):
    assert collapse_repeated(paras) == (want, doubled)


@pytest.mark.parametrize(
    "text, widget",
    [
        ("Tweet", True),
        ("Tweet Share", True),
        ("Share Tweet", True),
        ("Tweet  Share  0", True),
        ("Partager", True),
        ("Partager sur Facebook", True),
        ("Partager : Facebook Twitter WhatsApp", True),
        ("Partagez sur X", True),
        ("Tweeter Partager", True),
        ("Partager les ressources entre les régions reste un défi", False),
        ("Facebook", False),  # a word alone is a label, not necessarily a share widget
        ("Le tweet du ministre a fait réagir", False),
        ("Share of GDP", False),
        ("", False),
    ],
)
def test_share_widget(text, widget):
    assert is_share_widget(text) is widget


DEFAULT = promo_patterns(NEWSAGG_BODY_PROMO_PATTERNS)


@pytest.mark.parametrize(
    "paras, want, removed",
    [
        (["Le texte.", YOUTUBE], ["Le texte."], 1),  # turess/numerique
        ([f"Le texte. {YOUTUBE}"], ["Le texte."], 1),  # glued to the last paragraph
        (
            ["Le texte.", "Que se passe-t-il en Tunisie ? Nous expliquons sur notre chaine YouTube. Abonnez-vous !"],
            ["Le texte."],
            1,
        ),
        (
            ["Le texte.", "Pour ne rien rater de l'actualité de Libération, abonnez-vous à notre chaîne WhatsApp."],
            ["Le texte."],
            1,
        ),
        (["Le texte. Suivez-nous sur Facebook, X et Instagram."], ["Le texte."], 1),
        (
            ["Que se passe-t-il en Tunisie ? Le gouvernement a démissionné."],
            ["Que se passe-t-il en Tunisie ? Le gouvernement a démissionné."],
            0,
        ),
        (
            ["La chaîne YouTube du ministère a publié la vidéo."],
            ["La chaîne YouTube du ministère a publié la vidéo."],
            0,
        ),
    ],
)
def test_default_promo_patterns(paras, want, removed):
    assert remove_promo(paras, DEFAULT) == (want, removed)


def test_promo_patterns_setting_forms(caplog):
    assert [p.pattern for p in promo_patterns('["a+", "b"]')] == ["a+", "b"]
    assert [p.pattern for p in promo_patterns("a+\nb, c\n")] == ["a+", "b, c"]
    with caplog.at_level(logging.ERROR):
        assert [p.pattern for p in promo_patterns(["(unclosed", "ok"])] == ["ok"]
    assert "bad regex" in caplog.text
    assert promo_patterns(None) == () and promo_patterns([]) == ()


# --- page objects on saved pages ---------------------------------------------------


def extract(name: str, site: str, slug: str, aid: str, tz: str):
    url = f"{BASE}/fr/{slug}/{aid}"
    resp = HtmlResponse(url=url, body=(PAGES / name).read_bytes())
    page = ArticlePage(resp, BASE, tz, site=site, slug=slug, article_id=aid, canonical_url=url)
    found = page.extract()
    assert found.item is not None, found.why_not
    return BoilerplatePipeline(patterns=DEFAULT).process_item(found.item), page, found.notes


def test_old_turess_layout():
    """Tweet Share widgets around the text, an author link after the byline
    (``| Name``), the text served twice with its promo line, a Suivant link."""
    item, page, notes = extract("old-turess.html", "turess", "tap", "140094", "Africa/Tunis")
    assert item.title == "Tunisie : le prix du pain reste inchangé, assure le ministère"
    assert (item.source, item.published_raw) == ("TAP", "12 - 03 - 2014")
    assert item.author == "Saïd BENKRAIEM et Chokri BEN NESSIR"
    assert item.body == (
        "Le ministère du Commerce a assuré mercredi que le prix du pain resterait inchangé.\n\n"
        "Les boulangers avaient menacé d'une grève la semaine dernière."
    )
    assert item.original_url == "https://www.tap.info.tn/fr/Portail-Economie/140094"
    assert notes == {"body/doubled": 1, "author/link": 1}
    # The Suivant link is the next article, followed as one; never a listing page.
    assert f"{BASE}/fr/tap/140095" in [r.url for r in page.article_links()]
    assert [r.url for r in page.listing_links()] == [f"{BASE}/fr/tap", f"{BASE}/fr/lapresse"]
    assert [r.url for r in page.author_links()] == [
        f"{BASE}/fr/author",
        f"{BASE}/fr/author/Sa%C3%AFd+BENKRAIEM+et+Chokri+BEN+NESSIR",
    ]


def test_par_line_leaves_the_body():
    item, _page, notes = extract("author-par-line.html", "djazairess", "lesoirdalgerie", "132198", "Africa/Algiers")
    assert item.author == "Mhand Kasmi"  # not the sidebar's author link
    assert item.body == (
        "Le village de Toudja a vécu mardi une journée entière sans eau potable.\n\n"
        "Par ailleurs, les habitants réclament la réfection du réseau, vieux de quarante ans."
    )
    assert (item.source, item.published_raw) == ("Le Soir d'Algérie", "05 - 01 - 2022")
    assert notes == {"author/par_line": 1}


def test_author_name_with_a_date_after_a_dateless_byline():
    """``Publié dans Aujourd'hui le Maroc | Youssef Benkirane Jeudi 27 Février 2025``:
    neither the source nor the date may take words from the author's name."""
    item, _page, _notes = extract(
        "author-dateless-legacy.html", "maghress", "aujourdhui", "2535623", "Africa/Casablanca"
    )
    assert item.source == "Aujourd'hui le Maroc"
    assert item.published_raw is None
    assert item.author == "Youssef Benkirane"
    assert item.body == "Le conseil a adopté le texte en deuxième lecture.\n\nIl entre en vigueur en juin."


@pytest.mark.parametrize(
    "byline, source, date",
    [
        (
            'Publié dans <a href="/fr/h24info">H24 Info</a> le 24 - 04 - 2019, par <a href="/fr/author/Mhand+Kasmi">Mhand Kasmi</a>',
            "H24 Info",
            "24 - 04 - 2019",
        ),
        (
            'Publié dans H24 Info le 24 - 04 - 2019 à 08h15 | <a href="/fr/author/Hamid+Amrani+12+-+03+-+2021">Hamid Amrani 12 - 03 - 2021</a>',
            "H24 Info",
            "24 - 04 - 2019 à 08h15",
        ),
        (
            'Publié dans Aujourd\'hui le Maroc par <a href="/fr/author/Hamid+Amrani+12+-+03+-+2021">Hamid Amrani 12 - 03 - 2021</a>',
            "Aujourd'hui le Maroc",
            None,
        ),
        ('Publié dans Médias 24 - <a href="/fr/author/x">Mhand Kasmi</a>', "Médias 24", None),
    ],
)
def test_author_link_inside_the_byline(byline, source, date):
    html = (
        f"<html><body><h1>Un titre assez long pour un titre</h1><p>{byline}</p>"
        "<p>Le premier paragraphe du texte.</p></body></html>"
    )
    resp = HtmlResponse(url=f"{BASE}/fr/h24info/1", body=html.encode())
    page = ArticlePage(
        resp, BASE, site="maghress", slug="h24info", article_id="1", canonical_url=f"{BASE}/fr/h24info/1"
    )
    item = page.extract().item
    assert (item.source, item.published_raw) == (source, date)
    assert item.author in ("Mhand Kasmi", "Hamid Amrani")
    assert item.body == "Le premier paragraphe du texte."


def test_junk_author_link_is_null_and_leaves_no_text():
    html = (
        "<html><body><h1>Un titre assez long pour un titre</h1><p>Publié dans H24 Info le 24 - 04 - 2019</p>"
        ' | <a href="/fr/author/%3F%3F%3F">???</a><p>Le texte.</p></body></html>'
    )
    resp = HtmlResponse(url=f"{BASE}/fr/h24info/1", body=html.encode())
    item = (
        ArticlePage(resp, BASE, site="maghress", slug="h24info", article_id="1", canonical_url=f"{BASE}/fr/h24info/1")
        .extract()
        .item
    )
    assert (item.author, item.body) == (None, "Le texte.")


def test_listing_date_not_read_from_an_author_name():
    html = """<html><body><ul>
    <li><a href="/fr/h24info/30">Trente</a> par <a href="/fr/author/Youssef+Benkirane+Jeudi+27+F%C3%A9vrier+2025">Youssef Benkirane Jeudi 27 Février 2025</a> <span>24 avril 2019</span></li>
    <li><a href="/fr/h24info/29">Vingt-neuf</a> par <a href="/fr/author/Hamid+Amrani+12+-+03+-+2021">Hamid Amrani 12 - 03 - 2021</a></li>
    </ul></body></html>"""
    page = ListingPage(HtmlResponse(url=f"{BASE}/fr/h24info", body=html.encode()), BASE, slug="h24info", page=1)
    assert [(e.ref.url, e.day and str(e.day)) for e in page.entries()] == [
        (f"{BASE}/fr/h24info/30", "2019-04-24"),
        (f"{BASE}/fr/h24info/29", None),
    ]
    assert page.next_page() is None


@pytest.mark.parametrize(
    "byline, source, date, author",
    [
        # an unlinked name after a bar: neither source nor date, and not body text
        (
            "Publié dans Aujourd'hui le Maroc | Youssef Benkirane Jeudi 27 Février 2025",
            "Aujourd'hui le Maroc",
            None,
            "Youssef Benkirane",
        ),
        ("Publié dans H24 Info le 24 - 04 - 2019 | Mhand Kasmi", "H24 Info", "24 - 04 - 2019", "Mhand Kasmi"),
        ("Publié dans Le Matin le 24 - 04 - 2019 | Mis à jour le 25 - 04 - 2019", "Le Matin", "24 - 04 - 2019", None),
        ("Publié dans Le Matin le 24 - 04 - 2019", "Le Matin", "24 - 04 - 2019", None),
    ],
)
def test_text_after_a_bar_in_the_byline(byline, source, date, author):
    html = (
        f"<html><body><h1>Un titre assez long pour un titre</h1><p>{byline}</p>"
        "<p>Le premier paragraphe du texte.</p></body></html>"
    )
    resp = HtmlResponse(url=f"{BASE}/fr/h24info/1", body=html.encode())
    page = ArticlePage(
        resp, BASE, site="maghress", slug="h24info", article_id="1", canonical_url=f"{BASE}/fr/h24info/1"
    )
    found = page.extract()
    item = found.item
    assert (item.source, item.published_raw, item.author) == (source, date, author)
    assert item.body == "Le premier paragraphe du texte."
    assert found.notes == ({"author/byline": 1} if author else {})


@pytest.mark.parametrize(
    "text, want",
    [
        ("Tweet Share Le ministère du Commerce a assuré mercredi.", "Le ministère du Commerce a assuré mercredi."),
        ("Les boulangers avaient menacé d'une grève. Tweet Share", "Les boulangers avaient menacé d'une grève."),
        ("Tweet 12 Share 3 Le texte.", "Le texte."),
        ("Tweet Share 2 080 colis ont été saisis.", "2 080 colis ont été saisis."),  # no counts: the text's number
        ("Le bilan est de 12 Tweet Share", "Le bilan est de 12"),
        ("Partager Tweet Le texte.", "Le texte."),
        ("Tweet Share Partager les ressources entre les régions.", "Partager les ressources entre les régions."),
        ("Tweet Share Partagez vos idées.", "Partagez vos idées."),
        (
            "Partager les ressources entre les régions reste un défi.",
            "Partager les ressources entre les régions reste un défi.",
        ),
        ("Le ministre a partagé un Tweet", "Le ministre a partagé un Tweet"),  # no widget run: "un" ends it
        ("Share of GDP rose.", "Share of GDP rose."),
        ("Tweet Share", ""),
    ],
)
def test_share_words_glued_to_text(text, want):
    assert strip_share_words(text) == want
