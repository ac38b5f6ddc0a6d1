"""``newsagg status`` against real runs: it agrees with the release on what is
stored, and it shows an interrupted backfill per source (the deepest listing
page and the oldest date its walk reached)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest_twisted

from newsagg.dataset.release import build_release
from newsagg.replica import Corpus, ReplicaServer
from tests.crawling import crawl_dataset, newsagg, published_records, scrapy_env


def status(data: Path, cwd: Path) -> dict:
    done = newsagg("status", "--json", "--data-dir", str(data), cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest_twisted.ensureDeferred
async def test_status_counts_what_the_release_holds(make_replica, tmp_path):
    site = make_replica(n_articles=120, seed=17)
    data = tmp_path / "data"
    run = await crawl_dataset("maghress", data, base_url=site.base_url)
    republications = run.stats.get("newsagg/items_dropped/duplicate_content", 0)
    assert republications > 0, "the replica republishes: the state knows those keys too"
    release = build_release("maghress", data, tmp_path / "release")
    (report,) = status(data, tmp_path)["sites"]
    assert report["stored"] == release["records"] == len(run.items)
    assert report["republications_known"] == republications
    assert sum(s["stored"] for s in report["sources"]) == release["records"]
    assert report["last_run"]["finish_reason"] == "finished" and report["last_run"]["final"]
    assert report["backfilling"] == [] and all(s["walked"] for s in report["sources"])


def test_status_shows_an_interrupted_backfill(tmp_path):
    server = ReplicaServer(Corpus("maghress", n_articles=900, seed=5))
    server.start()
    try:
        data = tmp_path / "data"
        cmd = [sys.executable, "-m", "scrapy.cmdline", "crawl", "maghress", "-a", f"base_url={server.base_url}"]
        cmd += ["-s", f"NEWSAGG_DATA_DIR={data}", "-s", "CONCURRENT_REQUESTS=4", "-s", f"LOG_FILE={tmp_path / 'c.log'}"]
        cmd += ["-s", "NEWSAGG_CHECKPOINT_ITEMS=60"]  # several segments before the stop
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=scrapy_env())
        deadline = time.monotonic() + 120
        while sum(1 for _, t in list(server.request_log) if "?page=" in t or "/page/" in t) < 12:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 0
    finally:
        server.stop()
    (report,) = status(data, tmp_path)["sites"]
    assert report["running"] is None and report["last_run"]["finish_reason"] == "shutdown"
    published = published_records(data / "maghress")
    assert report["last_run"]["items_written"] == len(published) == report["stored"], "every segment of the run"
    walking = {s["source"]: s for s in report["sources"] if s["backfill"]}
    assert walking and report["backfilling"] == sorted(walking)
    corpus = Corpus("maghress", n_articles=900, seed=5)
    for slug, src in walking.items():
        deepest = src["backfill"]["deepest_page"]
        assert 1 <= deepest < corpus.listing_page_count(slug)
        assert src["backfill"]["next_pages"] == [deepest + 1]
        assert src["backfill"]["oldest_day"], "listings show dates: the oldest one reached"
    text = newsagg("status", "--data-dir", str(data), cwd=tmp_path).stdout
    slug = next(iter(walking))
    line = next(row for row in text.splitlines() if row.strip().startswith(slug + " "))
    assert f"backfill p.{walking[slug]['backfill']['deepest_page']}" in line
    assert "backfill unfinished:" in text and "the next run resumes it" in text
