"""Processes of a benchmark: the replica server and one crawler run.

The replica runs as its own process (``python -m newsagg.replica serve``) so it
does not share the crawler's GIL; each crawler runs as ``python -m scrapy
crawl|runspider`` with the same concurrency settings. Measured per run: wall
and crawl time, the crawler's CPU seconds (``os.wait4`` rusage of the child),
its peak RSS (VmHWM written by :mod:`benchmarks.statscollector`, else the
highest RSS seen by polling), and the replica's CPU seconds during the run.

"On one core": on a machine of 2+ cores each crawler process is pinned to one
CPU (:data:`CRAWLER_CPU`) and the replica server to another
(:data:`REPLICA_CPU`), so a crawler never gets a second core and never shares
its own with the server (``--no-pin`` turns this off).
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from benchmarks.statscollector import STATS_FILE_ENV
from newsagg.commands.crawl import EXIT_HEALTH_FAILED
from newsagg.replica import process as replica_process

ROOT = Path(__file__).resolve().parent.parent
SPIDERS_DIR = Path(__file__).resolve().parent / "spiders"
#: `scrapy crawl`'s exit status when a health check failed.
HEALTH_EXIT = EXIT_HEALTH_FAILED
MB = 1024 * 1024

#: CPUs of the pinned processes ("one core"): the server on one, each crawler on another.
REPLICA_CPU, CRAWLER_CPU = 0, 1
#: Pin processes to their CPU (``--no-pin`` clears it).
PIN = {"on": True}


def pinning() -> bool:
    """Whether processes get pinned: asked for, and the machine has two CPUs to give."""
    return PIN["on"] and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2


def pin_process(pid: int, cpu: int) -> None:
    """Pin process *pid* to the *cpu*-th CPU this process may use (when pinning is on)."""
    if pinning():
        try:
            os.sched_setaffinity(pid, {sorted(os.sched_getaffinity(0))[cpu]})
        except OSError:
            pass


def pin_note() -> str:
    """One line for the tables: how the processes were placed."""
    if pinning():
        return f"one core: each crawler process pinned to CPU {CRAWLER_CPU}, the replica server to CPU {REPLICA_CPU}"
    return "not pinned (--no-pin, or fewer than 2 CPUs): processes float over the machine's cores"


def warc_available() -> bool:
    """Whether this tree has WARC capture (the setting ``NEWSAGG_WARC_ENABLED`` in newsagg/settings.py)."""
    import newsagg.settings

    return hasattr(newsagg.settings, "NEWSAGG_WARC_ENABLED")


# --- the replica ----------------------------------------------------------------


@dataclass
class Replica:
    """A running replica server process."""

    site: str
    articles: int
    seed: int
    base_url: str
    proc: subprocess.Popen = field(repr=False)
    #: ``kind url`` lines of every page it serves (home, listing pages, articles), written on first use.
    _pages_file: Path | None = field(default=None, repr=False)

    def pages_file(self, folder: Path) -> Path:
        """A file of the replica's pages (``kind url`` per line) for the fetch-only ceiling."""
        if self._pages_file is None:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"pages-{self.site}-{self.articles}-{self.seed}.txt"
            with path.open("w", encoding="utf-8") as fh:
                fh.writelines(f"{kind} {url}\n" for kind, url in replica_pages(self))
            self._pages_file = path
        return self._pages_file

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system)."""
        try:
            t = psutil.Process(self.proc.pid).cpu_times()
            return t.user + t.system
        except psutil.Error:
            return float("nan")


@contextmanager
def serve_replica(
    articles: int, seed: int = 1, site: str = "maghress", startup_timeout: float = 120.0
) -> Iterator[Replica]:
    """Serve a replica of *articles* articles in a separate process (no fault pages:
    every run sees the same site); stopped on exit."""
    proc, url = replica_process.start(site, articles, seed, "--no-faults", cwd=ROOT, startup_timeout=startup_timeout)
    pin_process(proc.pid, REPLICA_CPU)
    try:
        yield Replica(site, articles, seed, url, proc)
    finally:
        replica_process.stop(proc)


def replica_pages(replica: Replica) -> Iterator[tuple[str, str]]:
    """(kind, URL) of every page a full crawl of *replica* fetches, from its ground truth:
    the home, every listing page of every source, every article, the dead links (404)."""
    from newsagg.replica import Corpus

    corpus = Corpus(replica.site, n_articles=replica.articles, seed=replica.seed)
    base = replica.base_url.rstrip("/")
    yield "home", f"{base}/fr/"
    for src in corpus.sources:
        for page in range(1, corpus.listing_page_count(src.slug) + 1):
            yield "listing", base + corpus.listing_path(src, page)
    for i in range(len(corpus)):
        yield "article", base + corpus.path(i)
    for path in corpus.dead_paths:  # linked from the pages, answer 404: every crawl of the site requests them
        yield "dead", base + path


def fetch_pages(pages: Iterable[tuple[str, str]]) -> Iterator[tuple[str, http.client.HTTPResponse, bytes]]:
    """(URL, response, body) of every (kind, URL) page, fetched over one keep-alive connection."""
    conn: http.client.HTTPConnection | None = None
    try:
        for _kind, url in pages:
            parts = urlsplit(url)
            if conn is None:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
            resp = conn.getresponse()
            body = resp.read()
            if (resp.getheader("connection") or "").lower() == "close":
                conn.close()
                conn = None
            yield url, resp, body
    finally:
        if conn is not None:
            conn.close()


def warm_replica(replica: Replica) -> float:
    """Request every page once, so that no measured crawler pays the server's cold caches
    (else the first crawler of a round would); returns the seconds it took."""
    t0 = time.perf_counter()
    for _ in fetch_pages(replica_pages(replica)):
        pass
    return time.perf_counter() - t0


# --- crawler runs ---------------------------------------------------------------


#: The crawlers compared, as scrapy command lines (after ``python -m scrapy``).
def crawler_args(name: str, replica: Replica, out: Path) -> list[str]:
    """``scrapy`` arguments of crawler *name* (ceiling, follow, items, dataset, newsagg, peer) against *replica*."""
    base_url = replica.base_url
    if name == "ceiling":  # fetch-only: the replica's own page list, nothing parsed
        return ["runspider", str(SPIDERS_DIR / "fetch.py"), "-a", f"urls={replica.pages_file(out.parent)}"]
    if name == "follow":  # the link-following ceiling (parses links, extracts nothing)
        return ["runspider", str(SPIDERS_DIR / "ceiling.py"), "-a", f"base_url={base_url}"]
    if name == "dataset":
        # What users run: no -o/-O, so the dataset feeds (CSV + JSONL + Parquet),
        # the SQLite state, the manifest (and WARC when the tree has it) in NEWSAGG_DATA_DIR.
        return ["crawl", "maghress", "-a", f"base_url={base_url}"]
    if name == "newsagg":
        # The real spider, every pipeline of settings.py, both feeds.
        return [
            "crawl",
            "maghress",
            "-a",
            f"base_url={base_url}",
            "-O",
            str(out / "items.csv"),
            "-O",
            str(out / "items.jsonl"),
        ]
    if name == "items":
        return [
            "runspider",
            str(SPIDERS_DIR / "items.py"),
            "-a",
            f"base_url={base_url}",
            "-O",
            str(out / "items.csv"),
            "-O",
            str(out / "items.jsonl"),
        ]
    if name == "peer":
        return ["runspider", str(SPIDERS_DIR / "peer.py"), "-a", f"base_url={base_url}", "-O", str(out / "items.jsonl")]
    raise ValueError(f"unknown crawler {name!r}")


def dataset_settings(out: Path) -> dict[str, str]:
    """Settings of a dataset run: its own fresh data folder (a second round must not find
    the first one's state), WARC capture on when the tree has it."""
    settings = {"NEWSAGG_DATA_DIR": str(out / "data")}
    if warc_available():
        settings["NEWSAGG_WARC_ENABLED"] = "True"
    return settings


def dataset_files(out: Path, suffix: str) -> list[Path]:
    """The files of a dataset run ending in *suffix* (``.jsonl``, ``.warc.gz`` ...), state excluded."""
    data = out / "data"
    return sorted(p for p in data.rglob(f"*{suffix}") if "state" not in p.relative_to(data).parts)


ARTICLE_STAT = {
    "newsagg": "newsagg/pages/article",
    "dataset": "newsagg/pages/article",
    "follow": "bench/pages/article",
    "ceiling": "bench/pages/article",
    "peer": "bench/pages/article",
    "items": "bench/pages/article",
}


def common_settings() -> dict[str, str]:
    """Settings every crawler gets with ``-s``: newsagg's loopback profile
    (concurrency 32, no delay, no AutoThrottle), applied identically to all."""
    from scrapy.utils.project import get_project_settings

    local = get_project_settings().getdict("NEWSAGG_LOCAL_SETTINGS")
    return {k: str(v) for k, v in sorted(local.items())}


@dataclass
class CrawlRun:
    """One crawler run and what it measured."""

    crawler: str
    label: str
    returncode: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    replica_cpu_s: float
    stats: dict = field(repr=False)
    out_dir: Path
    feed_lines: dict[str, int] = field(default_factory=dict)
    #: (seconds since start, RSS bytes, CPU seconds, wall clock) every half second
    rss_samples: list[tuple[float, int, float, float]] = field(default_factory=list, repr=False)

    def rss_at(self, fraction: float) -> float:
        """RSS in MB at *fraction* (0..1) of the run's wall time (polled)."""
        if not self.rss_samples:
            return float("nan")
        t = fraction * self.rss_samples[-1][0]
        return next((r for s, r, *_ in self.rss_samples if s >= t), self.rss_samples[-1][1]) / MB

    def cpu_at(self, wall_clock: float) -> float:
        """CPU seconds of the crawler at *wall_clock* (``time.time()``), from the samples."""
        before = [cpu for _, _, cpu, wall in self.rss_samples if wall <= wall_clock]
        return before[-1] if before else 0.0

    @property
    def crawl_s(self) -> float:
        """Engine start to close (Scrapy's elapsed_time_seconds): no interpreter start-up."""
        return float(self.stats.get("elapsed_time_seconds") or self.wall_s)

    @property
    def pages(self) -> int:
        return int(self.stats.get("response_received_count", 0))

    @property
    def article_pages(self) -> int:
        return int(self.stats.get(ARTICLE_STAT.get(self.crawler, "bench/pages/article"), 0))

    @property
    def items(self) -> int:
        return int(self.stats.get("item_scraped_count", 0))

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.crawl_s if self.crawl_s else 0.0

    @property
    def articles_per_s(self) -> float:
        return self.article_pages / self.crawl_s if self.crawl_s else 0.0

    @property
    def crawl_cpu_s(self) -> float:
        """CPU seconds from spider open to close (no start-up), else all of it."""
        return float(self.stats.get("bench/crawl_cpu_seconds") or self.cpu_s)

    @property
    def pages_per_cpu_s(self) -> float:
        """Pages per CPU second of the crawl: insensitive to other jobs' load."""
        return self.pages / self.crawl_cpu_s if self.crawl_cpu_s else 0.0

    @property
    def ok(self) -> bool:
        """The crawl finished; a health-check exit (:data:`HEALTH_EXIT`) is a finding
        about the data (e.g. a replica source silent for days), not a failed run."""
        return self.returncode in (0, HEALTH_EXIT) and self.stats.get("finish_reason") == "finished"

    @property
    def health_note(self) -> str | None:
        """How many health checks failed, when the run exited with :data:`HEALTH_EXIT`."""
        if self.returncode != HEALTH_EXIT:
            return None
        failed = self.stats.get("newsagg/health/failed_checks")
        return f"{self.label}: health checks failed ({failed}; see {self.out_dir / 'crawl.log'}), crawl finished"


def _poll_rss(
    pid: int, stop: threading.Event, peak: list[int], samples: list[tuple[float, int, float, float]], every: float = 0.5
) -> None:
    """Every *every* seconds: (seconds since start, RSS bytes, CPU seconds, wall clock)."""
    t0 = time.monotonic()
    try:
        proc = psutil.Process(pid)
        while not stop.is_set():
            rss = proc.memory_info().rss
            cpu = proc.cpu_times()
            peak[0] = max(peak[0], rss)
            samples.append((round(time.monotonic() - t0, 1), rss, cpu.user + cpu.system, time.time()))
            stop.wait(every)
    except psutil.Error:
        pass


def run_crawler(
    name: str,
    replica: Replica,
    out_dir: Path,
    label: str = "",
    settings: dict[str, str] | None = None,
    timeout: float = 4 * 3600,
) -> CrawlRun:
    """Run crawler *name* against *replica* in a subprocess and measure it.

    Logs go to ``out_dir/crawl.log``, final stats to ``out_dir/stats.json``,
    feeds to ``out_dir/items.*``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stats_file = out_dir / "stats.json"
    stats_file.unlink(missing_ok=True)
    all_settings = {
        **common_settings(),
        **(dataset_settings(out_dir) if name == "dataset" else {}),
        "LOG_LEVEL": "INFO",
        "LOG_FILE": str(out_dir / "crawl.log"),
        "STATS_CLASS": "benchmarks.statscollector.JsonStatsCollector",
        # "{out}" in a value = this run's folder (e.g. JOBDIR={out}/job: one per run)
        **{k: str(v).replace("{out}", str(out_dir)) for k, v in (settings or {}).items()},
    }
    cmd = [sys.executable, "-m", "scrapy", *crawler_args(name, replica, out_dir)]
    for key, value in all_settings.items():
        cmd += ["-s", f"{key}={value}"]
    (out_dir / "command.txt").write_text(" ".join(cmd) + "\n", encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        STATS_FILE_ENV: str(stats_file),
    }

    replica_cpu0 = replica.cpu_seconds()
    t0 = time.perf_counter()
    with open(out_dir / "stderr.log", "wb") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    pin_process(proc.pid, CRAWLER_CPU)
    stop, peak, samples = threading.Event(), [0], []
    poller = threading.Thread(target=_poll_rss, args=(proc.pid, stop, peak, samples), daemon=True)
    poller.start()
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        _pid, status, usage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
        stop.set()
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    replica_cpu = replica.cpu_seconds() - replica_cpu0
    poller.join(1)

    stats = json.loads(stats_file.read_text(encoding="utf-8")) if stats_file.exists() else {}
    rss = stats.get("bench/peak_rss_bytes") or peak[0]
    feeds = {}
    for path in sorted(out_dir.glob("items.*")):
        feeds[path.suffix.lstrip(".")] = count_records(path)
    if name == "dataset":
        for suffix in (".csv", ".jsonl", ".parquet"):
            for path in dataset_files(out_dir, suffix):
                feeds[suffix.lstrip(".")] = feeds.get(suffix.lstrip("."), 0) + count_records(path)
    return CrawlRun(
        name,
        label or name,
        proc.returncode,
        wall,
        usage.ru_utime + usage.ru_stime,
        rss / MB,
        replica_cpu,
        stats,
        out_dir,
        feeds,
        samples,
    )


def count_records(path: Path) -> int:
    """Records in a feed file: JSON lines, Parquet rows, or CSV rows after the header (bodies span lines)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with path.open(encoding="utf-8", newline="") as fh:
        if path.suffix == ".csv":
            return max(0, sum(1 for _ in csv.reader(fh)) - 1)
        return sum(1 for line in fh if line.strip())


# --- misc -----------------------------------------------------------------------


def median(values) -> float:
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


def machine() -> dict[str, str]:
    """Cores, memory, CPU model, OS, Python and Scrapy versions."""
    import scrapy

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": str(os.cpu_count()),
        "memory": f"{psutil.virtual_memory().total / 1024**3:.1f} GiB",
        "cpu": model or platform.processor() or "?",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "scrapy": scrapy.__version__,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
