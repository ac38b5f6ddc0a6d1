"""The ``newsagg`` console command (``[project.scripts]`` in pyproject.toml).

    newsagg status [--json] [--data-dir DIR] [--state-dir DIR]
    newsagg demo ...        same as python -m newsagg.demo ...
    newsagg replica ...     same as python -m newsagg.replica ...
    newsagg reextract SITE --data-dir D -o OUT   records again from the WARCs (newsagg.archive)

Adding a subcommand: write ``def _cmd_x(sub)`` that adds its parser and sets
``func`` (a callable taking the parsed namespace, returning the exit status),
and list it in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _settings():
    import os

    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsagg.settings")
    return get_project_settings()


def _status(opts) -> int:
    from newsagg.monitoring.status import collect, format_report
    from newsagg.state.sqlite import state_dir

    settings = _settings()
    if opts.data_dir:
        settings.set("NEWSAGG_DATA_DIR", opts.data_dir, priority="cmdline")
    if opts.state_dir:
        settings.set("NEWSAGG_STATE_DIR", opts.state_dir, priority="cmdline")
    report = collect(Path(settings.get("NEWSAGG_DATA_DIR") or "data"), state_dir(settings), settings)
    if opts.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        sys.stdout.write(format_report(report))
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


def _cmd_reextract(sub) -> None:
    from newsagg.archive.reextract import add_parser

    add_parser(sub)


COMMANDS = [_cmd_status, _cmd_demo, _cmd_replica, _cmd_reextract]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``newsagg`` command."""
    parser = argparse.ArgumentParser(prog="newsagg", description="newsagg: press aggregator crawler tools")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    opts = parser.parse_args(argv)
    return opts.func(opts)


if __name__ == "__main__":
    sys.exit(main())
