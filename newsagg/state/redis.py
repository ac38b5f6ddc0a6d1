"""The Redis backend of the incremental state: one site's state shared by several machines.

Every check-and-set is one Lua script, so two workers can never both claim an
article: ``claim`` reserves key and fingerprint, ``commit`` makes a run's claims
stored with its segment's record, ``release`` drops them. A run's claims are
protected by its lease (:mod:`newsagg.distributed.lease`); a run released while
its lease is gone is ``reaped`` and can neither claim nor commit. Keys and the
protocol: docs/ARCHITECTURE.md "Distributed mode".
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import Iterable, Iterator

from newsagg.config import setting
from newsagg.state.base import Key, SegmentCommit, StateBackend, StateError
from newsagg.state.keys import RunKeys, StateKeys, key_field, lease_ttl, prefix_of

logger = logging.getLogger(__name__)

_BATCH = 1000

__all__ = ["RedisState", "StateKeys", "connect", "key_field", "release_run"]


# KEYS: keys fps claimed_keys claimed_fps run_claims runs alive reaped
# ARGV: field fp run_id refresh payload ttl
# Returns one of the outcomes of newsagg.state.base (CLAIMED, STORED, ...).
_CLAIM = """
if redis.call('HEXISTS', KEYS[8], ARGV[3]) == 1 then return 'run_dead' end
if ARGV[4] ~= '1' then
  if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'stored' end
  if ARGV[2] ~= '' and redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 'stored' end
end
local holder = redis.call('HGET', KEYS[3], ARGV[1])
if holder then
  if holder == ARGV[3] then return 'own_key' end
  return 'other_run'
end
if ARGV[2] ~= '' then
  holder = redis.call('HGET', KEYS[4], ARGV[2])
  if holder then
    if holder == ARGV[3] then return 'own_content' end
    return 'other_run'
  end
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[4], ARGV[2], ARGV[3]) end
redis.call('HSET', KEYS[5], ARGV[1], ARGV[5])
redis.call('SADD', KEYS[6], ARGV[3])
redis.call('SET', KEYS[7], ARGV[3], 'EX', ARGV[6])
return 'claimed'
"""

# KEYS: keys fps claimed_keys claimed_fps run_claims runs committed sigs sig_order run_aliases reaped segments
# ARGV: run_id now segment final
# -1: the run was reaped (presumed dead, its work handed to others): nothing stored.
_COMMIT = """
if redis.call('HEXISTS', KEYS[11], ARGV[1]) == 1 then return -1 end
local entries = redis.call('HGETALL', KEYS[5])
local n = 0
for i = 1, #entries, 2 do
  local field = entries[i]
  local c = cjson.decode(entries[i + 1])
  redis.call('HSET', KEYS[1], field, c.url)
  if c.fp ~= '' then redis.call('HSET', KEYS[2], c.fp, c.url) end
  if c.sig ~= '' and redis.call('HSET', KEYS[8], c.url, c.sig) == 1 then redis.call('RPUSH', KEYS[9], c.url) end
  if redis.call('HGET', KEYS[3], field) == ARGV[1] then redis.call('HDEL', KEYS[3], field) end
  if c.fp ~= '' and redis.call('HGET', KEYS[4], c.fp) == ARGV[1] then redis.call('HDEL', KEYS[4], c.fp) end
  n = n + 1
end
local aliases = redis.call('HGETALL', KEYS[10])
for i = 1, #aliases, 2 do redis.call('HSETNX', KEYS[1], aliases[i], aliases[i + 1]) end
redis.call('DEL', KEYS[5], KEYS[10])
redis.call('HSET', KEYS[12], ARGV[3], ARGV[1])
if ARGV[4] == '1' then
  redis.call('SREM', KEYS[6], ARGV[1])
  redis.call('HSET', KEYS[7], ARGV[1], ARGV[2])
end
return n
"""

# KEYS: claimed_keys claimed_fps run_claims runs alive run_aliases reaped committed
# ARGV: run_id only_if_dead now
# A run released while its lease is gone is marked reaped (unless it committed):
# if it was only stalled, it may not claim or commit any more.
_RELEASE = """
local alive = redis.call('EXISTS', KEYS[5]) == 1
if ARGV[2] == '1' and alive then return -1 end
if not alive and redis.call('HEXISTS', KEYS[8], ARGV[1]) == 0 then
  redis.call('HSET', KEYS[7], ARGV[1], ARGV[3])
end
local entries = redis.call('HGETALL', KEYS[3])
local n = 0
for i = 1, #entries, 2 do
  local field = entries[i]
  local c = cjson.decode(entries[i + 1])
  if redis.call('HGET', KEYS[1], field) == ARGV[1] then redis.call('HDEL', KEYS[1], field) end
  if c.fp ~= '' and redis.call('HGET', KEYS[2], c.fp) == ARGV[1] then redis.call('HDEL', KEYS[2], c.fp) end
  n = n + 1
end
redis.call('DEL', KEYS[3], KEYS[6])
redis.call('SREM', KEYS[4], ARGV[1])
return n
"""


def connect(settings):
    """A Redis client for the state: ``NEWSAGG_STATE_REDIS_URL`` or scrapy-redis'
    ``REDIS_URL``/``REDIS_PARAMS``."""
    from scrapy_redis.connection import get_redis_from_settings

    url = setting(settings, "NEWSAGG_STATE_REDIS_URL")
    if url:
        import redis

        return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30, retry_on_timeout=True)
    return get_redis_from_settings(settings)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def release_run(server, keys: StateKeys, run_id: str, *, only_if_dead: bool = False, prefix: str | None = None) -> int:
    """Drop the uncommitted claims of *run_id*; -1 when *only_if_dead* and
    the run's lease is still alive. A run whose lease is gone is marked
    ``reaped``: it can neither claim nor commit afterwards."""
    alive = RunKeys(prefix or keys.prefix, run_id).alive
    script = server.register_script(_RELEASE)
    return int(
        script(
            keys=[
                keys.claimed_keys,
                keys.claimed_fps,
                keys.claims(run_id),
                keys.runs,
                alive,
                keys.aliases(run_id),
                keys.reaped,
                keys.committed,
            ],
            args=[run_id, "1" if only_if_dead else "0", _now()],
        )
    )


class RedisState(StateBackend):
    """Shared, atomic crawl state in Redis (see module docstring). Never
    raises :class:`StateLocked`: concurrent runs are the point."""

    name = "redis"
    exclusive = False

    def __init__(self, settings):
        super().__init__(settings)
        self.prefix = prefix_of(settings)
        self.ttl = lease_ttl(settings)
        self.server = None
        self.keys: StateKeys | None = None
        self._scripts: dict[str, object] = {}

    # -- life ----------------------------------------------------------------

    def open(self, site: str) -> None:
        import redis

        self.site = site
        self.keys = StateKeys(self.prefix, site)
        self.server = connect(self.settings)
        try:
            self.server.ping()
        except redis.exceptions.RedisError as exc:
            raise StateError(f"Redis state unreachable ({exc}); check REDIS_URL") from exc
        self._scripts = {
            name: self.server.register_script(src) for name, src in (("claim", _CLAIM), ("commit", _COMMIT))
        }
        released = self.reap()
        if released:
            logger.warning("Redis state %s: released %d claim(s) of dead run(s)", site, released)

    def reap(self) -> int:
        """Release the claims of runs whose lease has lapsed; returns how many."""
        total = 0
        for raw in self.server.smembers(self._k.runs):
            run_id = raw.decode()
            if self.server.exists(RunKeys(self.prefix, run_id).alive):
                continue
            n = release_run(self.server, self._k, run_id, only_if_dead=True)
            if n > 0:
                logger.warning("Run %s is dead (lease expired): released its %d claim(s)", run_id, n)
                total += n
        return total

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    @property
    def _k(self) -> StateKeys:
        if self.keys is None or self.server is None:
            raise StateError("state not open")
        return self.keys

    # -- lookups (stored entries only) ---------------------------------------

    def known_keys(self, keys: Iterable[Key]) -> set[Key]:
        keys = list(keys)
        out: set[Key] = set()
        for i in range(0, len(keys), _BATCH):
            chunk = keys[i : i + _BATCH]
            found = self.server.hmget(self._k.keys, [key_field(k) for k in chunk])
            out.update(k for k, v in zip(chunk, found, strict=False) if v is not None)
        return out

    def fingerprint_owner(self, fingerprint: str) -> str | None:
        if not fingerprint:
            return None
        url = self.server.hget(self._k.fps, fingerprint)
        return url.decode() if url is not None else None

    def stored_signatures(self) -> Iterator[tuple[bytes, str]]:
        start = 0
        while True:
            urls = self.server.lrange(self._k.sig_order, start, start + _BATCH - 1)
            if urls:
                for url, sig in zip(urls, self.server.hmget(self._k.sigs, urls), strict=False):
                    if sig is not None:
                        yield base64.b64decode(sig), url.decode()
            if len(urls) < _BATCH:
                return
            start += _BATCH

    def count(self) -> int:
        return int(self.server.hlen(self._k.keys))

    # -- writes ----------------------------------------------------------------

    def claim_result(
        self,
        key: Key,
        fingerprint: str,
        url: str,
        run_id: str,
        *,
        signature: bytes | None = None,
        refresh: bool = False,
    ) -> str:
        payload = json.dumps(
            {"fp": fingerprint or "", "url": url, "sig": base64.b64encode(signature).decode() if signature else ""}
        )
        k, run = self._k, RunKeys(self.prefix, run_id)
        out = self._scripts["claim"](
            keys=[k.keys, k.fps, k.claimed_keys, k.claimed_fps, k.claims(run_id), k.runs, run.alive, k.reaped],
            args=[key_field(key), fingerprint or "", run_id, "1" if refresh else "0", payload, self.ttl],
        )
        return out.decode() if isinstance(out, bytes) else str(out)

    def alias(self, key: Key, fingerprint: str, url: str, run_id: str) -> None:
        """*key* republishes stored content: known to later runs once *run_id*
        commits (dropped with the run's claims when it does not)."""
        with self.server.pipeline() as pipe:
            pipe.hset(self._k.aliases(run_id), key_field(key), url)
            pipe.sadd(self._k.runs, run_id)
            pipe.set(RunKeys(self.prefix, run_id).alive, run_id, ex=self.ttl)  # as a claim does
            pipe.execute()

    def commit(self, run_id: str, segment: SegmentCommit) -> int:
        k = self._k
        n = int(
            self._scripts["commit"](
                keys=[
                    k.keys,
                    k.fps,
                    k.claimed_keys,
                    k.claimed_fps,
                    k.claims(run_id),
                    k.runs,
                    k.committed,
                    k.sigs,
                    k.sig_order,
                    k.aliases(run_id),
                    k.reaped,
                    k.segments,
                ],
                args=[run_id, _now(), segment.name, "1" if segment.final else "0"],
            )
        )
        if n < 0:
            raise StateError(
                f"run {run_id} was presumed dead (its liveness lease lapsed) and its work was "
                f"handed to other workers: it may not commit"
            )
        return n

    def is_committed(self, segment: str) -> bool:
        return bool(self.server.hexists(self._k.segments, segment))

    def release(self, run_id: str) -> int:
        return max(0, release_run(self.server, self._k, run_id))

    def abandon_if_dead(self, run_id: str) -> bool:
        """True when the lease of *run_id* is gone: its claims are released and,
        unless it committed, it is marked ``reaped`` (it can no longer commit)."""
        return release_run(self.server, self._k, run_id, only_if_dead=True) >= 0
