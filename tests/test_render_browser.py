"""JavaScript pages through real headless Chromium (Debian's, /usr/bin/chromium).

Not skipped when Chromium is missing: ``./run setup`` installs it (CI too).
The replica's scripted listings and articles must come out exact, through the
browser only where needed; ``render=never`` counts them; no browser at all is
one error and a crawl that goes on.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
import pytest_twisted
from scrapy import signals
from scrapy.utils.test import get_crawler
from twisted.internet import defer

from newsagg.items import FIELDS
from newsagg.replica import (
    Corpus,
    FaultPlan,
    ReplicaServer,
    expected_records,
    js,
    near_duplicate_pairs,
    republication_groups,
)
from tests.crawling import SPIDERS, CrawlResult, compare_with_truth, project_settings, read_csv, read_jsonl

SEED, N = 3, 80
RENDER_STATS = ("newsagg/rendered/", "playwright/", "newsagg/render/")


def browser_processes() -> list[psutil.Process]:
    """Chromium and Playwright-driver processes started by this test process."""
    found = []
    for proc in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if "chrom" in proc.name().lower() or any("playwright" in part for part in proc.cmdline()):
                found.append(proc)
        except psutil.Error:
            pass
    return found


async def crawl_watching(out_dir: Path, settings: dict | None = None, **args) -> SimpleNamespace:
    """A real crawl (like tests.crawling.crawl) that also watches for browser processes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jsonl, csvf = out_dir / "items.jsonl", out_dir / "items.csv"
    feeds = {str(jsonl): {"format": "jsonlines"}, str(csvf): {"format": "csv"}}
    crawler = get_crawler(SPIDERS["maghress"], project_settings(FEEDS=feeds, **(settings or {})))
    seen = {"max": 0, "at": 0.0}

    def sample(**_kw):
        now = time.monotonic()
        if now - seen["at"] > 0.2:
            seen["at"] = now
            seen["max"] = max(seen["max"], len(browser_processes()))

    crawler.signals.connect(sample, signal=signals.response_received)
    await crawler.crawl(**args)
    result = CrawlResult(
        read_jsonl(jsonl), read_csv(csvf), dict(crawler.stats.get_stats()), {"jsonl": jsonl, "csv": csvf}
    )
    return SimpleNamespace(result=result, stats=result.stats, items=result.items, browser_processes=seen["max"])


def _run(coro):
    return pytest_twisted.blockon(defer.ensureDeferred(coro))


@pytest.fixture(scope="module")
def site():
    """A scripted replica (80 articles: 2 scripted listings, ~15% scripted articles), no fault pages."""
    server = ReplicaServer(Corpus("maghress", n_articles=N, seed=SEED, js=True), faults=FaultPlan.none())
    server.start()
    corpus, base = server.corpus, server.base_url
    js_listing_keys = {
        Corpus.listing_path(corpus.source(slug), p)
        for slug in js.js_sources(corpus)
        for p in range(1, corpus.listing_page_count(slug) + 1)
    }
    js_article_keys = {corpus.path(i) for i in js.js_articles(corpus)}
    try:
        yield SimpleNamespace(
            server=server,
            corpus=corpus,
            base_url=base,
            truth=expected_records(corpus, base),
            groups=republication_groups(corpus, base),
            js_listing_keys=js_listing_keys,
            js_article_keys=js_article_keys,
            feed_slug=next(s for s, m in js.js_sources(corpus).items() if m == "feed"),
        )
    finally:
        server.stop()


async def crawl_site(site, out_dir: Path, settings: dict | None = None, **args):
    """Crawl *site* from a clean request log; also returns the requests per page key."""
    site.server.reset_state()
    run = await crawl_watching(out_dir, settings, base_url=site.base_url, **args)
    run.requests = Counter(site.server.request_counts)
    run.log = list(site.server.request_log)
    return run


@pytest.fixture(scope="module")
def auto_run(site, tmp_path_factory):
    # Small contexts: the hand-over to fresh browser contexts happens several times.
    return _run(crawl_site(site, tmp_path_factory.mktemp("render-auto"), {"NEWSAGG_RENDER_CONTEXT_PAGES": 4}))


@pytest.fixture(scope="module")
def never_run(site, tmp_path_factory):
    return _run(crawl_site(site, tmp_path_factory.mktemp("render-never"), render="never"))


def site_scripted_urls(site, with_source: bool = False) -> set[str]:
    """URLs of the scripted articles (and, *with_source*, of every article of a scripted listing)."""
    urls = {site.base_url + k for k in site.js_article_keys}
    if with_source:
        urls |= {t["url"] for t in site.truth if t["source_slug"] in js.js_sources(site.corpus)}
    return urls


def assert_exact_but_missing(items: list[dict], site) -> set[str]:
    """Items of a partial crawl are exact (field by field); returns the truth URLs not written.

    The truth is cut to what was written: a near-duplicate link to an article
    that was not crawled cannot be made.
    """
    written = {i["url"] for i in items}
    groups = [g for g in site.groups if set(g) & written]
    keep = written | {u for g in groups for u in g}
    truth = [
        {**t, "near_duplicate_of": t["near_duplicate_of"] if t["near_duplicate_of"] in written else None}
        for t in site.truth
        if t["url"] in keep
    ]
    problems = compare_with_truth(items, truth, groups)
    assert not problems, "\n".join(problems[:30])
    return {t["url"] for t in site.truth} - keep


# --- render=auto -----------------------------------------------------------------


def test_auto_scripted_articles_are_exact(auto_run, site):
    problems = compare_with_truth(auto_run.items, site.truth, site.groups)
    assert not problems, "\n".join(problems[:30])
    assert len(auto_run.items) == len(site.truth) - sum(len(g) - 1 for g in site.groups)
    # compare_with_truth checked them field by field; here: they are all there.
    written = {i["url"] for i in auto_run.items} | {u for g in site.groups for u in g}
    assert {site.base_url + k for k in site.js_article_keys} <= written
    assert {t["url"] for t in site.truth if t["source_slug"] in js.js_sources(site.corpus)} <= written
    assert len(auto_run.result.csv_rows) == len(auto_run.items)


def test_auto_renders_only_the_scripted_pages(auto_run, site):
    stats = auto_run.stats
    assert stats.get("newsagg/rendered/listing_no_links") == len(site.js_listing_keys)
    assert stats.get("newsagg/rendered/article_no_anchors") == len(site.js_article_keys)
    assert "newsagg/rendered/always" not in stats
    assert stats.get("playwright/request_count/navigation") == len(site.js_listing_keys) + len(site.js_article_keys)
    assert stats.get("newsagg/render/browser_launches") == 1
    assert not [k for k in stats if k.startswith("newsagg/pages_failed/render")]
    assert stats.get("newsagg/render/content_missing", 0) == stats.get("newsagg/render/content_timeout", 0) == 0
    # The replica's view: scripted pages twice (plain, then Chromium), every other page once.
    scripted = site.js_listing_keys | site.js_article_keys
    wrong = {
        key: n for key, n in auto_run.requests.items() if n != (2 if key in scripted else 1) and "/feed.json" not in key
    }
    assert not wrong, wrong
    assert scripted <= set(auto_run.requests)
    # The JSON endpoint is fetched by the browser only: once per page of the feed listing.
    feed_hits = [t for _, t in auto_run.log if "/feed.json" in t]
    assert (
        len(feed_hits)
        == site.corpus.listing_page_count(site.feed_slug)
        == stats.get("playwright/request_count/resource_type/fetch")
    )
    assert stats.get("playwright/request_count/aborted", 0) >= 1  # the logo image is never downloaded
    assert stats.get("playwright/page_count") == stats.get("playwright/page_count/closed")
    # Browser memory stays bounded: contexts are replaced every 4 pages, at most 2 open at once.
    rendered = len(site.js_listing_keys) + len(site.js_article_keys)
    assert stats.get("playwright/context_count") == -(-rendered // 4)
    assert stats.get("newsagg/render/contexts_recycled") == stats["playwright/context_count"] - 1
    assert stats.get("playwright/context_count/max_concurrent") <= 2
    assert auto_run.browser_processes > 0  # what test_no_js_page_no_browser checks is visible


# --- render=never ----------------------------------------------------------------


def test_never_counts_scripted_pages_as_not_rendered(never_run, site):
    stats = never_run.stats
    assert not [k for k in stats if k.startswith(RENDER_STATS)], "no browser with render=never"
    assert not [t for _, t in never_run.log if "/feed.json" in t]
    reached_listings = site.js_listing_keys & set(never_run.requests)
    reached_articles = site.js_article_keys & set(never_run.requests)
    assert reached_listings and reached_articles
    assert stats.get("newsagg/pages_failed/needs_render") == len(reached_listings) + len(reached_articles)
    assert "newsagg/pages_failed/no_article_no_byline" not in stats
    # Every item written is exact; what is missing is scripted (or only linked from a scripted listing).
    missing = assert_exact_but_missing(never_run.items, site)
    assert missing and missing <= site_scripted_urls(site, with_source=True)
    assert not site_scripted_urls(site) & {i["url"] for i in never_run.items}


# --- render=always ---------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_always_renders_every_page_and_stays_exact(site, tmp_path):
    paired = {u for pair in near_duplicate_pairs(site.corpus, site.base_url) for u in pair}
    paired |= {u for g in site.groups for u in g}
    alone = [t["url"][len(site.base_url) :] for t in site.truth if t["url"] not in paired]
    scripted = [k for k in alone if k in site.js_article_keys][:1]
    static = [k for k in alone if k not in site.js_article_keys][:3]
    urls = [site.base_url + k for k in scripted + static]
    dead = site.base_url + site.corpus.dead_paths[0]  # a 404 page: no content to wait for
    run = await crawl_site(site, tmp_path, render="always", urls=",".join(urls + [dead]))
    assert sorted(i["url"] for i in run.items) == sorted(urls)
    assert run.stats.get("newsagg/pages_failed/http_404") == 1
    assert not [k for k in run.stats if k.startswith("newsagg/pages_failed/") and "404" not in k]
    truth = {t["url"]: t for t in site.truth}
    for item in run.items:
        assert {f: item[f] for f in FIELDS if f != "crawled_at"} == {
            f: truth[item["url"]][f] for f in FIELDS if f != "crawled_at"
        }
    assert run.stats.get("newsagg/rendered/always") == len(urls)
    assert run.stats.get("playwright/request_count/navigation") == len(urls) + 1
    assert all(run.requests[k] == 1 for k in scripted + static)  # never fetched plain first


# --- no browser ------------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_no_browser_one_error_and_the_crawl_goes_on(site, tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("NEWSAGG_CHROMIUM", raising=False)
    caplog.set_level(logging.INFO, logger="newsagg.rendering")
    bogus = str(tmp_path / "no-such" / "chromium")
    run = await crawl_site(site, tmp_path / "out", settings={"NEWSAGG_CHROMIUM_PATH": bogus})
    # (The health check that flags the pages without a record logs its own ERROR: newsagg.monitoring.)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and not r.name.startswith("newsagg.monitoring")]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    message = errors[0].getMessage()
    assert bogus in message and "apt-get install -y chromium" in message and "playwright install chromium" in message
    stats = run.stats
    reached = (site.js_listing_keys | site.js_article_keys) & set(run.requests)
    assert stats.get("newsagg/pages_failed/render_unavailable") == len(reached) > 0
    assert stats.get("newsagg/render/unavailable") == 1
    assert "newsagg/render/browser_launches" not in stats and "playwright/browser_count" not in stats
    assert run.browser_processes == 0
    # The static part of the site is crawled, exact.
    missing = assert_exact_but_missing(run.items, site)
    assert missing <= site_scripted_urls(site, with_source=True)
    assert not site_scripted_urls(site) & {i["url"] for i in run.items}


# --- laziness --------------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_no_js_page_no_browser(make_replica, tmp_path):
    """A site without scripted pages: Playwright and Chromium are never started."""
    rep = make_replica(n_articles=40, seed=5, faults=FaultPlan.none())
    run = await crawl_watching(tmp_path, base_url=rep.base_url)
    assert not compare_with_truth(run.items, rep.truth, rep.republication_groups)
    assert not [k for k in run.stats if k.startswith(RENDER_STATS)], "the browser was started"
    assert run.browser_processes == 0
    assert not browser_processes()


# --- a browser fetch that times out ------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_navigation_timeout_is_counted_as_render_timeout(tmp_path):
    """A scripted article whose browser fetch gets no answer in time:
    ``render_timeout``, the page lost, the rest of the crawl exact."""
    corpus = Corpus("maghress", n_articles=N, seed=SEED, js=True)
    paired = {p for pair in corpus.republication_pairs() + corpus.near_duplicate_pairs() for p in pair}
    scripted = next(corpus.path(i) for i in js.js_articles(corpus) if corpus.path(i) not in paired)
    static = next(
        corpus.path(i)
        for i in range(len(corpus))
        if corpus.path(i) not in paired and i not in set(js.js_articles(corpus))
    )
    # The plain fetch (1st request) shows no article; the browser's (2nd) never answers in time.
    plan = FaultPlan(slow_seconds=5.0).add_matcher(
        lambda key, count: "slow" if key == scripted and count >= 2 else None
    )
    server = ReplicaServer(corpus, faults=plan)
    server.start()
    try:
        base = server.base_url
        run = await crawl_watching(
            tmp_path,
            {"PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 1000},
            base_url=base,
            urls=f"{base}{scripted},{base}{static}",
        )
        truth = {t["url"]: t for t in expected_records(corpus, base)}
    finally:
        server.stop()
    failed = {k: v for k, v in run.stats.items() if k.startswith("newsagg/pages_failed/")}
    assert failed == {"newsagg/pages_failed/render_timeout": 1}, failed
    assert [i["url"] for i in run.items] == [base + static]
    item = run.items[0]
    assert {f: item[f] for f in FIELDS if f != "crawled_at"} == {
        f: truth[base + static][f] for f in FIELDS if f != "crawled_at"
    }
    assert server.request_counts[scripted] >= 2  # plain, then the browser's
