"""Health checks: real Spidermon, real crawls of the real replica.

Each fault fails its check, with the exit status of a real ``scrapy crawl``
subprocess and the manifest's health; healthy crawls pass every check; the
alerts reach real local receivers (aiosmtpd, an HTTP server); ``newsagg status``.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import pytest_twisted
from scrapy.settings import Settings
from scrapy.statscollectors import StatsCollector
from spidermon import Monitor, MonitorSuite

from newsagg.layout import manifest_paths
from newsagg.monitoring import checks
from newsagg.monitoring.progress import Progress, progress_text
from newsagg.monitoring.status import sparkline
from newsagg.replica import Corpus, FaultPlan, ReplicaServer
from newsagg.replica.generator import _flags_from_bits
from newsagg.urls import classify
from tests.crawling import (
    ROOT,
    compare_with_truth,
    crawl,
    crawl_dataset,
    newsagg,
    project_settings,
    read_jsonl,
    scrapy_env,
)
from tests.test_cli import run_scrapy

ARTICLE = re.compile(r"/fr/[a-z0-9]+/\d+")
CHECKS = [
    "pages_no_record",
    "failed_pages",
    "missing_dates",
    "new_links_no_records",
    "silent_sources",
    "run_article_count",
]


# --- the checks, as pure functions ------------------------------------------------


@pytest.mark.parametrize(
    "stats, threshold, ok, value",
    [
        ({"newsagg/links/new_articles": 200, "newsagg/articles/no_record": 0}, 0.05, True, 0.0),
        ({"newsagg/links/new_articles": 200, "newsagg/articles/no_record": 10}, 0.05, True, 0.05),
        ({"newsagg/links/new_articles": 200, "newsagg/articles/no_record": 11}, 0.05, False, 0.055),
        ({"newsagg/links/new_articles": 60, "newsagg/articles/no_record": 60}, 0.05, False, 1.0),
        ({}, 0.05, True, 0.0),
        ({"newsagg/links/new_articles": 49, "newsagg/articles/no_record": 49}, 0.05, True, 1.0),  # too few
    ],
)
def test_no_record_check(stats, threshold, ok, value):
    check = checks.no_record(stats, threshold, 50)
    assert (check.name, check.ok, check.value, check.threshold) == ("pages_no_record", ok, value, threshold)


@pytest.mark.parametrize(
    "stats, ok",
    [
        # The default replica: dead links (404) and 500s that a retry fixed are no fault.
        (
            {
                "newsagg/pages/home": 1,
                "newsagg/pages/listing": 30,
                "newsagg/pages/article": 240,
                "newsagg/pages_failed/http_404": 3,
            },
            True,
        ),
        ({"newsagg/pages/home": 1, "newsagg/pages/listing": 30, "newsagg/pages_failed/http_503": 240}, False),
        (
            {
                "newsagg/pages/listing": 90,
                "newsagg/pages_failed/timeout": 5,
                "newsagg/pages_failed/connection_reset": 4,
            },
            True,
        ),
        (
            {
                "newsagg/pages/listing": 90,
                "newsagg/pages_failed/timeout": 6,
                "newsagg/pages_failed/connection_reset": 5,
            },
            False,
        ),
        ({"newsagg/pages/listing": 30, "newsagg/pages_failed/timeout": 19}, True),  # too few to judge
        ({"newsagg/pages_failed/offsite_redirect": 1, "newsagg/start_page/failed": 1}, False),
        # The start page alone failing is enough, whatever the share.
        ({"newsagg/pages/article": 999, "newsagg/pages_failed/timeout": 1, "newsagg/start_page/failed": 1}, False),
    ],
)
def test_failed_pages_check(stats, ok):
    assert checks.failed_pages(stats, 0.10, 50).ok is ok


#: Every reason a page fails for -> the check that sees an article page lost for it (None: a dead link,
#: no article lost).
SEEN_BY = {
    "http_500": "failed_pages",
    "http_503": "failed_pages",
    "http_429": "failed_pages",
    "timeout": "failed_pages",
    "dns": "failed_pages",
    "connection_reset": "failed_pages",
    "connection_refused": "failed_pages",
    "truncated": "failed_pages",
    "offsite": "failed_pages",
    "offsite_redirect": "failed_pages",
    "redirect_loop": "failed_pages",
    "too_many_redirects": "failed_pages",
    "not_html": "pages_no_record",
    "garbage": "pages_no_record",
    "too_large": "pages_no_record",
    "too_deep": "pages_no_record",
    "ignored": "pages_no_record",
    "robots_txt": "pages_no_record",
    "slug_too_long": "pages_no_record",
    "url_too_long": "pages_no_record",
    "http_401": "pages_no_record",
    "http_403": "pages_no_record",
    "http_451": "pages_no_record",
    "needs_render": "pages_no_record",
    "render_timeout": "pages_no_record",
    "no_article_no_byline": "pages_no_record",
    "http_404": None,
    "http_410": None,
}


@pytest.mark.parametrize("reason", list(SEEN_BY))
def test_every_failure_reason_is_seen_by_one_check(reason):
    from newsagg.failures import lost_article, site_broken

    seen = "failed_pages" if site_broken(reason) else "pages_no_record" if lost_article(reason) else None
    assert seen == SEEN_BY[reason]


@pytest.mark.parametrize(
    "written, undated, ok", [(100, 20, True), (100, 21, False), (0, 0, True), (50, 50, False), (49, 49, True)]
)  # a small run: too few to judge
def test_missing_dates_check(written, undated, ok):
    check = checks.missing_dates({"item_scraped_count": written, checks.WITHOUT_DATE: undated}, 0.20, 50)
    assert check.ok is ok


@pytest.mark.parametrize(
    "stats, ok",
    [
        ({"newsagg/links/new_articles": 12, "item_scraped_count": 12}, True),
        ({"newsagg/links/new_articles": 12}, False),
        ({}, True),  # nothing new: nothing to write
        # A dead link and a republication: rightly nothing written.
        (
            {
                "newsagg/links/new_articles": 2,
                "newsagg/pages_failed/http_404": 1,
                "newsagg/items_dropped/duplicate_content": 1,
            },
            True,
        ),
    ],
)
def test_new_links_check(stats, ok):
    assert checks.new_links_no_records(stats).ok is ok


def _days(start: dt.date, counts: list[int]) -> dict[dt.date, int]:
    return {start + dt.timedelta(days=i): c for i, c in enumerate(counts) if c}


D0 = dt.date(2025, 6, 1)


@pytest.mark.parametrize(
    "daily, flagged",
    [
        ({"a": _days(D0, [2] * 30), "b": _days(D0, [1] * 30)}, []),
        ({"a": _days(D0, [2] * 30), "b": _days(D0, [1] * 27)}, ["b"]),  # silent 3 days
        ({"a": _days(D0, [2] * 30), "b": _days(D0, [1] * 28)}, []),  # silent 2 days
        ({"a": _days(D0, [2] * 30), "b": _days(D0, [1, 0] * 13)}, []),  # median 0.5: not regular
        ({"a": _days(D0, [5] * 60), "b": _days(D0, [3] * 30)}, ["b"]),  # silent for a month
    ],
)
def test_silent_sources_check(daily, flagged):
    check, rows = checks.silent_sources(daily, silent_days=3, window_days=30, min_daily=1.0)
    assert [r["source"] for r in rows if r["flagged"]] == flagged
    assert check.ok is (not flagged) and check.value == len(flagged)


@pytest.mark.parametrize(
    "daily, flagged",
    [
        ({"a": _days(D0, [2] * 30), "b": _days(D0, [1] * 27)}, ["b"]),  # never missed a day: chance 0
        ({"a": _days(D0, [2] * 40), "b": _days(D0, [1, 1, 0] * 12 + [1])}, []),  # a day in 3 off: 3 quiet days, 4 %
        ({"a": _days(D0, [2] * 44), "b": _days(D0, [1, 1, 0] * 12 + [1])}, ["b"]),  # 7 quiet days: 0.05 %
        # The days before a source's first article are not days it missed:
        ({"a": _days(D0, [2] * 30), "b": _days(D0 + dt.timedelta(days=10), [1] * 17)}, ["b"]),
    ],
)
def test_silent_sources_unlikely_by_chance(daily, flagged):
    """With NEWSAGG_HEALTH_SILENT_MAX_CHANCE: a silence is flagged when the source's own rhythm makes it unlikely."""
    check, rows = checks.silent_sources(daily, silent_days=3, window_days=30, min_daily=1.0, max_chance=0.001)
    assert [r["source"] for r in rows if r["flagged"]] == flagged, rows
    assert check.ok is (not flagged) and check.value == len(flagged)
    b = next(r for r in rows if r["source"] == "b")
    assert (b["chance"] <= 0.001) is bool(flagged)
    if flagged:
        assert "chance" in check.message


@pytest.mark.parametrize(
    "count, history, ok, threshold",
    [
        (240, [], True, None),
        (0, [240, 12], True, None),  # too little history: not compared
        (12, [12, 14, 240], True, 3),
        (2, [12, 14, 240], False, 3),
        (0, [12, 12, 12, 12], False, 3),
    ],
)
def test_run_count_check(count, history, ok, threshold):
    check = checks.run_count(count, history, min_ratio=0.2, min_runs=3)
    assert (check.ok, check.threshold) == (ok, threshold)


def test_sparkline_and_progress_text():
    assert sparkline([0, 1, 2, 4, 8]) == " ▁▂▄█"
    assert sparkline([0, 0]) == "  "
    assert (
        progress_text({"response_received_count": 50, "item_scraped_count": 20}, 10.0, 7)
        == "pages 50  articles 20  5.0 pages/s  queue 7"
    )
    backfill = {
        "response_received_count": 9000,
        "item_scraped_count": 8000,
        "newsagg/segments/published": 4,
        "newsagg/sources/total": 21,
        "newsagg/sources/finished": 5,
    }
    assert (
        progress_text(backfill, 100.0, None) == "pages 9000  articles 8000  90.0 pages/s  segments 4  sources 5/21 done"
    )


def test_progress_line_rewrites_itself_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stats = StatsCollector(SimpleNamespace(settings=Settings()))
    stats.set_value("response_received_count", 12)
    crawler = SimpleNamespace(settings=Settings(), stats=stats, engine=None)
    term = Terminal()
    progress = Progress(crawler, stream=term)
    assert progress.tty and progress.interval == 1.0, "a terminal's line: every second"
    progress.t0 = time.monotonic() - 4.0  # as if opened 4 s ago
    progress.tick()
    stats.set_value("item_scraped_count", 3)
    progress.tick()
    assert term.getvalue().startswith("\x1b[2Kpages 12  articles 0") and term.getvalue().endswith("\r")
    assert "\n" not in term.getvalue() and term.getvalue().count("\x1b[2K") == 2
    assert "pages 12  articles 3" in term.getvalue()


# --- healthy crawls: no false alarms -------------------------------------------------


class Receivers:
    """A real SMTP server (aiosmtpd) and a webhook receiver (HTTP) on loopback."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.mails, self.posts = [], []
        receivers = self

        class Mail:
            async def handle_DATA(self, server, _session, envelope):
                receivers.mails.append(envelope)
                return "250 OK"

        with socket.socket() as probe:  # aiosmtpd's Controller needs a real port number
            probe.bind(("127.0.0.1", 0))
            self.smtp_port = probe.getsockname()[1]
        self.smtp = Controller(Mail(), hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receivers.posts.append((self.headers["Content-Type"], json.loads(body)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def settings(self, drop: Path) -> dict:
        return {
            "NEWSAGG_ALERT_EMAIL_TO": ["research@example.org"],
            "NEWSAGG_ALERT_SMTP_HOST": "127.0.0.1",
            "NEWSAGG_ALERT_SMTP_PORT": self.smtp_port,
            "NEWSAGG_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{self.http.server_port}/hooks/newsagg",
            "NEWSAGG_ALERT_FILE_DIR": str(drop),
        }

    def close(self):
        self.smtp.stop()
        self.http.shutdown()


@pytest.fixture
def receivers():
    r = Receivers()
    yield r
    r.close()


def health_of(stats: dict) -> str:
    return stats["newsagg/health/status"]


@pytest.mark.parametrize("site, seed", [("maghress", 7), ("djazairess", 3), ("turess", 5)])
@pytest_twisted.ensureDeferred
async def test_healthy_crawls_pass_every_check_and_alert_nobody(site, seed, make_replica, tmp_path, receivers, caplog):
    r = make_replica(site=site, n_articles=240, seed=seed)  # built-in faults: 404 links, 500 once
    result = await crawl(site, tmp_path / "out", settings=receivers.settings(tmp_path / "drop"), base_url=r.base_url)
    assert not compare_with_truth(result.items, r.truth, r.republication_groups)
    assert health_of(result.stats) == "ok" and result.stats["newsagg/health/failed_checks"] == 0
    assert not [rec for rec in caplog.records if rec.name.startswith("newsagg.monitoring") and rec.levelname == "ERROR"]
    assert receivers.mails == [] and receivers.posts == [] and not (tmp_path / "drop").exists()
    # The share checks count each article page once, however often it is linked.
    served = {
        urlsplit(t).path
        for m, t in r.server.request_log
        if m == "GET" and classify(r.base_url + t, r.base_url).kind == "article"
    }
    assert result.stats["newsagg/links/new_articles"] == len(served)


@pytest_twisted.ensureDeferred
async def test_healthy_incremental_runs_pass_every_check(make_replica, tmp_path):
    r = make_replica(n_articles=120, seed=17)
    data = tmp_path / "data"
    for _ in range(3):  # backfill, then nights without news (dead links requested again: no alarm)
        run = await crawl_dataset("maghress", data, base_url=r.base_url)
        health = json.loads(run.files["manifest.json"].read_text())["health"]
        assert health["status"] == "ok", health
        assert [c["name"] for c in health["checks"]] == CHECKS
        assert all(set(c) == {"name", "ok", "value", "threshold", "message"} for c in health["checks"])


# --- each fault fails its check: exit status, manifest, ERROR line --------------------


def _manifests(data: Path, site: str = "maghress") -> list[dict]:
    """The manifests of the published segments, oldest first."""
    return [json.loads(p.read_text()) for p in manifest_paths(data / site)]


def _failed(health: dict) -> list[str]:
    return [c["name"] for c in health["checks"] if not c["ok"]]


def _article_fault(name: str):
    return FaultPlan().add_matcher(lambda key, n: name if ARTICLE.fullmatch(key) else None)


FAULTS = {
    # A redesign dropped the byline anchor (render=never: no browser to ask).
    "no_byline": (lambda c: _article_fault("no_byline"), ["-a", "render=never"], "pages_no_record"),
    "articles_503": (lambda c: _article_fault("status_503"), ["-s", "RETRY_TIMES=1"], "failed_pages"),
    "start_page_offsite": (lambda c: FaultPlan().add("/fr/", "redirect_offsite", times=None), [], "failed_pages"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_fails_its_check_with_exit_status_and_manifest(fault, tmp_path):
    plan, extra, check = FAULTS[fault]
    corpus = Corpus("maghress", n_articles=80, seed=11)
    with ReplicaServer(corpus, faults=plan(corpus)) as srv:
        proc = run_scrapy(
            [
                "crawl",
                "maghress",
                "-a",
                f"base_url={srv.base_url}",
                "-s",
                f"NEWSAGG_DATA_DIR={tmp_path / 'data'}",
                *extra,
            ],
            tmp_path,
        )
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    [manifest] = _manifests(tmp_path / "data")
    assert manifest["health"]["status"] == "failed" and check in _failed(manifest["health"])
    errors = [line for line in proc.stderr.splitlines() if " ERROR: " in line]
    assert sorted(re.search(r"Health check failed: (\w+)", e)[1] for e in errors) == sorted(_failed(manifest["health"]))
    assert "health: FAILED" in proc.stderr and re.search(rf"FAIL\s+{check}\b", proc.stderr)
    # Nothing withheld: the run's files are published and the state committed.
    files = sorted(p.name for p in (tmp_path / "data" / "maghress").rglob("*") if ".staging" not in p.parts)
    csvs = [f for f in files if f.endswith(".csv")]
    assert not [f for f in files if f.endswith(".part")] and len(csvs) == (1 if manifest["items_written"] else 0)
    assert re.search(r"Segment \S+ published", proc.stderr)
    assert manifest["finish_reason"] == "finished"


class IgnoreSomeArticles:
    """A downloader middleware dropping the article pages named in ``TEST_IGNORED`` with a
    bare IgnoreRequest (what Scrapy components raise for a page they will not fetch)."""

    def __init__(self, paths):
        self.paths = set(paths)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getlist("TEST_IGNORED"))

    def process_request(self, request):
        from scrapy.exceptions import IgnoreRequest

        if urlsplit(request.url).path in self.paths:
            raise IgnoreRequest("dropped by a test middleware")


#: Every way an article page is lost -> (fault handler on the lost pages, or how else to lose them; reason).
LOST_BY = {
    "pdf": ("not_html", "not_html"),
    "json_body": ("json_body", "not_html"),
    "empty_body": ("empty_body", "not_html"),
    "garbage": ("garbage", "garbage"),
    "too_large": ("too_large", "too_large"),
    "too_large_undeclared": ("too_large_undeclared", "too_large"),
    "gzip_bomb": ("gzip_bomb", "too_large"),
    "http_403": ("status_403", "http_403"),
    "http_451": ("status_451", "http_451"),
    "robots_txt": ("robots", "robots_txt"),
    "ignored": ("ignore", "ignored"),
    "slug_too_long": ("long_slug", "slug_too_long"),
}


@pytest.mark.parametrize("way", list(LOST_BY))
@pytest_twisted.ensureDeferred
async def test_health_sees_every_lost_article_page(way, make_replica, tmp_path):
    """One article page in five lost (a fifth of 120: well over the 5 % threshold): whatever
    the reason, pages_no_record counts each lost page once and fails the run's health."""
    how, reason = LOST_BY[way]
    corpus = Corpus("maghress", n_articles=120, seed=23)
    lost = [corpus.path(i) for i in range(0, len(corpus), 5)]
    plan, settings = FaultPlan(oversize_bytes=600_000), {"DOWNLOAD_MAXSIZE": 200_000, "DOWNLOAD_WARNSIZE": 0}
    if how == "robots":
        plan.robots_disallow = lost
        plan.add("/robots.txt", "robots_extra", times=None)
    elif how == "ignore":
        mws = project_settings()["DOWNLOADER_MIDDLEWARES"] | {f"{__name__}.IgnoreSomeArticles": 70}
        settings |= {"TEST_IGNORED": lost, "DOWNLOADER_MIDDLEWARES": mws}
    elif how == "long_slug":  # every article page links itself under a 300-character slug, served as a copy
        from newsagg.replica.faults import long_slug_path

        plan.add_matcher(lambda key, n: "long_slug" if ARTICLE.fullmatch(key) and len(key) < 100 else None)
        plan.assigned["long_slug"] = [corpus.path(i) for i in range(len(corpus))]
        for key in plan.assigned["long_slug"]:
            plan.add(long_slug_path(key), "long_slug_copy", times=None)
        lost = plan.assigned["long_slug"]  # one refused link per article page
    else:
        for key in lost:
            plan.add(key, how, times=None)
    r = make_replica(n_articles=120, seed=23, faults=plan)
    result = await crawl("maghress", tmp_path, settings=settings, base_url=r.base_url)
    stats = result.stats
    assert stats[f"newsagg/pages_failed/{reason}"] == len(lost)
    assert stats[checks.NO_RECORD] == len(lost)
    check = checks.no_record(stats, 0.05, 50)
    assert not check.ok and f"{reason} {len(lost)}" in check.message, check
    assert stats["newsagg/health/status"] == "failed"
    # The rest is exact: only the lost pages are missing (a refused link loses no page of the site).
    gone = set() if how == "long_slug" else {r.base_url + k for k in lost}
    truth = [t for t in r.truth if t["url"] not in gone]
    assert not compare_with_truth(result.items, truth, r.republication_groups)


def test_one_off_O_crawls_exit_with_their_health(tmp_path):
    corpus = Corpus("maghress", n_articles=40, seed=11)
    with ReplicaServer(corpus) as srv:
        ok = run_scrapy(
            [
                "crawl",
                "maghress",
                "-a",
                f"base_url={srv.base_url}",
                "-O",
                str(tmp_path / "ok.jsonl"),
                "-s",
                "NEWSAGG_PROGRESS_LOG_INTERVAL=0.05",
            ],
            tmp_path,
        )
    assert ok.returncode == 0, ok.stderr[-3000:]
    assert len(read_jsonl(tmp_path / "ok.jsonl")) > 30
    # A progress line instead of LogStats' "Crawled N pages (at N pages/min)".
    assert "pages/min" not in ok.stderr and re.search(r"Progress: pages \d+  articles \d+  [\d.]+ pages/s", ok.stderr)
    with ReplicaServer(corpus, faults=FaultPlan().add("/fr/", "redirect_offsite", times=None)) as srv:
        bad = run_scrapy(
            ["crawl", "maghress", "-a", f"base_url={srv.base_url}", "-O", str(tmp_path / "bad.jsonl")], tmp_path
        )
    assert bad.returncode == 3 and (tmp_path / "bad.jsonl").exists(), bad.stderr[-3000:]
    assert "Health check failed: failed_pages: the start page failed" in bad.stderr


def test_bad_argument_one_error_no_asyncio_traceback(tmp_path):
    proc = run_scrapy(["crawl", "maghress", "-a", "max_pages=x"], tmp_path, timeout=60)
    assert proc.returncode == 1
    # Found before the crawl starts: the one line is all there is.
    assert proc.stderr.splitlines() == ["crawl: Bad spider argument: max_pages='x': expected a whole number >= 1"]
    assert "Task exception was never retrieved" not in proc.stderr and "Traceback" not in proc.stderr


# --- alerts ---------------------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_alerts_reach_the_local_receivers(make_replica, tmp_path, receivers):
    r = make_replica(n_articles=40, seed=4, faults=FaultPlan().add("/fr/", "redirect_offsite", times=None))
    drop = tmp_path / "drop"
    result = await crawl("maghress", tmp_path / "out", settings=receivers.settings(drop), base_url=r.base_url)
    assert health_of(result.stats) == "failed"
    run_id = result.stats["newsagg/run/id"]

    [mail] = receivers.mails
    assert mail.rcpt_tos == ["research@example.org"]
    message = email.message_from_bytes(mail.content, policy=email.policy.default)
    assert message["Subject"] == f"[newsagg] maghress run {run_id}: health FAILED (failed_pages)"
    assert "- FAIL failed_pages: the start page failed" in message.get_content()

    [(ctype, post)] = receivers.posts
    assert ctype == "application/json" and "health FAILED (failed_pages)" in post["text"]
    assert post["newsagg"]["health"]["status"] == "failed" and post["newsagg"]["run_id"] == run_id
    assert _failed(post["newsagg"]["health"]) == ["failed_pages"]

    dropped = json.loads((drop / f"maghress-{run_id}.health.json").read_text())
    assert dropped["health"] == post["newsagg"]["health"]


# --- a source going silent over nightly runs -------------------------------------------


class SilencingCorpus(Corpus):
    """The replica whose later editions publish densely (3 articles a day per
    source, 10 days per edition) and, from edition ``SILENT_FROM``, nothing
    more from the source ``SILENT``."""

    SILENT, SILENT_FROM, PER_DAY = 2, 5, 3

    def _generate_extra(self, edition: int) -> None:
        import random

        rng = random.Random(f"{self._key}:silent:ed{edition}")
        S = len(self.sources)
        active = [s for s in range(S) if not (edition >= self.SILENT_FROM and s == self.SILENT)]
        t0 = (self._ts[-1] // 1440 + 1) * 1440  # the next day
        new = []
        for day in range(10):
            for s in range(S):
                for _ in range(self.PER_DAY):
                    new.append((t0 + day * 1440 + 360 + rng.randrange(900), s if s in active else rng.choice(active)))
        for t, s in sorted(new):
            self._last_ids[s] += rng.randint(1, 40)
            self._src.append(s)
            self._ids.append(self._last_ids[s])
            self._ts.append(t)
            self._flags.append(_flags_from_bits(rng.getrandbits(40)))
        self.edition_sizes.append(len(self._ts))


def test_source_going_silent_over_nightly_runs(tmp_path):
    data = tmp_path / "data"
    first = SilencingCorpus("maghress", n_articles=240, seed=21)
    silent = first.sources[SilencingCorpus.SILENT].slug
    server = ReplicaServer(first, faults=FaultPlan.none())
    server.start()
    codes, healths = [], []
    try:
        for edition in range(1, SilencingCorpus.SILENT_FROM + 1):  # one run per night, the site a bit later each
            corpus = SilencingCorpus("maghress", n_articles=240, seed=21, edition=edition)
            server.corpus = corpus
            server.reset_state()
            proc = run_scrapy(
                ["crawl", "maghress", "-a", f"base_url={server.base_url}", "-s", f"NEWSAGG_DATA_DIR={data}"], tmp_path
            )
            codes.append(proc.returncode)
            healths.append(_manifests(data)[-1]["health"])
            assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    finally:
        server.stop()
    last_ed = SilencingCorpus("maghress", n_articles=240, seed=21, edition=SilencingCorpus.SILENT_FROM)
    # Every run wrote exactly the new articles, the silent source's last one before the last night.
    assert sum(m["items_written"] for m in _manifests(data)) >= len(last_ed) - 10
    assert codes == [0] * (SilencingCorpus.SILENT_FROM - 1) + [3], healths
    assert [h["status"] for h in healths[:-1]] == ["ok"] * (SilencingCorpus.SILENT_FROM - 1)
    assert _failed(healths[-1]) == ["silent_sources"], healths[-1]
    [check] = [c for c in healths[-1]["checks"] if c["name"] == "silent_sources"]
    assert check["value"] == 1 and re.search(rf"\b{silent} \(silent (\d+) d", check["message"])
    assert int(re.search(r"silent (\d+) d", check["message"])[1]) >= 3

    # newsagg status: the same verdict, for people and as JSON.
    text = newsagg("status", "--data-dir", str(data), cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert re.search(
        r"^maghress  last run \S+  finished after 1 segment\(s\)  health FAILED \(silent_sources\)", text.stdout, re.M
    )
    line = next(row for row in text.stdout.splitlines() if row.strip().startswith(silent + " "))
    assert "FLAGGED" in line and "|" in line
    assert text.stdout.rstrip().endswith(f"flagged: {silent}")
    report = json.loads(newsagg("status", "--json", "--data-dir", str(data), cwd=tmp_path).stdout)
    [site] = report["sites"]
    assert site["site"] == "maghress" and site["flagged"] == [silent]
    assert site["last_run"]["health"] == "failed" and site["last_run"]["failed_checks"] == ["silent_sources"]
    by = {s["source"]: s for s in site["sources"]}
    assert set(by) == {s.slug for s in last_ed.sources}
    assert sum(s["stored"] for s in by.values()) == site["stored"] > 0
    assert len(by[silent]["per_day"]) == 30 and by[silent]["per_day"][-5:] == [0] * 5
    assert all(s["per_day"][-1] > 0 for slug, s in by.items() if slug != silent)
    assert by[silent]["days_since_last"] >= 3 and by[silent]["flagged"]
    newest = max(last_ed.article(i).published_at or "" for i in last_ed.source_articles(silent))
    assert by[silent]["last_published_at"][:10] == newest[:10]


# --- the console command ----------------------------------------------------------------


def test_newsagg_console_script_installs_and_runs(tmp_path):
    # From a copy of the tree: the build leaves build/ and *.egg-info behind.
    src, target = tmp_path / "src", tmp_path / "site"
    shutil.copytree(ROOT / "newsagg", src / "newsagg", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py"):
        shutil.copy(ROOT / name, src / name)
    pip = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    script = target / "bin" / "newsagg"
    assert script.exists()
    env = {**scrapy_env(), "PYTHONPATH": str(target)}
    (tmp_path / "none").mkdir()
    proc = subprocess.run(
        [sys.executable, str(script), "status", "--json", "--data-dir", str(tmp_path / "none")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr  # no run there: said, and not a success
    assert json.loads(proc.stdout)["sites"] == []
    helptext = subprocess.run(
        [sys.executable, str(script), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    ).stdout
    assert all(cmd in helptext for cmd in ("status", "demo", "replica"))


# --- a monitor that raises is an error, not a pass ------------------------------------


class _Raises(Monitor):
    __test__ = False  # a Spidermon monitor (a TestCase), not a pytest test

    def test_raises(self):
        raise RuntimeError("monitor bug")


class BrokenSuite(MonitorSuite):
    monitors = [_Raises]


@pytest_twisted.ensureDeferred
async def test_a_monitor_that_raises_fails_the_health(make_replica, tmp_path):
    r = make_replica(n_articles=40, seed=4)
    result = await crawl(
        "maghress",
        tmp_path / "out",
        base_url=r.base_url,
        settings={
            "SPIDERMON_SPIDER_CLOSE_MONITORS": [
                "newsagg.monitoring.suites.HealthSuite",
                "tests.test_monitoring.BrokenSuite",
            ]
        },
    )
    assert result.items and health_of(result.stats) == "failed" and result.stats["newsagg/health/failed_checks"] == 1


def test_history_counts_each_article_once(tmp_path):
    """The publication history lives in the state: one row per stored article, a
    full=1 rerun replaces rows instead of adding them."""
    from scrapy.settings import Settings

    from newsagg.state import open_state
    from newsagg.state.base import SegmentCommit

    st = open_state(Settings({"NEWSAGG_STATE_DIR": str(tmp_path)}), "maghress")
    try:
        assert st.history_daily() == {}
        st.commit(
            "run1",
            SegmentCommit(
                "s1", history=[("lematin", "1", "2025-06-01T10:00:00+01:00"), ("lematin", "2", "2025-06-01")]
            ),
        )
        assert st.history_daily() == {"lematin": {dt.date(2025, 6, 1): 2}}
        st.commit("run2", SegmentCommit("s2", history=[("lematin", "2", "2025-06-02")]))  # re-dated by a full=1 run
        assert st.history_daily() == {"lematin": {dt.date(2025, 6, 1): 1, dt.date(2025, 6, 2): 1}}
    finally:
        st.close()
