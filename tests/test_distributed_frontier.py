"""The shared frontier, seeding and worker set-up, against a real redis-server.

The reliable queue records every pop per run until the run commits, returns a
dead run's requests (and claims) to the others, and never marks a request seen
without queueing it. Seeding validates arguments and refuses to wipe a crawl
that live workers are still working on.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import redis
import scrapy
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from newsagg.args import ArgumentError
from newsagg.distributed.keys import CrawlKeys, RunKeys
from newsagg.distributed.queue import ReliablePriorityQueue, pop_seeds, requeue_run
from newsagg.distributed.recovery import reap_dead_runs
from newsagg.distributed.seed import SeedError, seed, status
from newsagg.distributed.spiders import MaghressWorker, crawl_arguments
from newsagg.state.base import SegmentCommit
from newsagg.state.redis import RedisState

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8999"


@pytest.fixture
def server(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


class StubWorker(scrapy.Spider):
    """What the queue needs of a worker spider: name, site, run id, prefix, settings."""

    name = "maghress_worker"
    site = "maghress"
    redis_prefix = "newsagg"

    def __init__(self, run_id: str, settings: Settings):
        super().__init__()
        self.run_id = run_id
        self.settings = settings

    def parse(self, response):  # pragma: no cover - never called
        pass


def make_queue(server, run_id: str, redis_url: str) -> ReliablePriorityQueue:
    settings = Settings({"REDIS_URL": redis_url, "NEWSAGG_DISTRIBUTED_LEASE_TTL": 30})
    spider = StubWorker(run_id, settings)
    return ReliablePriorityQueue(server, spider, CrawlKeys("newsagg", spider.name).requests)


def req(path: str, priority: int = 0) -> scrapy.Request:
    return scrapy.Request(f"{BASE}{path}", priority=priority)


CRAWL = CrawlKeys("newsagg", "maghress_worker")


def test_push_is_deduplicated_atomically(server, redis_url):
    q = make_queue(server, "run1", redis_url)
    assert q.push(req("/fr/a/1"), "fp1")
    assert not q.push(req("/fr/a/1"), "fp1"), "same fingerprint: filtered"
    assert q.push(req("/fr/a/2"), "")  # dont_filter: no fingerprint, always queued
    assert len(q) == 2 and server.scard(CRAWL.dupefilter) == 1


def test_pop_moves_requests_to_the_runs_in_flight_set(server, redis_url):
    q = make_queue(server, "run1", redis_url)
    q.push(req("/fr/a/1", priority=10), "f1")
    q.push(req("/fr/a/2", priority=20), "f2")
    first = q.pop()
    assert first.url.endswith("/fr/a/2"), "highest priority first"
    run = RunKeys("newsagg", "run1")
    assert len(q) == 1 and q.pending_count() == 1
    assert server.zscore(run.pending, server.zrange(run.pending, 0, 0)[0]) == -20
    assert server.sismember(CRAWL.runs, "run1") and server.ttl(run.alive) > 0
    assert q.pop().url.endswith("/fr/a/1") and q.pop() is None and q.pending_count() == 2


def test_requeue_only_once_the_run_is_dead(server, redis_url):
    q = make_queue(server, "run1", redis_url)
    for i, prio in ((1, 10), (2, 20), (3, 30)):
        q.push(req(f"/fr/a/{i}", prio), f"f{i}")
    q.pop(), q.pop()
    run = RunKeys("newsagg", "run1")
    assert requeue_run(server, CRAWL, run) == -1, "lease alive: untouched"
    assert q.pending_count() == 2
    server.delete(run.alive)  # the heartbeat stopped and the TTL ran out
    assert requeue_run(server, CRAWL, run) == 2
    assert q.pending_count() == 0 and not server.sismember(CRAWL.runs, "run1")
    assert int(server.get(CRAWL.requeued)) == 2
    other = make_queue(server, "run2", redis_url)
    # Priorities survive the round trip; requeued requests bypass the dupefilter.
    assert [other.pop().url[-1] for _ in range(3)] == ["3", "2", "1"]


def test_reaper_releases_claims_before_requeueing(server, redis_url):
    settings = Settings({"REDIS_URL": redis_url, "NEWSAGG_DISTRIBUTED_LEASE_TTL": 30})
    state = RedisState(settings)
    state.open("maghress")
    try:
        q = make_queue(server, "dead", redis_url)
        q.push(req("/fr/a/1"), "f1")
        q.pop()
        assert state.claim(("maghress", "a", "1"), "fp", f"{BASE}/fr/a/1", "dead")
        # The dead run's lease lapses (the backend holds no heartbeat: RunLease does).
        server.delete(RunKeys("newsagg", "dead").alive)
        assert reap_dead_runs(server, settings, "maghress_worker", "maghress") == (1, 1)
        assert state.claim(("maghress", "a", "1"), "fp", f"{BASE}/fr/a/1", "alive"), "claim released"
        assert make_queue(server, "alive", redis_url).pop().url.endswith("/fr/a/1"), "request requeued"
        assert reap_dead_runs(server, settings, "maghress_worker", "maghress") == (0, 0)
    finally:
        state.close()


def test_seeds_popped_by_a_dead_run_come_back(server):
    for i in range(3):
        server.rpush(CRAWL.start_urls, json.dumps({"url": f"{BASE}/fr/s{i}"}))
    run = RunKeys("newsagg", "r")
    assert len(pop_seeds(server, CRAWL, run, 2, 30)) == 2
    assert server.llen(CRAWL.start_urls) == 1 and server.llen(run.seeds) == 2
    assert requeue_run(server, CRAWL, run, force=True) == 2
    assert [json.loads(x)["url"][-2:] for x in server.lrange(CRAWL.start_urls, 0, -1)] == ["s0", "s1", "s2"]


def test_seed_stores_config_and_start_urls(server):
    out = seed(
        server, "maghress", {"base_url": BASE + "/", "sources": "h24info,lematin", "max_pages": "2"}, prefix="newsagg"
    )
    assert out["seeds"] == 1
    assert json.loads(server.get(CRAWL.config)) == {"base_url": BASE, "sources": "h24info,lematin", "max_pages": "2"}
    assert [json.loads(x) for x in server.lrange(CRAWL.start_urls, 0, -1)] == [{"url": f"{BASE}/fr/"}]
    urls = f"{BASE}/fr/h24info/1,{BASE}/fr/lematin/2"
    out = seed(server, "maghress", {"base_url": BASE, "urls": urls}, prefix="newsagg")
    assert out["seeds"] == 2 and server.llen(CRAWL.start_urls) == 2, "a new seed replaces the old frontier"
    with pytest.raises(ArgumentError, match="max_pages"):
        seed(server, "maghress", {"base_url": BASE, "max_pages": "zero"}, prefix="newsagg")
    with pytest.raises(SeedError, match="differ"):
        seed(server, "maghress", {"base_url": "http://127.0.0.1:1"}, prefix="newsagg", reset=False)


def test_seed_refuses_to_wipe_a_crawl_in_progress(server, redis_url):
    seed(server, "maghress", {"base_url": BASE}, prefix="newsagg")
    q = make_queue(server, "busy", redis_url)
    q.push(req("/fr/a/1"), "f1")
    q.pop()  # a live run holds work of this crawl
    with pytest.raises(SeedError, match="busy"):
        seed(server, "maghress", {"base_url": BASE}, prefix="newsagg")
    assert seed(server, "maghress", {"base_url": BASE}, prefix="newsagg", reset=False)["seeds"] == 1  # --add
    server.delete(RunKeys("newsagg", "busy").alive)  # it died
    out = seed(server, "maghress", {"base_url": BASE}, prefix="newsagg")
    assert out["old_runs_dropped"] == 1 and status(server, "maghress", prefix="newsagg")["runs"] == {}


def test_seed_cli(server, redis_url):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsagg.distributed",
            "seed",
            "maghress",
            "--base-url",
            BASE,
            "--since",
            "2024-01-01",
            "--redis-url",
            redis_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["config"] == {"base_url": BASE, "since": "2024-01-01"}
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsagg.distributed",
            "seed",
            "maghress",
            "--base-url",
            "ftp://x",
            "--redis-url",
            redis_url,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "base_url" in bad.stderr


def test_worker_arguments_must_agree_with_the_seed():
    assert crawl_arguments({}, {"base_url": BASE}, "maghress") == {"base_url": BASE}
    with pytest.raises(ArgumentError, match="seed"):
        crawl_arguments({}, {"_job": "x"}, "maghress")
    config = {"base_url": BASE, "sources": "h24info"}
    assert crawl_arguments(config, {"_job": "j1"}, "maghress") == {**config, "_job": "j1"}
    assert crawl_arguments(config, {"base_url": BASE + "/"}, "maghress")["sources"] == "h24info"
    with pytest.raises(ArgumentError, match="contradict"):
        crawl_arguments(config, {"sources": "lematin"}, "maghress")


def test_worker_spider_routes_seeds_by_page_kind(server, redis_url):
    seed(server, "maghress", {"base_url": BASE, "sources": "h24info"}, prefix="newsagg")
    crawler = get_crawler(MaghressWorker, {"REDIS_URL": redis_url})
    spider = MaghressWorker.from_crawler(crawler, _job="0123456789abcdef")
    assert spider.args.sources == ("h24info",), "arguments come from the seed"
    home = spider.make_request_from_data(json.dumps({"url": f"{BASE}/fr/"}).encode())
    assert home.callback == spider.parse_home and not home.dont_filter
    listing = spider.make_request_from_data(f"{BASE}/fr/h24info?page=3".encode())
    assert listing.callback == spider.parse_listing and listing.meta["newsagg_page_no"] == 3
    article = spider.make_request_from_data(json.dumps({"url": f"{BASE}/fr/h24info/12?utm_source=x"}).encode())
    assert article.callback == spider.parse_article and article.url == f"{BASE}/fr/h24info/12"
    assert spider.make_request_from_data(b'{"url": "http://elsewhere.example/fr/"}') == []
    assert spider.redis_key == "newsagg:maghress_worker:start_urls"


def test_profile_switches_a_crawl_to_the_shared_frontier_and_state():
    from scrapy.utils.project import get_project_settings

    from newsagg.distributed.profile import apply_distributed_settings

    settings = get_project_settings()
    settings.set("SCHEDULER", "scrapy.core.scheduler.Scheduler", priority="cmdline")  # -s cannot undo it
    settings.set("MAX_IDLE_TIME_BEFORE_CLOSE", 7, priority="cmdline")  # but tunables stay tunable
    apply_distributed_settings(settings)
    assert settings["SCHEDULER"] == "newsagg.distributed.scheduler.ReliableScheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST") and settings.getbool("NEWSAGG_DISTRIBUTED")
    assert settings["NEWSAGG_STATE_BACKEND"] == "redis"
    assert settings["SCHEDULER_QUEUE_KEY"] == "newsagg:%(spider)s:requests"
    assert settings.getint("MAX_IDLE_TIME_BEFORE_CLOSE") == 7
    pipelines = settings.getdict("ITEM_PIPELINES")
    assert pipelines["newsagg.pipelines.dedup.DedupPipeline"] is None, "the claims are a worker's in-run dedup"
    assert pipelines["newsagg.pipelines.claim.ClaimPipeline"] == 900
    settings.freeze()
    assert apply_distributed_settings(settings) == []


def test_scheduler_shares_the_dupefilter_between_workers(server, redis_url):
    from newsagg.distributed.scheduler import ReliableScheduler

    def scheduler(run_id: str) -> ReliableScheduler:
        settings = Settings({"REDIS_URL": redis_url, "SCHEDULER_DUPEFILTER_KEY": CRAWL.dupefilter})
        s = ReliableScheduler(
            server,
            persist=True,
            queue_key=CRAWL.requests,
            queue_cls="newsagg.distributed.queue.ReliablePriorityQueue",
            dupefilter_cls="scrapy_redis.dupefilter.RFPDupeFilter",
        )
        s.open(StubWorker(run_id, settings))
        return s

    one, two = scheduler("w1"), scheduler("w2")
    assert one.enqueue_request(req("/fr/a/1"))
    assert not one.enqueue_request(req("/fr/a/1")), "repeat, filtered locally"
    assert not one.enqueue_request(req("/fr/a/1#comments")), "same fingerprint (canonical URL)"
    assert not two.enqueue_request(req("/fr/a/1")), "seen by another worker: shared dupefilter"
    assert two.enqueue_request(scrapy.Request(f"{BASE}/fr/a/1", dont_filter=True))
    assert server.scard(CRAWL.dupefilter) == 1 and len(one) == 2
    assert two.next_request() is not None and one.next_request() is not None and one.next_request() is None
    assert server.zcard(RunKeys("newsagg", "w1").pending) == 1 == server.zcard(RunKeys("newsagg", "w2").pending)
    one.close("finished")
    assert server.exists(CRAWL.dupefilter), "closing a worker never flushes the shared frontier"


def _worker(redis_url: str):
    crawler = get_crawler(
        MaghressWorker,
        {"REDIS_URL": redis_url, "NEWSAGG_DISTRIBUTED_LEASE_TTL": 30, "EXTENSIONS": {"newsagg.run.RunContext": 0}},
    )  # the run's identity
    spider = MaghressWorker.from_crawler(crawler, base_url=BASE)
    crawler.spider = spider
    spider._opened(spider)
    return spider


@pytest.mark.parametrize("committed", [True, False])
def test_worker_end_forgets_or_hands_back_its_work(server, redis_url, committed):
    """After the state commit the in-flight record is dropped; a run that ended
    without committing (its files discarded) releases its claims and requeues."""
    from newsagg.state.redis import StateKeys

    spider = _worker(redis_url)
    run = RunKeys("newsagg", spider.run_id)
    assert server.exists(run.alive) and server.sismember(CRAWL.workers, spider.run_id)
    q = make_queue(server, spider.run_id, redis_url)
    q.push(req("/fr/a/1"), "f1")
    q.pop()
    state = RedisState(Settings({"REDIS_URL": redis_url}))
    state.open("maghress")
    assert state.claim(("maghress", "a", "1"), "fp", f"{BASE}/fr/a/1", spider.run_id)
    if committed:
        assert state.commit(spider.run_id, SegmentCommit(spider.run_id, final=True)) == 1
    state.close()
    spider._finish()
    assert not server.exists(run.alive) and not server.sismember(CRAWL.workers, spider.run_id)
    assert not server.exists(run.pending) and not server.sismember(CRAWL.runs, spider.run_id)
    assert server.hlen(StateKeys("newsagg", "maghress").claimed_keys) == 0
    assert server.zcard(CRAWL.requests) == (0 if committed else 1)
    assert server.hlen(StateKeys("newsagg", "maghress").keys) == (1 if committed else 0)
