"""Every fault mode of the replica (newsagg.replica.faults.MODES), crawled for real.

One small replica per mode, faults on 2 article pages (plus a listing page
for the recoverable 5xx/429 modes; the last listing page of 2 sources for the
pagination modes). Each test checks: the crawl finishes without an error,
recoverable articles are exact vs the ground truth, each unrecoverable page
(or refused link) is counted once under its reason in the stats and in the
end-of-crawl summary, the health checks see every lost article page, and
faulted pages were requested as often as retrying makes sense (no pointless
retries, Retry-After honoured). Modes with more to show have their own
check in :data:`ALSO` (nothing sent that must not be, no browser started).
"""

from __future__ import annotations

import itertools
import logging
import re

import pytest
import pytest_twisted

from newsagg.failures import site_broken
from newsagg.monitoring.checks import NO_RECORD
from newsagg.replica import Corpus, FaultPlan
from newsagg.replica.faults import MODES
from newsagg.stats import PAGES_FAILED
from tests.crawling import compare_with_truth, crawl

N_ARTICLES = 30
PER_PAGE = 4  # listing pages beyond the first, for the listing-page faults
RETRY_TIMES = 3  # settings.py
# Handler knobs: small so that each test takes a second or two.
KNOBS = {"slow_seconds": 6.0, "oversize_bytes": 600_000, "retry_after": 1, "chain_pages": 12}
SETTINGS = {
    "DOWNLOAD_MAXSIZE": 200_000,
    "DOWNLOAD_WARNSIZE": 0,
    "NEWSAGG_RETRY_AFTER_MAX": 2,
    "RETRY_TIMES": RETRY_TIMES,
}
PER_MODE = {
    "slow_once": {"DOWNLOAD_TIMEOUT": 3},
    "slow": {"DOWNLOAD_TIMEOUT": 3, "RETRY_TIMES": 1},
    "status_429_always": {"RETRY_TIMES": 1},
}
PLAN_KNOBS = {"status_429_always": {"retry_after": 3600}}  # longer than NEWSAGG_RETRY_AFTER_MAX: capped
RETRIED = {"slow", "reset", "truncated", "status_429_always"}  # unrecoverable, but worth retrying


def _no_browser(stats, server):
    """Chromium never started: nothing rendered, no Playwright request."""
    assert "newsagg/render/browser_launches" not in stats, stats
    assert not [k for k in stats if k.startswith(("newsagg/rendered/", "playwright/"))], stats


def _never_sent(test):
    """No request target the server received passes *test*."""

    def check(stats, server):
        assert not [t for _, t in server.request_log if test(t)]

    return check


def _chain_walked(stats, server):
    """The made-up pages after the last listing page are walked until the bound
    (NEWSAGG_LISTING_STALE_PAGES pages in a row without a new article link) stops
    the source, counted; never through a browser."""
    assert [t for _, t in server.request_log if re.search(r"[?/]page[=/]\d+", t)], server.request_log
    chained = {k.split("?", 1)[0].split("/")[2] for keys in server.faults.assigned.values() for k in keys}
    assert stats["newsagg/listings/stopped_stale"] == len(chained), stats
    for slug in chained:
        real = server.corpus.listing_page_count(slug)
        pages = {
            int(m.group(1))
            for _, t in server.request_log
            if t.split("?", 1)[0].split("/")[2:3] == [slug] and (m := re.search(r"[?/]page[=/](\d+)", t))
        }
        beyond = [n for n in pages if n > real]
        assert beyond and len(beyond) <= 3, (slug, real, sorted(pages))
    _no_browser(stats, server)


#: More to check per mode (stats, the replica's server).
ALSO = {
    "nul_title": lambda stats, server: stats["newsagg/html/controls_stripped"] == 2,
    "deep_nesting_text": lambda stats, server: stats["newsagg/html/depth_capped"] == 2,
    "long_slug": _never_sent(lambda t: "x" * 100 in t),
    "long_url": _never_sent(lambda t: "7" * 2000 in t),
    "unicode_digits": _never_sent(lambda t: not t.isascii() or "%D9%A2" in t.upper() or "%EF%BC" in t.upper()),
    "empty_body": _no_browser,
    "json_body": _no_browser,
    "listing_chain_empty": _chain_walked,
    "listing_chain_one": _chain_walked,
}


def expected_requests(mode: str, settings: dict) -> int:
    """How many requests a faulted page should get."""
    m = MODES[mode]
    if m.recoverable and m.times:
        return m.times + 1  # the failures, then the good answer
    if mode in RETRIED:
        return settings["RETRY_TIMES"] + 1
    if mode == "redirect_loop":
        return 2  # a, a?loop=1 (-> a: loop detected, not requested again)
    return 1  # not retried: retrying cannot help


def summary_lines(caplog) -> list[str]:
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "newsagg.extensions.summary")
    assert "newsagg crawl summary" in text
    return text.splitlines()


@pytest.mark.parametrize("mode", list(MODES))
@pytest_twisted.ensureDeferred
async def test_fault_mode(mode, make_replica, tmp_path, caplog):
    seed = 100 + list(MODES).index(mode)
    plan = FaultPlan.for_modes(
        Corpus("maghress", n_articles=N_ARTICLES, seed=seed, per_page=PER_PAGE),
        [mode],
        per_mode=2,
        **{**KNOBS, **PLAN_KNOBS.get(mode, {})},
    )
    r = make_replica(n_articles=N_ARTICLES, seed=seed, faults=plan, per_page=PER_PAGE)
    settings = {**SETTINGS, **PER_MODE.get(mode, {})}
    caplog.set_level(logging.INFO, logger="newsagg.extensions.summary")
    result = await crawl("maghress", tmp_path, settings=settings, base_url=r.base_url)
    stats, m = result.stats, MODES[mode]
    keys = plan.assigned[mode]
    articles = [k for k in keys if re.fullmatch(r"/fr/[a-z0-9]+/\d+", k)]
    assert len(articles) == (2 if m.target == "article" else 0) and len(keys) == (3 if m.listing else 2)

    # No crash: finished normally, no callback exception, no error logged.
    assert stats["finish_reason"] == "finished"
    assert not [k for k in stats if k.startswith("spider_exceptions/")], stats
    assert stats.get("log_count/ERROR", 0) == 0

    # Recoverable articles exact; unrecoverable ones absent (and nothing else lost).
    lost = set() if m.recoverable else {r.base_url + k for k in articles}
    truth = [t for t in r.truth if t["url"] not in lost]
    problems = compare_with_truth(result.items, truth, r.republication_groups)
    assert not problems, "\n".join(problems[:20])

    # Unrecoverable pages (refused links) counted once each, by reason, in stats and summary.
    failed = {k[len(PAGES_FAILED) + 1 :]: v for k, v in stats.items() if k.startswith(PAGES_FAILED + "/")}
    baseline = {"http_404"}  # dead "les plus lus" links of every replica
    # Health sees every lost article page (and refused article link): pages_no_record or failed_pages.
    lost_pages = len(articles) if not m.recoverable else (2 if m.reason else 0)
    seen = stats.get(NO_RECORD, 0) + sum(v for k, v in failed.items() if site_broken(k))
    assert seen == lost_pages, (seen, lost_pages, failed)
    if m.reason is None:
        assert set(failed) <= baseline, failed
    else:
        assert failed.pop(m.reason, 0) == 2, (m.reason, failed)
        assert set(failed) <= baseline, failed
        lines = summary_lines(caplog)
        section = lines.index("  pages failed:")
        assert any(re.fullmatch(rf"\s+{m.reason}\s+2", line) for line in lines[section:]), lines
    if mode in ALSO:
        assert ALSO[mode](stats, r.server) is not False

    # Retries where they make sense, and only there.
    want = expected_requests(mode, settings)
    got = {k: r.server.request_counts[k] for k in keys}
    if m.handler == "reset":
        # A reset that lands before the client read the headers is replayed
        # once by Twisted itself (pooled connection): up to twice as many.
        assert all(want <= n <= 2 * want for n in got.values()), (want, got)
    else:
        assert got == {k: want for k in keys}
    if want > 1 and mode != "redirect_loop":
        assert stats.get("retry/count", 0) == (want - 1) * len(keys)
    else:
        assert stats.get("retry/count", 0) == 0
    if m.handler == "status_429":
        # Retry-After honoured: each retry no sooner than asked (capped by
        # NEWSAGG_RETRY_AFTER_MAX). A lower bound: it holds on a loaded machine.
        wait = min(plan.retry_after, settings["NEWSAGG_RETRY_AFTER_MAX"])
        for key in keys:
            times = [t for k, _, t, _ in plan.events if k == key]
            assert all(b - a >= wait - 0.05 for a, b in itertools.pairwise(times)), (key, times)
        assert stats["newsagg/retry_after/waits"] == (want - 1) * len(keys)
        assert stats.get("newsagg/retry_after/capped", 0) == (0 if m.recoverable else (want - 1) * len(keys))
    # Every request Scrapy made reached the replica: nothing went to another host.
    assert stats["downloader/request_count"] == len(r.server.request_log)


@pytest_twisted.ensureDeferred
async def test_reset_before_the_headers_is_a_connection_reset_too(make_replica, tmp_path):
    """A reset can land before the client has read anything: same reason as mid-body."""
    import socket
    import struct

    from newsagg.replica.faults import HANDLERS, register

    @register("test_reset_at_once")
    async def reset_at_once(ctx):
        ctx.writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        ctx.writer.transport.abort()
        return False

    try:
        corpus = Corpus("maghress", n_articles=N_ARTICLES, seed=99)
        key = corpus.path(5)
        r = make_replica(n_articles=N_ARTICLES, seed=99, faults=FaultPlan().add(key, "test_reset_at_once", times=None))
        result = await crawl("maghress", tmp_path, settings={"RETRY_TIMES": 1}, base_url=r.base_url)
    finally:
        HANDLERS.pop("test_reset_at_once", None)
    assert result.stats[f"{PAGES_FAILED}/connection_reset"] == 1
    assert result.stats["retry/count"] == 1
    # Twisted itself retries once a pooled connection that dies before any answer.
    assert r.server.request_counts[key] in (2, 3, 4)
    assert r.base_url + key not in {i["url"] for i in result.items}


def test_retry_after_header_forms():
    import datetime as dt

    from newsagg.middlewares.retry import retry_after_seconds

    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds(b"120", now) == 120
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Thu, 01 Jan 2026 11:00:00 GMT", now) == 0  # in the past: at once
    for bad in (None, b"", b"soon", b"-5", b"1.5e3", "Thu, 99 Foo 2026"):
        assert retry_after_seconds(bad, now) is None


def test_serve_cli_applies_fault_modes(tmp_path):
    """``python -m newsagg.replica serve --faults ...`` lists the faulted pages on stderr."""
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsagg.replica",
            "serve",
            "--articles",
            "30",
            "--seed",
            "3",
            "--faults",
            "status_503_twice,garbage",
            "--fault-pages",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        faults = dict(proc.stderr.readline().split(" ", 2)[1:] for _ in range(2))
        ready = proc.stdout.readline().split()
        assert ready[0] == "READY", ready
        base = ready[1]

        def status(path):
            try:
                with urllib.request.urlopen(base + path, timeout=10) as resp:
                    return resp.status, resp.headers["Content-Type"], resp.read()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.headers["Content-Type"], b""

        k503 = faults["status_503_twice"].split()
        assert re.fullmatch(r"/fr/[a-z0-9]+/\d+", k503[0]), k503
        assert [status(k503[0])[0] for _ in range(3)] == [503, 503, 200]
        code, ctype, body = status(faults["garbage"].strip())
        assert code == 200 and ctype.startswith("text/html") and b"<html" not in body.lower()
        plan = FaultPlan.for_modes(
            Corpus("maghress", n_articles=30, seed=3), ["status_503_twice", "garbage"], per_mode=1
        )
        assert plan.assigned == {m: k.split() for m, k in faults.items()}  # deterministic from the seed
    finally:
        proc.terminate()
        proc.communicate(timeout=10)  # also closes the pipes


@pytest_twisted.ensureDeferred
async def test_a_long_slug_never_reaches_a_file_name(make_replica, tmp_path):
    """A dataset run split by source, on a site linking (and serving) articles under a
    300-character slug: the links are refused and counted, every file is written and
    named by a real slug, and the files hold exactly the site's articles."""
    import json

    from newsagg.layout import manifest_paths
    from tests.crawling import crawl_dataset, read_jsonl

    corpus = Corpus("maghress", n_articles=N_ARTICLES, seed=41, per_page=PER_PAGE)
    plan = FaultPlan.for_modes(corpus, ["long_slug"], per_mode=2)
    r = make_replica(n_articles=N_ARTICLES, seed=41, faults=plan, per_page=PER_PAGE)
    data = tmp_path / "data"
    result = await crawl_dataset("maghress", data, settings={"NEWSAGG_SPLIT_BY_SOURCE": True}, base_url=r.base_url)
    assert result.stats["finish_reason"] == "finished" and result.stats.get("log_count/ERROR", 0) == 0
    assert result.stats[f"{PAGES_FAILED}/slug_too_long"] == 2
    (manifest,) = manifest_paths(data / "maghress", "maghress")
    entries = json.loads(manifest.read_text())["files"]
    names = [e["name"] for e in entries]
    assert all(len(n) < 100 for n in names) and len({e.get("source") for e in entries if e.get("source")}) > 1
    items = [rec for e in entries if e["format"] == "jsonlines" for rec in read_jsonl(manifest.parent / e["name"])]
    assert not compare_with_truth(items, r.truth, r.republication_groups)
    assert json.loads(manifest.read_text())["items_written"] == len(items)
    assert not [t for _, t in r.server.request_log if "x" * 100 in t]
