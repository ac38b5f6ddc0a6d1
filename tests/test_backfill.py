"""Long runs: a real ``scrapy crawl`` killed with SIGKILL at chosen moments, then run again.

Whatever the moment (mid-segment, the segment staged, inside the state's
commit transaction, between the commit and the rename), every published
segment stays valid, the state marks stored exactly what published files
hold, the rerun fetches again at most one checkpoint of articles and reads at
most two listing pages of a source again, and the release built afterwards is
exact against the replica's ground truth. A clean stop resumes the same way,
and a listing that moved (news arrived in between) loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import pytest_twisted
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from newsagg.archive.writer import PAGE_KIND
from newsagg.dataset.release import build_release
from newsagg.layout import manifest_paths
from newsagg.replica import Corpus, ReplicaServer, expected_records, republication_groups
from newsagg.spiders.maghress import MaghressSpider
from newsagg.state.frontier import TAIL, MemoryFrontier, Walk
from tests.crawling import compare_with_truth, published_records, read_csv, read_jsonl, scrapy_env

CHECKPOINT = 100
CONCURRENCY = 8
ARTICLES = 700


def crawl(base_url: str, data: Path, log: Path, failpoint: str | None = None, *settings: str) -> subprocess.Popen:
    env = scrapy_env()
    if failpoint:
        env |= {"NEWSAGG_FAILPOINTS": failpoint, "NEWSAGG_FAILPOINTS_DIR": str(data.parent)}
    cmd = [
        sys.executable,
        "-m",
        "scrapy.cmdline",
        "crawl",
        "maghress",
        "-a",
        f"base_url={base_url}",
        "-s",
        f"NEWSAGG_DATA_DIR={data}",
        "-s",
        f"NEWSAGG_CHECKPOINT_ITEMS={CHECKPOINT}",
        "-s",
        f"CONCURRENT_REQUESTS={CONCURRENCY}",
        "-s",
        f"CONCURRENT_REQUESTS_PER_DOMAIN={CONCURRENCY}",
        "-s",
        f"LOG_FILE={log}",
    ]
    for setting in settings:
        cmd += ["-s", setting]
    return subprocess.Popen(cmd, cwd=data.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def served_articles(log) -> list[str]:
    out = []
    for _, target in log:
        path = target.split("?")[0]
        parts = path.split("/")
        if len(parts) == 4 and parts[1] == "fr" and parts[3].isdigit():
            out.append(path)
    return out


def served_listings(log) -> list[str]:
    out = []
    for _, target in log:
        parts = target.split("?")[0].strip("/").split("/")
        if (
            parts[0] == "fr"
            and len(parts) >= 2
            and not (len(parts) == 3 and parts[2].isdigit())
            and parts[1]
            not in (
                "author",
                "tag",
                "contact",
            )
        ):
            out.append(target)
    return out


def read_listings(data: Path) -> set[str]:
    """The listing pages a run read: those its WARCs captured (published or still in
    staging). A page requested and not read back when the run was killed is not one."""
    out = set()
    for path in data.rglob("*.warc.gz"):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response" and record.rec_headers.get_header(PAGE_KIND) == "listing":
                    parts = urlsplit(record.rec_headers.get_header("WARC-Target-URI"))
                    out.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def wait_until(predicate, timeout: float = 120, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def check_published(data: Path) -> list[dict]:
    """Every published segment is valid (files as its manifest says); nothing
    uncommitted lies where a reader looks; the state stores exactly the records
    of the published segments (and of a committed one a kill left in staging:
    the next run publishes it). Returns the published records."""
    site_dir = data / "maghress"
    db = sqlite3.connect(data / "state" / "maghress.sqlite3")
    try:
        stored = {tuple(r) for r in db.execute("SELECT source_slug, article_id FROM stored WHERE alias = 0")}
        committed = {name for (name,) in db.execute("SELECT name FROM segments")}
    finally:
        db.close()
    staged = [m for m in (site_dir / ".staging").glob("*/*.manifest.json") if m.parent.name in committed]
    records, pending_rename = [], []
    for manifest in [*manifest_paths(site_dir), *staged]:
        m = json.loads(manifest.read_text())
        listed = {f["name"] for f in m["files"]}
        on_disk = {p.name for p in manifest.parent.iterdir() if not p.name.startswith(".")} - {manifest.name}
        assert listed == on_disk, manifest
        for f in m["files"]:
            blob = (manifest.parent / f["name"]).read_bytes()
            assert hashlib.sha256(blob).hexdigest() == f["sha256"] and len(blob) == f["bytes"]
            if f["format"] == "jsonlines":
                rows = read_jsonl(manifest.parent / f["name"])
                assert len(rows) == f["rows"] == m["items_written"]
                csv_rows = read_csv(manifest.parent / f["name"].replace(".jsonl", ".csv"))
                assert [r["url"] for r in csv_rows] == [r["url"] for r in rows]
                (pending_rename if manifest in staged else records).extend(rows)
    stray = [p for p in site_dir.rglob("*") if p.is_file() and ".staging" not in p.parts and not p.name.startswith(".")]
    stray = [p for p in stray if not any(p.parent == m.parent for m in manifest_paths(site_dir))]
    assert not stray, f"files outside published segments: {stray}"
    assert stored == {(r["source_slug"], r["article_id"]) for r in records + pending_rename}, "stored == published"
    return records


@pytest.fixture
def site():
    server = ReplicaServer(Corpus("maghress", n_articles=ARTICLES, seed=42))
    server.start()
    try:
        yield server
    finally:
        server.stop()


MOMENTS = {
    "mid_segment": None,  # SIGKILL after a number of article pages, between checkpoints
    "segment_staged": "staged@3",  # files and manifest written, not committed
    "inside_commit": "commit@3",  # inside the state's transaction
    "before_rename": "rename@3",  # committed, not yet renamed
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_kill_at_any_moment_loses_at_most_one_checkpoint(site, tmp_path, moment):
    data = tmp_path / "data"
    failpoint = MOMENTS[moment]
    first = crawl(site.base_url, data, tmp_path / "first.log", failpoint)
    try:
        if failpoint:
            wait_until(lambda: (tmp_path / failpoint.split("@")[0]).exists(), what=failpoint)
        else:
            wait_until(lambda: len(served_articles(site.request_log)) >= 3 * CHECKPOINT + 40, what="articles")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    killed_log = list(site.request_log)
    read_before = read_listings(data)
    published = check_published(data)
    assert published, "the first run published segments before it died"
    staged = list((data / "maghress" / ".staging").iterdir())
    assert staged, "the segment being written died in staging"

    site.request_log.clear()
    rerun = crawl(site.base_url, data, tmp_path / "rerun.log")
    assert rerun.wait(timeout=300) == 0, (tmp_path / "rerun.log").read_text()[-3000:]
    assert not list((data / "maghress" / ".staging").iterdir()), "recovery left nothing in staging"
    records = check_published(data)

    # Fetched again: the article pages of the one segment the kill lost. A segment
    # is cut at the first idle moment after its CHECKPOINT-th record, so it also
    # holds the pages downloaded by then (the downloader's and the scraper's).
    again = set(served_articles(killed_log)) & set(served_articles(site.request_log))
    records_again = again & {"/fr/" + r["url"].split("/fr/", 1)[1] for r in records}
    assert len(records_again) <= CHECKPOINT + 2 * CONCURRENCY, f"{len(records_again)} records fetched again"
    assert len(again) <= 1.2 * (CHECKPOINT + 2 * CONCURRENCY), f"{len(again)} article pages fetched again"
    listings = Counter(t.split("?")[0].split("/")[2] for t in read_before & set(served_listings(site.request_log)))
    assert max(listings.values(), default=0) <= 2, f"listing pages read again per source: {dict(listings)}"
    log = (tmp_path / "rerun.log").read_text()
    if moment == "before_rename":
        assert "committed by a run that died before publishing it: published now" in log
    elif moment != "mid_segment":
        assert "removed: its articles are fetched again" in log

    truth = expected_records(site.corpus, site.base_url)
    groups = republication_groups(site.corpus, site.base_url)
    assert compare_with_truth(records, truth, groups) == []
    release = build_release("maghress", data, tmp_path / "release", jsonl=True)
    assert not release["refused"]
    assert compare_with_truth(read_jsonl(tmp_path / "release" / "maghress.jsonl"), truth, groups) == []


def test_clean_stop_resumes_where_it_stopped(site, tmp_path):
    """One Ctrl-C publishes what was done; the next run continues the walks, not page 1."""
    data = tmp_path / "data"
    first = crawl(site.base_url, data, tmp_path / "first.log")
    wait_until(lambda: len(served_articles(site.request_log)) >= 250, what="articles")
    first.send_signal(signal.SIGINT)
    assert first.wait(timeout=120) == 0
    read_before = read_listings(data)
    m = [json.loads(p.read_text()) for p in manifest_paths(data / "maghress")]
    assert m[-1]["finish_reason"] == "shutdown" and m[-1]["segment"]["final"]
    check_published(data)
    db = sqlite3.connect(data / "state" / "maghress.sqlite3")
    walks = db.execute("SELECT count(*) FROM walks").fetchone()[0]
    db.close()
    assert walks, "the stopped run left its walks' cursors"

    site.request_log.clear()
    rerun = crawl(site.base_url, data, tmp_path / "rerun.log")
    assert rerun.wait(timeout=300) == 0
    records = check_published(data)
    listings = Counter(t.split("?")[0].split("/")[2] for t in read_before & set(served_listings(site.request_log)))
    assert max(listings.values(), default=0) <= 2, dict(listings)
    assert "Resuming the walk of" in (tmp_path / "rerun.log").read_text()
    truth = expected_records(site.corpus, site.base_url)
    assert compare_with_truth(records, truth, republication_groups(site.corpus, site.base_url)) == []


def test_news_between_the_kill_and_the_rerun_loses_nothing(tmp_path):
    """The listings move down while the run is dead (a new edition of the site):
    the resumed walks and the head walks still reach every article."""
    data = tmp_path / "data"
    old = ReplicaServer(Corpus("maghress", n_articles=ARTICLES, seed=43, edition=1))
    old.start()
    try:
        first = crawl(old.base_url, data, tmp_path / "first.log")
        wait_until(lambda: len(served_articles(old.request_log)) >= 2 * CHECKPOINT + 30, what="articles")
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        old.stop()
    new = ReplicaServer(Corpus("maghress", n_articles=ARTICLES, seed=43, edition=3))
    new.start()
    try:
        rerun = crawl(new.base_url, data, tmp_path / "rerun.log")
        assert rerun.wait(timeout=300) == 0
        records = published_records(data / "maghress")
        for r in records:  # the first run's records are on the old server's port: same site, same keys
            r["url"] = r["url"].replace(old.base_url, new.base_url)
            if r.get("near_duplicate_of"):
                r["near_duplicate_of"] = r["near_duplicate_of"].replace(old.base_url, new.base_url)
        truth = expected_records(new.corpus, new.base_url)
        assert len(truth) > ARTICLES
        assert compare_with_truth(records, truth, republication_groups(new.corpus, new.base_url)) == []
    finally:
        new.stop()


def test_a_dataset_run_ignores_jobdir_with_a_warning(site, tmp_path):
    """A dataset run resumes from its state: Scrapy's JOBDIR queue would only
    repeat or filter its requests, so it is not used (said once)."""
    proc = crawl(site.base_url, tmp_path / "data", tmp_path / "crawl.log", None, f"JOBDIR={tmp_path / 'job'}")
    assert proc.wait(timeout=300) == 0
    log = (tmp_path / "crawl.log").read_text()
    assert log.count("JOBDIR is not used by a dataset run") == 1
    assert not (tmp_path / "job").exists()


class _LeftWalks(MemoryFrontier):
    """A frontier holding the unfinished walks of an earlier run."""

    def __init__(self, walks):
        super().__init__()
        self._left = walks

    def walks(self):
        return [Walk(w.slug, w.mode, w.next_url, w.next_page, w.anchors) for w in self._left]


@pytest_twisted.ensureDeferred
async def test_resumed_sources_read_for_news_only_when_the_home_page_answers_first(replica):
    """The engine may parse the home page before the resumed walks are taken
    from start(): those sources are still read from page 1 for news only (head),
    never walked again from page 1 to the cursor (tail)."""
    home_html = urllib.request.urlopen(f"{replica.base_url}/fr/", timeout=30).read()
    slugs = [s.slug for s in replica.corpus.sources]
    resumed = set(slugs[::2])
    crawler = get_crawler(MaghressSpider)
    spider = MaghressSpider.from_crawler(crawler, base_url=replica.base_url)
    spider.frontier = _LeftWalks(
        [Walk(s, TAIL, f"{replica.base_url}/fr/{s}?page=5", 5, ("1",)) for s in sorted(resumed)]
    )
    start = spider.start()
    home = await start.__anext__()  # only the home page taken so far
    assert home.callback == spider.parse_home
    answer = HtmlResponse(home.url, body=home_html, encoding="utf-8", request=home)
    first_pages = {
        r.meta["newsagg_walk"].slug: r.meta["newsagg_walk"].mode
        for r in spider.parse_home(answer)
        if r.meta.get("newsagg_kind") == "listing"
    }
    assert set(first_pages) == set(slugs)
    assert {s for s, mode in first_pages.items() if mode == "head"} == resumed
    await start.aclose()
