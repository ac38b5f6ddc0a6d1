"""Redis key names of the distributed mode, all under one prefix
(``NEWSAGG_REDIS_PREFIX``, default ``newsagg``).

Per crawl (``spider`` = the worker spider's name, e.g. ``maghress_worker``):
the request frontier, the request dupefilter, the start-URL list, the crawl
config written by the seed command, and the registry of runs holding work.
Per run (``run_id`` = Scrapyd job id or a generated id): the liveness lease
and the in-flight record (requests popped and not yet committed).
The run's keys and the incremental state's are in :mod:`newsagg.state.keys`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Shared with the state's Redis backend, so they live below both (newsagg.state.keys).
from newsagg.state.keys import RunKeys, prefix_of

__all__ = ["CrawlKeys", "RunKeys", "prefix_of"]


@dataclass(frozen=True)
class CrawlKeys:
    """Keys shared by every worker of one crawl."""

    prefix: str
    spider: str

    def _k(self, name: str) -> str:
        return f"{self.prefix}:{self.spider}:{name}"

    @property
    def requests(self) -> str:
        """Sorted set: the frontier (scrapy-redis PriorityQueue layout)."""
        return self._k("requests")

    @property
    def dupefilter(self) -> str:
        """Set: fingerprints of every request ever enqueued in this crawl."""
        return self._k("dupefilter")

    @property
    def start_urls(self) -> str:
        """List: seeds (JSON ``{"url": ...}``) pushed by ``seed``."""
        return self._k("start_urls")

    @property
    def config(self) -> str:
        """String: JSON of the spider arguments of this crawl (``seed``)."""
        return self._k("config")

    @property
    def runs(self) -> str:
        """Set: run ids that popped work (may hold in-flight requests)."""
        return self._k("runs")

    @property
    def workers(self) -> str:
        """Set: run ids of workers that opened (diagnostics, ``status``)."""
        return self._k("workers")

    @property
    def requeued(self) -> str:
        """Counter: requests returned to the frontier from dead or failed runs."""
        return self._k("requeued")

    def frontier(self) -> list[str]:
        """Keys a new crawl (``seed --reset``) clears."""
        return [self.requests, self.dupefilter, self.start_urls, self.requeued]
