"""A stats collector for benchmark runs: Scrapy's default one, plus a JSON dump.

Set with ``-s STATS_CLASS=benchmarks.statscollector.JsonStatsCollector`` and the
environment variable ``NEWSAGG_BENCH_STATS_FILE=path``. At close it adds the process's peak RSS
(``bench/peak_rss_bytes``: VmHWM of /proc/self/status, i.e. of this process
image only; ``ru_maxrss`` would also count the benchmark runner that forked
it), its CPU time in total and since the spider opened, then writes every
stat as JSON.
"""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path

from scrapy.statscollectors import MemoryStatsCollector

#: Environment variable naming the JSON file the final stats go to (unset: nothing written).
STATS_FILE_ENV = "NEWSAGG_BENCH_STATS_FILE"


def peak_rss_bytes() -> int | None:
    """This process's peak resident set size (Linux VmHWM), None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class JsonStatsCollector(MemoryStatsCollector):
    """MemoryStatsCollector that also writes the final stats to the file :data:`STATS_FILE_ENV` names."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.path = os.environ.get(STATS_FILE_ENV, "")
        self._cpu_at_open: float | None = None

    def open_spider(self, spider=None) -> None:
        super().open_spider()
        self._cpu_at_open = _cpu()

    def _persist_stats(self, stats) -> None:
        super()._persist_stats(stats)
        if not self.path:
            return
        cpu = _cpu()
        stats["bench/peak_rss_bytes"] = peak_rss_bytes()
        stats["bench/cpu_seconds_at_close"] = round(cpu, 3)
        if self._cpu_at_open is not None:  # the crawl itself: no interpreter start-up, imports
            stats["bench/crawl_cpu_seconds"] = round(cpu - self._cpu_at_open, 3)
        stats["bench/pid"] = os.getpid()
        Path(self.path).write_text(json.dumps(stats, default=str, indent=1), encoding="utf-8")
