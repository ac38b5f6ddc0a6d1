"""A dupefilter whose JOBDIR memory is only trusted after a clean stop (``-o``/``-O`` runs).

:class:`ResumableDupeFilter` keeps request fingerprints in memory and writes
``requests.seen`` only when the scheduler closes cleanly; a marker file in
JOBDIR says a run is in progress, so a run that finds one left by a killed run
discards the seen requests and the queue and starts again from the home page
(``newsagg/resume/unclean``; a clean pick-up: ``newsagg/resume/resumed``).
docs/ARCHITECTURE.md "Files".
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from scrapy import signals
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.job import job_dir

from newsagg.hashset import HashSet
from newsagg.stats import PREFIX, inc

logger = logging.getLogger(__name__)

MARKER = "newsagg.running"
SEEN = "requests.seen64"  # the first 8 bytes of each fingerprint, signed big-endian int64s


def read_fingerprints(data: bytes) -> list[int]:
    """Fingerprints of a ``requests.seen64`` file (a truncated last record is ignored)."""
    return [int.from_bytes(data[i : i + 8], "big", signed=True) for i in range(0, len(data) - 7, 8)]


def _short(fingerprint: bytes) -> int:
    """A request fingerprint as the 64-bit int the filter keeps (8 bytes, not a 20-byte object)."""
    return int.from_bytes(fingerprint[:8], "big", signed=True)


class ResumableDupeFilter(RFPDupeFilter):
    """``RFPDupeFilter`` that persists its fingerprints atomically on a clean close
    only and resets a JOBDIR left behind by a run that died (module doc)."""

    def __init__(self, path: str | None = None, debug: bool = False, *, fingerprinter=None, crawler=None):
        super().__init__(None, debug, fingerprinter=fingerprinter)  # no append-as-you-go file
        self._seen = HashSet()  # 8 bytes a request (a million-article crawl: 8 MB)
        self.jobdir = Path(path) if path else None
        self.crawler = crawler
        self.resumed = False
        self.unclean = False
        if self.jobdir is not None:
            self._open_jobdir()

    @classmethod
    def from_crawler(cls, crawler):
        df = cls(
            job_dir(crawler.settings),
            crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
            crawler=crawler,
        )
        if df.jobdir is not None:
            # The marker goes once the run's files are closed (and the state
            # committed): after the feed exporter, or at spider close without feeds.
            crawler.signals.connect(df._spider_closed, signal=signals.spider_closed)
            crawler.signals.connect(df._feeds_closed, signal=signals.feed_exporter_closed)
        return df

    # -- JOBDIR --------------------------------------------------------------

    def _open_jobdir(self) -> None:
        """Called before the scheduler opens its disk queue (Scheduler.from_crawler)."""
        assert self.jobdir is not None
        self.jobdir.mkdir(parents=True, exist_ok=True)
        marker, seen = self.jobdir / MARKER, self.jobdir / SEEN
        if marker.exists():
            self.unclean = True
            logger.warning(
                "JOBDIR %s: the previous run did not stop cleanly (%s). Its request queue and seen requests "
                "cannot be trusted: they are discarded and discovery starts again from the home page "
                "(articles stored by earlier runs are skipped by the incremental state).",
                self.jobdir,
                marker.read_text(encoding="utf-8", errors="replace").strip() or "killed",
            )
            seen.unlink(missing_ok=True)
            shutil.rmtree(self.jobdir / "requests.queue", ignore_errors=True)
        elif seen.exists():
            for fp in read_fingerprints(seen.read_bytes()):
                self._seen.add(fp)
            self.resumed = True
            logger.info("JOBDIR %s: resuming a cleanly stopped crawl (%d requests seen)", self.jobdir, len(self._seen))
        marker.write_text(
            f"pid {os.getpid()} started {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n", encoding="utf-8"
        )

    def request_seen(self, request) -> bool:
        return not self._seen.add(_short(self._fingerprint(request)))

    def open(self):
        if self.crawler is not None:
            if self.unclean:
                inc(self.crawler.stats, f"{PREFIX}/resume/unclean")
            if self.resumed:
                inc(self.crawler.stats, f"{PREFIX}/resume/resumed")
        return super().open()

    def close(self, reason: str) -> None:
        """Scheduler closing (its queue is being saved): persist the fingerprints."""
        if self.jobdir is None:
            return
        seen = self.jobdir / SEEN
        tmp = seen.with_name(SEEN + ".tmp")
        with tmp.open("wb") as fh:
            fh.write(self._seen.to_bytes())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, seen)

    def _finished(self) -> None:
        if self.jobdir is not None:
            (self.jobdir / MARKER).unlink(missing_ok=True)

    def _spider_closed(self, spider, reason):
        if self.crawler is None or not self.crawler.settings.getdict("FEEDS"):
            self._finished()

    def _feeds_closed(self):
        self._finished()
