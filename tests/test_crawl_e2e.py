"""End-to-end: the real spider crawls the replica over HTTP; every item must
equal the replica's ground truth field by field (except crawled_at)."""

from __future__ import annotations

import re
import urllib.request
from collections import Counter

import pytest
import pytest_twisted
from twisted.internet import defer

from newsagg.items import FIELDS
from tests.crawling import compare_with_truth, crawl

ARTICLE_PATH = re.compile(r"^/fr/[a-z0-9]+/\d+$")


@pytest.fixture(scope="module")
def full_crawl(replica, tmp_path_factory):
    """One full crawl of the default replica, shared by the tests below."""
    out = tmp_path_factory.mktemp("e2e")
    replica.server.reset_state()  # the replica is shared: once-faults fire again, the log is this crawl's
    result = pytest_twisted.blockon(defer.ensureDeferred(crawl("maghress", out, base_url=replica.base_url)))
    result.requests = list(replica.server.request_log)
    return result


def test_every_article_exact_and_once(full_crawl, replica):
    problems = compare_with_truth(full_crawl.items, replica.truth, replica.republication_groups)
    assert not problems, "\n".join(problems[:40])
    expected = len(replica.truth) - sum(len(g) - 1 for g in replica.republication_groups)
    assert len(full_crawl.items) == expected


def test_csv_reads_back_like_jsonl(full_crawl):
    assert len(full_crawl.csv_rows) == len(full_crawl.items)
    by_url = {r["url"]: r for r in full_crawl.csv_rows}
    for item in full_crawl.items:
        row = by_url[item["url"]]
        for f in FIELDS:
            want = "" if item[f] is None else str(item[f])
            assert row[f] == want, (item["url"], f)


def test_drops_and_failures_are_counted(full_crawl, replica):
    stats = full_crawl.stats
    groups = replica.republication_groups
    assert stats.get("newsagg/items_dropped/duplicate_content", 0) == sum(len(g) - 1 for g in groups)
    assert stats.get("newsagg/pages_failed/http_404", 0) >= 1
    assert stats.get("retry/count", 0) >= 1  # the pages that answer 500 once
    dateless = [t for t in replica.truth if t["published_raw"] is None]
    impossible = [t for t in replica.truth if t["published_raw"] and t["published_at"] is None]
    # Both kinds are planted in the default replica: the counts cannot pass on an empty list.
    assert stats.get("newsagg/dates/missing", 0) >= len(dateless) > 0
    assert stats.get("newsagg/dates/impossible", 0) >= len(impossible) > 0


def test_nothing_requested_outside_scope(full_crawl, replica):
    paths = [p for _, p in full_crawl.requests]
    assert not [p for p in paths if p.startswith("/fr/print/")], "robots.txt disallows /fr/print/"
    assert all(p.startswith("/fr") or p == "/robots.txt" for p in paths), "only /fr/ pages are crawled"
    # Canonical links: tracking queries dropped, no article requested twice
    # (except the pages that answer 500 once, fetched again by the retry).
    article_paths = [p for p in paths if ARTICLE_PATH.match(p.split("?", 1)[0])]
    assert article_paths
    assert not [p for p in article_paths if "?" in p]
    twice = {p for p, n in Counter(article_paths).items() if n > 1}
    assert twice <= set(replica.corpus.error_once_paths), sorted(twice)
    # The pages do link articles with tracking queries (else the check above tests nothing).
    with urllib.request.urlopen(f"{replica.base_url}/fr/", timeout=30) as resp:
        home = resp.read().decode("utf-8")
    assert re.search(r'href="[^"]*/fr/[a-z0-9]+/\d+\?utm_source=', home)


@pytest_twisted.ensureDeferred
async def test_sources_and_max_pages(replica, tmp_path):
    slug = replica.truth[0]["source_slug"]
    result = await crawl("maghress", tmp_path, base_url=replica.base_url, sources=slug, max_pages="1")
    assert result.items and all(i["source_slug"] == slug for i in result.items)
    assert result.stats.get("newsagg/listings/stopped_max_pages", 0) == 1
    exact = {t["url"]: t for t in replica.truth}
    for item in result.items:
        assert {f: item[f] for f in FIELDS if f != "crawled_at"} == {
            f: exact[item["url"]][f] for f in FIELDS if f != "crawled_at"
        }


@pytest_twisted.ensureDeferred
async def test_urls_argument_fetches_only_those(replica, tmp_path):
    wanted = [t["url"] for t in replica.truth[:3]]
    result = await crawl("maghress", tmp_path, base_url=replica.base_url, urls=",".join(wanted))
    assert sorted(i["url"] for i in result.items) == sorted(wanted)
    assert result.stats.get("newsagg/pages/home", 0) == 0


@pytest_twisted.ensureDeferred
async def test_since_until_window(replica, tmp_path):
    dated = sorted({t["published_at"][:10] for t in replica.truth if t["published_at"]})
    since, until = dated[len(dated) // 3], dated[2 * len(dated) // 3]
    result = await crawl("maghress", tmp_path, base_url=replica.base_url, since=since, until=until)
    got = {i["url"] for i in result.items}
    in_window = {t["url"] for t in replica.truth if t["published_at"] and since <= t["published_at"][:10] <= until}
    groups = {u: tuple(g) for g in replica.republication_groups for u in g}
    # Each in-window article is present (or, for a republication, one of its group).
    for url in in_window:
        assert url in got or (url in groups and set(groups[url]) & got), url
    assert got <= in_window
    assert result.stats.get("newsagg/items_dropped/out_of_window", 0) > 0
    assert result.stats.get("newsagg/listings/stopped_since", 0) > 0  # pagination stopped early


@pytest.mark.parametrize("defer_side_links", [True, False], ids=["deferred", "at-once"])
@pytest_twisted.ensureDeferred
async def test_side_links_deferred_or_followed_at_once(make_replica, tmp_path, defer_side_links):
    """Side links are deferred, except in a distributed worker (``NEWSAGG_DISTRIBUTED``):
    either way every article comes out exact and once; only the deferred crawl
    parks side links until the spider is idle."""
    r = make_replica(n_articles=80, seed=21)
    result = await crawl(
        "maghress", tmp_path, settings={"NEWSAGG_DISTRIBUTED": not defer_side_links}, base_url=r.base_url
    )
    problems = compare_with_truth(result.items, r.truth, r.republication_groups)
    assert not problems, "\n".join(problems[:40])
    assert len(result.items) == len(r.truth) - sum(len(g) - 1 for g in r.republication_groups)
    deferred = result.stats.get("newsagg/side_links/deferred", 0)
    assert (deferred > 0) if defer_side_links else (deferred == 0), deferred
    assert ("newsagg/side_links/requested" in result.stats) == defer_side_links
    # Each article fetched once either way (the dupefilter and the requested set agree).
    articles = [p.split("?", 1)[0] for _, p in r.server.request_log if ARTICLE_PATH.match(p.split("?", 1)[0])]
    twice = {p for p, n in Counter(articles).items() if n > 1}
    assert twice <= set(r.corpus.error_once_paths), sorted(twice)
