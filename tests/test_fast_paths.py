"""The fast paths added for speed (issue 6) give exactly what the plain code gives."""

from __future__ import annotations

import re
import sys

from hypothesis import given
from hypothesis import strategies as st
from scrapy.http import HtmlResponse

from newsagg.pages.aggregator import Link, ListingPage
from newsagg.text import _WS, _ZW, clean_title, normalize_ws
from newsagg.urls import PageRef


def reference_normalize_ws(text: str | None) -> str:
    """normalize_ws before the fast path: two regex passes."""
    if not text:
        return ""
    return _WS.sub(" ", _ZW.sub("", text)).strip()


def test_str_split_splits_on_exactly_what_backslash_s_matches():
    # The fast path rests on this: str.split() == runs of \s, for every code point.
    ws = re.compile(r"\s")
    differ = [
        hex(i) for i in range(sys.maxunicode + 1) if bool(ws.fullmatch(chr(i))) != (len(f"a{chr(i)}b".split()) == 2)
    ]
    assert differ == []


SPACEY = sorted(
    {chr(i) for i in range(0x3100) if chr(i).isspace() or _WS.fullmatch(chr(i)) or _ZW.fullmatch(chr(i))}
    | {"\ufeff", "\u2060"}
)


@given(st.text(alphabet=st.sampled_from(SPACEY + list("ab é’'-Ωل"))))
def test_normalize_ws_equals_the_regex_version(text):
    assert normalize_ws(text) == reference_normalize_ws(text)


@given(st.text(max_size=60))
def test_normalize_ws_equals_the_regex_version_on_any_text(text):
    assert normalize_ws(text) == reference_normalize_ws(text)


def test_clean_title_suffixes_still_apply_in_order_and_accept_lists():
    names = ("Maghress", "maghress.com")
    assert clean_title("Titre - Maghress | maghress.com", names) == "Titre - Maghress"
    assert clean_title("Titre – MAGHRESS", list(names)) == "Titre"


def test_link_text_is_computed_on_demand_like_before():
    html = b'<html><body><div><a href="/fr/h24info/1"> Un <b>titre</b>\n</a> <a href="/fr/h24info?page=2" rel="Next">Suivant &raquo;</a></div></body></html>'
    page = ListingPage(
        HtmlResponse("http://127.0.0.1:8000/fr/h24info", body=html), "http://127.0.0.1:8000", slug="h24info"
    )
    links = page.links()
    assert [link.text for link in links] == ["Un titre", "Suivant »"]
    assert links[1].rel == "next" and page.next_page().url == "http://127.0.0.1:8000/fr/h24info?page=2"
    ref = PageRef("article", "http://x/fr/a/1", "a", "1")
    assert Link(ref, "t") == Link(ref, "t") and Link(ref, "t") != Link(ref, "u")
    assert Link(ref).text == ""


def reference_looks_binary(head: bytes) -> bool:
    """looks_binary before the fast path: a Python loop over the bytes."""
    from newsagg.middlewares.content import _TEXT_CONTROLS

    if not head or head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return False
    if b"\x00" in head:
        return True
    return sum(1 for b in head if b < 32 and b not in _TEXT_CONTROLS) > len(head) // 50


@given(
    st.binary(max_size=300)
    | st.lists(st.sampled_from([b"<p>", b"\x01", b"\x1b", b"\t", b"\x7f", b"\xe9"])).map(b"".join)
)
def test_looks_binary_equals_the_loop_version(head):
    from newsagg.middlewares.content import looks_binary

    assert looks_binary(head) == reference_looks_binary(head)
