"""`scrapy crawl` and `newsagg` as a user runs them: real subprocesses against a real replica.

Exit status of a crawl: 0 all well, 1 could not start, 3 a health check failed,
4 publication failed (wins over 3). The usual mistakes are one line, no traceback.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import signals

from newsagg.cli import main as cli_main
from newsagg.commands.crawl import exit_status
from newsagg.items import FIELDS
from newsagg.layout import manifest_paths
from tests.crawling import compare_with_truth, project_settings, read_csv, read_jsonl, scrapy_env

SCRAPY = [sys.executable, "-m", "scrapy.cmdline"]
#: The installed console command (./run setup: pip install -e .).
NEWSAGG = str(Path(sys.executable).parent / "newsagg")
#: Nothing listens there: connection refused at once.
UNREACHABLE = "http://127.0.0.1:9"
SPIDERS = "djazairess, djazairess_worker, maghress, maghress_worker, turess, turess_worker"


class FailedSegment:
    """Test extension: sets the stat the publisher sets when a segment could not be written."""

    @classmethod
    def from_crawler(cls, crawler):
        def closed(spider):
            crawler.stats.inc_value("newsagg/segments/failed")

        crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
        return cls()


def with_failed_segment() -> list[str]:
    """``-s EXTENSIONS=...``: the project's extensions plus :class:`FailedSegment`."""
    extensions = {**project_settings()["EXTENSIONS"], f"tests.test_cli.{FailedSegment.__name__}": 50}
    return ["-s", f"EXTENSIONS={json.dumps(extensions)}"]


def anywhere_env() -> dict:
    """A user's environment: no PYTHONPATH to the checkout, no Scrapy project variables."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT")}


def run_newsagg(args: list[str], cwd: Path, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [NEWSAGG, *args], cwd=cwd, env=anywhere_env(), capture_output=True, text=True, timeout=timeout
    )


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
    manifests = manifest_paths(tmp_path / "data" / "djazairess", "djazairess")
    assert len(manifests) == 1, manifests  # one segment: the run's only and final one
    files = sorted(manifests[0].parent.iterdir())
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


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["maghres"],
            f"crawl: unknown spider 'maghres'; did you mean 'maghress'? (spiders: {SPIDERS})",
        ),
        (["tursse"], f"crawl: unknown spider 'tursse'; did you mean 'turess'? (spiders: {SPIDERS})"),
        (["nothing_like_it"], f"crawl: unknown spider 'nothing_like_it' (spiders: {SPIDERS})"),
        (
            ["maghress", "-a", "since=2024-13-01"],
            "crawl: Bad spider argument: since='2024-13-01': there is no month 13 (01 to 12)",
        ),
        (
            ["maghress", "-a", "until=2023-02-29"],
            "crawl: Bad spider argument: until='2023-02-29': 2023-02 has no day 29 (01 to 28)",
        ),
        (["maghress", "-a", "max_page=2"], "crawl: Bad spider argument: unknown spider argument(s): max_page; known: "),
        (["maghress", "-a", "base_url"], "crawl: Invalid -a value, use -a NAME=VALUE"),
        (["maghress", "-O", "out.xlsx"], "crawl: Unrecognized output format 'xlsx'."),
    ],
)
def test_mistakes_are_one_line_and_exit_1_before_anything_starts(tmp_path, args, line):
    proc = run_scrapy(["crawl", *args, "-s", f"NEWSAGG_DATA_DIR={tmp_path / 'data'}"], tmp_path, timeout=60)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert proc.stdout == "" and len(proc.stderr.splitlines()) == 1, proc.stderr[-2000:]
    assert proc.stderr.startswith(line), proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "nothing written"


@pytest.mark.parametrize(
    ("stats", "status"),
    [
        ({"finish_reason": "finished"}, 0),
        ({"finish_reason": "finished", "newsagg/health/failed_checks": 0, "newsagg/segments/failed": 0}, 0),
        ({"finish_reason": "finished", "newsagg/health/failed_checks": 2}, 3),
        ({"finish_reason": "finished", "newsagg/segments/failed": 1}, 4),
        ({"finish_reason": "finished", "newsagg/segments/failed": 1, "newsagg/health/failed_checks": 1}, 4),
        ({"finish_reason": "state_locked"}, 1),
        ({"finish_reason": "state_error", "newsagg/health/failed_checks": 1}, 1),
        ({"finish_reason": "shutdown", "newsagg/health/failed_checks": 1}, 3),
    ],
)
def test_exit_status_of_a_crawl_that_ran(stats, status):
    assert exit_status(stats) == status


def test_unreachable_site_exits_3_without_traceback(tmp_path):
    proc = run_scrapy(["crawl", "maghress", "-a", f"base_url={UNREACHABLE}", "-O", "out.jsonl"], tmp_path)
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "Dumping Scrapy stats" not in proc.stderr
    assert "Health check failed: failed_pages: the start page failed" in proc.stderr
    # The robots.txt failure is one line, not a traceback (Scrapy's middleware attaches one).
    robots = [line for line in proc.stderr.splitlines() if "[scrapy.downloadermiddlewares.robotstxt]" in line]
    assert len(robots) == 1 and "Connection was refused" in robots[0], robots


def test_locked_data_dir_exits_1(tmp_path):
    """Another run holds the state's lock: this one stops at once (state_locked), exit 1."""
    lock = tmp_path / "data" / "state" / "maghress.lock"
    lock.parent.mkdir(parents=True)
    with lock.open("a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        proc = run_scrapy(
            ["crawl", "maghress", "-a", f"base_url={UNREACHABLE}", "-s", f"NEWSAGG_DATA_DIR={tmp_path / 'data'}"],
            tmp_path,
        )
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "is locked by another run" in proc.stderr and "finish: state_locked" in proc.stderr


def test_publication_failed_exits_4_even_with_a_failed_health_check(small, tmp_path):
    good = run_scrapy(
        ["crawl", "djazairess", "-a", f"base_url={small.base_url}", "-O", "a.jsonl", *with_failed_segment()], tmp_path
    )
    assert good.returncode == 4, good.stderr[-3000:]
    both = run_scrapy(
        ["crawl", "djazairess", "-a", f"base_url={UNREACHABLE}", "-O", "b.jsonl", *with_failed_segment()], tmp_path
    )
    assert both.returncode == 4 and "Health check failed" in both.stderr, both.stderr[-3000:]


def test_newsagg_crawl_from_any_directory_gives_exact_records(make_replica_module, tmp_path):
    """No scrapy.cfg, no PYTHONPATH: the installed command alone; the summary is the last thing
    shown, the stats dump goes to the log file."""
    site = make_replica_module(site="maghress", n_articles=60, seed=13)
    proc = run_newsagg(["crawl", "maghress", "-a", f"base_url={site.base_url}", "-O", "out.jsonl"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    problems = compare_with_truth(read_jsonl(tmp_path / "out.jsonl"), site.truth, site.republication_groups)
    assert not problems, "\n".join(problems[:20])
    assert "newsagg crawl summary" in proc.stderr and "Dumping Scrapy stats" not in proc.stderr
    assert not (tmp_path / "data").exists()
    logged = run_newsagg(
        ["crawl", "maghress", "-a", f"base_url={site.base_url}", "-O", "again.jsonl", "-s", "LOG_FILE=crawl.log"],
        tmp_path,
    )
    assert logged.returncode == 0 and "Dumping Scrapy stats" in (tmp_path / "crawl.log").read_text()
    asked = run_newsagg(
        ["crawl", "maghress", "-a", f"base_url={site.base_url}", "-O", "third.jsonl", "-s", "STATS_DUMP=True"], tmp_path
    )
    assert asked.returncode == 0 and asked.stderr.count("Dumping Scrapy stats") == 1  # asked for: shown, once
    assert run_newsagg(["crawl", "maghres"], tmp_path).stderr.startswith("crawl: unknown spider 'maghres'")


def test_newsagg_demo_from_any_directory(tmp_path):
    proc = run_newsagg(["demo", "--sites", "turess", "--articles", "40", "--out", "demo"], tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.rstrip().endswith("result: every article exact")
    assert (tmp_path / "demo" / "turess.jsonl").exists()


def test_status_of_a_missing_or_empty_data_dir_is_an_error(tmp_path, capsys):
    assert cli_main(["status", "--data-dir", str(tmp_path / "nope")]) == 2
    out, err = capsys.readouterr()
    assert (
        out == ""
        and err
        == f"newsagg status: {tmp_path / 'nope'}: no such directory (--data-dir: the NEWSAGG_DATA_DIR of the runs)\n"
    )
    (tmp_path / "empty").mkdir()
    assert cli_main(["status", "--data-dir", str(tmp_path / "empty")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"newsagg status: no run under {tmp_path / 'empty'}") and err.count("\n") == 1


def test_status_output_ends_with_a_newline(tmp_path, capsys):
    from tests.test_dataset import LIVE, checks, records_on, write_run

    write_run(tmp_path / "data", "20250601T000000Z", records_on(LIVE, 5, 3), base_url=LIVE, health=checks())
    assert cli_main(["status", "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("maghress  last run") and out.endswith("\n") and not out.endswith("\n\n")


def test_dataset_build_of_a_missing_data_dir_is_one_line(tmp_path, capsys):
    argv = ["dataset", "build", "maghress", "--data-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "r")]
    assert cli_main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "no such directory" in err
