"""Real crawls of live-weight replicas: pages of tens of KB with a ~50-headline
ticker (foreign-language, dated and blank items) and a block of older
headlines, inline scripts and styles, sidebars; pages mixing UTF-8 and
windows-1252 fragments; 9-digit ids; English and Spanish articles under a
French byline, ads set into bodies, bodies split over two content elements,
thumbnails on another host. Every record must equal the ground truth field by
field, its language included."""

from __future__ import annotations

import re
import urllib.request
from collections import Counter

import pytest
import pytest_twisted
from twisted.internet import defer

from newsagg.replica import Corpus, FaultPlan, ReplicaServer, expected_records, republication_groups
from newsagg.replica.chrome import DATED_HEADLINES, FOREIGN_HEADLINES
from newsagg.replica.generator import AD_BLOCK, AD_LINKS
from newsagg.replica.render_article import AD_TEXTS
from tests.crawling import compare_with_truth, crawl

SITES = ("maghress", "djazairess", "turess")


@pytest.fixture(scope="module", params=SITES)
def heavy_crawl(request, tmp_path_factory):
    """One crawl per site of a heavy 120-article replica (no faults: each page is served once)."""
    site = request.param
    server = ReplicaServer(Corpus(site, n_articles=120, seed=11, heavy=True), faults=FaultPlan.none())
    server.start()
    try:
        out = tmp_path_factory.mktemp(f"heavy-{site}")
        result = pytest_twisted.blockon(defer.ensureDeferred(crawl(site, out, base_url=server.base_url)))
        yield server, result
    finally:
        server.stop()


def test_every_record_exact(heavy_crawl):
    server, result = heavy_crawl
    truth = expected_records(server.corpus, server.base_url)
    groups = republication_groups(server.corpus, server.base_url)
    problems = compare_with_truth(result.items, truth, groups)
    assert not problems, "\n".join(problems[:40])
    assert len(result.items) == len(truth) - sum(len(g) - 1 for g in groups)


def test_mixed_pages_are_counted(heavy_crawl):
    server, result = heavy_crawl
    corpus = server.corpus
    planted = [i for i in range(len(corpus)) if corpus.other_charset_paragraph(i) is not None]
    # Both directions are planted: a windows-1252 paragraph in a UTF-8 page and the reverse.
    assert {corpus.flags(i)["encoding"] for i in planted} == {"utf-8", "windows-1252"}
    assert server.mixed_pages == {corpus.path(i) for i in planted}  # every planted page was served
    assert result.stats.get("newsagg/charset/mixed", 0) == len(server.mixed_pages)
    assert not any("\ufffd" in (it["body"] or "") + (it["title"] or "") for it in result.items)


def test_ticker_text_never_leaks(heavy_crawl):
    _server, result = heavy_crawl
    odd = [h for h in FOREIGN_HEADLINES] + [re.sub(r"\{\w+\}.*", "", h) for h in DATED_HEADLINES]
    for it in result.items:
        text = f"{it['title']}\n{it['body']}"
        assert not [h for h in odd if h in text], it["url"]
        assert not re.match(r"\d{1,2} [a-zéû]+\.\.", it["title"])


def test_every_shape_is_planted_and_read(heavy_crawl):
    """English and Spanish articles, ads inside bodies (both kinds), split legacy
    bodies: planted, each record's language the article's, no ad text in a body,
    the source link kept, languages counted (stats and summary)."""
    server, result = heavy_crawl
    corpus, base = server.corpus, server.base_url
    arts = [corpus.article(i) for i in range(len(corpus))]
    assert {a.language for a in arts} == {"fr", "en", "es"}
    assert {a.ad for a in arts} == {None, AD_BLOCK, AD_LINKS} and any(a.split for a in arts)
    by_url = {it["url"]: it for it in result.items}
    planted = [a for a in arts if (a.language != "fr" or a.ad) and base + a.path in by_url]
    assert len(planted) >= 6
    for a in planted:
        it = by_url[base + a.path]
        assert it["language"] == a.language, a.path
        assert it["original_url"] == a.original_url, a.path
    for it in result.items:
        assert not [t for t in AD_TEXTS if t in it["body"]], it["url"]
    counted = {k.rsplit("/", 1)[1]: v for k, v in result.stats.items() if k.startswith("newsagg/language/")}
    assert counted == dict(Counter(it["language"] for it in result.items))


def test_older_headlines_never_leak(heavy_crawl):
    """The block of older headlines after the ticker (dated the day the page was
    served) is on the pages, and in no title, body or date."""
    server, result = heavy_crawl
    page = urllib.request.urlopen(server.base_url + server.corpus.path(5)).read().decode("utf-8", "replace")
    day = re.search(r"Les titres du ([^<]+)</h3>", page)
    assert day and f"Programme TV du {day[1]}" in page
    for it in result.items:
        assert day[1] not in f"{it['title']}\n{it['body']}", it["url"]
        assert "Les titres du" not in it["body"]


def test_nine_digit_ids_are_crawled(heavy_crawl):
    _server, result = heavy_crawl
    ids = [it["article_id"] for it in result.items]
    assert any(len(i) == 9 for i in ids) and any(len(i) < 9 for i in ids)


def test_pages_have_live_weight(heavy_crawl):
    _server, result = heavy_crawl
    assert result.stats["downloader/response_bytes"] / result.stats["downloader/response_count"] > 25_000


@pytest_twisted.ensureDeferred
async def test_mixed_pages_through_chromium_stay_exact(tmp_path):
    """render=always: Chromium decodes one charset per page, so the document is
    repaired before it parses it (rendering/browser.py); still counted once each."""
    server = ReplicaServer(Corpus("djazairess", n_articles=120, seed=11), faults=FaultPlan.none())
    server.start()
    try:
        corpus, base = server.corpus, server.base_url
        paired = {p for pair in corpus.republication_pairs() + corpus.near_duplicate_pairs() for p in pair}
        planted = [
            i
            for i in range(len(corpus))
            if corpus.other_charset_paragraph(i) is not None and corpus.path(i) not in paired
        ]
        picks = [next(i for i in planted if corpus.flags(i)["encoding"] == enc) for enc in ("utf-8", "windows-1252")]
        clean = next(
            i
            for i in range(len(corpus))
            if i not in planted and corpus.path(i) not in paired and corpus.flags(i)["encoding"] == "windows-1252"
        )
        urls = [base + corpus.path(i) for i in picks + [clean]]
        result = await crawl("djazairess", tmp_path, base_url=base, render="always", urls=",".join(urls))
        truth = {t["url"]: t for t in expected_records(corpus, base)}
        assert sorted(it["url"] for it in result.items) == sorted(urls)
        for it in result.items:
            assert {k: v for k, v in it.items() if k != "crawled_at"} == truth[it["url"]]
        assert result.stats.get("newsagg/rendered/always") == 3
        assert result.stats.get("newsagg/charset/mixed") == len(server.mixed_pages) == 2
    finally:
        server.stop()


@pytest.mark.parametrize("render", ["never", "always"])
@pytest_twisted.ensureDeferred
async def test_thumbnails_on_another_host_are_never_fetched(render, tmp_path):
    """Thumbnails live on another host (``images2.<site>``), linked and shown on
    every article page: that host (a real second server) gets no request, from
    plain HTTP or from Chromium; the records are exact."""
    other = ReplicaServer(Corpus("djazairess", n_articles=12, seed=2), faults=FaultPlan.none())
    other.start()
    corpus = Corpus("djazairess", n_articles=40, seed=12, thumb_root=other.base_url + "/images2")
    server = ReplicaServer(corpus, faults=FaultPlan.none())
    server.start()
    try:
        base = server.base_url
        shown = urllib.request.urlopen(base + corpus.path(3)).read().decode("utf-8", "replace")
        assert f'src="{other.base_url}/images2/{corpus.path(3)[4:]}/thumb"' in shown
        args = {"base_url": base}
        if render == "always":  # three article pages through Chromium (images never load there)
            args.update(render="always", urls=",".join(base + corpus.path(i) for i in (3, 4, 5)))
        result = await crawl("djazairess", tmp_path, **args)
        assert other.request_log == []
        assert not [t for _, t in server.request_log if t.endswith("/thumb")]
        truth = expected_records(corpus, base)
        if render == "always":
            truth = [t for t in truth if t["url"] in args["urls"].split(",")]
            assert len(result.items) == 3
        groups = [] if render == "always" else republication_groups(corpus, base)
        problems = compare_with_truth(result.items, truth, groups)
        assert not problems, "\n".join(problems[:20])
    finally:
        server.stop()
        other.stop()
