"""Browser rendering cost: pages/s rendered vs plain, and Chromium's memory over a long run.

Run: ``python -m benchmarks.bench_render [--pages 1000]`` or, in the suite,
``python -m benchmarks --browser`` (section ``browser``, benchmarks/sections/browser.py).

Three crawls of the real spider (every pipeline, JSONL feed), each in its own
process, against replica processes of ``pages`` articles:

- ``plain``: static replica, ``render=never`` (Scrapy's HTTP handler only);
- ``rendered``: the same replica, ``render=always`` (every page through Chromium);
- ``auto``: the replica with its JavaScript variants (``--js``), ``render=auto``
  (only the scripted pages go through Chromium).

Measured per crawl: pages/s (responses / Scrapy's elapsed time), pages
rendered, items written vs the ground truth, the crawler's peak RSS, and the
browser's memory (Chromium + Playwright driver processes, summed PSS: shared
pages split between the processes) sampled every 0.5 s: peak, and the mean
over the first and last third of the rendering, to show whether it grows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from benchmarks.statscollector import STATS_FILE_ENV
from newsagg.replica import process as replica_process

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


@contextmanager
def _replica(articles: int, seed: int, js: bool) -> Iterator[str]:
    """A replica process (no fault pages); yields its base URL."""
    extra = ["--no-faults", "--js"] if js else ["--no-faults"]
    with replica_process.serving("maghress", articles, seed, *extra, cwd=ROOT) as (_, url):
        yield url


@dataclass
class RenderRun:
    """One measured crawl."""

    label: str
    render: str
    returncode: int
    stats: dict
    expected_items: int
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # (t, crawler RSS, browser PSS)

    @property
    def elapsed_s(self) -> float:
        return float(self.stats.get("elapsed_time_seconds") or 0.0)

    @property
    def pages(self) -> int:
        return int(self.stats.get("response_received_count", 0))

    @property
    def rendered(self) -> int:
        return sum(v for k, v in self.stats.items() if k.startswith("newsagg/rendered/"))

    @property
    def items(self) -> int:
        return int(self.stats.get("item_scraped_count", 0))

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def crawler_peak_mb(self) -> float:
        return max((c for _, c, _ in self.samples), default=0) / MB

    def browser_mb(self) -> dict[str, float]:
        """Peak, and means of the first and last third of the samples with a browser running."""
        live = [b for _, _, b in self.samples if b]
        if not live:
            return {"peak": 0.0, "first_third": 0.0, "last_third": 0.0}
        k = max(1, len(live) // 3)
        return {"peak": max(live) / MB, "first_third": sum(live[:k]) / k / MB, "last_third": sum(live[-k:]) / k / MB}

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.stats.get("finish_reason") == "finished"


def _sample(pid: int, stop: threading.Event, out: list, every: float = 0.5) -> None:
    t0 = time.perf_counter()
    try:
        proc = psutil.Process(pid)
        while not stop.is_set():
            crawler = proc.memory_info().rss
            browser = 0
            for child in proc.children(recursive=True):
                try:  # PSS: Chromium's processes share much of their memory
                    browser += child.memory_full_info().pss
                except psutil.Error:
                    pass
            out.append((time.perf_counter() - t0, crawler, browser))
            stop.wait(every)
    except psutil.Error:
        pass


def _expected_items(articles: int, seed: int) -> int:
    from newsagg.replica import Corpus, republication_groups

    corpus = Corpus("maghress", n_articles=articles, seed=seed)
    return len(corpus) - sum(len(g) - 1 for g in republication_groups(corpus, "http://x"))


def crawl(
    base_url: str, render: str, out_dir: Path, label: str, expected_items: int, settings: dict[str, str] | None = None
) -> RenderRun:
    """One crawl of the real spider in a subprocess, with RSS sampling."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stats_file = out_dir / "stats.json"
    stats_file.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "maghress",
        "-a",
        f"base_url={base_url}",
        "-a",
        f"render={render}",
        "-O",
        str(out_dir / "items.jsonl"),
    ]
    for key, value in {
        "LOG_LEVEL": "INFO",
        "LOG_FILE": str(out_dir / "crawl.log"),
        "STATS_CLASS": "benchmarks.statscollector.JsonStatsCollector",
        **(settings or {}),
    }.items():
        cmd += ["-s", f"{key}={value}"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        STATS_FILE_ENV: str(stats_file),
    }
    with open(out_dir / "stderr.log", "wb") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    stop, samples = threading.Event(), []
    poller = threading.Thread(target=_sample, args=(proc.pid, stop, samples), daemon=True)
    poller.start()
    try:
        returncode = proc.wait(timeout=4 * 3600)
    finally:
        stop.set()
        poller.join(2)
    stats = json.loads(stats_file.read_text(encoding="utf-8")) if stats_file.exists() else {}
    return RenderRun(label, render, returncode, stats, expected_items, samples)


def measure(pages: int = 1000, seed: int = 1, workdir: Path | None = None, log: Callable[[str], None] = print) -> dict:
    """Run the three crawls on replicas of *pages* articles; returns rows and checks."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="bench-render-"))
    expected = _expected_items(pages, seed)
    runs: list[RenderRun] = []
    with _replica(pages, seed, js=False) as base:
        for label, render in (("plain", "never"), ("rendered", "always")):
            log(f"[browser] {label}: {pages} articles, render={render}")
            runs.append(crawl(base, render, workdir / label, label, expected))
    with _replica(pages, seed, js=True) as base:
        log(f"[browser] auto: {pages} articles with JS variants, render=auto")
        runs.append(crawl(base, "auto", workdir / "auto", "auto", expected))
    problems = []
    for r in runs:
        if not r.ok:
            problems.append(f"{r.label}: exit {r.returncode}, finish {r.stats.get('finish_reason')}")
        elif r.items != r.expected_items:
            problems.append(f"{r.label}: {r.items} items written, ground truth {r.expected_items}")
    rows = {
        r.label: {
            "render": r.render,
            "pages": r.pages,
            "rendered": r.rendered,
            "items": r.items,
            "elapsed_s": round(r.elapsed_s, 1),
            "pages_per_s": round(r.pages_per_s, 2),
            "crawler_peak_rss_mb": round(r.crawler_peak_mb, 1),
            "browser_pss_mb": {k: round(v, 1) for k, v in r.browser_mb().items()},
            "contexts_recycled": r.stats.get("newsagg/render/contexts_recycled", 0),
            "aborted_requests": r.stats.get("playwright/request_count/aborted", 0),
        }
        for r in runs
    }
    return {"pages": pages, "rows": rows, "problems": problems}


def format_table(result: dict) -> str:
    """The measurements as a text table."""
    header = (
        f"{'crawl':<9} {'render':<7} {'pages':>6} {'rendered':>8} {'items':>6} {'s':>7} {'pages/s':>8} "
        f"{'crawler RSS MB':>14} {'browser PSS MB peak / 1st / last third':>38}"
    )
    lines = [
        f"Real spider, replica of {result['pages']:,} articles, Chromium through scrapy-playwright",
        "",
        header,
        "-" * len(header),
    ]
    for label, r in result["rows"].items():
        b = r["browser_pss_mb"]
        lines.append(
            f"{label:<9} {r['render']:<7} {r['pages']:>6} {r['rendered']:>8} {r['items']:>6} "
            f"{r['elapsed_s']:>7.1f} {r['pages_per_s']:>8.2f} {r['crawler_peak_rss_mb']:>14.1f} "
            f"{b['peak']:>16.1f} / {b['first_third']:>7.1f} / {b['last_third']:>7.1f}"
        )
    plain, rendered = result["rows"].get("plain"), result["rows"].get("rendered")
    if plain and rendered and rendered["pages_per_s"]:
        lines += [
            "",
            f"rendering costs {plain['pages_per_s'] / rendered['pages_per_s']:.1f}x: "
            f"{rendered['pages_per_s']:.2f} pages/s rendered vs {plain['pages_per_s']:.2f} plain",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_render",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--pages", type=int, default=1000, help="replica articles (= rendered article pages)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workdir", default=None)
    a = p.parse_args(argv)
    result = measure(
        a.pages, a.seed, Path(a.workdir) if a.workdir else None, log=lambda m: print(m, file=sys.stderr, flush=True)
    )
    print(format_table(result))
    for problem in result["problems"]:
        print(f"PROBLEM: {problem}")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
