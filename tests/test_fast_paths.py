"""Every fast path gives exactly what the plain code it stands for gives."""

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

    if not head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return sum(1 for b in head if b < 32 and b not in _TEXT_CONTROLS) > len(head) // 50


@given(
    st.binary(max_size=300)
    | st.lists(st.sampled_from([b"<p>", b"\x01", b"\x00", b"\x1b", b"\t", b"\x7f", b"\xe9"])).map(b"".join)
)
def test_looks_binary_equals_the_loop_version(head):
    from newsagg.middlewares.content import looks_binary

    assert looks_binary(head) == reference_looks_binary(head)


def test_every_white_space_but_the_space_is_unprintable():
    # normalize_ws returns a stripped printable text with no double space as is: it rests on this.
    assert [hex(i) for i in range(sys.maxunicode + 1) if chr(i).isspace() and chr(i).isprintable()] == ["0x20"]


# -- linearize: the fast walk gives what a plain iterwalk gives -------------------------------------


def reference_linearize(root) -> list:
    """linearize as a plain iterwalk: every event through the tag sets, a chrome flag per element."""
    from lxml import etree

    from newsagg.pages.blocks import BLOCK_TAGS, SKIP_TAGS, Block, _chrome

    blocks, runs, href_stack, chrome_stack = [], [], [], []
    chrome_depth, href = 0, None

    def flush():
        text = normalize_ws("".join([t for t, _ in runs]))
        if text:
            hrefs = list(dict.fromkeys([h for t, h in runs if h and t.strip()]))
            link_chars = sum([len(t.replace(" ", "").strip()) for t, h in runs if h])
            blocks.append(Block(text, link_chars, hrefs, chrome_depth > 0, chrome_depth))
        runs.clear()

    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            tag = el.tag.lower()
            if tag in SKIP_TAGS and el is not root:
                walker.skip_subtree()
                continue
            if tag == "br":
                if runs:
                    flush()
                continue
            if tag in BLOCK_TAGS and runs:
                flush()
            chrome = _chrome(tag, el.get("class"), el.get("id"), el.get("role"))
            chrome_stack.append(chrome)
            chrome_depth += chrome
            if tag == "a":
                href = (el.get("href") or "").strip() or None
                href_stack.append(href)
            if el.text:
                runs.append((el.text, href))
            continue
        if event == "end":
            tag = el.tag.lower()
            if not ((tag in SKIP_TAGS and el is not root) or tag == "br"):
                if tag == "a" and href_stack:
                    href_stack.pop()
                    href = href_stack[-1] if href_stack else None
                if tag in BLOCK_TAGS and runs:
                    flush()
                if chrome_stack:
                    chrome_depth -= chrome_stack.pop()
        if el.tail:
            runs.append((el.tail, href))
    if runs:
        flush()
    return blocks


def _same_walk(html: bytes) -> None:
    from lxml import html as lxml_html

    from newsagg.pages.aggregator import _HREFS
    from newsagg.pages.blocks import linearize

    root = HtmlResponse("http://127.0.0.1:8000/fr/x/1", body=html, encoding="utf-8").selector.root
    hrefs, titles = [], []
    assert linearize(root, hrefs, titles) == reference_linearize(root)
    assert hrefs == _HREFS(root) == [a.get("href") for a in root.iter("a") if a.get("href") is not None]
    assert titles == root.xpath("//title//text()")
    # The parser's own classes again after the walk.
    assert all(isinstance(el, lxml_html.HtmlMixin) for el in root.iter() if isinstance(el.tag, str))


def test_linearize_equals_the_reference_on_the_saved_pages():
    from pathlib import Path

    pages = sorted((Path(__file__).parent / "pages").glob("*.html"))
    assert pages
    for path in pages:
        _same_walk(path.read_bytes())


_PIECES = st.sampled_from(
    [
        "<div>",
        "</div>",
        "<DIV class='x'>",
        "<p>",
        "</p>",
        "<li>",
        "</li>",
        "<ul>",
        "</ul>",
        "<span>",
        "</span>",
        "<b>",
        "</b>",
        "<a href=' /fr/a/1 '>",
        "<a href='/fr/author/x'>",
        "<A HREF='/fr/b/2'>",
        "<a>",
        "<a href=''>",
        "</a>",
        "<br>",
        "<BR/>",
        "<hr>",
        "<nav>",
        "</nav>",
        "<aside class='sidebar'>",
        "</aside>",
        "<div id='menu'>",
        "<div role='banner'>",
        "<span class='share'>",
        "<footer>",
        "</footer>",
        "<script>var a = '<a href=\"/fr/s/3\">';</script>",
        "<noscript><a href='/fr/n/4'>n</a><title>t2</title></noscript>",
        "<button><a href='/fr/c/5'>b</a></button>",
        "<svg><title>svg title</title><a href='/fr/v/6'>v</a></svg>",
        "<title>Doc <b>title</b></title>",
        "<head><title>Head</title></head>",
        "<!-- c -->",
        "<?pi x?>",
        "<table><tr><td>cell</td></tr></table>",
        "text",
        "Publié dans X le 01 - 02 - 2024",
        " ",
        "\n  ",
        "\u00a0",
        "\u200b",
        "é",
        "a\u00adb",
    ]
)


@given(st.lists(_PIECES, max_size=25).map("".join))
def test_linearize_equals_the_reference_on_any_markup(body):
    _same_walk(f"<html><body>{body}</body></html>".encode())


def test_normalize_ws_tests_the_characters_that_str_split_keeps():
    # normalize_ws looks for these with `in`; _NOT_ISSPACE is their definition.
    from newsagg.text import _NOT_ISSPACE

    kept = {chr(i) for i in range(sys.maxunicode + 1) if _NOT_ISSPACE.fullmatch(chr(i))}
    assert kept == {"\xad", "\u200b", "\ufeff", "\u200c", "\u200d", "\u2060"}


def reference_article_hrefs_below(root) -> dict:
    """_article_hrefs_below, plainly: every ancestor of every article link gets the exact set."""
    from newsagg.pages.aggregator import _ARTICLE_HREF

    below: dict = {}
    for a in root.iter("a"):
        h = a.get("href")
        if h is None or "/fr/" not in h or not _ARTICLE_HREF.search(h):
            continue
        el = a.getparent()
        while el is not None:
            below.setdefault(el, set()).add(h)
            el = el.getparent()
    return below


_LISTING_PIECES = st.sampled_from(
    ["<ul>", "</ul>", "<li>", "</li>", "<div>", "</div>", "<span>12 - 03 - 2024</span>", "x"]
    + [f"<a href='/fr/s/{i}'>t{i}</a>" for i in range(4)]
    + ["<a href='/fr/s'>listing</a>", "<a href='/fr/author/a'>A</a>"]
)


@given(st.lists(_LISTING_PIECES, max_size=30).map("".join))
def test_article_hrefs_below_answers_like_the_exact_sets(body):
    from newsagg.pages.aggregator import _article_hrefs_below

    root = HtmlResponse("http://127.0.0.1:8000/fr/s", body=f"<html><body>{body}</body></html>".encode()).selector.root
    ref, new = reference_article_hrefs_below(root), _article_hrefs_below(root)
    assert new.keys() == ref.keys()
    for el, hrefs in ref.items():
        assert (len(new[el]) > 1) == (len(hrefs) > 1)
        if len(hrefs) == 1:
            assert new[el] == hrefs
