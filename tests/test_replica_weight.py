"""The replica's live-fidelity features: page weight, the ticker,
9-digit ids, and pages mixing two charsets. Rendered pages, no crawler."""

from __future__ import annotations

import re

import lxml.html
import pytest

from newsagg.middlewares.charset import decode_mixed
from newsagg.replica import Corpus
from newsagg.replica.chrome import FOREIGN_HEADLINES, ticker_headlines
from newsagg.replica.render import render, resolve
from newsagg.text import normalize_ws

HOST = "127.0.0.1:8000"


@pytest.fixture(scope="module")
def corpus():
    return Corpus("maghress", n_articles=240, seed=7)


def served(corpus: Corpus, target: str):
    return render(corpus, resolve(corpus, target), HOST)


def test_pages_weigh_tens_of_kilobytes(corpus):
    sizes = [len(served(corpus, corpus.path(i)).body) for i in range(0, len(corpus), 7)]
    assert min(sizes) >= 30_000 and max(sizes) <= 50_000, (min(sizes), max(sizes))
    for target in ("/fr/", f"/fr/{corpus.sources[0].slug}"):
        assert len(served(corpus, target).body) > 30_000
    html = served(corpus, corpus.path(10)).body.decode("utf-8", "replace")
    assert html.count("<script") >= 4 and html.count("<style") >= 2
    assert "Les plus lus" in html and "Lire aussi" in html and "Articles similaires" in html
    light = Corpus("maghress", n_articles=240, seed=7, heavy=False)
    assert len(served(light, light.path(10)).body) < 12_000


def test_ticker_is_long_mixed_and_shared_by_a_period(corpus):
    items = ticker_headlines(corpus, 1)
    texts = [t for _, t in items]
    assert 45 <= len(items) <= 55
    assert len([t for t in texts if t in FOREIGN_HEADLINES]) >= 4
    dated = [t for t in texts if re.search(r"\d{1,2} [a-zéû]+ (20\d\d|au)", t) and t not in FOREIGN_HEADLINES]
    assert len(dated) >= 4
    assert len([t for t in texts if t and not t.strip()]) >= 2  # blank items
    # The same ticker on every article of one period; link forms vary per page.
    pages = []
    for i in (5, 50, 120):
        doc = lxml.html.fromstring(decode_mixed(served(corpus, corpus.path(i)).body))
        box = doc.xpath("//marquee|//div[ul/li/span]")[0]  # a marquee of links, or a list
        shown = [normalize_ws(a.text_content()) for a in box.iter("a")]
        prefix = box.xpath("string(.//li/span)")
        pages.append([normalize_ws(prefix + shown[0])] + shown[1:])
    assert pages[0] == pages[1] == pages[2]
    assert re.match(r"\d{1,2} [a-zéû]+\.\. ", pages[0][0])
    assert "" in pages[0] and any(t.startswith("After the CJEU rulings") for t in pages[0])
    assert ticker_headlines(Corpus("maghress", n_articles=240, seed=7, edition=2), 2) != items


def test_some_sources_count_in_nine_digits():
    for n in (240, 100_000):
        c = Corpus("djazairess", n_articles=n, seed=3)
        lengths = {len(c.path(i).rsplit("/", 1)[1]) for i in range(len(c))}
        assert 9 in lengths and min(lengths) < 9 and max(lengths) == 9
        i = next(i for i in range(len(c)) if len(c.path(i).rsplit("/", 1)[1]) == 9)
        slug, aid = c.path(i).split("/")[2:]
        assert c.find(slug, aid) == i and served(c, c.path(i)).status == 200 if n == 240 else c.find(slug, aid) == i


@pytest.mark.parametrize("site", ["maghress", "djazairess", "turess"])
def test_mixed_pages_hold_both_charsets(site):
    c = Corpus(site, n_articles=240, seed=7)
    planted = [i for i in range(len(c)) if c.other_charset_paragraph(i) is not None]
    assert {c.flags(i)["encoding"] for i in planted} == {"utf-8", "windows-1252"}
    for i in planted:
        resp = served(c, c.path(i))
        assert resp.mixed
        art = c.article(i)
        para = normalize_ws(art.paragraphs[c.other_charset_paragraph(i)])
        declared = "cp1252" if art.encoding == "windows-1252" else "utf-8"
        # Read in its declared charset, the planted paragraph loses letters ...
        assert para not in normalize_ws(lxml.html.fromstring(resp.body.decode(declared, "replace")).text_content())
        # ... read fragment by fragment, every paragraph is whole.
        text = normalize_ws(lxml.html.fromstring(decode_mixed(resp.body, declared)).text_content())
        assert all(normalize_ws(p) in text for p in art.paragraphs) and normalize_ws(art.title) in text
    clean = next(i for i in range(len(c)) if i not in planted)
    assert not served(c, c.path(clean)).mixed
