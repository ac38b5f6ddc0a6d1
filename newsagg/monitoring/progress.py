"""The console progress line: pages, articles, pages/s, queue, segments published, sources finished.

Takes the place of Scrapy's LogStats (its per-minute "Crawled N pages" INFO lines).
On a terminal (stderr is a TTY) one line is rewritten in place every
:data:`TTY_INTERVAL` seconds; elsewhere (a log file, Scrapyd) the same text is
an INFO line every ``NEWSAGG_PROGRESS_LOG_INTERVAL`` seconds (0: none).
"""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from twisted.internet import task

from newsagg.config import setting
from newsagg.stats import PREFIX

logger = logging.getLogger(__name__)

#: Seconds between updates of the line on a terminal.
TTY_INTERVAL = 1.0


def progress_text(stats: dict, elapsed: float, queued: int | None) -> str:
    """One progress line from the crawl stats (pure)."""
    pages = stats.get("response_received_count", 0)
    rate = pages / elapsed if elapsed > 0 else 0.0
    line = f"pages {pages}  articles {stats.get('item_scraped_count', 0)}  {rate:.1f} pages/s"
    if queued is not None:
        line += f"  queue {queued}"
    if f"{PREFIX}/segments/published" in stats or f"{PREFIX}/sources/total" in stats:
        line += f"  segments {stats.get(f'{PREFIX}/segments/published', 0)}"
        line += f"  sources {stats.get(f'{PREFIX}/sources/finished', 0)}/{stats.get(f'{PREFIX}/sources/total', 0)} done"
    return line


class Progress:
    """See module doc."""

    def __init__(self, crawler, stream=None):
        self.crawler = crawler
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = (
            TTY_INTERVAL if self.tty else setting(crawler.settings, "NEWSAGG_PROGRESS_LOG_INTERVAL", "getfloat")
        )
        self.loop = None
        self.t0 = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _queued(self) -> int | None:
        engine = getattr(self.crawler, "engine", None)
        slot = getattr(engine, "_slot", None)
        scheduler = getattr(slot, "scheduler", None) or getattr(engine, "scheduler", None)
        try:
            return len(scheduler) + len(getattr(engine.downloader, "active", ()))
        except TypeError:
            return None

    def spider_opened(self, spider):
        self.t0 = time.monotonic()
        if self.interval > 0:
            self.loop = task.LoopingCall(self.tick)
            self.loop.start(self.interval, now=False)

    def tick(self):
        text = progress_text(self.crawler.stats.get_stats(), time.monotonic() - self.t0, self._queued())
        if self.tty:
            # Cursor back at column 0 after the text: a log line printed next
            # overwrites the progress line instead of running on after it.
            self.stream.write("\x1b[2K" + text + "\r")
            self.stream.flush()
        else:
            logger.info("Progress: %s", text)

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.tty:
            self.stream.write("\x1b[2K")
            self.stream.flush()
