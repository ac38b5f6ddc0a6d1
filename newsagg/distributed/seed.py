"""Seed a distributed crawl: its arguments and start URLs go to Redis.

:func:`seed` validates the arguments as a spider would, stores them as the
crawl's config and pushes the start URLs. A new crawl clears the previous
frontier and dupefilter (the state stays: the next crawl is incremental); it
is refused while live workers hold work of the crawl, unless forced.
"""

from __future__ import annotations

import json
import logging

from newsagg.args import CrawlArgs
from newsagg.distributed.keys import CrawlKeys, RunKeys
from newsagg.sites import SITES
from newsagg.state.keys import StateKeys
from newsagg.state.redis import release_run

logger = logging.getLogger(__name__)


class SeedError(RuntimeError):
    """The crawl cannot be seeded as asked."""


def worker_name(site: str) -> str:
    """The worker spider of *site* (``maghress`` -> ``maghress_worker``)."""
    if site not in SITES:
        raise SeedError(f"unknown site {site!r}: one of {', '.join(SITES)}")
    return f"{site}_worker"


def live_runs(server, keys: CrawlKeys, prefix: str) -> list[str]:
    """Live runs holding work of this crawl (popped, not yet committed). Idle
    workers that never took work of it may wait for the next seed."""
    runs = {r.decode() for r in server.smembers(keys.runs)}
    return sorted(r for r in runs if server.exists(RunKeys(prefix, r).alive))


def seed(server, site: str, args: dict[str, str], *, prefix: str, reset: bool = True, force: bool = False) -> dict:
    """Store the crawl config and push its start URLs; returns a summary dict.

    *args* are spider arguments as strings (``base_url``, ``sources``,
    ``max_pages``, ``since``, ``until``, ``urls``, ``full``, ``render``).
    """
    name = worker_name(site)
    keys = CrawlKeys(prefix, name)
    args = {k: str(v) for k, v in args.items() if v is not None and str(v) != ""}
    parsed = CrawlArgs.parse(args, SITES[site].root)  # same validation as the spider
    args["base_url"] = parsed.base_url
    alive = live_runs(server, keys, prefix)
    if reset and alive and not force:
        raise SeedError(
            f"workers still running on this crawl ({', '.join(alive)}): wait for them, "
            f"seed with --add to add URLs to it, or --force to start over anyway"
        )
    if not reset:
        old = server.get(keys.config)
        if old and json.loads(old) != args:
            raise SeedError(f"--add: arguments {args} differ from the running crawl's {json.loads(old)}")
    dropped_runs = 0
    if reset:
        # Work of dead runs of the old crawl: release their claims, forget their requests.
        for raw in server.smembers(keys.runs):
            run_id = raw.decode()
            if run_id in alive:
                continue
            release_run(server, StateKeys(prefix, site), run_id, only_if_dead=not force, prefix=prefix)
            run = RunKeys(prefix, run_id)
            server.delete(run.pending, run.seeds)
            server.srem(keys.runs, run_id)
            dropped_runs += 1
        server.delete(*keys.frontier())
    urls = list(parsed.urls) or [f"{parsed.base_url}/fr/"]
    with server.pipeline() as pipe:
        pipe.set(keys.config, json.dumps(args, sort_keys=True))
        for url in urls:
            pipe.rpush(keys.start_urls, json.dumps({"url": url}))
        pipe.execute()
    return {
        "spider": name,
        "config": args,
        "seeds": len(urls),
        "reset": reset,
        "old_runs_dropped": dropped_runs,
        "start_urls_key": keys.start_urls,
    }


def status(server, site: str, *, prefix: str) -> dict:
    """Frontier size, seen requests, runs and their in-flight counts, stored keys."""
    name = worker_name(site)
    keys = CrawlKeys(prefix, name)
    state = StateKeys(prefix, site)
    runs = {}
    for raw in sorted(server.smembers(keys.runs) | server.smembers(keys.workers)):
        run_id = raw.decode()
        run = RunKeys(prefix, run_id)
        runs[run_id] = {
            "alive": bool(server.exists(run.alive)),
            "in_flight": int(server.zcard(run.pending)),
            "claims": int(server.hlen(state.claims(run_id))),
        }
    config = server.get(keys.config)
    return {
        "spider": name,
        "config": json.loads(config) if config else None,
        "frontier": int(server.zcard(keys.requests)),
        "seeds_waiting": int(server.llen(keys.start_urls)),
        "requests_seen": int(server.scard(keys.dupefilter)),
        "requeued": int(server.get(keys.requeued) or 0),
        "runs": runs,
        # Stored article keys, republications' keys (aliases) included.
        "stored_keys": int(server.hlen(state.keys)),
        "committed_runs": int(server.hlen(state.committed)),
    }
