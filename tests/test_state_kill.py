"""Kill a real ``scrapy crawl`` mid-run (SIGKILL, SIGINT), run again: every
replica article ends up in the completed dataset files exactly once, and the
state says exactly what the files hold.

The replica is slowed by the crawl's own settings (a download delay, two
concurrent requests) so the signal really lands mid-run: after a fixed number
of requests served, not after a time.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsagg.replica import Corpus, ReplicaServer, expected_records, republication_groups
from tests.crawling import compare_with_truth, read_csv, read_jsonl, scrapy_env


def start_crawl(base_url: str, cwd: Path, slow: bool) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "scrapy.cmdline",
        "crawl",
        "maghress",
        "-a",
        f"base_url={base_url}",
        "-s",
        "NEWSAGG_SUMMARY_ENABLED=0",
    ]
    if slow:
        cmd += ["-s", "DOWNLOAD_DELAY=0.05", "-s", "CONCURRENT_REQUESTS=2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
    return subprocess.Popen(
        cmd,
        cwd=cwd,
        env=scrapy_env(),
        stdout=subprocess.DEVNULL,
        stderr=(cwd / f"crawl-{time.monotonic_ns()}.log").open("w"),
    )


def completed_items(data: Path) -> list[dict]:
    """Items of every completed dataset file (``*.part`` leftovers are not data)."""
    items = []
    for path in sorted((data / "maghress").glob("*.jsonl")):
        rows = read_jsonl(path)
        csv_rows = read_csv(path.with_suffix(".csv"))
        assert [r["url"] for r in csv_rows] == [r["url"] for r in rows], "CSV and JSONL of a run agree"
        items += rows
    return items


def stored_urls(data: Path) -> set[str]:
    db = sqlite3.connect(data / "state" / "maghress.sqlite3")
    try:
        return {u for (u,) in db.execute("SELECT url FROM stored WHERE signature IS NOT NULL")}
    finally:
        db.close()


@pytest.fixture
def site():
    server = ReplicaServer(Corpus("maghress", n_articles=150, seed=31))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_run_loses_nothing_and_repeats_nothing(site, tmp_path, sig):
    data = tmp_path / "data"
    truth = expected_records(site.corpus, site.base_url)
    groups = republication_groups(site.corpus, site.base_url)

    proc = start_crawl(site.base_url, tmp_path, slow=True)
    try:
        deadline = time.monotonic() + 180
        while len(site.request_log) < 70:
            assert proc.poll() is None, "the crawl ended before the signal: not mid-run"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(sig)
        proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    first = sorted((data / "maghress").iterdir())
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        assert first and all(p.name.endswith(".part") for p in first), first  # nothing taken for data
        assert not stored_urls(data)
    else:  # graceful shutdown: what was written is complete and committed
        manifest = json.loads(next((data / "maghress").glob("*.manifest.json")).read_text())
        assert manifest["finish_reason"] == "shutdown"
        assert 0 < manifest["items_written"] < len(truth) - 5
        assert stored_urls(data) == {i["url"] for i in completed_items(data)}

    second = start_crawl(site.base_url, tmp_path, slow=False)
    assert second.wait(300) == 0
    items = completed_items(data)
    problems = compare_with_truth(items, truth, groups)
    assert not problems, "\n".join(problems[:30])
    assert stored_urls(data) == {i["url"] for i in items}
    assert not list((data / "maghress").glob("*.part")), "the rerun removes the killed run's leftovers"

    third = start_crawl(site.base_url, tmp_path, slow=False)
    assert third.wait(300) == 0
    assert completed_items(data) == items, "nothing new, nothing repeated"
