"""scrapy-redis' scheduler with an atomic enqueue and the reliable queue.

As ``scrapy_redis.scheduler.Scheduler``, except: the dupefilter check and the
push are one Lua script; pops go through
:class:`~newsagg.distributed.queue.ReliablePriorityQueue` (recorded per run
until it commits); on open, dead runs' work returns to the frontier.
"""

from __future__ import annotations

import logging

from scrapy_redis.scheduler import Scheduler

from newsagg.distributed.recovery import reap_dead_runs

logger = logging.getLogger(__name__)


class ReliableScheduler(Scheduler):
    """See module docstring. ``close`` never flushes the shared frontier while
    other workers may still use it (``SCHEDULER_PERSIST`` is forced on)."""

    def _recover(self, spider):
        runs, requests = reap_dead_runs(self.server, spider.settings, spider.name, spider.site)
        if runs:
            logger.warning("Recovered %d dead run(s): %d request(s) back in the frontier", runs, requests)
            if self.stats:
                self.stats.inc_value("newsagg/distributed/requeued", requests)

    def open(self, spider):
        self._seen: set[int] = set()  # 64-bit hashes of (method, url, body) and of fingerprints seen here
        super().open(spider)
        self._recover(spider)

    def enqueue_request(self, request):
        # Requests this worker already sent to the shared dupefilter stay seen
        # for the whole crawl: filter repeats locally (ticker and sidebar links
        # recur on every page; each would cost a fingerprint, an encode and a
        # round trip). Keyed by the exact URL first, then by fingerprint; only
        # 64-bit hashes are kept (a collision among a million links: ~3e-8).
        raw = None if request.dont_filter else hash((request.method, request.url, request.body))
        if raw is not None and raw in self._seen:
            self.df.log(request, self.spider)
            return False
        fingerprint = "" if raw is None else self.df.request_fingerprint(request)
        if fingerprint and hash(fingerprint) in self._seen:
            self._seen.add(raw)
            self.df.log(request, self.spider)
            return False
        added = self.queue.push(request, fingerprint, self.df.key)
        if raw is not None:
            self._seen.update((raw, hash(fingerprint)))
        if not added:
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        request = self.queue.pop()
        if request and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def close(self, reason):
        # Other workers share the frontier: never flush it here.
        return None
