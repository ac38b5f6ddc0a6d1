"""A run's liveness lease: a Redis key with a TTL, refreshed by a daemon thread.

A run whose heartbeat stops for ``NEWSAGG_DISTRIBUTED_LEASE_TTL`` seconds is
dead: others reclaim its work. :class:`RunLease` (on with the Redis state)
holds the lease on the state's server for the whole run; a worker holds the one
on its frontier's server, with its reaper; :func:`hold` shares one thread per
(server, run). docs/ARCHITECTURE.md "Distributed mode".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsagg.config import setting
from newsagg.run import run_context
from newsagg.state.keys import RunKeys, lease_ttl, prefix_of
from newsagg.state.redis import connect

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_leases: dict[tuple, Lease] = {}


def _server_id(server) -> tuple:
    kw = server.connection_pool.connection_kwargs
    return (kw.get("host"), kw.get("port"), kw.get("db"), kw.get("path"))


#: The heartbeat refreshes the lease this many times per TTL: a few missed beats never lose it.
BEATS_PER_TTL = 6


class Lease:
    """Keep ``key`` set (value ``run_id``) with ``ttl`` seconds to live,
    refreshing it :data:`BEATS_PER_TTL` times per TTL; callbacks added with
    :meth:`on_tick` run in the thread after each refresh."""

    def __init__(self, server, key: str, run_id: str, ttl: float):
        if ttl <= 0:
            raise ValueError("lease ttl must be > 0")
        self.server, self.key, self.run_id = server, key, run_id
        self.ttl = max(1, round(ttl))
        self.interval = max(0.2, ttl / BEATS_PER_TTL)
        self._ticks: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refs = 0

    def on_tick(self, fn: Callable[[], None]) -> None:
        """Run *fn* in the lease thread after every refresh (e.g. the reaper)."""
        self._ticks.append(fn)

    def refresh(self) -> bool:
        """Set the key again; False (and a logged error) when it had vanished."""
        existed = self.server.set(self.key, self.run_id, ex=self.ttl, xx=True)
        if existed:
            return True
        self.server.set(self.key, self.run_id, ex=self.ttl)
        if self._thread is not None and self._refs:
            logger.error(
                "Run %s: liveness lease %s had expired (heartbeat starved for > %ss); if other "
                "workers reclaimed this run's work meanwhile, it claims and commits nothing more "
                "(its files are discarded, its requests handed back).",
                self.run_id,
                self.key,
                self.ttl,
            )
        return False

    def start(self) -> None:
        self.server.set(self.key, self.run_id, ex=self.ttl)
        self._thread = threading.Thread(target=self._run, name=f"lease-{self.run_id}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.refresh()
            except Exception:
                logger.warning("Run %s: lease refresh failed", self.run_id, exc_info=True)
                continue
            for fn in list(self._ticks):
                try:
                    fn()
                except Exception:
                    logger.warning("Run %s: lease callback %r failed", self.run_id, fn, exc_info=True)

    def stop(self, delete: bool = True) -> None:
        """Stop refreshing; with *delete*, remove the key (a clean exit)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=max(5.0, self.interval * 2))
        if delete:
            try:
                self.server.delete(self.key)
            except Exception:
                logger.warning("Run %s: could not delete lease %s", self.run_id, self.key, exc_info=True)


def hold(server, key: str, run_id: str, ttl: float) -> Lease:
    """Start (or share) the lease of *run_id*; pair with :func:`release`."""
    ident = (_server_id(server), key)
    with _lock:
        lease = _leases.get(ident)
        if lease is None:
            lease = Lease(server, key, run_id, ttl)
            lease.start()
            _leases[ident] = lease
        lease._refs += 1
        return lease


def release(lease: Lease, delete: bool = True) -> None:
    """Drop one reference; the last one stops the thread (and deletes the key)."""
    with _lock:
        lease._refs -= 1
        if lease._refs > 0:
            return
        for ident, other in list(_leases.items()):
            if other is lease:
                del _leases[ident]
    lease.stop(delete=delete)


def hold_run(server, settings, run_id: str) -> Lease:
    """:func:`hold` the liveness lease of *run_id* with the TTL of *settings*."""
    return hold(server, RunKeys(prefix_of(settings), run_id).alive, run_id, lease_ttl(settings))


class RunLease:
    """Extension: the run's liveness lease on the Redis state's server, from
    ``spider_opened`` to ``engine_stopped`` (after the commit, and after a
    worker handed back what it did not commit). ``NotConfigured`` unless the
    state backend is ``redis``."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.server = None
        self.lease: Lease | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if setting(crawler.settings, "NEWSAGG_STATE_BACKEND") != "redis":
            raise NotConfigured  # no message: Scrapy would log one warning per ordinary crawl
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self, spider):
        self.server = connect(self.crawler.settings)
        self.lease = hold_run(self.server, self.crawler.settings, run_context(self.crawler).identity.run_id)

    def engine_stopped(self):
        if self.lease is not None:
            release(self.lease)
            self.lease = None
        if self.server is not None:
            self.server.close()
            self.server = None
