"""Distributed mode: pages/s with 1 vs 2 workers sharing one Redis frontier.

Run: ``python -m benchmarks.bench_distributed [--articles 2000] [--workers 1,2]``
(also the ``workers`` section of ``python -m benchmarks``).

For each worker count: a fresh ``redis-server`` (loopback, no persistence),
the replica in its own process (no fault pages), N ``scrapy crawl
maghress_worker`` processes started and registered *before* the seed (start-
up excluded), then ``seed``. The crawl window runs from the seed to the last
response any worker received (the workers' idle wait before stopping is
excluded); pages = responses summed over the workers. Every worker gets the
loopback profile of the crawl section (concurrency 32, no delay). Checks: each
run exits cleanly, the merged dataset holds exactly the ground truth's
records, the workers' files are disjoint, every worker did a share.

On a 2-core machine the figure is CPU-bound: the replica server and every
worker compete for the same two cores, so the second worker adds far less
than 2x (and other load on the machine moves the figure).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.statscollector import STATS_FILE_ENV

ROOT = Path(__file__).resolve().parent.parent
SPIDER = "maghress_worker"
IDLE_S = 30  # > the time the last worker takes to start (the first one waits for it)


def _worker_cmd(redis_url: str, base_url: str, out: Path, job: str, settings: dict[str, str]) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", SPIDER, "-a", f"_job={job}", "-a", f"base_url={base_url}"]
    all_settings = {
        **settings,
        "REDIS_URL": redis_url,
        "NEWSAGG_DATA_DIR": str(out / "data"),
        "MAX_IDLE_TIME_BEFORE_CLOSE": str(IDLE_S),
        "LOG_LEVEL": "INFO",
        "LOG_FILE": str(out / "crawl.log"),
        "STATS_CLASS": "benchmarks.statscollector.JsonStatsCollector",
    }
    for key, value in all_settings.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd


def run_workers(n: int, replica, workdir: Path, log: Callable[[str], None] = print, timeout: float = 3600) -> dict:
    """One distributed crawl of *replica* by *n* workers; returns its measures."""
    import redis

    from benchmarks.harness import common_settings
    from newsagg.distributed.keys import CrawlKeys
    from newsagg.distributed.merge import merge
    from newsagg.distributed.seed import seed
    from tests.redis_server import RedisServer

    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with RedisServer() as rs:
        server = redis.Redis.from_url(rs.url)
        procs = []
        for i in range(n):
            out = workdir / f"worker{i + 1}"
            out.mkdir(parents=True, exist_ok=True)
            job = f"{i + 1:02x}" + os.urandom(15).hex()
            cmd = _worker_cmd(rs.url, replica.base_url, out, job, common_settings())
            (out / "command.txt").write_text(" ".join(cmd) + "\n", encoding="utf-8")
            err = open(out / "stderr.log", "wb")  # noqa: SIM115 - closed below
            worker_env = {**env, STATS_FILE_ENV: str(out / "stats.json")}
            procs.append(
                (
                    subprocess.Popen(cmd, cwd=ROOT, env=worker_env, stdin=subprocess.DEVNULL, stdout=err, stderr=err),
                    out,
                    err,
                )
            )
        crawl = CrawlKeys("newsagg", SPIDER)
        deadline = time.monotonic() + 300
        while server.scard(crawl.workers) < n:
            if time.monotonic() > deadline or any(p.poll() is not None for p, _, _ in procs):
                for p, _, _ in procs:
                    p.kill()
                raise RuntimeError(f"{n} worker(s) did not start (see {workdir}/worker*/stderr.log)")
            time.sleep(0.05)
        replica_cpu0 = replica.cpu_seconds()
        t_seed = time.time()
        seed(server, "maghress", {"base_url": replica.base_url}, prefix="newsagg")
        cpu = 0.0
        codes = []
        for p, _, err in procs:
            _pid, status, usage = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            codes.append(p.returncode)
            cpu += usage.ru_utime + usage.ru_stime
            err.close()
        replica_cpu = replica.cpu_seconds() - replica_cpu0
    stats = [
        json.loads((out / "stats.json").read_text()) if (out / "stats.json").exists() else {} for _, out, _ in procs
    ]
    pages = sum(int(s.get("response_received_count", 0)) for s in stats)
    last = max((float(s.get("newsagg/distributed/last_response_time") or 0) for s in stats), default=0)
    window = max(last - t_seed, 1e-9)
    report = merge([str(out / "data") for _, out, _ in procs], str(workdir / "merged.jsonl"))
    return {
        "workers": n,
        "pages": pages,
        "crawl_s": round(window, 3),
        "pages_per_s": round(pages / window, 2),
        "items": report.written,
        "items_per_worker": [int(s.get("item_scraped_count", 0)) for s in stats],
        "pages_per_worker": [int(s.get("response_received_count", 0)) for s in stats],
        "merge_dropped": dict(report.dropped),
        "worker_cpu_s": round(cpu, 2),
        "replica_cpu_s": round(replica_cpu, 2),
        "exit_codes": codes,
        "finish_reasons": [s.get("finish_reason") for s in stats],
        "merged": str(workdir / "merged.jsonl"),
    }


def check(row: dict, truth: list[dict], groups: list[list[str]]) -> list[str]:
    """Problems of one run: exits, shares, and the merged dataset vs the ground truth."""
    from tests.crawling import compare_with_truth, read_jsonl

    problems = []
    n = row["workers"]
    if any(c != 0 for c in row["exit_codes"]) or any(r != "finished" for r in row["finish_reasons"]):
        problems.append(f"{n} worker(s): exit codes {row['exit_codes']}, finish {row['finish_reasons']}")
    if n > 1 and min(row["items_per_worker"]) == 0:
        problems.append(f"{n} workers: a worker wrote nothing {row['items_per_worker']}")
    if row["merge_dropped"]:
        problems.append(f"{n} worker(s): the workers' files overlap: merge dropped {row['merge_dropped']}")
    diff = compare_with_truth(read_jsonl(Path(row["merged"])), truth, groups)
    if diff:
        problems.append(f"{n} worker(s): merged dataset != ground truth ({len(diff)} problems, e.g. {diff[0]})")
    return problems


def table(rows: list[dict], articles: int) -> str:
    """The rows as a small text table (speed-up relative to the first row)."""
    from benchmarks.harness import machine

    m = machine()
    base = rows[0]["pages_per_s"] if rows else 0
    header = (
        f"{'workers':>7} {'pages':>7} {'crawl s':>8} {'pages/s':>8} {'speed-up':>8} {'items':>6} "
        f"{'items per worker':>18} {'worker CPU s':>12} {'replica CPU s':>13}"
    )
    lines = [
        f"Distributed crawl (scrapy-redis, Redis on loopback): maghress replica of {articles:,} articles, "
        f"{m['cores']} cores ({m['cpu']}), load {m['load']}",
        "",
        header,
        "-" * len(header),
    ]
    for r in rows:
        share = "/".join(str(x) for x in r["items_per_worker"])
        lines.append(
            f"{r['workers']:>7} {r['pages']:>7,} {r['crawl_s']:>8.1f} {r['pages_per_s']:>8.1f} "
            f"{r['pages_per_s'] / base if base else 0:>7.2f}x {r['items']:>6} {share:>18} "
            f"{r['worker_cpu_s']:>12.1f} {r['replica_cpu_s']:>13.1f}"
        )
    lines += [
        "",
        f"Note: CPU-bound on this {m['cores']}-core machine: the replica server and all workers share "
        "the same cores, so a second worker cannot double the rate here; across machines each "
        "worker brings its own CPU.",
    ]
    return "\n".join(lines)


def run(
    articles: int = 2000,
    workers: tuple[int, ...] = (1, 2),
    seed: int = 1,
    workdir: Path | None = None,
    log: Callable[[str], None] = print,
    out=sys.stdout,
) -> dict:
    """Measure pages/s for each worker count in *workers*; prints the table and
    returns ``{"rows": [...], "problems": [...], "table": str}``."""
    from benchmarks.harness import serve_replica
    from newsagg.replica import Corpus, expected_records, republication_groups

    workdir = Path(workdir or tempfile.mkdtemp(prefix="newsagg-bench-distributed-"))
    rows, problems = [], []
    with serve_replica(articles, seed) as rep:
        corpus = Corpus("maghress", n_articles=articles, seed=seed)
        truth, groups = expected_records(corpus, rep.base_url), republication_groups(corpus, rep.base_url)
        for n in workers:
            log(f"[workers] {n} worker(s) on {articles} articles ...")
            row = run_workers(n, rep, workdir / f"workers-{n}", log)
            problems += check(row, truth, groups)
            log(
                f"  {n} worker(s): {row['pages']} pages in {row['crawl_s']:.1f} s = {row['pages_per_s']:.1f} pages/s, "
                f"items per worker {row['items_per_worker']}"
            )
            rows.append(row)
    text = table(rows, articles)
    if out is not None:
        print(text, file=out)
        for p in problems:
            print(f"PROBLEM: {p}", file=out)
    return {"rows": rows, "problems": problems, "table": text, "workdir": str(workdir)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_distributed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", default=None)
    a = parser.parse_args(argv)
    result = run(
        a.articles,
        tuple(int(x) for x in a.workers.split(",")),
        a.seed,
        Path(a.workdir) if a.workdir else None,
        log=lambda m: print(m, file=sys.stderr, flush=True),
    )
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
