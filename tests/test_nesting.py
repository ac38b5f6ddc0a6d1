"""NestingMiddleware: runs of empty opening tags, and nesting beyond the parser's limit.

The regex (``MAX_TAG_RUN`` consecutive opening tags with only
whitespace between) is the definition of a run; ``_may_have_run`` must be
true on every page the regex would change, so skipping never changes a
response. Deeper nesting with text in it is capped (``cap_depth``): lxml is
the judge of what a parser keeps, before and after.
"""

from __future__ import annotations

import random

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from newsagg.failures import PageFailed
from newsagg.middlewares import nesting
from newsagg.middlewares.nesting import NestingMiddleware, cap_depth, too_deep
from newsagg.replica import Corpus
from newsagg.replica.render import render, resolve

RUN = 16


def _mw(run: int = RUN) -> NestingMiddleware:
    return NestingMiddleware(get_crawler().stats, run)


def _response(body: bytes) -> HtmlResponse:
    return HtmlResponse("http://127.0.0.1/fr/x/1", body=body, encoding="utf-8")


@pytest.mark.parametrize(
    ("body", "flattened"),
    [
        (b"<html><body>" + b"<div>" * RUN + b"text</body></html>", True),
        (b"<html><body>" + b'<div class="a b">\n ' * (RUN + 5) + b"x</body></html>", True),
        (b"<html><body>" + b"<div>" * (RUN - 3) + b"text</body></html>", False),
        (b"<html><body>" + b"<div>x" * (RUN * 3) + b"</body></html>", False),  # text between the tags
        (b"<html><body>" + b"<div>" * 8 + b"</div>" + b"<div>" * 10 + b"</body></html>", False),  # an end tag
        (b"<p>" + b"<br>" * (RUN * 2) + b"</p>", True),
    ],
)
def test_runs_flattened_or_left(body, flattened):
    mw = _mw()
    resp = _response(body)
    out = mw.process_response(Request(resp.url), resp)
    assert (out is not resp) is flattened
    assert mw.pattern.search(body) is not None if flattened else mw.pattern.search(body) is None


def test_precheck_never_skips_a_page_the_regex_changes():
    rng = random.Random(7)
    pieces = [b"<div>", b'<span class="s">', b"</div>", b"</span>", b"txt", b" ", b"\n", b"<br/>", b"<!-- c -->"]
    mw = _mw(8)
    for _ in range(3000):
        body = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        if mw.pattern.search(body):
            assert mw._may_have_run(body), body


def test_replica_pages_skip_the_regex():
    corpus = Corpus("maghress", n_articles=30, seed=3)
    mw = _mw(256)
    paths = ["/fr/", *(corpus.path(i) for i in range(len(corpus)))]
    for path in paths:
        page = render(corpus, resolve(corpus, path), "127.0.0.1").body
        assert mw.pattern.search(page) is None and not mw._may_have_run(page)


def test_precheck_finds_runs_of_the_shortest_tags_at_any_offset():
    """A run of 3-byte tags is the shortest stretch the window argument must catch."""
    mw = _mw(RUN)
    for offset in range(0, 3 * mw.window):
        for filler in (b"x", b"</i>", b"<br>"):
            body = filler * offset + b"<b>" * RUN + b"</b>" + filler * 5
            assert mw.pattern.search(body) is not None
            assert mw._may_have_run(body), (offset, filler)
            short = filler * offset + b"<b>" * (RUN - 1) + b"</b>"
            assert mw.pattern.search(short) is None or mw._may_have_run(short)


def test_precheck_never_skips_a_long_page_the_regex_changes():
    rng = random.Random(11)
    pieces = [b"<b>", b"<div>", b'<span class="s">', b"</div>", b"</b>", b"txt", b" ", b"\n", b"<br/>", b"<", b"</"]
    tags = [b"<b>", b"<i>\n", b'<div class="x">  ', b"<br />"]
    mw = _mw(RUN)
    found = 0
    for _ in range(2000):
        weights = [rng.random() for _ in pieces]
        noise = [b"".join(rng.choices(pieces, weights, k=rng.randint(0, 200))) for _ in range(2)]
        run = b"".join(rng.choices(tags, k=rng.randint(RUN - 3, RUN + 3)))
        body = noise[0] + run + noise[1] if rng.random() < 0.7 else noise[0] + noise[1]
        if mw.pattern.search(body):
            found += 1
            assert mw._may_have_run(body), body
    assert found > 500  # the test does meet runs


# --- nesting deeper than the parser's limit, with text in it ------------------------------------------

_TAIL = b'<p>La suite <b>du texte</b>.</p><p class="source"><a href="https://www.lematin.ma/x">Cliquez ici</a></p>'


def _doc(middle: bytes) -> bytes:
    return (
        b'<html><body><div class="post"><h1>Titre</h1><p>Premier paragraphe.</p>'
        + middle
        + _TAIL
        + b"</div></body></html>"
    )


DEEP = {
    "wrappers holding words": b"<div><b class=ad>pub</b>\n" * 3000,
    "one word per span": b"<span>mot " * 2500,
    "closed, but 3000 deep": b"<div>x" * 3000 + b"</div>" * 3000,
    "paragraphs in unclosed divs": b"<div><p>para</p>" * 2200,
    "scripts holding tags": b'<div><script>var s = "<div><div><div>";</script>x' * 2200,
    "comments between": b"<div><!-- item -->" * 3000,
    "tables": b"<table><tr><td>cell" * 800,
}


def _words(body: bytes) -> list[bytes]:
    """The text of *body* as lxml keeps it (parsel's parser), word by word, scripts aside."""
    from lxml import etree

    root = etree.fromstring(body, etree.HTMLParser(huge_tree=True))
    for script in root.iter("script"):
        script.text = ""
    return " ".join(root.itertext()).encode().split()


@pytest.mark.parametrize("shape", list(DEEP))
def test_nesting_beyond_the_parser_is_capped_and_keeps_every_word(shape):
    body = _doc(DEEP[shape])
    lost = _words(body)
    assert too_deep(body) and b"suite" not in lost  # lxml alone cuts the end of the page
    capped, moved = cap_depth(body)
    assert moved and not too_deep(capped)
    words = _words(capped)
    # Every word of the page, in order: the markup's words without the tags (scripts aside).
    import re

    text = re.sub(rb"<script>.*?</script>|<!--.*?-->|<[^>]*>", b" ", body, flags=re.S)
    assert words == text.split()
    # The article's own structure after the chain is intact: its paragraphs and link.
    from lxml import etree

    root = etree.fromstring(capped, etree.HTMLParser(huge_tree=True))
    assert [" ".join("".join(p.itertext()).split()) for p in root.iter("p")][-2:] == [
        "La suite du texte.",
        "Cliquez ici",
    ]
    assert root.xpath("//a/@href")[-1] == "https://www.lematin.ma/x"


def test_middleware_caps_counts_and_fails_what_it_cannot_fix(monkeypatch):
    mw = _mw(256)
    body = _doc(DEEP["wrappers holding words"])
    out = mw.process_response(Request("http://127.0.0.1/fr/x/1"), _response(body))
    assert out.body == cap_depth(body)[0] and mw.stats.get_value("newsagg/html/depth_capped") == 1
    # A page the cap does not bring under the limit fails loudly, never parsed half.
    monkeypatch.setattr(nesting, "cap_depth", lambda body: (body, 1))
    with pytest.raises(PageFailed) as exc:
        mw.process_response(Request("http://127.0.0.1/fr/x/1"), _response(body))
    assert exc.value.reason == "too_deep"


def test_pages_of_normal_depth_are_left_alone():
    corpus = Corpus("maghress", n_articles=30, seed=3)
    mw = _mw(256)
    for path in ["/fr/", *(corpus.path(i) for i in range(len(corpus)))]:
        page = render(corpus, resolve(corpus, path), "127.0.0.1").body
        resp = _response(page)
        assert mw.process_response(Request(resp.url), resp) is resp
        assert cap_depth(page) == (page, 0)
    # 600 levels: deeper than the cap, within the parser's limit: not touched.
    body = _doc(b"<div>x" * 600)
    assert not too_deep(body) and mw.process_response(Request("http://127.0.0.1/"), _response(body)).body == body
