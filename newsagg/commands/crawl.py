"""``scrapy crawl`` (and ``newsagg crawl``) with newsagg's exit status and one-line errors.

Exit status: 0 all well; 1 the crawl could not start (unknown spider, bad
argument or option, unknown output format, data directory locked: finish
reason ``state_locked``); 3 a health check failed; 4 publication failed (stat
``newsagg/segments/failed``), which wins over 3. A mistake found before the
start is one line on stderr; a network failure is logged without traceback;
Scrapy's stats dump goes to the log file, so the summary is the last thing shown.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import pprint
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    UsageError,
)
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spiderloader import get_spider_loader
from twisted.internet import error as terror

from newsagg.args import ArgumentError, CrawlArgs
from newsagg.sites import SITES

logger = logging.getLogger(__name__)

EXIT_NOT_STARTED = 1
#: A health check failed (the crawl ran, its data are published).
EXIT_HEALTH_FAILED = 3
EXIT_PUBLICATION_FAILED = 4
#: Finish reasons of a run that stopped before crawling (newsagg/extensions/publish.py).
NOT_STARTED = ("state_locked", "state_error")
SEGMENTS_FAILED = "newsagg/segments/failed"
#: A download that failed for one of these is a fact of the network, not a bug: no traceback.
NETWORK_ERRORS = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    DownloadTimeoutError,
    DownloadFailedError,
    terror.ConnectError,
    terror.DNSLookupError,
    terror.TimeoutError,
    terror.ConnectionLost,
    TimeoutError,
    ConnectionError,
)
#: Loggers that attach a traceback to a download failure (robots.txt: Scrapy's middleware).
TRACEBACK_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt",)


class NetworkTracebackFilter(logging.Filter):
    """Keeps the message of a record about a network failure, drops its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, NETWORK_ERRORS):
            record.exc_info = None  # filtered before any handler formatted (and cached) it
        return True


def _quiet_argument_error(task) -> None:
    """Retrieve an ArgumentError (already logged by the spider); others stay loud."""
    if not task.cancelled() and isinstance(task.exception(), ArgumentError):
        return
    if not task.cancelled() and task.exception() is not None:
        asyncio.get_event_loop().call_exception_handler(
            {"message": "Crawl failed", "exception": task.exception(), "future": task}
        )


def unknown_spider_message(name: str, known: list[str]) -> str:
    """The one line for a spider name that does not exist, with the closest names."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown spider {name!r}{hint} (spiders: {', '.join(sorted(known))})"


def exit_status(stats: dict) -> int:
    """The exit status of a crawl that ran, from its stats (module doc)."""
    if stats.get("finish_reason") in NOT_STARTED:
        return EXIT_NOT_STARTED
    if stats.get(SEGMENTS_FAILED):
        return EXIT_PUBLICATION_FAILED
    if stats.get("newsagg/health/failed_checks"):
        return EXIT_HEALTH_FAILED
    return 0


def _fail(message: str) -> None:
    print(f"crawl: {message}", file=sys.stderr, flush=True)
    sys.exit(EXIT_NOT_STARTED)


class Command(ScrapyCrawl):
    _dump_stats = False  # the stats dump is ours, at DEBUG (console runs)

    def process_options(self, args, opts):
        try:
            super().process_options(args, opts)
        except UsageError as exc:  # bad -a/-s syntax, unknown output format ...
            _fail(str(exc) or "bad command line")
        assert self.settings is not None
        if len(args) == 1:
            self._check_spider(args[0], opts.spargs)
        dump_unset = self.settings.getpriority("STATS_DUMP") == SETTINGS_PRIORITIES["default"]
        if not self.settings.get("LOG_FILE") and dump_unset and self.settings.getbool("STATS_DUMP"):
            self.settings.set("STATS_DUMP", False, priority="command")
            self._dump_stats = True

    def _check_spider(self, name: str, spargs: dict) -> None:
        """Fail before the crawl starts on an unknown spider or a bad argument."""
        loader = get_spider_loader(self.settings)
        try:
            cls = loader.load(name)
        except KeyError:
            _fail(unknown_spider_message(name, loader.list()))
        workers = sys.modules.get("newsagg.distributed.spiders")  # workers merge seeded arguments
        site = getattr(cls, "site", None)
        if site in SITES and not (workers and issubclass(cls, workers.WorkerMixin)):
            try:
                CrawlArgs.parse(spargs, SITES[site].root)
            except ArgumentError as exc:
                _fail(f"Bad spider argument: {exc}")

    def run(self, args, opts):
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        assert self.crawler_process
        for name in TRACEBACK_LOGGERS:
            logging.getLogger(name).addFilter(NetworkTracebackFilter())
        crawler = self._create_crawler(args[0])
        running = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(running, asyncio.Future):
            running.add_done_callback(_quiet_argument_error)
        else:  # Twisted CrawlerProcess: a Deferred
            running.addErrback(lambda f: None if f.check(ArgumentError) else f)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_NOT_STARTED
            return
        stats = crawler.stats.get_stats() if crawler.stats is not None else {}
        if self._dump_stats:
            logger.debug("Dumping Scrapy stats:\n%s", pprint.pformat(stats))
        self.exitcode = exit_status(stats)
