"""``scrapy crawl`` with newsagg's exit status.

Scrapy's own command, plus:

- exit status ``NEWSAGG_HEALTH_EXIT_CODE`` (3) when a health check failed
  (newsagg/monitoring), for one-off ``-O`` crawls too; the data were written
  and committed as usual. 1 stays "the crawl could not start" (bad spider
  argument, unknown spider ...); 0 otherwise;
- a bad spider argument ends with its one clear ERROR line: the exception
  is not left to asyncio's "Task exception was never retrieved" traceback.
"""

from __future__ import annotations

import asyncio

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from newsagg.args import ArgumentError
from newsagg.config import setting


def _quiet_argument_error(task) -> None:
    """Retrieve an ArgumentError (already logged by the spider); others stay loud."""
    if not task.cancelled() and isinstance(task.exception(), ArgumentError):
        return
    if not task.cancelled() and task.exception() is not None:
        asyncio.get_event_loop().call_exception_handler(
            {"message": "Crawl failed", "exception": task.exception(), "future": task}
        )


class Command(ScrapyCrawl):
    def run(self, args, opts):
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        running = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(running, asyncio.Future):
            running.add_done_callback(_quiet_argument_error)
        else:  # Twisted CrawlerProcess: a Deferred
            running.addErrback(lambda f: None if f.check(ArgumentError) else f)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        stats = crawler.stats.get_stats() if crawler.stats is not None else {}
        if stats.get("newsagg/health/failed_checks"):
            self.exitcode = setting(crawler.settings, "NEWSAGG_HEALTH_EXIT_CODE", "getint")
