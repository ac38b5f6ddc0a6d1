"""Benchmark sections: a registry a new measurement joins without touching the runner.

A section is a module in ``benchmarks/sections/`` that defines ``SECTION =
Section(...)``: the runner imports every module there, lets each add its
command-line options, runs the selected ones in ``order`` and prints their
tables, checks and targets; ``benchmarks/RESULTS.md`` keeps each section's
latest output. How to add one: benchmarks/README.md "Adding a section".
:data:`PLANNED` lists sections named before their module exists (shown as pending).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from benchmarks import harness

#: Sections named before their module exists (name -> what it measures).
PLANNED = {
    "browser": "pages/s and peak RSS over 1,000 browser-rendered pages",
    "workers": "pages/s with 1 vs 2 workers",
}


@dataclass
class Target:
    """A goal of the section, checked on this run."""

    name: str
    value: str
    goal: str
    ok: bool


@dataclass
class Result:
    """What a section measured: its printed table, raw numbers, checks and targets."""

    text: str
    data: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    #: Failed sanity checks (wrong item counts, crashed runs): the run exits 1.
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Section:
    """A benchmark section (see the module docstring)."""

    name: str
    title: str
    run: Callable[[Context], Result]
    order: int = 50
    #: Part of a plain ``python -m benchmarks``.
    default: bool = True
    #: Switched on by an option even when not default (e.g. ``--rss-scaling``).
    enabled: Callable[[argparse.Namespace], bool] | None = None
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None

    def selected(self, opts: argparse.Namespace) -> bool:
        return self.default or bool(self.enabled and self.enabled(opts))


@dataclass
class Context:
    """What a section gets: options, a work folder, helpers, and earlier sections' data."""

    opts: argparse.Namespace
    workdir: Path
    log_stream: TextIO = sys.stderr
    #: Data of the sections run so far, by name (e.g. the rss section reuses
    #: the crawl section's newsagg figure at the same size).
    results: dict[str, Result] = field(default_factory=dict)
    #: Measurements sections share (e.g. "newsagg_runs": {(crawler, articles): [CrawlRun, ...]},
    #: "dataset_run": the crawl section's first dataset run, whose WARC the reextract section reads).
    shared: dict[str, Any] = field(default_factory=dict)

    def log(self, msg: str) -> None:
        """A progress line (stderr; the tables go to stdout)."""
        print(msg, file=self.log_stream, flush=True)

    def replica(self, articles: int, seed: int | None = None, site: str = "maghress") -> AbstractContextManager:
        """A replica process of *articles* articles (context manager -> harness.Replica)."""
        return harness.serve_replica(articles, self.opts.seed if seed is None else seed, site)

    def crawl(
        self, crawler: str, replica: harness.Replica, label: str, settings: dict[str, str] | None = None
    ) -> harness.CrawlRun:
        """One measured crawler run (see :func:`benchmarks.harness.run_crawler`)."""
        run = harness.run_crawler(crawler, replica, self.workdir / label, label=label, settings=settings)
        self.log(
            f"  {label:<24} {run.pages:>7} pages {run.crawl_s:8.1f} s {run.pages_per_s:8.1f} pages/s "
            f"CPU {run.cpu_s:7.1f} s  RSS {run.peak_rss_mb:6.1f} MB  replica CPU {run.replica_cpu_s:6.1f} s"
            + ("" if run.ok else f"  FAILED (exit {run.returncode}, see {run.out_dir})")
        )
        return run


def discover() -> dict[str, Section]:
    """Every ``SECTION`` defined by a module of ``benchmarks.sections``, by name."""
    import benchmarks.sections as pkg

    found: dict[str, Section] = {}
    for mod in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"{pkg.__name__}.{mod.name}")
        section = getattr(module, "SECTION", None)
        if isinstance(section, Section):
            found[section.name] = section
    return dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0])))
