"""Bad input, by property: page objects and the response fixers never raise.

Random bytes in random (and bogus) declared encodings, random text, and
random HTML made of the template's own pieces (bylines, source links, modal
text, links, deep or unclosed markup). Garbage yields nothing: no item, no
link, no next page. (parse_date's properties live in test_dates.py.)
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, TextResponse

from newsagg.items import FIELDS
from newsagg.middlewares.charset import corrected_encoding
from newsagg.middlewares.content import looks_binary
from newsagg.pages.aggregator import ArticlePage, LinkPage, ListingPage, parse_byline
from newsagg.urls import classify

BASE = "http://127.0.0.1:8000"
URL = f"{BASE}/fr/lematin/2016"
TZ = "Africa/Casablanca"
EXAMPLES = int(os.environ.get("PROPERTIES_MAX_EXAMPLES", "150"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ENCODINGS = ["utf-8", "windows-1252", "iso-8859-1", "utf-16", "shift_jis", "koi8-r", "ascii", "x-bogus-42", ""]
CTYPES = ["text/html", "text/plain", "application/xhtml+xml", "application/octet-stream", ""]


def article_page(response) -> ArticlePage:
    return ArticlePage(response, BASE, TZ, site="maghress", slug="lematin", article_id="2016", canonical_url=URL)


def check_item(item) -> None:
    """An item, when there is one, is well formed."""
    if item is None:
        return
    d = item if isinstance(item, dict) else item.__dict__
    assert set(FIELDS) <= set(d)
    for name in ("title", "body", "source", "published_raw", "original_url"):
        assert d[name] is None or (isinstance(d[name], str) and d[name].strip() == d[name] and d[name])
    assert d["url"] == URL


def check_links(response) -> None:
    page = LinkPage(response, BASE, TZ)
    for ref in page.article_links() + page.listing_links():
        assert ref.url.startswith(BASE + "/fr/")
        assert classify(ref.url, BASE) == ref  # canonical: classifying again changes nothing
    listing = ListingPage(response, BASE, TZ, slug="lematin", page=1)
    for link in listing.entries():
        assert link.ref.slug == "lematin"
    nxt = listing.next_page()
    assert nxt is None or (nxt.kind == "listing" and nxt.slug == "lematin" and nxt.page > 1)


def responses(body: bytes, encoding: str, ctype: str):
    headers = {"Content-Type": f"{ctype}; charset={encoding}" if ctype and encoding else ctype or "text/html"}
    yield HtmlResponse(URL, body=body, headers=headers)
    yield TextResponse(URL, body=body, headers=headers)


# --- random bytes -------------------------------------------------------------


@FAST
@given(st.binary(max_size=3000), st.sampled_from(ENCODINGS), st.sampled_from(CTYPES))
def test_random_bytes_never_raise_and_yield_nothing(body, encoding, ctype):
    for response in responses(body, encoding, ctype):
        page = article_page(response)
        found = page.extract()
        # Random bytes hold no byline ("Publié dans ..."): no article.
        assert found.item is None and found.why_not
        assert LinkPage(response, BASE, TZ).links() == []
        listing = ListingPage(response, BASE, TZ, slug="lematin", page=1)
        assert listing.entries() == [] and listing.next_page() is None


@FAST
@given(st.text(max_size=3000), st.sampled_from(ENCODINGS[:3]))
def test_random_text_never_raises(text, encoding):
    body = text.encode(encoding or "utf-8", errors="replace")
    for response in responses(body, encoding, "text/html"):
        page = article_page(response)
        item = page.extract().item
        check_item(item)
        if "ubli" not in text:
            assert item is None
        check_links(response)


@FAST
@given(st.text(max_size=400))
def test_parse_byline_never_raises(text):
    byline = parse_byline(text)
    if not re.search(r"publi", text, re.I):
        assert byline is None
    if byline is not None:
        assert isinstance(byline.source, str)
        assert byline.date_raw is None or (byline.date_raw and byline.date_raw == byline.date_raw.strip())


# --- random HTML from the template's own pieces -------------------------------

_words = st.sampled_from(
    [
        "Rabat",
        "le",
        "Maroc",
        "24",
        "H24 Info",
        "L'Opinion",
        "é",
        "«",
        "»",
        "&nbsp;",
        "&eacute;",
        "\u00a0",
        "\u202f",
        " ",
        "\n",
        "\t",
        "2019",
        "31 - 02 - 2024",
        "08h15",
        "<",
        ">",
        "&",
        "\x00",
    ]
)
_anchors = st.sampled_from(
    [
        "Publié dans H24 Info le 24 - 04 - 2019",
        "Publié dans Le Matin le 10 - 03 - 2025 à 12h00",
        "Publié dans ",
        "Publié dans L'Opinion",
        "Publiée dans 2M le 31 - 02 - 2024",
        "publié dans X le 99 - 99 - 9999 à 99h99 GMT+99",
        "Cliquez ici pour lire l'article depuis sa source.",
        "Merci d'avoir signalé!",
        "Cette image sera automatiquement bloquée après qu'elle soit signalée par plusieurs personnes.",
        "Les plus lus",
        "Partager",
        "© Maghress",
        "Suivant »",
        "Page suivante",
        "»",
    ]
)
_hrefs = st.sampled_from(
    [
        "/fr/lematin/2017",
        "/fr/lematin?page=2",
        "/fr/lematin/page/3",
        "/fr/",
        "?page=9",
        "#comments",
        "http://127.0.0.1:8000/fr/h24info/1?utm_source=x&utm_medium=y",
        "https://www.lematin.ma/a/b",
        "javascript:void(0)",
        "//evil.example/fr/x/1",
        "/fr/print/lematin/2016",
        "/fr/lematin/99999999999999999999",
        "http://[::1",
        "mailto:a@b",
        "/fr/lematin?page=-1",
        "/fr/lematin?page=99999999999999999999",
        "%zz",
        "",
        "/fr/tag/éé",
    ]
)
_tags = st.sampled_from(
    [
        "div",
        "p",
        "span",
        "b",
        "i",
        "a",
        "h1",
        "h2",
        "article",
        "table",
        "tr",
        "td",
        "li",
        "ul",
        "font",
        "br",
        "script",
        "style",
        "nav",
        "aside",
        "footer",
        "marquee",
        "title",
    ]
)


@st.composite
def html_fragment(draw, depth: int = 0):
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 9))
        if kind < 3:
            parts.append(" ".join(draw(st.lists(_words, max_size=6))))
        elif kind < 5:
            parts.append(draw(_anchors))
        elif kind < 7:
            text = draw(st.one_of(_anchors, _words))
            parts.append(f'<a href="{draw(_hrefs)}" rel="{draw(st.sampled_from(["", "next", "nofollow"]))}">{text}</a>')
        elif depth < 4:
            tag = draw(_tags)
            inner = draw(html_fragment(depth + 1))
            close = draw(st.booleans())  # unclosed tags too
            cls = draw(st.sampled_from(["", "sidebar", "articletitle", "articlecontent", "articlenewspaper", "x9"]))
            parts.append(f'<{tag} class="{cls}">{inner}' + (f"</{tag}>" if close else ""))
        else:
            parts.append("<" + draw(_tags) + ">" * draw(st.integers(0, 1)))  # broken tag
    return "".join(parts)


@FAST
@given(html_fragment(), st.sampled_from(["utf-8", "windows-1252"]), st.integers(0, 3000))
def test_random_template_html_never_raises(fragment, encoding, nesting):
    html = (
        "<!DOCTYPE html><html><head><title>T - Maghress</title></head><body>"
        + "<div>" * nesting
        + fragment
        + "</body></html>"
    )
    body = html.encode(encoding, errors="xmlcharrefreplace")
    for response in responses(body, encoding, "text/html"):
        page = article_page(response)
        check_item(page.extract().item)
        check_links(response)


# --- the response fixers ------------------------------------------------------


@FAST
@given(st.binary(max_size=2000), st.sampled_from(ENCODINGS + [None]), st.sampled_from(ENCODINGS[:3]))
def test_charset_correction_is_total(body, declared, fallback):
    fixed = corrected_encoding(body, declared, fallback or "cp1252")
    if fixed is not None:
        body.decode(fixed, errors="replace")  # a real codec
    if body.isascii():
        assert fixed is None
    looks_binary(body)


@FAST
@given(st.text(max_size=800))
def test_charset_correction_recovers_declared_lies(text):
    """UTF-8 declared as windows-1252 and windows-1252 declared as UTF-8 are both corrected."""
    assert corrected_encoding(text.encode("utf-8"), "windows-1252") in (None if text.isascii() else "utf-8", None)
    if not text.isascii():
        assert corrected_encoding(text.encode("utf-8"), "windows-1252") == "utf-8"
    try:
        legacy = text.encode("cp1252")
    except UnicodeEncodeError:
        return
    try:
        legacy.decode("utf-8")
        return  # also valid UTF-8 (e.g. ASCII): nothing to tell apart
    except UnicodeDecodeError:
        pass
    assert corrected_encoding(legacy, "utf-8") == "cp1252"
