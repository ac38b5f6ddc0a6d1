"""Distributed mode end to end: a real redis-server, three `scrapy crawl
maghress_worker` processes sharing one frontier and one state, one of them
SIGKILLed mid-crawl; then `merge`.

Checks: the merged dataset equals the replica's ground truth, each article
exactly once; every worker did a share of the work; the killed worker lost
nothing (its claims were released and its in-flight requests requeued and
done by the survivors), and the survivors' committed files alone already hold
every article exactly once (the merge had nothing to drop).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis

from newsagg.distributed.keys import CrawlKeys
from newsagg.replica import Corpus, ReplicaServer, expected_records, republication_groups
from newsagg.state.redis import StateKeys
from tests.crawling import compare_with_truth, read_jsonl

ROOT = Path(__file__).resolve().parent.parent
SPIDER = "maghress_worker"
TTL, IDLE = 5, 15  # lease TTL < idle timeout: survivors are still there when the dead lease lapses


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsagg.distributed", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def start_worker(redis_url: str, data_dir: Path, job: str, *extra: str) -> subprocess.Popen:
    """`scrapy crawl maghress_worker` as a separate process (what a Scrapyd node runs)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        SPIDER,
        "-a",
        f"_job={job}",
        "-s",
        f"REDIS_URL={redis_url}",
        "-s",
        f"NEWSAGG_DATA_DIR={data_dir}",
        "-s",
        f"MAX_IDLE_TIME_BEFORE_CLOSE={IDLE}",
        "-s",
        f"NEWSAGG_DISTRIBUTED_LEASE_TTL={TTL}",
        # A little delay per worker so one process cannot finish the whole
        # replica while the others are still importing Scrapy, and two
        # requests in flight per worker (the loopback profile allows 32):
        # otherwise three workers pull most of the frontier into their
        # downloaders at once and it is empty before worker a holds claims.
        "-s",
        "DOWNLOAD_DELAY=0.05",
        "-s",
        "CONCURRENT_REQUESTS=2",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=2",
        "-s",
        "LOG_LEVEL=INFO",
        "-s",
        f"LOG_FILE={data_dir / 'worker.log'}",
        *extra,
    ]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for(predicate, timeout: float, what: str, step: float = 0.1, seen=None):
    """Poll *predicate*; on timeout say what was waited for and, with *seen*, what was last observed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    observed = f" (last seen: {seen()})" if seen else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{observed}")


def finals(data_dir: Path, suffix: str = ".jsonl") -> list[Path]:
    """The files of the worker's published segments."""
    return sorted((data_dir / SPIDER).glob(f"{SPIDER.split('_')[0]}-*/*{suffix}"))


def staged(data_dir: Path, suffix: str = ".jsonl") -> list[Path]:
    """The files of the worker's unpublished segment (what a killed worker was writing)."""
    return sorted((data_dir / SPIDER / ".staging").glob(f"*/*{suffix}"))


@pytest.fixture(scope="module")
def run(redis_url, tmp_path_factory):
    """The scenario, once: seed, 3 workers, SIGKILL one mid-crawl, survivors finish, merge."""
    tmp = tmp_path_factory.mktemp("distributed")
    server = redis.Redis.from_url(redis_url)
    server.flushdb()
    replica = ReplicaServer(Corpus("maghress", n_articles=240, seed=11))
    replica.start()
    procs: dict[str, subprocess.Popen] = {}
    try:
        base = replica.base_url
        jobs = {name: uuid.uuid4().hex for name in ("a", "b", "c")}
        # Workers first: they wait for work (their -a base_url agrees with the seed).
        for name, job in jobs.items():
            procs[name] = start_worker(redis_url, tmp / name, job, "-a", f"base_url={base}")
        crawl = CrawlKeys("newsagg", SPIDER)
        wait_for(
            lambda: server.scard(crawl.workers) == 3 or any(p.poll() is not None for p in procs.values()),
            180,
            "three workers to open",
        )
        assert all(p.poll() is None for p in procs.values()), {
            n: p.stderr.read() for n, p in procs.items() if p.poll() is not None
        }
        seeded = cli("seed", "maghress", "--base-url", base, "--redis-url", redis_url)
        assert seeded.returncode == 0, seeded.stderr
        state = StateKeys("newsagg", "maghress")

        # Kill worker a once it holds claims (items in its open files) and work remains in the
        # shared frontier, both read just before the kill (after it, the survivors drain it).
        def observed() -> dict:
            return {
                "claims_a": server.hlen(state.claims(jobs["a"])),
                "frontier": server.zcard(crawl.requests),
                "alive": {n: p.poll() is None for n, p in procs.items()},
            }

        wait_for(
            lambda: (o := observed())["claims_a"] >= 5 and o["frontier"] > 0,
            180,
            "worker a to claim articles while work remains",
            seen=observed,
        )
        at_kill = observed()
        frontier_at_kill, claims_a = at_kill["frontier"], at_kill["claims_a"]
        procs["a"].send_signal(signal.SIGKILL)
        procs["a"].wait(30)
        for name in ("b", "c"):
            procs[name].wait(300)
        logs = {n: procs[n].stderr.read() for n in procs}
        merged = tmp / "merged.jsonl"
        merge = cli("merge", str(tmp / "a"), str(tmp / "b"), str(tmp / "c"), "-o", str(merged))
        yield SimpleNamespace(
            tmp=tmp,
            server=server,
            crawl=crawl,
            state=state,
            jobs=jobs,
            procs=procs,
            logs=logs,
            claims_a=claims_a,
            frontier_at_kill=frontier_at_kill,
            merge=merge,
            merged=merged,
            truth=expected_records(replica.corpus, base),
            groups=republication_groups(replica.corpus, base),
            status=json.loads(cli("status", "maghress", "--redis-url", redis_url).stdout),
        )
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait(30)
        replica.stop()


def test_survivors_finish_cleanly(run):
    for name in ("b", "c"):
        assert run.procs[name].returncode == 0, run.logs[name][-3000:]
        log = (run.tmp / name / "worker.log").read_text(encoding="utf-8")
        assert "Spider closed (finished)" in log
        assert re.search(r"Segment \S+ published", log)
    assert run.procs["a"].returncode == -signal.SIGKILL


def test_merged_dataset_equals_truth_exactly_once(run):
    assert run.merge.returncode == 0, run.merge.stderr
    items = read_jsonl(run.merged)
    problems = compare_with_truth(items, run.truth, run.groups)
    assert not problems, "\n".join(problems[:40])
    expected = len(run.truth) - sum(len(g) - 1 for g in run.groups)
    assert len(items) == expected


def test_each_worker_did_a_share(run):
    per_worker = {name: sum(len(read_jsonl(p)) for p in finals(run.tmp / name)) for name in ("b", "c")}
    # The killed worker's work only exists in its unpublished segment (staging).
    killed_part = [r for p in staged(run.tmp / "a") for r in read_jsonl_lenient(p)]
    print(
        "items per worker:",
        per_worker,
        "killed worker's unpublished items:",
        len(killed_part),
        "frontier at the kill:",
        run.frontier_at_kill,
    )
    assert per_worker["b"] > 0 and per_worker["c"] > 0, per_worker
    assert run.claims_a >= 5 and killed_part, "the killed worker had written items"


def read_jsonl_lenient(path: Path) -> list[dict]:
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass  # the line being written at SIGKILL
    return out


def test_killed_worker_lost_nothing(run):
    a = run.tmp / "a"
    assert not finals(a) and not finals(a, ".manifest.json"), "a killed run publishes no dataset file"
    # Its claims were released and its requests requeued to the survivors...
    assert run.server.hlen(run.state.claims(run.jobs["a"])) == 0
    assert run.server.hexists(run.state.reaped, run.jobs["a"]), "marked: it could never commit now"
    assert int(run.server.get(run.crawl.requeued) or 0) >= 1
    assert run.frontier_at_kill > 0, "killed mid-crawl: the survivors still had work to share"
    recovered = [n for n in ("b", "c") if "is dead (lease expired)" in (run.tmp / n / "worker.log").read_text()]
    assert recovered, "a survivor reclaimed the dead run's work"
    # ...and every article it had claimed is in the survivors' published files
    # (by content: of a republication pair either member may be the one kept).
    survivors = {r["fingerprint"] for n in ("b", "c") for p in finals(run.tmp / n) for r in read_jsonl(p)}
    killed = {r["fingerprint"] for p in staged(a) for r in read_jsonl_lenient(p)}
    assert killed and killed <= survivors


def test_committed_files_alone_hold_each_article_once(run):
    """No reliance on the merge's dedup: the survivors' files are disjoint and complete."""
    report = json.loads(run.merge.stdout)
    assert report["dropped"] == {}, report["dropped"]
    items = [r for n in ("b", "c") for p in finals(run.tmp / n) for r in read_jsonl(p)]
    assert len({r["url"] for r in items}) == len(items)
    assert len({r["fingerprint"] for r in items}) == len(items)
    assert report["records_written"] == len(items)


def test_redis_state_after_the_crawl(run):
    status = run.status
    assert status["frontier"] == 0 and status["seeds_waiting"] == 0
    assert status["runs"] == {}, "no run holds work or claims any more"
    expected = len(run.truth) - sum(len(g) - 1 for g in run.groups)
    # Every article stored; a republication dropped inside one worker is stored as an alias too.
    assert expected <= status["stored_keys"] <= len(run.truth)
    stored_fps = {fp.decode() for fp in run.server.hkeys(run.state.fps)}
    assert {t["fingerprint"] for t in run.truth} == stored_fps
    assert status["committed_runs"] == 2  # b and c; a never committed
    assert run.server.hlen(run.state.claimed_keys) == 0 and run.server.hlen(run.state.claimed_fps) == 0
