"""Peak RSS of newsagg's production path at two replica sizes (default 10k vs 100k articles).

Only newsagg's dataset run runs here (what users run: state, CSV + JSONL +
Parquet, manifest, WARC writer when the tree has it; 100k articles take a
while). A size the crawl section already measured in this run is reused
(median of its runs).
"""

from __future__ import annotations

from benchmarks.harness import median, pin_note, warc_available
from benchmarks.registry import Context, Result, Section, Target

RSS_LIMIT_MB = 300.0
GROWTH_LIMIT = 1.5


def add_arguments(parser) -> None:
    g = parser.add_argument_group("rss section")
    g.add_argument(
        "--rss-scaling",
        action="store_true",
        help="also measure newsagg's peak RSS at --rss-sizes (slow: 100k articles)",
    )
    g.add_argument(
        "--rss-sizes",
        default=None,
        help="two comma-separated replica sizes (default 10000,100000; 2000,20000 with --quick)",
    )


def _sizes(opts) -> list[int]:
    raw = opts.rss_sizes or ("2000,20000" if opts.quick else "10000,100000")
    sizes = sorted({int(s) for s in raw.split(",") if s.strip()})
    if len(sizes) != 2:
        raise SystemExit(f"--rss-sizes wants two sizes, got {raw!r}")
    return sizes


def run(ctx: Context) -> Result:
    small, large = _sizes(ctx.opts)
    ctx.log(f"[rss] newsagg peak RSS at {small} vs {large} articles")
    rows, problems, notes = {}, [], []
    for n in (small, large):
        runs = ctx.shared.get("newsagg_runs", {}).get(("dataset", n))
        if not runs:
            extra = dict(kv.split("=", 1) for kv in getattr(ctx.opts, "newsagg_setting", None) or [])
            with ctx.replica(n) as rep:
                runs = [ctx.crawl("dataset", rep, f"rss-{n}/dataset", settings=extra)]
        for r in runs:
            if r.health_note:
                notes.append(r.health_note)
            if not r.ok or r.article_pages != n:
                problems.append(
                    f"rss {n}: newsagg run {r.label} exit {r.returncode}, {r.article_pages}/{n} article pages"
                )
        rows[n] = {
            "runs": len(runs),
            "pages": median(r.pages for r in runs),
            "items": median(r.items for r in runs),
            "crawl_s": median(r.crawl_s for r in runs),
            "pages_per_s": median(r.pages_per_s for r in runs),
            "cpu_s": median(r.cpu_s for r in runs),
            "peak_rss_mb": median(r.peak_rss_mb for r in runs),
            "rss_quarters_mb": [round(median(r.rss_at(f) for r in runs), 1) for f in (0.25, 0.5, 0.75, 1.0)],
        }
    header = (
        f"{'articles':>9} {'runs':>4} {'pages':>8} {'items':>8} {'crawl s':>8} {'pages/s':>8} {'CPU s':>8} "
        f"{'peak RSS MB':>11}  RSS MB at 1/4, 1/2, 3/4, end of the run"
    )
    settings = getattr(ctx.opts, "newsagg_setting", None) or []
    lines = [
        "Peak RSS of the newsagg dataset run (scrapy crawl maghress, no -o: every pipeline, state, "
        "CSV + JSONL + Parquet, manifest, WARC "
        + ("on" if warc_available() else "off: no NEWSAGG_WARC_ENABLED on this tree")
        + ") vs replica size"
        + (f"; newsagg also: {' '.join(settings)}" if settings else ""),
        pin_note(),
        "",
        header,
        "-" * len(header),
    ]
    for n, r in rows.items():
        lines.append(
            f"{n:>9,} {r['runs']:>4} {r['pages']:>8,.0f} {r['items']:>8,.0f} {r['crawl_s']:>8.1f} "
            f"{r['pages_per_s']:>8.1f} {r['cpu_s']:>8.1f} {r['peak_rss_mb']:>11.1f}  "
            + " / ".join(f"{x:.0f}" for x in r["rss_quarters_mb"])
        )
    growth = rows[large]["peak_rss_mb"] / rows[small]["peak_rss_mb"]
    lines += [
        "",
        f"peak RSS {large:,} / {small:,}: {growth:.2f}x  (target <= {GROWTH_LIMIT:.1f}x; "
        f"<= {RSS_LIMIT_MB:.0f} MB at {large:,})",
    ]
    targets = [
        Target(
            f"peak RSS <= {RSS_LIMIT_MB:.0f} MB at {large:,} articles",
            f"{rows[large]['peak_rss_mb']:.0f} MB",
            f"<= {RSS_LIMIT_MB:.0f} MB",
            rows[large]["peak_rss_mb"] <= RSS_LIMIT_MB,
        ),
        Target(
            f"peak RSS at {large:,} <= {GROWTH_LIMIT} x at {small:,}",
            f"{growth:.2f}x",
            f"<= {GROWTH_LIMIT}x",
            growth <= GROWTH_LIMIT,
        ),
    ]
    return Result("\n".join(lines + notes), {"sizes": rows, "growth": round(growth, 3)}, targets, problems, notes)


SECTION = Section(
    "rss",
    "Peak RSS vs replica size",
    run,
    order=30,
    default=False,
    enabled=lambda o: o.rss_scaling,
    add_arguments=add_arguments,
)
