"""NestingMiddleware's pre-check: it skips only pages where no run of empty opening tags can be.

The regex (``NEWSAGG_MAX_TAG_RUN`` consecutive opening tags with only
whitespace between) is the definition; ``_may_have_run`` must be true on every
page the regex would change, so skipping never changes a response.
"""

from __future__ import annotations

import random

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from newsagg.middlewares.nesting import NestingMiddleware
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
