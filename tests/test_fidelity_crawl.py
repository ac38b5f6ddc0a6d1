"""Real crawls of live-weight replicas (issue 11): pages of tens of KB with a
~50-headline ticker (foreign-language, dated and blank items), inline scripts
and styles, sidebars; pages mixing UTF-8 and windows-1252 fragments; 9-digit
ids. Every record must equal the ground truth field by field."""

from __future__ import annotations

import re

import pytest
import pytest_twisted
from twisted.internet import defer

from newsagg.replica import Corpus, FaultPlan, ReplicaServer, expected_records, republication_groups
from newsagg.replica.chrome import DATED_HEADLINES, FOREIGN_HEADLINES
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
