"""Tickers never give a title, a body or a publication date.

Saved-page tests with the headlines live copies show (ANATOMY: foreign
languages, blank items, dates inside headlines, a leading ``18 décembre..``
fragment), in layouts where nothing but the text tells ticker from article.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from scrapy.statscollectors import MemoryStatsCollector as StatsCollector
from scrapy.utils.test import get_crawler

from newsagg.pages.aggregator import ArticlePage
from newsagg.pipelines.clean import BoilerplatePipeline
from newsagg.pipelines.dates import DatePipeline

BASE = "http://127.0.0.1:8000"
URL = f"{BASE}/fr/h24info/904301403"
# The ticker line of a live article page's text copy (maghress, December 2024).
LIVE_TICKER = Path(__file__).parent / "pages" / "live-ticker.txt"

# Headlines as live tickers show them (sample article page, ANATOMY's copies).
HEADLINES = [
    "une nouvelle victoire diplomatique pour le Maroc dans la défense de son intégrité territoriale",
    "Maroc-Chili : Vers un partenariat renforcé et des positions concertées",
    "After the CJEU rulings, Morocco demands deeds not words from the EU",
    "En Marsella, Samia Chabani pone rostros a la migración de mujeres",
    "Revue de presse de ce samedi 14 mars 2026",
    "Programme TV du 4 novembre 2025",
    "Spectacles nocturnes inédits au Palais Bahia, du 18 décembre au 10 janvier",
    "Exposition : du 18 mai au 23 juin 2024",
    "Le temps qu'il fera ce mercredi 18 décembre 2024",
    "Football. Le tirage au sort de la CAN Maroc 2025 le 27 janvier à Rabat",
    "        ",  # a blank item: a run of spaces
    "Casablanca : un camion percute une station de tramway, faisant trois morts",
]
TITLE = "Kim Jong-un est arrivé en Russie pour un sommet avec Poutine"
PARAS = [
    (
        "Kim Jong-un et Vladimir Poutine se rencontreront jeudi à Vladivostok pour discuter notamment de la "
        "dénucléarisation de la péninsule coréenne."
    ),
    "Une fois n'est pas coutume, c'est en train que Kim Jong-un s'est rendu en Russie.",
]


def _links(items, sep: str = "\n", wrap: str = "{}") -> str:
    return sep.join(wrap.format(f'<a href="/fr/lematin/{2_000_000 + k}">{h}</a>') for k, h in enumerate(items))


def ticker_ul(prefix_outside: bool, items: list[str] = HEADLINES) -> str:
    """One ``<li>`` per headline; the first with its ``18 décembre..`` prefix (in or out of the link)."""
    first, rest = items[0], items[1:]
    head = (
        f'<li>18 décembre.. <a href="/fr/lematin/1999999">{first}</a></li>'
        if prefix_outside
        else f'<li><a href="/fr/lematin/1999999">18 décembre.. {first}</a></li>'
    )
    return f'<div class="x-3a"><ul>{head}\n{_links(rest, wrap="<li>{}</li>")}</ul></div>'


def ticker_inline() -> str:
    """All headlines in one marquee, separated by runs of spaces (the sample page's text)."""
    return f'<div class="c9f"><marquee>18 décembre.. {_links(HEADLINES, sep="    ")}</marquee></div>'


def ticker_divs() -> str:
    return f'<div class="w1c">{_links(HEADLINES, wrap="<div>{}</div>")}</div>'


MODAL = (
    "<div><p>Merci d'avoir signalé!</p><p>Cette image sera automatiquement bloquée après qu'elle soit "
    "signalée par plusieurs personnes.</p></div>"
)


def page(
    ticker_before: str = "",
    ticker_after: str = "",
    *,
    title_block: bool = True,
    dated: bool = False,
    doc_title: bool = True,
    source_link: bool = False,
) -> bytes:
    """A bare article page (meaningless classes) with tickers around the article."""
    date = " le 24 - 04 - 2019" if dated else ""
    parts = [
        '<html><head><meta charset="utf-8">',
        f"<title>{TITLE} - Maghress</title>" if doc_title else "",
        "</head><body>",
        '<div class="b1f"><a href="/fr/">Accueil</a></div>',
        ticker_before,
        MODAL,
        '<div class="c3f">',
    ]
    if title_block:
        parts.append(f"<div><b>{TITLE}</b></div>")
    parts.append(f'<div class="r2">Publié dans <a href="/fr/h24info">H24 Info</a>{date}</div>')
    parts += [f"<div>{p}</div>" for p in PARAS]
    if source_link:
        parts.append('<a href="https://www.h24info.ma/x">Cliquez ici pour lire l\'article depuis sa source.</a>')
    parts += ["</div>", ticker_after, "<div>© 2025 Maghress</div></body></html>"]
    return "\n".join(parts).encode("utf-8")


def extract(body: bytes):
    resp = HtmlResponse(url=URL, body=body)
    art = ArticlePage(
        resp, BASE, "Africa/Casablanca", site="maghress", slug="h24info", article_id="904301403", canonical_url=URL
    )
    found = art.extract()
    item = found.item
    assert item is not None, found.why_not
    item = BoilerplatePipeline().process_item(item)
    return DatePipeline(StatsCollector(get_crawler())).process_item(item)


TICKERS = {
    "ul-prefix-outside": ticker_ul(True),
    "ul-prefix-inside": ticker_ul(False),
    "marquee": ticker_inline(),
    "divs": ticker_divs(),
    "short-ul": ticker_ul(True, HEADLINES[:1] + HEADLINES[2:6]),
    "prefix-alone": '<div class="t9"><span>18 décembre..</span></div>' + ticker_divs(),
}


@pytest.mark.parametrize("where", ["before", "after", "both"])
@pytest.mark.parametrize("kind", sorted(TICKERS))
@pytest.mark.parametrize("dated", [True, False])
def test_ticker_never_becomes_title_body_or_date(kind, where, dated):
    t = TICKERS[kind]
    body = page(t if where != "after" else "", t if where != "before" else "", dated=dated)
    item = extract(body)
    assert item.title == TITLE
    assert item.body == "\n\n".join(PARAS)
    assert item.published_raw == ("24 - 04 - 2019" if dated else None)
    assert item.published_at == ("2019-04-24" if dated else None)


@pytest.mark.parametrize("kind", sorted(TICKERS))
def test_without_title_block_the_document_title_wins(kind):
    item = extract(page(TICKERS[kind], title_block=False))
    assert item.title == TITLE
    assert item.body == "\n\n".join(PARAS)
    assert item.published_at is None


@pytest.mark.parametrize("kind", sorted(TICKERS))
def test_without_any_title_none_comes_from_the_ticker(kind):
    item = extract(page(TICKERS[kind], title_block=False, doc_title=False))
    assert item.title in (None, "")
    assert item.body == "\n\n".join(PARAS)


def test_live_sample_ticker_before_the_article():
    """A live page's own ~50-headline ticker, one item per headline, around a bare article."""
    line = LIVE_TICKER.read_text(encoding="utf-8").strip()
    items = [h for h in re.split(r"[\s\u00a0]{3,}", line) if h.strip()]
    assert len(items) >= 45
    ticker = f'<div class="q1">{_links(items, wrap="<span>{}</span> ")}</div>'
    item = extract(page(ticker, ticker, dated=True))
    assert (item.title, item.body, item.published_at) == (TITLE, "\n\n".join(PARAS), "2019-04-24")


def test_ticker_date_fragment_dates_no_listing_entry():
    """A listing page whose ticker's first item (prefix outside the link) is an
    article of this very source: that entry gets no date from ``18 décembre..``."""
    from newsagg.pages.aggregator import ListingPage

    html = (
        f'<html><body><div class="x1">{ticker_ul(True)}</div>'
        '<ul><li><a href="/fr/lematin/3000001">Un titre du jour</a> <span>24 avril 2019</span></li></ul>'
        "</body></html>"
    ).encode()
    resp = HtmlResponse(url=f"{BASE}/fr/lematin", body=html)
    page = ListingPage(resp, BASE, "Africa/Casablanca", slug="lematin", page=1)
    days = {e.ref.url.rsplit("/", 1)[1]: e.day for e in page.entries()}
    assert days["1999999"] is None  # the ticker's first item
    assert str(days["3000001"]) == "2019-04-24"
