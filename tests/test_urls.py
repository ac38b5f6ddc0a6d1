"""URL classification and canonical forms."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsagg.urls import SLUG_MAX, SLUG_RE, classify, classify_href, refusal

B = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "url, kind, canon, slug, aid, page",
    [
        (f"{B}/fr/", "home", f"{B}/fr/", None, None, 1),
        (f"{B}/fr", "home", f"{B}/fr/", None, None, 1),
        (f"{B}/fr/h24info/1234567", "article", f"{B}/fr/h24info/1234567", "h24info", "1234567", 1),
        (
            f"{B}/fr/h24info/1234567?utm_source=fb&utm_medium=x",
            "article",
            f"{B}/fr/h24info/1234567",
            "h24info",
            "1234567",
            1,
        ),
        (f"{B}/fr/lematin/2016#comments", "article", f"{B}/fr/lematin/2016", "lematin", "2016", 1),
        (f"{B}/fr/lematin/2016/", "article", f"{B}/fr/lematin/2016", "lematin", "2016", 1),
        (f"{B}//fr//albayane/211548", "article", f"{B}/fr/albayane/211548", "albayane", "211548", 1),
        (f"{B}/fr/h24info", "listing", f"{B}/fr/h24info", "h24info", None, 1),
        (f"{B}/fr/h24info?page=1", "listing", f"{B}/fr/h24info", "h24info", None, 1),
        (f"{B}/fr/h24info?page=3&utm_source=x", "listing", f"{B}/fr/h24info?page=3", "h24info", None, 3),
        (f"{B}/fr/h24info/page/4", "listing", f"{B}/fr/h24info/page/4", "h24info", None, 4),
        (f"{B}/fr/h24info/page/1", "listing", f"{B}/fr/h24info", "h24info", None, 1),
        (f"{B}/fr/2m", "listing", f"{B}/fr/2m", "2m", None, 1),
        (f"{B}/fr/contact", "other", None, None, None, 1),
        (f"{B}/fr/tag/maroc", "other", None, None, None, 1),
        (f"{B}/fr/print/h24info/12", "other", None, None, None, 1),
        (f"{B}/fr/recherche?q=x", "other", None, None, None, 1),
        (f"{B}/h24info/1234", "other", None, None, None, 1),  # Arabic section
        ("https://www.h24info.ma/fr/h24info/1", "other", None, None, None, 1),  # other host
        ("http://127.0.0.1:9999/fr/h24info/1", "other", None, None, None, 1),  # other port
        (f"{B}/fr/H24Info/12", "other", None, None, None, 1),  # slugs are lower-case
        # Ids and page numbers are ASCII digits: Arabic-Indic, full-width, superscript ones are not.
        (f"{B}/fr/h24info/\u0662\u0661", "other", None, None, None, 1),  # ٢١
        (f"{B}/fr/h24info/\u06f2\u06f1", "other", None, None, None, 1),  # ۲۱ (Persian)
        (f"{B}/fr/h24info/\uff12\uff11", "other", None, None, None, 1),  # ２１
        (f"{B}/fr/h24info/12\u0663", "other", None, None, None, 1),
        (f"{B}/fr/h24info/page/\u0663", "other", None, None, None, 1),
        (f"{B}/fr/h24info?page=\u0663", "listing", f"{B}/fr/h24info", "h24info", None, 1),
        (f"{B}/fr/h24info?page=\u00b2", "listing", f"{B}/fr/h24info", "h24info", None, 1),
    ],
)
def test_classify(url, kind, canon, slug, aid, page):
    ref = classify(url, B)
    assert ref.kind == kind
    if canon:
        assert (ref.url, ref.slug, ref.article_id, ref.page) == (canon, slug, aid, page)


# -- classify_href: the hand-made join of plain hrefs == urljoin + classify ------------------------

_BASES = [
    B,
    "https://www.maghress.com",
    "http://maghress.com/",
    "http://Example.COM:8080",
    "http://[::1]:8000",
    "http://localhost:8000/sub/dir",
    "ftp://example.com",
    "http:/nohost",
]
_HREF_PIECES = st.sampled_from(
    [
        "/",
        "//",
        "fr",
        "/fr/",
        "/fr/h24info",
        "/1234",
        "/page/2",
        "author/x",
        "tag",
        "?",
        "?page=2",
        "&page=03",
        "#",
        "#comments",
        ".",
        "..",
        ";p",
        "%C3%A9",
        "\t",
        "\n",
        " ",
        "é",
        "http://",
        "https://",
        "HTTP://",
        "127.0.0.1:8000",
        "localhost:8000",
        "www.maghress.com",
        "maghress.com",
        "[::1]",
        "example.com",
        ":",
        "@",
        "-",
        "~",
        "_",
        "٣",
        "²",
        "page=²",
    ]
)


def _slow_classify_href(href: str, base: str):
    try:
        return classify(urljoin(base + "/", href), base)
    except ValueError:
        return None


_PREFIXES = st.sampled_from(
    ["", "/", "/fr/", "http://127.0.0.1:8000", "https://www.maghress.com/fr", "http://localhost"]
)


@settings(max_examples=3000)
@given(_PREFIXES, st.lists(_HREF_PIECES, max_size=8).map("".join), st.sampled_from(_BASES))
def test_classify_href_equals_urljoin_then_classify(prefix, href, base):
    href = prefix + href
    assert classify_href(href, base) == _slow_classify_href(href, base)


@pytest.mark.parametrize("base", _BASES)
@pytest.mark.parametrize(
    "href",
    [
        "/fr/h24info/1234567",
        "/fr/h24info/1234567?utm_source=x&utm_medium=y#comments",
        "/fr/h24info?page=2",
        "/fr/h24info/page/3",
        "/fr/author/jean-dupont",
        "/fr/tag/r%C3%A9union",
        "/fr//h24info//12",
        "/fr/h24info/12?",
        "/fr/h24info/12#",
        "http://127.0.0.1:8000/fr/h24info/12?a=1#c",
        "https://127.0.0.1:8000/fr/h24info/12",
        "http://localhost:8000/fr/lematin",
        "http://www.maghress.com/fr/lematin/5",
        "https://maghress.com",
        "http://example.com?x=1",
        "https://www.facebook.com/sharer/sharer.php?u=http%3A%2F%2F127.0.0.1%3A8000%2Ffr%2Fx%2F1",
        "http://example.com/p?",
        "/fr/../fr/x/1",
        "/fr/./x/1",
        "/fr/x/1/.",
        "/fr/x.html",
        "http://127.0.0.1:8000/fr/../fr/x/1",
        "/.well-known/x",
        "/fr/h24info?page=²",
        "/fr/h24info/page/٣",
        "/fr/h24info/١٢",
        "/fr/author/12",
        "/fr/tag/12?x",
        "/fr/x;p/1",
    ],
)
def test_classify_href_on_real_shapes(href, base):
    assert classify_href(href, base) == _slow_classify_href(href, base)


@pytest.mark.parametrize(
    "slug, valid",
    [
        ("aujourdhuilemaroc", True),  # the longest live slug known
        ("2m", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("h24info" * 43, False),  # 301 characters: would fail as a file name
        ("", False),
        ("H24info", False),
        ("h24-info", False),
        ("h24info\n", False),
    ],
)
def test_slugs_are_bounded(slug, valid):
    assert bool(SLUG_RE.fullmatch(slug)) is valid and bool(SLUG_RE.match(slug)) is valid
    ref = classify(f"{B}/fr/{slug}/12", B)
    if valid:
        assert (ref.kind, ref.slug, refusal(ref)) == ("article", slug, None)
    elif slug.isalnum() and slug.islower():
        # Still recognised as an article link, so that the crawl refuses and counts it.
        assert (ref.kind, ref.slug, refusal(ref)) == ("article", slug, "slug_too_long")
        listing = classify(f"{B}/fr/{slug}?page=2", B)
        assert (listing.kind, refusal(listing)) == ("listing", "slug_too_long")
    assert SLUG_MAX == 64
