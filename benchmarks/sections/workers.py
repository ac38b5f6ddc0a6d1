"""Distributed mode: pages/s with 1 vs 2 workers sharing one Redis.

The measurement lives in :mod:`benchmarks.bench_distributed` (also runnable
alone); this section puts its table into the suite's report. It needs
Debian's ``redis-server`` (``./run setup``).
"""

from __future__ import annotations

import shutil

from benchmarks import bench_distributed
from benchmarks.registry import Context, Result, Section, Target


def add_arguments(parser) -> None:
    g = parser.add_argument_group("workers section")
    g.add_argument(
        "--workers-articles", type=int, default=2000, help="replica size of the workers section (default 2000)"
    )
    g.add_argument("--workers-counts", default="1,2", help="worker counts to compare (default 1,2)")


def run(ctx: Context) -> Result:
    from tests.redis_server import redis_server_binary

    if redis_server_binary() is None:
        return Result("redis-server not installed: ./run setup installs it", problems=["redis-server missing"])
    counts = tuple(int(x) for x in ctx.opts.workers_counts.split(","))
    n = ctx.opts.workers_articles
    workdir = ctx.workdir / f"workers-{n}"
    out = bench_distributed.run(n, counts, ctx.opts.seed, workdir, log=ctx.log, out=None)
    rows = {r["workers"]: r for r in out["rows"]}
    targets = []
    for n, row in rows.items():
        if n > 1:
            share = row["items_per_worker"]
            targets.append(
                Target(
                    f"each of {n} workers does a share of the crawl",
                    "/".join(map(str, share)) + " items",
                    "> 0 each",
                    min(share) > 0,
                )
            )
    if not ctx.opts.keep_output and not out["problems"]:
        shutil.rmtree(workdir, ignore_errors=True)
    return Result(out["table"], {"rows": out["rows"]}, targets, out["problems"])


SECTION = Section(
    "workers", "Distributed crawl: pages/s with 1 vs 2 workers", run, order=60, add_arguments=add_arguments
)
