"""Pages mixing UTF-8 and windows-1252 fragments: the pure decoder on real
byte strings, the replica's planted pages, and a real crawl of them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsagg.middlewares.charset import corrected_encoding, decode_mixed, repair_mixed

U, W = "utf-8", "cp1252"

# (bytes as served, text a reader sees). Fragments come from the live copies
# (ANATOMY: lesoirdalgerie/132198 "Toudja (Béjaïa) a vécu") and the replica bank.
MIXED = [
    pytest.param(
        "Publié dans Le Soir d'Algérie le 12 - 03 - 2024 ".encode(U) + "Toudja (Béjaïa) a vécu".encode(W),
        "Publié dans Le Soir d'Algérie le 12 - 03 - 2024 Toudja (Béjaïa) a vécu",
        id="utf8-page-cp1252-run",
    ),
    pytest.param(
        "<p>Merci d'avoir signalé!</p><p>".encode(U) + "L’été à Sétif, « c'est passé »".encode(W) + b"</p>",
        "<p>Merci d'avoir signalé!</p><p>L’été à Sétif, « c'est passé »</p>",
        id="cp1252-curly-quotes",
    ),
    pytest.param(
        "Béjaïa, l'été : ".encode(W) + "l’œuvre « passée » coûte 10 €".encode(U),
        "Béjaïa, l'été : l’œuvre « passée » coûte 10 €",
        id="cp1252-page-utf8-run",
    ),
    # "é\xa0»" in windows-1252 is also valid UTF-8 (U+9A3B): not a plausible character here.
    pytest.param(
        "« c'est passé\u00a0» à Tizi ".encode(W) + "Merci d'avoir signalé!".encode(U),
        "« c'est passé\u00a0» à Tizi Merci d'avoir signalé!",
        id="cp1252-nbsp-guillemet",
    ),
    pytest.param(
        "voilà\u00a0» à Fès ".encode(W) + "et là\u202f!".encode(U), "voilà\u00a0» à Fès et là\u202f!", id="a-grave-nbsp"
    ),
    pytest.param(
        "العربية | Accueil — ".encode(U) + "Le député a été reçu à Sétif".encode(W),
        "العربية | Accueil — Le député a été reçu à Sétif",
        id="arabic-nav-cp1252-run",
    ),
    pytest.param("le cœur de l’été".encode(W) + " — fin".encode(U), "le cœur de l’été — fin", id="oe-ligature"),
    # A windows-1252 letter glued to a UTF-8 one in the same byte run.
    pytest.param("é".encode(W) + "’".encode(U) + "à".encode(W), "é’à", id="glued-run"),
    # The five bytes windows-1252 leaves undefined come out as U+0081... (WHATWG), never an error.
    pytest.param("été".encode(U) + b" \x81\x8d ok", "été \x81\x8d ok", id="cp1252-undefined-bytes"),
]


@pytest.mark.parametrize(("body", "text"), MIXED)
def test_mixed_fragments_keep_every_letter(body, text):
    with pytest.raises(UnicodeDecodeError):
        body.decode(U)  # no single charset reads these right
    assert body.decode(W, "replace") != text
    assert decode_mixed(body) == text
    assert decode_mixed(body, "windows-1252") == text
    fixed = repair_mixed(body)
    assert fixed is not None and fixed.decode(U) == text


@pytest.mark.parametrize(
    ("body", "declared", "text"),
    [
        ("Toudja (Béjaïa) a vécu l’été".encode(U), "utf-8", "Toudja (Béjaïa) a vécu l’été"),
        ("Toudja (Béjaïa) a vécu l’été".encode(U), "windows-1252", "Toudja (Béjaïa) a vécu l’été"),  # lying header
        ("Toudja (Béjaïa) a vécu l’été".encode(W), "windows-1252", "Toudja (Béjaïa) a vécu l’été"),
        ("Toudja (Béjaïa) a vécu l’été".encode(W), "utf-8", "Toudja (Béjaïa) a vécu l’été"),  # fallback charset
        (b"Publie dans Le Matin le 24 - 04 - 2019", None, "Publie dans Le Matin le 24 - 04 - 2019"),
        # One charset throughout: "passé\xa0»" is valid UTF-8 by chance, the page is still windows-1252.
        ("« c'est passé\u00a0» dit-il, à Fès".encode(W), "windows-1252", "« c'est passé\u00a0» dit-il, à Fès"),
    ],
)
def test_single_charset_pages_are_not_mixed(body, declared, text):
    assert repair_mixed(body) is None
    assert decode_mixed(body, declared) == text


def test_ambiguous_pair_reads_as_utf8():
    # windows-1252 "Â«" is byte for byte UTF-8 "«": a page holding both
    # charsets cannot tell them apart; the decoder takes UTF-8 (documented).
    assert decode_mixed("Hôtel Â«".encode(W) + " année".encode(U)) == "Hôtel « année"


GARBAGE = [
    b"\xff\xfe\x00\x81",
    b"\xc3",
    b"\xe2\x80",
    b"\xf0\x9f\x98",
    b"\xed\xa0\x80",
    b"\xc0\xaf\x80\xbf" * 10,
    bytes(range(256)),
    b"\xc3\xa9" + bytes(range(128, 256)) + b"\xe9t\xe9",
]


@pytest.mark.parametrize("body", GARBAGE)
def test_garbage_never_crashes(body):
    text = decode_mixed(body, "utf-8")
    assert isinstance(text, str)
    fixed = repair_mixed(body)
    assert fixed is None or fixed.decode(U)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([None, "utf-8", "windows-1252", "latin-1", "bogus"]))
def test_decoder_is_total(body, declared):
    assert isinstance(decode_mixed(body, declared), str)
    fixed = repair_mixed(body)
    if fixed is not None:
        fixed.decode(U)  # always clean UTF-8
        assert fixed.isascii() is body.isascii()
    corrected_encoding(body, declared)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(alphabet="abcdé èàçôœ’«»\u00a0ûïÉ.,;:!?", max_size=30), st.booleans()), min_size=1, max_size=8
    )
)
def test_french_fragments_round_trip(parts):
    """Any French text cut in fragments, each in either charset, reads back exactly
    (the documented "Â«" ambiguity cannot arise from this alphabet). A
    windows-1252 fragment of real text has an accent before an ASCII byte
    somewhere (else the whole page may be valid UTF-8: the fast path reads it so)."""
    parts = [("é " + t if legacy else t, legacy) for t, legacy in parts]
    body = b"".join(t.encode(W if legacy else U) for t, legacy in parts)
    text = "".join(t for t, _ in parts)
    assert decode_mixed(body, "utf-8") == text


# --- the downloader middleware ------------------------------------------------------


def _middleware():
    from scrapy.utils.test import get_crawler

    from newsagg.middlewares.charset import CharsetMiddleware

    crawler = get_crawler()
    crawler.stats.open_spider()
    return CharsetMiddleware.from_crawler(crawler), crawler.stats


def _response(body: bytes, charset: str):
    from scrapy.http import HtmlResponse, Request

    url = "http://127.0.0.1:8000/fr/lesoirdalgerie/132198"
    return Request(url), HtmlResponse(url, body=body, headers={"Content-Type": f"text/html; charset={charset}"})


def test_middleware_leaves_clean_pages_alone():
    mw, stats = _middleware()
    for body, charset in (
        (b"<p>plain ascii</p>", "utf-8"),
        ("<p>Béjaïa l’été</p>".encode(U), "utf-8"),
        ("<p>Béjaïa l’été</p>".encode(W), "windows-1252"),
    ):
        request, response = _response(body, charset)
        assert mw.process_response(request, response) is response
    assert not {k: v for k, v in stats.get_stats().items() if k.startswith("newsagg/charset/")}


@pytest.mark.parametrize("charset", ["utf-8", "windows-1252"])
def test_middleware_repairs_and_counts_mixed_pages(charset):
    mw, stats = _middleware()
    body = (
        "<html><body><p>Publié dans Le Soir d'Algérie</p><p>".encode(U)
        + "Toudja (Béjaïa) a vécu".encode(W)
        + "</p><p>l’été</p></body></html>".encode(U)
    )
    request, response = _response(body, charset)
    fixed = mw.process_response(request, response)
    assert fixed.encoding == "utf-8"
    assert fixed.xpath("//p/text()").getall() == ["Publié dans Le Soir d'Algérie", "Toudja (Béjaïa) a vécu", "l’été"]
    assert stats.get_value("newsagg/charset/mixed") == 1 and stats.get_value("newsagg/charset/fixed") is None


def _reference_repair(body: bytes) -> bytes | None:
    """_repair as one regex pass (no bytes.find of the lead bytes first)."""
    import re

    from newsagg.middlewares.charset import _HIGH_RUN, _PLAUSIBLE_UTF8, _run_as_utf8

    for lead in re.finditer(rb"[\xc2-\xc5\xd8-\xdb\xe2][\x80-\xbf]", body):
        if _PLAUSIBLE_UTF8.match(body, lead.start()):
            return _HIGH_RUN.sub(_run_as_utf8, body)
    return None


_BYTES = st.lists(
    st.one_of(
        st.sampled_from([b"\xc3\xa9", b"\xe2\x80\x99", b"\xe2\x82\xac", b"\xd8\xa7", b"\xe9", b"\xe2", b"\x92", b"a "]),
        st.binary(max_size=4),
    ),
    max_size=30,
).map(b"".join)


@given(_BYTES)
def test_repair_equals_the_regex_scan(body):
    from newsagg.middlewares.charset import _repair

    assert _repair(body) == _reference_repair(body)


# --- the content guard: what is HTML at all, and stray control bytes --------------------------------

_PAGE = (
    b'<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>Maroc : la saison touristique</title>'
    b'</head><body><h1 class="entry-title">Maroc : la saison touristique</h1><p>Le texte.</p></body></html>\n'
)


@pytest.mark.parametrize(
    ("body", "binary"),
    [
        (_PAGE, False),
        (_PAGE.replace(b"<title>", b"<title>\x00"), False),  # one NUL at the very start: a byte, not binary
        (_PAGE.replace(b"Maroc", b"Ma\x00\x08roc"), False),
        (b"\x00" * (len(_PAGE) // 50) + _PAGE, False),  # one byte in 50 is still text
        (b"\x00" * (len(_PAGE) // 49 + 1) + _PAGE, True),
        (bytes(range(32)) * 64, True),  # controls only
        ("<p>été</p>".encode("utf-16"), False),  # UTF-16: its NULs are text
        (b"\x1b[1mgras\x1b[0m " * 20, False),  # terminal colours pasted into a page
        (b"", False),
    ],
)
def test_binary_is_judged_on_the_whole_page(body, binary):
    from newsagg.middlewares.content import looks_binary

    assert looks_binary(body) is binary


def _guard(body: bytes, ctype: str = "text/html; charset=utf-8"):
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from newsagg.middlewares.content import ContentGuardMiddleware

    crawler = get_crawler()
    url = "http://127.0.0.1:8000/fr/lematin/2016"
    request = Request(url, meta={"newsagg_kind": "article"})
    response = HtmlResponse(url, body=body, headers={"Content-Type": ctype})
    return ContentGuardMiddleware.from_crawler(crawler), request, response, crawler.stats


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not_html"),
        (b"   \n", "not_html"),
        (b'{"error": "article indisponible", "retry": false}', "not_html"),
        (b"Service temporairement indisponible", "not_html"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj", "not_html"),
        (bytes(range(256)) * 16, "garbage"),
    ],
)
def test_guard_fails_bodies_that_are_no_html(body, reason):
    from newsagg.failures import PageFailed

    mw, request, response, _ = _guard(body)
    with pytest.raises(PageFailed) as exc:
        mw.process_response(request, response)
    assert exc.value.reason == reason


@pytest.mark.parametrize(
    "body",
    [
        _PAGE,
        b"\xef\xbb\xbf" + _PAGE,
        b"<p>Un fragment sans document</p>",
        # PHP warnings before the page: still the page.
        b"Warning: mysql_connect(): Too many connections in /var/www/inc/db.php on line 12\n" + _PAGE,
        b"<br />\n<b>Notice</b>:  Undefined index: id in <b>/var/www/article.php</b> on line <b>8</b><br />\n" + _PAGE,
    ],
)
def test_guard_passes_html(body):
    mw, request, response, stats = _guard(body)
    assert mw.process_response(request, response) is response
    assert not stats.get_value("newsagg/html/controls_stripped")


def test_guard_strips_control_bytes_and_counts_the_page():
    dirty = _PAGE.replace(b"<title>", b"<title>\x00").replace(b"Maroc :", b"Ma\x00\x08roc\x0b :", 1)
    mw, request, response, stats = _guard(dirty)
    out = mw.process_response(request, response)
    assert out.body == _PAGE
    assert stats.get_value("newsagg/html/controls_stripped") == 1
    # Tab, newlines and form feed are text: left alone.
    mw, request, response, stats = _guard(_PAGE.replace(b"Le texte.", b"Le\ttexte.\r\n\f"))
    assert mw.process_response(request, response) is response
