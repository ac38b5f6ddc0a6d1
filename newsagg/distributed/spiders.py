"""Worker spiders: ``maghress_worker``, ``djazairess_worker``, ``turess_worker``.

Each is the site's spider plus :class:`WorkerMixin` (scrapy-redis
``RedisMixin``): requests from the shared frontier, seeds from the list the
``seed`` command fills, waiting while there is no work. Run:
``scrapy crawl maghress_worker -s REDIS_URL=redis://host:6379/0`` (arguments
from the seed; ``-a`` ones must agree). docs/ARCHITECTURE.md "Distributed mode".
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import redis
import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis import connection
from scrapy_redis.spiders import RedisMixin

from newsagg.args import ArgumentError, CrawlArgs
from newsagg.distributed import lease as leases
from newsagg.distributed.keys import CrawlKeys, RunKeys, prefix_of
from newsagg.distributed.profile import apply_distributed_settings
from newsagg.distributed.queue import drop_run_record, pop_seeds, requeue_run
from newsagg.distributed.recovery import reap_dead_runs
from newsagg.run import run_context
from newsagg.sites import SITES
from newsagg.spiders.base import PRIORITY_HOME
from newsagg.spiders.djazairess import DjazairessSpider
from newsagg.spiders.maghress import MaghressSpider
from newsagg.spiders.turess import TuressSpider
from newsagg.state.frontier import HEAD, TAIL, Walk
from newsagg.state.keys import StateKeys, lease_ttl
from newsagg.state.redis import release_run
from newsagg.stats import PREFIX
from newsagg.urls import classify

STATS = f"{PREFIX}/distributed"


def _safe_url(url: str | None) -> str:
    """*url* without its password (for log lines)."""
    parts = urlsplit(url or "")
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url or "(default)"


def load_config(server, keys: CrawlKeys) -> dict[str, str]:
    """The spider arguments the seed command stored for this crawl ({} if none)."""
    raw = server.get(keys.config)
    return json.loads(raw) if raw else {}


def crawl_arguments(config: dict[str, str], given: dict[str, Any], site: str) -> dict[str, Any]:
    """Merge the seeded crawl arguments with the worker's own ``-a`` ones.

    A worker argument that contradicts the seeded crawl is an error (it would
    crawl something else than the shared frontier holds); without a seed the
    worker's own arguments must at least name ``base_url``.
    """
    own = {k: v for k, v in given.items() if not k.startswith("_")}
    root = SITES[site].root
    if not config:
        if "base_url" not in own:
            raise ArgumentError(
                "no crawl seeded in Redis for this worker: run `python -m newsagg.distributed "
                "seed ...` first, or pass the same -a base_url=... as the seed"
            )
        return dict(given)
    merged = {**config, **given}
    if own and CrawlArgs.parse({**config, **own}, root) != CrawlArgs.parse(config, root):
        raise ArgumentError(f"worker arguments {own} contradict the seeded crawl {config}")
    return merged


class WorkerMixin(RedisMixin):
    """Makes an :class:`~newsagg.spiders.base.AggregatorSpider` a distributed worker."""

    redis_prefix: str = ""

    @property
    def run_id(self) -> str:
        """The run's id (:class:`newsagg.run.RunIdentity`: Scrapyd's ``_job`` or
        generated): the worker's requests, claims and lease all carry it."""
        return run_context(self.crawler).identity.run_id

    @property
    def run_keys(self) -> RunKeys:
        return RunKeys(self.redis_prefix, self.run_id)

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        settings = crawler.settings
        apply_distributed_settings(settings)
        prefix = prefix_of(settings)
        server = connection.from_settings(settings)
        log = logging.getLogger(cls.name)
        try:
            config = load_config(server, CrawlKeys(prefix, cls.name))
        except redis.exceptions.RedisError as exc:
            log.error("Redis unreachable at REDIS_URL=%s: %s", _safe_url(settings.get("REDIS_URL")), exc)
            raise
        try:
            kwargs = crawl_arguments(config, kwargs, cls.site)
        except ArgumentError as exc:
            log.error("Bad spider argument: %s", exc)
            raise
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.redis_prefix = prefix
        spider.crawl_keys = CrawlKeys(prefix, spider.name)
        spider.redis_key = spider.crawl_keys.start_urls  # where `seed` pushes
        spider.setup_redis(crawler)
        spider.fetch_data = spider._pop_seeds
        spider._idle_since = None
        spider._first_response = spider._last_response = None
        spider._lease = None
        spider._ttl = lease_ttl(settings)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._active, signal=signals.response_received)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._finish, signal=signals.engine_stopped)
        return spider

    # -- seeds ---------------------------------------------------------------

    async def start(self):
        """Seeds waiting in Redis now; later ones are read when idle."""
        for request in self.next_requests():
            yield request
        self.server.delete(self.run_keys.seeds)  # all enqueued in the shared frontier

    def _pop_seeds(self, key: str, count: int) -> list[bytes]:
        return pop_seeds(self.server, self.crawl_keys, self.run_keys, count, self._ttl)

    def schedule_next_requests(self):
        for request in self.next_requests():
            self.crawler.engine.crawl(request)
        self.server.delete(self.run_keys.seeds)

    def make_request_from_data(self, data):
        """A seed (JSON ``{"url": ...}`` or a bare URL) -> the request of its page kind."""
        text = data.decode(self.redis_encoding) if isinstance(data, bytes) else str(data)
        url = json.loads(text).get("url") if text.lstrip().startswith("{") else text.strip()
        if not url:
            self.logger.warning("Seed without a url ignored: %r", text[:200])
            return []
        ref = classify(url, self.base_url)
        if ref.kind == "home":
            return scrapy.Request(
                ref.url,
                callback=self.parse_home,
                errback=self.on_error,
                priority=PRIORITY_HOME,
                meta={"newsagg_kind": "home"},
            )
        if ref.kind == "listing":
            walk = Walk(ref.slug or "", HEAD if self.frontier.is_walked(ref.slug or "") else TAIL, ref.url, ref.page)
            return self.walk_request(walk, start=True) or []
        if ref.kind == "article":
            return self.article_request(ref, follow=not self.args.urls)
        self.crawler.stats.inc_value(f"{STATS}/seeds_ignored")
        self.logger.warning("Seed is not a page of %s: %s", self.base_url, url)
        return []

    # -- life ----------------------------------------------------------------

    def _opened(self, spider):
        self._lease = leases.hold_run(self.server, self.settings, self.run_id)
        self._lease.on_tick(self._reap)
        self.server.sadd(self.crawl_keys.workers, self.run_id)
        self.crawler.stats.set_value(f"{STATS}/run_id", self.run_id)
        self.logger.info("Worker %s on %s: frontier %s", self.run_id, self.base_url, self.crawl_keys.requests)

    def _reap(self) -> None:
        """Lease thread: return the work of dead runs to the frontier."""
        from twisted.internet import reactor

        runs, requests = reap_dead_runs(self.server, self.settings, self.name, self.site)
        if runs:
            reactor.callFromThread(self.crawler.stats.inc_value, f"{STATS}/requeued", requests)
            reactor.callFromThread(self.crawler.stats.inc_value, f"{STATS}/dead_runs_recovered", runs)

    def _active(self, *args, **kwargs):
        self._idle_since = None
        now = time.time()
        if self._first_response is None:
            self._first_response = now
        self._last_response = now

    def spider_idle(self):
        """Take seeds if any; otherwise wait, and stop after MAX_IDLE_TIME_BEFORE_CLOSE
        seconds without work (0 = never). scrapy-redis counts idle time from the
        last seed, not from the last page: a long crawl would stop at once."""
        if self.count_size(self.redis_key) > 0:
            self._idle_since = None
            self.schedule_next_requests()
            raise DontCloseSpider
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if self.max_idle_time and now - self._idle_since >= self.max_idle_time:
            self.logger.info("No work for %ds: worker %s stops", int(now - self._idle_since), self.run_id)
            return
        raise DontCloseSpider

    def _closed(self, spider, reason):
        self._close_reason = reason
        stats = self.crawler.stats
        stats.set_value(f"{STATS}/pending_at_close", int(self.server.zcard(self.run_keys.pending)))
        if self._first_response is not None:
            # Busy window (the idle wait before closing excluded): benchmarks, capacity planning.
            stats.set_value(f"{STATS}/first_response_time", self._first_response)
            stats.set_value(f"{STATS}/last_response_time", self._last_response)
            stats.set_value(f"{STATS}/busy_seconds", round(self._last_response - self._first_response, 3))

    def _finish(self):
        """After the feeds closed and the state committed (spider_closed
        handlers are done): forget this run's in-flight record; when the run
        was not committed (its files were discarded), release its claims and
        hand its requests back to the other workers."""
        state = StateKeys(self.redis_prefix, self.site)
        try:
            if self.server.hexists(state.committed, self.run_id):
                drop_run_record(self.server, self.crawl_keys, self.run_keys)
            else:
                released = release_run(self.server, state, self.run_id)
                moved = requeue_run(self.server, self.crawl_keys, self.run_keys, force=True)
                self.logger.error(
                    "Run %s ended (%s) without committing its state: released %d claim(s), "
                    "returned %d request(s) to the frontier",
                    self.run_id,
                    getattr(self, "_close_reason", "?"),
                    released,
                    moved,
                )
            self.server.srem(self.crawl_keys.workers, self.run_id)
        finally:
            if self._lease is not None:
                leases.release(self._lease)
                self._lease = None


class MaghressWorker(WorkerMixin, MaghressSpider):
    name = "maghress_worker"


class DjazairessWorker(WorkerMixin, DjazairessSpider):
    name = "djazairess_worker"


class TuressWorker(WorkerMixin, TuressSpider):
    name = "turess_worker"
