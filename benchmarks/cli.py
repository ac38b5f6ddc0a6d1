"""``python -m benchmarks``: run the benchmark sections, print their tables, keep RESULTS.md.

    python -m benchmarks                    # crawl (10k articles, 3 rounds) + dates
    python -m benchmarks --rss-scaling      # ... + newsagg's peak RSS at 10k vs 100k articles
    python -m benchmarks --quick            # smoke: 2,000 articles, 1 round (RESULTS.md untouched)
    python -m benchmarks --articles 100000  # a bigger replica
    python -m benchmarks --sections dates   # only some sections (--list shows them)

Exit status 1 when a sanity check failed (a crawler crashed, missed pages or
wrote the wrong number of records); missed targets are reported, not fatal.
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.registry import PLANNED, Context, Result, Section, discover

RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"
NOTES_MARK = "<!-- notes -->"


def build_parser(sections: dict[str, Section]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--articles", type=int, default=None, help="replica size (default 10000; 2000 with --quick)")
    p.add_argument(
        "--runs", type=int, default=None, help="rounds per crawler, medians reported (default 3; 1 with --quick)"
    )
    p.add_argument("--seed", type=int, default=1, help="replica seed (default 1)")
    p.add_argument("--quick", action="store_true", help="smoke run: 2,000 articles, 1 round, short date loops")
    p.add_argument(
        "--sections",
        default=None,
        help="comma-separated sections to run (default: the default ones plus those switched on)",
    )
    p.add_argument("--list", action="store_true", help="list the sections and exit")
    p.add_argument(
        "--results",
        default=None,
        help=f"markdown file keeping the latest tables (default {RESULTS_MD.relative_to(harness.ROOT)} "
        "except with --quick; '-' = none)",
    )
    p.add_argument("--workdir", default=None, help="folder for logs and feeds (default: a temporary one)")
    p.add_argument("--keep-output", action="store_true", help="keep feeds and logs of every run")
    p.add_argument(
        "--no-pin",
        action="store_true",
        help="do not pin each crawler to one CPU and the replica server to another (default: pinned, 'one core')",
    )
    for section in sections.values():
        if section.add_arguments:
            section.add_arguments(p)
    return p


def _resolve_defaults(opts: argparse.Namespace) -> None:
    if opts.articles is None:
        opts.articles = 2000 if opts.quick else 10000
    if opts.runs is None:
        opts.runs = 1 if opts.quick else 3
    if opts.results is None:
        opts.results = "-" if opts.quick else str(RESULTS_MD)


def _select(sections: dict[str, Section], opts, parser) -> list[Section]:
    if opts.sections:
        names = [s.strip() for s in opts.sections.split(",") if s.strip()]
        unknown = [n for n in names if n not in sections]
        if unknown:
            parser.error(f"unknown section(s) {unknown}; known: {', '.join(sections)}")
        return [s for s in sections.values() if s.name in names]
    return [s for s in sections.values() if s.selected(opts)]


def _block(section: Section, result: Result, stamp: str, command: str) -> str:
    lines = [
        f"<!-- section:{section.name} -->",
        f"## {section.title}",
        "",
        stamp,
        "",
        f"Command: `{command}`",
        "",
        "```text",
        result.text,
        "```",
        "",
    ]
    if result.targets:
        lines += ["| target | this run | goal | |", "|---|---|---|---|"]
        lines += [f"| {t.name} | {t.value} | {t.goal} | {'met' if t.ok else 'MISSED'} |" for t in result.targets]
        lines.append("")
    if result.problems:
        lines += ["Failed checks:", ""] + [f"- {p}" for p in result.problems] + [""]
    lines.append(f"<!-- /section:{section.name} -->")
    return "\n".join(lines)


def update_results(path: Path, blocks: dict[str, str], pending: str) -> None:
    """Replace each section's block in *path* (append new ones before the notes)."""
    text = (
        path.read_text(encoding="utf-8")
        if path.exists()
        else (
            "# Benchmark results\n\nLatest output of `python -m benchmarks`, one block per section "
            "(each block is replaced when its section runs again; see benchmarks/README.md).\n\n"
            f"{NOTES_MARK}\n"
        )
    )
    blocks = {**blocks, "pending": f"<!-- section:pending -->\n{pending}\n<!-- /section:pending -->"}
    for name, block in blocks.items():
        rx = re.compile(rf"<!-- section:{re.escape(name)} -->.*?<!-- /section:{re.escape(name)} -->", re.S)
        if rx.search(text):
            text = rx.sub(lambda _m: block, text)
        elif NOTES_MARK in text:
            text = text.replace(NOTES_MARK, f"{block}\n\n{NOTES_MARK}", 1)
        else:
            text = text.rstrip("\n") + f"\n\n{block}\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    sections = discover()
    parser = build_parser(sections)
    opts = parser.parse_args(argv)
    _resolve_defaults(opts)
    harness.PIN["on"] = not opts.no_pin
    if opts.list:
        for s in sections.values():
            how = "default" if s.default else "on request"
            print(f"{s.name:<10} {how:<11} {s.title}")
        for name, what in PLANNED.items():
            if name not in sections:
                print(f"{name:<10} {'pending':<11} {what}")
        return 0
    chosen = _select(sections, opts, parser)
    command = "python -m benchmarks" + (" " + shlex.join(argv) if argv else "")
    mach = harness.machine()
    stamp = (
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {mach['cores']} cores, "
        f"{mach['memory']} ({mach['cpu']}; {mach['os']}); Python {mach['python']}, Scrapy {mach['scrapy']}; "
        f"load average at start {mach['load']} (other jobs share this machine: medians)."
    )
    print(f"# {command}\n# {stamp}\n", flush=True)

    if opts.workdir:
        workdir, temporary = Path(opts.workdir), False
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir, temporary = Path(tempfile.mkdtemp(prefix="newsagg-bench-")), True
    ctx = Context(opts, workdir)
    blocks: dict[str, str] = {}
    problems: list[str] = []
    targets = []
    try:
        for section in chosen:
            started = time.monotonic()
            result = section.run(ctx)
            ctx.results[section.name] = result
            ctx.log(f"[{section.name}] done in {time.monotonic() - started:.0f} s")
            print(f"== {section.title} ==\n{result.text}\n", flush=True)
            for p in result.problems:
                print(f"CHECK FAILED: {p}", flush=True)
            problems += result.problems
            targets += result.targets
            blocks[section.name] = _block(section, result, stamp, command)
    finally:
        if temporary and not opts.keep_output and not problems:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"(logs and feeds kept in {workdir})", flush=True)

    pending = [f"{name}: pending ({what})" for name, what in PLANNED.items() if name not in sections]
    pending_text = "Pending sections: " + ("; ".join(pending) if pending else "none")
    print(pending_text)
    if targets:
        print("\nTargets:")
        for t in targets:
            print(f"  [{'met' if t.ok else 'MISSED':>6}] {t.name}: {t.value} (goal {t.goal})")
    if opts.results != "-":
        update_results(Path(opts.results), blocks, pending_text)
        print(f"\nresults kept in {opts.results}")
    if problems:
        print(f"\n{len(problems)} check(s) failed", flush=True)
        return 1
    return 0
