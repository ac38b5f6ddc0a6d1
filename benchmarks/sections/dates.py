"""Date parsing micro-benchmark: ``parse_date`` vs a tuned, reused dateparser
(:func:`benchmarks.bench_dates.run`)."""

from __future__ import annotations

import io

from benchmarks import bench_dates
from benchmarks.registry import Context, Result, Section, Target


def add_arguments(parser) -> None:
    g = parser.add_argument_group("dates section")
    g.add_argument(
        "--dates-seconds",
        type=float,
        default=None,
        help="minimum seconds per timed loop (default 0.3; 0.05 with --quick)",
    )


def run(ctx: Context) -> Result:
    ctx.log("[dates] parse_date vs dateparser")
    buf = io.StringIO()
    seconds = ctx.opts.dates_seconds if ctx.opts.dates_seconds is not None else (0.05 if ctx.opts.quick else 0.3)
    res = bench_dates.run(out=buf, min_seconds=seconds)
    by, table = res["bylines"], res["test table"]
    targets = [
        Target("parse_date >= 50 x dateparser on byline forms", f"{by['ratio']:.0f}x", ">= 50x", by["ratio"] >= 50),
        Target(
            "parse_date results on the date table: identical or better than dateparser",
            f"{table['parse_date_ok']}/{table['rows']} vs {table['dateparser_ok']}/{table['rows']}",
            ">= dateparser",
            table["parse_date_ok"] >= table["dateparser_ok"],
        ),
    ]
    problems = (
        []
        if by["parse_date_ok"] == by["rows"]
        else [f"parse_date gets {by['parse_date_ok']}/{by['rows']} byline forms right"]
    )
    return Result(buf.getvalue().rstrip("\n"), res, targets, problems)


SECTION = Section("dates", "Date parsing: parse_date vs dateparser", run, order=20, add_arguments=add_arguments)
