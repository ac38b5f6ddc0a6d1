"""Redirects crawled for real: ``<meta http-equiv="refresh">`` pages
(``GuardedMetaRefreshMiddleware``) and redirect chains longer than
``REDIRECT_MAX_TIMES`` (``too_many_redirects``).

The replica serves them through fault handlers registered here (its
documented extension point, newsagg/replica/faults.py); each applies to two
article pages that are no member of a republication or near-duplicate pair,
so every other article must come out exact.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet import defer

from newsagg.replica import Corpus, FaultPlan
from newsagg.replica.faults import HANDLERS, raw_response, register
from newsagg.stats import PAGES_FAILED
from tests.crawling import compare_with_truth, crawl

N_ARTICLES, SEED = 40, 61
MAX_REDIRECTS = 5  # settings.py REDIRECT_MAX_TIMES


def refresh_page(url: str) -> bytes:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0; url={url}"><title>Redirection</title></head>'
        "<body><p>Redirection en cours…</p></body></html>\n"
    ).encode()


async def meta_refresh_once(ctx) -> bool:
    """A refresh to the same page with a tracking query (rule: first request only)."""
    return await ctx.send(200, "text/html; charset=utf-8", refresh_page(ctx.key + "?via=refresh"))


async def meta_refresh_loop(ctx) -> bool:
    """``/a`` refreshes to ``/a?loop=1``, which refreshes back to ``/a``."""
    target = ctx.key if "loop=1" in ctx.target else ctx.key + "?loop=1"
    return await ctx.send(200, "text/html; charset=utf-8", refresh_page(target))


async def meta_refresh_offsite(ctx) -> bool:
    """A refresh to the same path on another host."""
    return await ctx.send(200, "text/html; charset=utf-8", refresh_page(ctx.plan.other_host + ctx.key))


async def redirect_chain(ctx) -> bool:
    """302 to ``?hop=N+1``, for ever: every URL new (no loop), the chain endless."""
    hop = int(ctx.target.rsplit("hop=", 1)[1]) if "hop=" in ctx.target else 0
    return await raw_response(ctx, 302, [("Location", f"{ctx.key}?hop={hop + 1}"), ("Content-Type", "text/html")])


FAULTS = {
    "test_meta_refresh_once": (meta_refresh_once, 1),
    "test_meta_refresh_loop": (meta_refresh_loop, None),
    "test_meta_refresh_offsite": (meta_refresh_offsite, None),
    "test_redirect_chain": (redirect_chain, None),
}


@pytest.fixture(scope="module")
def redirect_run(make_replica_module, tmp_path_factory):
    corpus = Corpus("maghress", n_articles=N_ARTICLES, seed=SEED)
    # Article pages outside republication/near-duplicate pairs, two per fault.
    picked = FaultPlan.for_modes(corpus, ["redirect_loop", "redirect_offsite", "not_html", "garbage"], per_mode=2)
    keys = dict(zip(FAULTS, picked.assigned.values(), strict=True))
    plan = FaultPlan()
    for name, (handler, times) in FAULTS.items():
        register(name)(handler)
        for key in keys[name]:
            plan.add(key, name, times=times)
    try:
        r = make_replica_module(n_articles=N_ARTICLES, seed=SEED, faults=plan)
        result = pytest_twisted.blockon(
            defer.ensureDeferred(crawl("maghress", tmp_path_factory.mktemp("redirects"), base_url=r.base_url))
        )
    finally:
        for name in FAULTS:
            HANDLERS.pop(name, None)
    return r, keys, result


def failed(stats) -> dict:
    return {k[len(PAGES_FAILED) + 1 :]: v for k, v in stats.items() if k.startswith(PAGES_FAILED + "/")}


def test_every_other_article_exact(redirect_run):
    r, keys, result = redirect_run
    lost = {r.base_url + k for name in FAULTS if name != "test_meta_refresh_once" for k in keys[name]}
    truth = [t for t in r.truth if t["url"] not in lost]
    problems = compare_with_truth(result.items, truth, r.republication_groups)
    assert not problems, "\n".join(problems[:20])
    assert result.stats["finish_reason"] == "finished"
    # 6 of ~50 pages fail on purpose: the failed-pages health check says so (one ERROR line), nothing else does.
    assert result.stats.get("newsagg/health/failed_checks") == 1
    assert result.stats.get("log_count/ERROR", 0) == 1


def test_meta_refresh_to_the_same_site_is_followed(redirect_run):
    r, keys, result = redirect_run
    got = {i["url"] for i in result.items}
    for key in keys["test_meta_refresh_once"]:
        assert r.base_url + key in got  # exact: test_every_other_article_exact
        assert r.server.request_counts[key] == 2  # the refresh page, then the article
    assert ("GET", keys["test_meta_refresh_once"][0] + "?via=refresh") in r.server.request_log


def test_meta_refresh_loop_and_offsite_fail_with_their_reason(redirect_run):
    r, keys, result = redirect_run
    reasons = failed(result.stats)
    assert reasons.get("redirect_loop") == 2 and reasons.get("offsite_redirect") == 2, reasons
    for key in keys["test_meta_refresh_loop"]:
        assert r.server.request_counts[key] == 2  # a, a?loop=1 (-> a: a loop, not requested again)
    for key in keys["test_meta_refresh_offsite"]:
        assert r.server.request_counts[key] == 1
    # Nothing went to the other host: every request Scrapy made reached the replica.
    assert result.stats["downloader/request_count"] == len(r.server.request_log)


def test_endless_redirect_chain_is_too_many_redirects(redirect_run):
    r, keys, result = redirect_run
    reasons = failed(result.stats)
    assert reasons.get("too_many_redirects") == 2, reasons
    assert set(reasons) <= {"redirect_loop", "offsite_redirect", "too_many_redirects", "http_404"}, reasons
    for key in keys["test_redirect_chain"]:
        assert r.server.request_counts[key] == MAX_REDIRECTS + 1  # the page, then 5 redirects followed
