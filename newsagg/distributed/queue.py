"""The shared frontier: scrapy-redis' priority queue plus an in-flight record.

scrapy-redis pops a request off the shared sorted set and forgets it: a
worker killed while the request is in flight (or after its item went into a
feed file that never got closed) loses it for good. Here a pop *moves* the
request, in one Lua script, into the run's ``pending`` set; the run's
requests leave that set only once its dataset files are closed and its state
committed (``ReliableScheduler`` / worker close). A dead run's pending
requests go back into the frontier (:func:`requeue_run`).
"""

from __future__ import annotations

from scrapy_redis.queue import PriorityQueue

from newsagg.distributed.keys import CrawlKeys, RunKeys
from newsagg.state.keys import lease_ttl

# KEYS: queue, pending, runs, alive  ARGV: run_id, ttl
_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('ZADD', KEYS[2], r[2], r[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SET', KEYS[4], ARGV[1], 'EX', ARGV[2])
return r[1]
"""

# KEYS: dupefilter, queue  ARGV: fingerprint ('' = dont_filter), score, data
_PUSH = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# KEYS: queue, pending, seeds, start_urls, runs, alive, requeued  ARGV: run_id, force
_REQUEUE = """
if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[6]) == 1 then return -1 end
local n = redis.call('ZCARD', KEYS[2])
if n > 0 then
  redis.call('ZUNIONSTORE', KEYS[1], 2, KEYS[1], KEYS[2], 'AGGREGATE', 'MIN')
end
local seeds = redis.call('LRANGE', KEYS[3], 0, -1)
for i = #seeds, 1, -1 do redis.call('LPUSH', KEYS[4], seeds[i]) end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('SREM', KEYS[5], ARGV[1])
if n + #seeds > 0 then redis.call('INCRBY', KEYS[7], n + #seeds) end
return n + #seeds
"""

# KEYS: start_urls, seeds, runs, alive  ARGV: run_id, ttl, count
_POP_SEEDS = """
local out = {}
for i = 1, tonumber(ARGV[3]) do
  local v = redis.call('LPOP', KEYS[1])
  if not v then break end
  redis.call('RPUSH', KEYS[2], v)
  out[#out + 1] = v
end
if #out > 0 then
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('SET', KEYS[4], ARGV[1], 'EX', ARGV[2])
end
return out
"""


class ReliablePriorityQueue(PriorityQueue):
    """scrapy-redis ``PriorityQueue`` whose pops are recorded per run until commit.

    The spider must carry ``run_id``; ``NEWSAGG_REDIS_PREFIX`` and
    ``NEWSAGG_DISTRIBUTED_LEASE_TTL`` come from its settings.
    """

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.crawl_keys = CrawlKeys(spider.redis_prefix, spider.name)
        self.run_keys = RunKeys(spider.redis_prefix, spider.run_id)
        self.ttl = lease_ttl(spider.settings)
        self._pop = server.register_script(_POP)
        self._push = server.register_script(_PUSH)

    def push(self, request, fingerprint: str = "", dupefilter_key: str | None = None) -> bool:
        """Add *request* unless *fingerprint* is already in the dupefilter (one
        atomic step: a crash cannot mark a request seen without queueing it)."""
        data = self._encode_request(request)
        added = self._push(
            keys=[dupefilter_key or self.crawl_keys.dupefilter, self.key], args=[fingerprint, -request.priority, data]
        )
        return bool(added)

    def pop(self, timeout=0):
        data = self._pop(
            keys=[self.key, self.run_keys.pending, self.crawl_keys.runs, self.run_keys.alive],
            args=[self.run_keys.run_id, self.ttl],
        )
        if data:
            return self._decode_request(data)
        return None

    def pending_count(self) -> int:
        """Requests this run popped and has not committed."""
        return self.server.zcard(self.run_keys.pending)


def requeue_run(server, crawl: CrawlKeys, run: RunKeys, force: bool = False) -> int:
    """Return *run*'s in-flight requests and unqueued seeds to the frontier.

    Unless *force*, does nothing (returns -1) while the run's lease is alive.
    Requeued requests bypass the dupefilter (they are in it already).
    """
    script = server.register_script(_REQUEUE)
    return int(
        script(
            keys=[crawl.requests, run.pending, run.seeds, crawl.start_urls, crawl.runs, run.alive, crawl.requeued],
            args=[run.run_id, "1" if force else "0"],
        )
    )


def pop_seeds(server, crawl: CrawlKeys, run: RunKeys, count: int, ttl: int) -> list[bytes]:
    """Move up to *count* seeds from ``start_urls`` to the run's seed list."""
    script = server.register_script(_POP_SEEDS)
    return list(script(keys=[crawl.start_urls, run.seeds, crawl.runs, run.alive], args=[run.run_id, ttl, count]))


def drop_run_record(server, crawl: CrawlKeys, run: RunKeys) -> None:
    """Forget *run*'s in-flight record (its work is committed)."""
    with server.pipeline() as pipe:
        pipe.delete(run.pending, run.seeds)
        pipe.srem(crawl.runs, run.run_id)
        pipe.execute()
