"""Browser-rendered pages: pages/s through Chromium vs plain HTTP, and Chromium's
memory over ``--browser-pages`` rendered pages (:func:`benchmarks.bench_render.measure`).

On request only (``--browser``): 1,000 rendered pages take minutes on 2 cores.
"""

from __future__ import annotations

from benchmarks import bench_render
from benchmarks.registry import Context, Result, Section, Target

#: The last third of the rendering may hold at most this much more browser memory than the first.
GROWTH_LIMIT = 1.5


def add_arguments(parser) -> None:
    g = parser.add_argument_group("browser section")
    g.add_argument(
        "--browser", action="store_true", help="also measure browser rendering (scrapy-playwright + Chromium): slow"
    )
    g.add_argument(
        "--browser-pages",
        type=int,
        default=None,
        help="replica articles = pages rendered (default 1000; 100 with --quick)",
    )


def run(ctx: Context) -> Result:
    pages = ctx.opts.browser_pages or (100 if ctx.opts.quick else 1000)
    res = bench_render.measure(pages, ctx.opts.seed, ctx.workdir / "browser", log=ctx.log)
    rows = res["rows"]
    targets = []
    rendered, plain = rows.get("rendered"), rows.get("plain")
    if rendered and plain:
        mem = rendered["browser_pss_mb"]
        growth = mem["last_third"] / mem["first_third"] if mem["first_third"] else float("nan")
        targets.append(
            Target(
                f"browser memory bounded over {rendered['rendered']} rendered pages (last / first third)",
                f"{growth:.2f}x (peak {mem['peak']:.0f} MB)",
                f"<= {GROWTH_LIMIT}x",
                growth <= GROWTH_LIMIT,
            )
        )
    auto = rows.get("auto")
    if auto:
        targets.append(
            Target(
                "render=auto: only scripted pages through Chromium",
                f"{auto['rendered']} of {auto['pages']} pages",
                "< 25%",
                auto["rendered"] < 0.25 * auto["pages"],
            )
        )
    return Result(bench_render.format_table(res), res, targets, list(res["problems"]))


SECTION = Section(
    "browser",
    "Browser-rendered pages (scrapy-playwright, Chromium)",
    run,
    order=40,
    default=False,
    enabled=lambda o: o.browser,
    add_arguments=add_arguments,
)
