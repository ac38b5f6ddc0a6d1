"""`scrapy crawl` as a user runs it: a real subprocess against a real replica."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsagg.items import FIELDS
from tests.crawling import compare_with_truth, read_csv, read_jsonl, scrapy_env

SCRAPY = [sys.executable, "-m", "scrapy.cmdline"]


def run_scrapy(args: list[str], cwd: Path, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(SCRAPY + args, cwd=cwd, env=scrapy_env(), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def small(make_replica_module):
    return make_replica_module(site="djazairess", n_articles=60, seed=3)


def test_crawl_with_O_writes_exact_jsonl_only(small, tmp_path):
    out = tmp_path / "out.jsonl"
    proc = run_scrapy(["crawl", "djazairess", "-a", f"base_url={small.base_url}", "-O", str(out)], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    problems = compare_with_truth(read_jsonl(out), small.truth, small.republication_groups)
    assert not problems, "\n".join(problems[:20])
    assert not (tmp_path / "data").exists(), "-O must not also write the default feeds"
    assert "newsagg crawl summary" in proc.stderr
    assert "politeness limits lifted" in proc.stderr


def test_crawl_without_O_leaves_csv_and_jsonl_dataset(small, tmp_path):
    proc = run_scrapy(["crawl", "djazairess", "-a", f"base_url={small.base_url}", "-a", "max_pages=1"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = sorted(p for p in (tmp_path / "data" / "djazairess").rglob("*") if ".staging" not in p.parts)
    csvs = [f for f in files if f.suffix == ".csv"]
    jsonls = [f for f in files if f.suffix == ".jsonl"]
    assert len(csvs) == 1 and len(jsonls) == 1, files
    items = read_jsonl(jsonls[0])
    rows = read_csv(csvs[0])
    assert items and [r["url"] for r in rows] == [i["url"] for i in items]
    # max_pages=1: a part of the site, each record exact (near-duplicate links
    # aside: the partner of a pair may be outside the part crawled).
    truth = {t["url"]: t for t in small.truth}
    fields = [f for f in FIELDS if f not in ("crawled_at", "near_duplicate_of", "warc_record_id")]
    for item in items:
        assert list(item) == FIELDS
        assert {f: item[f] for f in fields} == {f: truth[item["url"]][f] for f in fields}, item["url"]
    # A default run warns about nothing at start-up: a component off by default
    # (the since/until window) is not "Disabled" at WARNING level every night.
    assert not re.findall(r"^.*\[scrapy\.middleware\] WARNING.*$", proc.stderr, re.M)


def test_bad_argument_fails_with_clear_message(tmp_path):
    proc = run_scrapy(
        ["crawl", "maghress", "-a", "max_pages=zero", "-a", "base_url=http://127.0.0.1:9"], tmp_path, timeout=60
    )
    assert proc.returncode != 0
    assert "Bad spider argument: max_pages='zero': expected a whole number >= 1" in proc.stderr


def test_list_shows_the_three_spiders(tmp_path):
    proc = run_scrapy(["list"], tmp_path, timeout=60)
    # ... and their distributed workers (newsagg/distributed/spiders.py).
    assert proc.stdout.split() == [
        "djazairess",
        "djazairess_worker",
        "maghress",
        "maghress_worker",
        "turess",
        "turess_worker",
    ]
