"""Interrupted crawls resume without loss: `scrapy crawl` subprocesses stopped by
SIGINT (graceful) or SIGKILL, then run again with the same JOBDIR.

Both runs write the default dataset feeds (CSV + JSONL + Parquet under
NEWSAGG_DATA_DIR, with the incremental state). After the resume the union of
all published feed files equals the ground truth, each article exactly once;
the interrupted run's files are complete and valid, or absent (``*.part``).

The SIGKILL replica is large enough (450 articles) for the killed run to have
seen more requests than fit in the write buffer of Scrapy's own
``requests.seen`` (~370 fingerprints): with ``RFPDupeFilter`` part of them
reach the file, the resumed run skips them (and their articles) for good, and
this test fails; with a smaller crawl nothing reaches the file and the bug hides.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import pytest_twisted
from scrapy.http import HtmlResponse

from newsagg.items import FIELDS
from newsagg.pages.aggregator import ListingPage
from newsagg.replica import FaultPlan
from tests.crawling import compare_with_truth, crawl_dataset, scrapy_env

ARTICLE = re.compile(r"^/fr/[a-z0-9]+/\d+$")
SIZES = {signal.SIGINT: 120, signal.SIGKILL: 450}


def crawl_cmd(base_url: str, work: Path, *settings: str) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "scrapy.cmdline",
        "crawl",
        "maghress",
        "-a",
        f"base_url={base_url}",
        "-s",
        f"JOBDIR={work / 'job'}",
        "-s",
        f"NEWSAGG_DATA_DIR={work / 'data'}",
        "-s",
        "LOG_LEVEL=INFO",
    ]
    for s in settings:
        cmd += ["-s", s]
    return cmd


def article_requests(server) -> int:
    return sum(1 for _, target in list(server.request_log) if ARTICLE.match(target.split("?", 1)[0]))


def interrupted_run(r, work: Path, sig: int) -> tuple[subprocess.CompletedProcess, int]:
    """Run 1, slowed down, stopped with *sig* once a quarter of the articles were requested."""
    log = (work / "run1.log").open("w")
    proc = subprocess.Popen(
        crawl_cmd(r.base_url, work, "CONCURRENT_REQUESTS=4", "DOWNLOAD_DELAY=0.02"),
        cwd=work,
        env=scrapy_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    try:
        while article_requests(r.server) < len(r.corpus) // 4:
            assert proc.poll() is None, "run 1 ended before it could be interrupted"
            assert time.monotonic() < deadline, "run 1 too slow to start"
            time.sleep(0.02)
        os.kill(proc.pid, sig)
        rc = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    return subprocess.CompletedProcess(proc.args, rc, (work / "run1.log").read_text(), ""), article_requests(r.server)


def dataset_files(work: Path) -> dict[str, list[Path]]:
    d = work / "data" / "maghress"
    files = sorted(d.iterdir()) if d.exists() else []
    return {ext: [f for f in files if f.name.endswith(ext)] for ext in (".jsonl", ".csv", ".part")}


def read_valid_jsonl(path: Path) -> list[dict]:
    """Every line must be a whole JSON record with every field (no half-written line)."""
    data = path.read_bytes()
    assert not data or data.endswith(b"\n"), f"{path}: last line incomplete"
    items = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert all(list(i) == FIELDS for i in items), path
    return items


def read_valid_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows and rows[0] == FIELDS, path
    assert all(len(row) == len(FIELDS) for row in rows[1:]), f"{path}: a CSV row is not whole"
    return [dict(zip(FIELDS, row, strict=False)) for row in rows[1:]]


def published_items(work: Path) -> list[dict]:
    """Union of all published JSONL files; each CSV twin must hold the same records."""
    files = dataset_files(work)
    items: list[dict] = []
    for jsonl in files[".jsonl"]:
        got = read_valid_jsonl(jsonl)
        twin = jsonl.with_suffix(".csv")
        assert twin in files[".csv"], twin
        assert [r["url"] for r in read_valid_csv(twin)] == [i["url"] for i in got]
        items += got
    return items


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_crawl_resumes_without_loss(sig, make_replica, tmp_path):
    r = make_replica(n_articles=SIZES[sig], seed=11, faults=FaultPlan.none())
    run1, requested = interrupted_run(r, tmp_path, sig)
    assert requested < len(r.corpus), "run 1 was not interrupted mid-crawl"

    # The interrupted run's feed files: complete and valid, or absent.
    first = published_items(tmp_path)
    parts_after_run1 = set(dataset_files(tmp_path)[".part"])
    if sig == signal.SIGINT:
        assert "Received SIGINT" in run1.stdout and "(shutdown)" in run1.stdout, run1.stdout[-3000:]
        assert 0 < len(first) < len(r.corpus), "a graceful stop publishes what was written so far"
        assert (tmp_path / "job" / "requests.seen").exists()
        assert not (tmp_path / "job" / "newsagg.running").exists()
    else:
        assert run1.returncode == -signal.SIGKILL
        assert first == [], "a killed run publishes nothing (its files stay *.part)"
        assert parts_after_run1, "the killed run's feed files, unpublished"
        assert (tmp_path / "job" / "newsagg.running").exists()

    run2 = subprocess.run(
        crawl_cmd(r.base_url, tmp_path), cwd=tmp_path, env=scrapy_env(), capture_output=True, text=True, timeout=300
    )
    assert run2.returncode == 0, run2.stderr[-3000:]
    if sig == signal.SIGINT:
        assert "resuming a cleanly stopped crawl" in run2.stderr
        assert re.search(r"^ +resume/resumed +1$", run2.stderr, re.M)  # the crawl summary's count
    else:
        assert "did not stop cleanly" in run2.stderr and re.search(r"^ +resume/unclean +1$", run2.stderr, re.M)

    items = published_items(tmp_path)
    problems = compare_with_truth(items, r.truth, r.republication_groups)
    assert not problems, "\n".join(problems[:30])
    # Run 2 published all of its own files: a *.part left now is one the
    # killed run 1 left (SIGINT: none at all).
    left = set(dataset_files(tmp_path)[".part"])
    assert left <= parts_after_run1, sorted(p.name for p in left - parts_after_run1)
    if sig == signal.SIGINT:
        assert not parts_after_run1
    assert not (tmp_path / "job" / "newsagg.running").exists()


@pytest_twisted.ensureDeferred
async def test_resumed_crawl_does_not_stop_at_stored_listing_pages(make_replica, tmp_path):
    """The incremental state stops a source's pagination at a page of stored
    articles; a resumed JOBDIR crawl must not (its pagination was cut short)."""
    r = make_replica(n_articles=60, seed=12, faults=FaultPlan.none(), per_page=5)
    src = next(s for s in r.corpus.sources if r.corpus.listing_page_count(s.slug) >= 3)
    url = f"{r.base_url}/fr/{src.slug}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        page = HtmlResponse(url, body=resp.read(), headers={"Content-Type": resp.headers["Content-Type"]})
    # Every article of the source that its first listing page shows.
    newest = [e.ref.url for e in ListingPage(page, r.base_url, slug=src.slug).entries()]

    async def store_newest(data_dir: Path) -> None:
        first = await crawl_dataset("maghress", data_dir, base_url=r.base_url, urls=",".join(newest))
        assert sorted(i["url"] for i in first.items) == sorted(newest)

    control = tmp_path / "control"
    await store_newest(control)
    plain = await crawl_dataset("maghress", control, base_url=r.base_url)
    assert plain.stats.get("newsagg/listings/stopped_known", 0) >= 1  # the rule is on ...

    data, job = tmp_path / "resumed", tmp_path / "job"
    await store_newest(data)
    job.mkdir()
    (job / "requests.seen").write_bytes(b"")  # as left by a cleanly stopped run
    resumed = await crawl_dataset("maghress", data, settings={"JOBDIR": str(job)}, base_url=r.base_url)
    assert resumed.stats["newsagg/resume/resumed"] == 1
    assert resumed.stats.get("newsagg/listings/stopped_known", 0) == 0  # ... but not when resuming
    assert {i["url"] for i in resumed.items} & set(newest) == set()
    assert not (job / "newsagg.running").exists() and (job / "requests.seen").stat().st_size > 0
