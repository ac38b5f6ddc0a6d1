"""The ``newsagg`` console command (``[project.scripts]`` in pyproject.toml).

    newsagg crawl SITE ...   scrapy crawl SITE ... from any directory
    newsagg status | demo | replica | distributed ...   (newsagg status --help, ...)
    newsagg dataset build SITE --data-dir D --out R   the release
    newsagg reextract SITE --data-dir D [-o OUT] [--release R] [--jobs N]   records again from the WARCs

A subcommand is a ``_cmd_x(sub)`` that adds its parser and sets ``func``
(namespace -> exit status), listed in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

#: The settings module of every command, wherever it runs (no scrapy.cfg needed).
SETTINGS_MODULE = "newsagg.settings"
#: Modules ``dataset build`` needs beyond the core install, and the extra that brings them.
DATASET_MODULES = ("matplotlib",)
DATASET_EXTRA = "pip install 'newsagg[dataset]'"


def use_project_settings() -> None:
    """Make newsagg's settings the project's, in any directory (an explicit
    ``SCRAPY_SETTINGS_MODULE`` wins)."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)


def _settings():
    from scrapy.utils.project import get_project_settings

    use_project_settings()
    return get_project_settings()


def _error(command: str, message: str) -> int:
    print(f"newsagg {command}: {message}", file=sys.stderr)
    return 2


def _crawl(opts) -> int:
    """``scrapy crawl`` with newsagg's settings and commands (its exit status)."""
    use_project_settings()
    from scrapy.cmdline import execute

    try:
        execute(["newsagg", "crawl", *opts.args])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return 0


def _cmd_crawl(sub) -> None:
    p = sub.add_parser(
        "crawl",
        help="crawl a site: the arguments and options of `scrapy crawl` (newsagg crawl -h), from any directory",
        add_help=False,
    )
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=_crawl)


def _status(opts) -> int:
    from newsagg.monitoring.status import collect, format_report
    from newsagg.state.sqlite import state_dir

    settings = _settings()
    if opts.data_dir:
        settings.set("NEWSAGG_DATA_DIR", opts.data_dir, priority="cmdline")
    if opts.state_dir:
        settings.set("NEWSAGG_STATE_DIR", opts.state_dir, priority="cmdline")
    data_dir = Path(settings.get("NEWSAGG_DATA_DIR") or "data")
    if not data_dir.is_dir():
        return _error("status", f"{data_dir}: no such directory (--data-dir: the NEWSAGG_DATA_DIR of the runs)")
    report = collect(data_dir, state_dir(settings), settings)
    if opts.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    elif report["sites"]:
        text = format_report(report)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    if not report["sites"]:
        return _error("status", f"no run under {data_dir} (state: {report['state_dir']})")
    return 0


def _cmd_status(sub) -> None:
    p = sub.add_parser("status", help="last runs, health, articles per day and flagged sources of each site")
    p.add_argument("--json", action="store_true", help="the same report as JSON")
    p.add_argument("--data-dir", help="NEWSAGG_DATA_DIR (default: the setting, data)")
    p.add_argument("--state-dir", help="NEWSAGG_STATE_DIR (default: <data dir>/state)")
    p.set_defaults(func=_status)


def _delegate(module: str):
    def run(opts) -> int:
        from importlib import import_module

        return import_module(module).main(opts.args) or 0

    return run


def _cmd_demo(sub) -> None:
    p = sub.add_parser("demo", help="offline crawl of the bundled replica (python -m newsagg.demo)", add_help=False)
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=_delegate("newsagg.demo"))


def _cmd_replica(sub) -> None:
    p = sub.add_parser("replica", help="serve the offline replica (python -m newsagg.replica)", add_help=False)
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=_delegate("newsagg.replica.__main__"))


def release_lines(summary: dict) -> list[str]:
    """The short result of a build: where the release and its card are, what it holds."""
    release = Path(summary["release"])
    runs = summary["runs"]
    added = len(summary.get("runs_added", []))
    how = "updated" if summary.get("incremental") else "built"
    origin = summary.get("provenance", {})
    hosts = sorted({h for r in runs for h in r.get("hosts", [])} | set(origin.get("record_hosts", [])))
    where = "the live site" if origin.get("live_site") else "NOT the live site: a local replica or mirror"
    lines = [
        f"release  {release}  ({how}; {summary.get('records_added', summary['records'])} record(s) added)",
        f"card     {release / 'README.md'}",
        f"records  {summary['records']}",
        f"runs     {len(runs)} included ({added} new), {len(summary['refused'])} refused",
        f"fetched  from {where} ({', '.join(hosts) or 'no host recorded'})",
    ]
    from newsagg.dataset.provenance import why_failed

    lines += [f"failed   run {r['name']}: {why_failed(r)}" for r in runs if why_failed(r)]
    return lines


def _dataset_build(opts) -> int:
    import logging

    missing = _missing_dataset_modules()
    if missing:
        return _error("dataset build", f"needs {', '.join(missing)}: {DATASET_EXTRA}")
    from newsagg.dataset.release import ReleaseError, build_release

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        summary = build_release(
            opts.site,
            Path(opts.data_dir),
            Path(opts.out),
            csv=opts.csv,
            jsonl=opts.jsonl,
            fresh=opts.fresh,
            skip_unlisted=opts.skip_unlisted,
        )
    except ReleaseError as exc:
        print(f"dataset build: {exc}", file=sys.stderr)
        return 2
    if opts.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        print("\n".join(release_lines(summary)))
    for r in summary["refused"]:
        print(f"dataset build: run {r['run']} refused: {r['reason']}", file=sys.stderr)
    for r in summary["removed"]:
        print(
            f"dataset build: run {r['run']}: its {r['records']} record(s) in the earlier release are gone "
            f"from this one ({r['reason']})",
            file=sys.stderr,
        )
    for r in summary["damaged"]:
        print(f"dataset build: run {r['run']} has damaged files: {'; '.join(r['damaged'])}", file=sys.stderr)
    for name in summary["unlisted"]:
        print(f"dataset build: {name}: no manifest lists it; left out (--skip-unlisted)", file=sys.stderr)
    return 1 if summary["refused"] or summary["removed"] else 0


def _cmd_dataset(sub) -> None:
    from newsagg.sites import SITES

    p = sub.add_parser("dataset", help="the consolidated release of a site (Parquet by year, card, coverage.png)")
    dsub = p.add_subparsers(dest="dataset_command", required=True, metavar="ACTION")
    b = dsub.add_parser(
        "build",
        help="build or update the release from every committed run",
        description="Verify every committed run of SITE under the data directory (manifest, sha256), "
        "consolidate their records (each article once, first stored kept) and write the release to --out: "
        "Parquet partitioned by year, README.md (dataset card), coverage.png, release.json. "
        "Incremental: only runs not yet in the release are read. A run with a damaged file is read from "
        "another intact format (said so). Exit status 1 when a run was refused (the release is written "
        "without it, or keeps its records from the earlier release) or records an earlier release held "
        "are gone from this one; 2 when nothing was written: no run to build from, or data files that no "
        "manifest lists (named; --skip-unlisted builds without them).",
    )
    b.add_argument("site", choices=sorted(SITES), metavar="SITE", help=", ".join(sorted(SITES)))
    b.add_argument("--data-dir", default="data", help="NEWSAGG_DATA_DIR of the runs (default: data)")
    b.add_argument("--out", required=True, help="the release directory R")
    b.add_argument("--csv", action="store_true", help="also write R/<site>.csv")
    b.add_argument("--jsonl", action="store_true", help="also write R/<site>.jsonl")
    b.add_argument("--fresh", action="store_true", help="rebuild from every run, ignoring R/release.json")
    b.add_argument("--json", action="store_true", help="print the build's summary as JSON")
    b.add_argument(
        "--skip-unlisted",
        action="store_true",
        help="build although data files that no manifest lists are in the data directory (named in release.json)",
    )
    b.set_defaults(func=_dataset_build)


def _cmd_distributed(sub) -> None:
    p = sub.add_parser(
        "distributed", help="distributed mode: seed, status, merge (python -m newsagg.distributed)", add_help=False
    )
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=_delegate("newsagg.distributed.__main__"))


def _missing_dataset_modules() -> list[str]:
    return [m for m in DATASET_MODULES if importlib.util.find_spec(m) is None]


def _cmd_reextract(sub) -> None:
    from newsagg.archive.reextract import add_parser

    add_parser(sub)
    parser = sub.choices["reextract"]
    run = parser.get_default("func")

    def checked(opts) -> int:
        """``--release`` writes a release: it needs the dataset extra (said before anything runs)."""
        missing = _missing_dataset_modules() if opts.release else []
        if missing:
            return _error("reextract", f"--release needs {', '.join(missing)}: {DATASET_EXTRA}")
        return run(opts)

    parser.set_defaults(func=checked)


COMMANDS = [_cmd_crawl, _cmd_status, _cmd_demo, _cmd_replica, _cmd_dataset, _cmd_reextract, _cmd_distributed]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``newsagg`` command."""
    parser = argparse.ArgumentParser(prog="newsagg", description="newsagg: press aggregator crawler tools")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    argv = sys.argv[1:] if argv is None else list(argv)
    opts, extra = parser.parse_known_args(argv)
    if hasattr(opts, "args"):
        # A delegated command gets everything after its name as typed: argparse's
        # REMAINDER leaves a leading option (--help) to the top parser.
        opts.args = argv[argv.index(opts.command) + 1 :]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return opts.func(opts)


if __name__ == "__main__":
    sys.exit(main())
