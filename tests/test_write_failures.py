"""Write failures: a data directory on a real filesystem that fills up (no space,
no inodes), a data file that cannot be opened. Every failure fails its
segment: nothing of it is committed, ``scrapy crawl`` exits 4 with an ERROR
naming the cause, ``newsagg status`` still answers, and the next run with
room repairs everything: the dataset ends exact.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from newsagg.layout import manifest_paths
from newsagg.replica import Corpus, ReplicaServer, expected_records, republication_groups
from tests.crawling import compare_with_truth, newsagg, published_records, read_jsonl, scrapy_env


@pytest.fixture
def small_fs(tmp_path):
    """A tmpfs of its own (mounted as root; CI runs as root), unmounted at the end."""
    mount = tmp_path / "fs"
    mount.mkdir()

    def mount_with(options: str) -> Path:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], capture_output=True)
        if done.returncode:
            if os.environ.get("CI"):
                pytest.fail(f"cannot mount a tmpfs: {done.stderr.decode()}")
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        return mount

    def remount(options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(mount)], check=True)

    yield mount_with, remount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@pytest.fixture(scope="module")
def site():
    server = ReplicaServer(Corpus("maghress", n_articles=240, seed=44))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def crawl(base_url: str, data: Path, cwd: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "scrapy.cmdline", "crawl", "maghress", "-a", f"base_url={base_url}"]
    cmd += ["-s", f"NEWSAGG_DATA_DIR={data}", "-s", "NEWSAGG_CHECKPOINT_ITEMS=40", *extra]
    return subprocess.run(cmd, cwd=cwd, env=scrapy_env(), capture_output=True, text=True, timeout=300)


def stored_keys(data: Path) -> set[tuple[str, str]]:
    db = sqlite3.connect(f"file:{data / 'state' / 'maghress.sqlite3'}?mode=ro", uri=True)
    try:
        return {tuple(r) for r in db.execute("SELECT source_slug, article_id FROM stored WHERE alias = 0")}
    finally:
        db.close()


def assert_nothing_half_done(data: Path) -> list[dict]:
    """Published segments only, each complete; the state stores exactly what they hold."""
    site_dir = data / "maghress"
    records = published_records(site_dir)
    for manifest in manifest_paths(site_dir):
        for f in json.loads(manifest.read_text())["files"]:
            assert (manifest.parent / f["name"]).stat().st_size == f["bytes"]
    assert not list((site_dir / ".staging").glob("*")), "a failed segment leaves nothing in staging"
    assert stored_keys(data) == {(r["source_slug"], r["article_id"]) for r in records}
    return records


@pytest.mark.parametrize("limit", ["size=1500k", "size=100m,nr_inodes=30"], ids=["no_space", "no_inodes"])
def test_a_full_disk_fails_the_run_loudly_and_the_next_run_repairs_it(site, tmp_path, small_fs, limit):
    mount_with, remount = small_fs
    data = mount_with(limit) / "data"
    failed = crawl(site.base_url, data, tmp_path)
    assert failed.returncode == 4, failed.stderr[-3000:]
    errors = [line for line in failed.stderr.splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and "Publication failed" in errors[0], errors
    assert "No space left on device" in errors[0] or "disk is full" in errors[0], errors
    assert "Traceback" not in failed.stderr, failed.stderr[-3000:]
    assert "PUBLICATION FAILED" in failed.stderr, "the summary says it too"
    before = assert_nothing_half_done(data)
    assert len(before) < 240

    status = newsagg("status", "--data-dir", str(data), cwd=tmp_path)
    assert status.returncode == 0 and "Traceback" not in status.stderr, status.stderr
    assert "maghress" in status.stdout

    remount("size=200m,nr_inodes=100000")
    repaired = crawl(site.base_url, data, tmp_path)
    assert repaired.returncode == 0, repaired.stderr[-3000:]
    assert "PUBLICATION FAILED" not in repaired.stderr and "(published: " in repaired.stderr
    records = assert_nothing_half_done(data)
    truth = expected_records(site.corpus, site.base_url)
    assert compare_with_truth(records, truth, republication_groups(site.corpus, site.base_url)) == []


class UnopenableExporter:
    """A data file whose exporter cannot start (as a file the filesystem refuses)."""

    def __init__(self, file, **kwargs):
        self.file = file

    def start_exporting(self):
        raise OSError(36, "File name too long", "maghress-…-0001.parquet")


def test_a_file_that_cannot_be_opened_commits_nothing(site, tmp_path):
    data = tmp_path / "data"
    exporters = json.dumps({"parquet": "tests.test_write_failures.UnopenableExporter"})
    failed = crawl(site.base_url, data, tmp_path, "-s", f"FEED_EXPORTERS={exporters}")
    assert failed.returncode == 4, failed.stderr[-3000:]
    errors = [line for line in failed.stderr.splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and "File name too long" in errors[0] and "not published" in errors[0], errors
    assert assert_nothing_half_done(data) == []
    assert not stored_keys(data), "no article marked stored"
    again = crawl(site.base_url, data, tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    records = assert_nothing_half_done(data)
    truth = expected_records(site.corpus, site.base_url)
    assert compare_with_truth(records, truth, republication_groups(site.corpus, site.base_url)) == []
    assert all(read_jsonl(p) for p in (data / "maghress").glob("maghress-*/*.jsonl"))
