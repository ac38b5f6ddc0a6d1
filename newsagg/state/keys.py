"""Redis names shared by the state's Redis backend and the distributed mode.

Both sides address the same keys: the Redis backend's claims are protected by
the run's liveness key (``<prefix>:run:<id>:alive``) that the distributed
lease (:mod:`newsagg.distributed.lease`) refreshes and the reaper checks.
They live here, below both, so :mod:`newsagg.state` never imports the
distributed mode. The frontier's keys are in :mod:`newsagg.distributed.keys`.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsagg.config import setting

#: (site, source_slug, article_id)
Key = tuple[str, str, str]


def prefix_of(settings) -> str:
    """The key prefix (``NEWSAGG_REDIS_PREFIX``)."""
    prefix = setting(settings, "NEWSAGG_REDIS_PREFIX")
    if not prefix:
        raise ValueError("NEWSAGG_REDIS_PREFIX is empty: every Redis key of newsagg needs it")
    return prefix


def lease_ttl(settings) -> int:
    """``NEWSAGG_DISTRIBUTED_LEASE_TTL`` in whole seconds (>= 1): how long a
    run's liveness key lives without a refresh."""
    return max(1, int(setting(settings, "NEWSAGG_DISTRIBUTED_LEASE_TTL", "getfloat")))


@dataclass(frozen=True)
class RunKeys:
    """Keys of one run (one worker process)."""

    prefix: str
    run_id: str

    def _k(self, name: str) -> str:
        return f"{self.prefix}:run:{self.run_id}:{name}"

    @property
    def alive(self) -> str:
        """String with a TTL, refreshed by the run's heartbeat: gone = run dead."""
        return self._k("alive")

    @property
    def pending(self) -> str:
        """Sorted set: requests this run popped and has not committed yet."""
        return self._k("pending")

    @property
    def seeds(self) -> str:
        """List: seeds popped from ``start_urls`` and not yet enqueued."""
        return self._k("seeds")


@dataclass(frozen=True)
class StateKeys:
    """Key names of one site's state (``<prefix>:state:<site>:...``, see
    :mod:`newsagg.state.redis`)."""

    prefix: str
    site: str

    def _k(self, name: str) -> str:
        return f"{self.prefix}:state:{self.site}:{name}"

    keys = property(lambda self: self._k("keys"))
    fps = property(lambda self: self._k("fps"))
    claimed_keys = property(lambda self: self._k("claimed_keys"))
    claimed_fps = property(lambda self: self._k("claimed_fps"))
    runs = property(lambda self: self._k("runs"))
    committed = property(lambda self: self._k("committed"))
    segments = property(lambda self: self._k("segments"))
    reaped = property(lambda self: self._k("reaped"))
    sigs = property(lambda self: self._k("sigs"))
    sig_order = property(lambda self: self._k("sig_order"))

    def claims(self, run_id: str) -> str:
        return self._k(f"run:{run_id}:claims")

    def aliases(self, run_id: str) -> str:
        return self._k(f"run:{run_id}:aliases")


def key_field(key: Key) -> str:
    """Hash field of an article key (the site is in the hash's name)."""
    _site, slug, article_id = key
    return f"{slug}/{article_id}"
