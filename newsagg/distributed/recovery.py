"""Reclaim the work of dead runs: release their claims, requeue their requests.

A run is dead when its lease key (:class:`newsagg.state.keys.RunKeys` ``alive``,
kept by :mod:`newsagg.distributed.lease`) is gone.
Order matters: claims are released *before* the requests go back to the
frontier, so a worker that picks a requeued article up can claim it. Each
step is an atomic script that re-checks the lease, so several workers may
reap at once; the second finds nothing left to do.
"""

from __future__ import annotations

import logging

from newsagg.distributed.keys import CrawlKeys, RunKeys, prefix_of
from newsagg.distributed.queue import requeue_run
from newsagg.state.keys import StateKeys
from newsagg.state.redis import release_run

logger = logging.getLogger(__name__)


def dead_runs(server, prefix: str, candidates) -> list[str]:
    """The run ids among *candidates* whose lease has lapsed."""
    out = []
    for raw in candidates:
        run_id = raw.decode() if isinstance(raw, bytes) else str(raw)
        if not server.exists(RunKeys(prefix, run_id).alive):
            out.append(run_id)
    return sorted(out)


def reap_dead_runs(server, settings, spider_name: str, site: str) -> tuple[int, int]:
    """Recover every dead run of this crawl (and dead claimers of *site*'s
    state). Returns (runs recovered, requests + seeds requeued)."""
    prefix = prefix_of(settings)
    crawl = CrawlKeys(prefix, spider_name)
    state = StateKeys(prefix, site)
    candidates = set(server.smembers(crawl.runs)) | set(server.smembers(state.runs))
    runs = requests = 0
    for raw in server.smembers(crawl.workers):  # worker registry: diagnostics only
        if not server.exists(RunKeys(prefix, raw.decode()).alive):
            server.srem(crawl.workers, raw)
    for run_id in dead_runs(server, prefix, candidates):
        released = release_run(server, state, run_id, only_if_dead=True, prefix=prefix)
        moved = requeue_run(server, crawl, RunKeys(prefix, run_id))
        if released < 0 or moved < 0:  # came back to life meanwhile
            continue
        runs += 1
        requests += moved
        logger.warning(
            "Run %s is dead (lease expired): released %d claim(s), requeued %d request(s)", run_id, released, moved
        )
    return runs, requests
