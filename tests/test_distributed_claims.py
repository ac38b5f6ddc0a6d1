"""The article claim across workers, interleaving by interleaving, against a
real redis-server: a republication pair, a worker that dies holding the claim
(its lease lapses and a survivor's reaper recovers it), the redo of its
request. Whatever the order, exactly one copy of the pair ends up in a
committed (published) file: never none, never two.

Each worker here is the real item path of a worker process: the project's
pipelines after the distributed profile, its ``DatasetPublisher`` extension with a
``RedisState``, its ``RunLease``, and the shared reliable queue; only the HTTP fetch is left out
(items are built from the request URL), so every step happens in the order
the test says.
"""

from __future__ import annotations

import pytest
import redis
import scrapy
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from newsagg.distributed.keys import CrawlKeys, RunKeys
from newsagg.distributed.lease import RunLease
from newsagg.distributed.profile import apply_distributed_settings
from newsagg.distributed.queue import ReliablePriorityQueue, drop_run_record, requeue_run
from newsagg.distributed.recovery import reap_dead_runs
from newsagg.items import ArticleItem
from newsagg.pipelines import CountedDrop
from newsagg.spiders.maghress import MaghressSpider
from newsagg.state.redis import StateKeys, release_run
from tests.crawling import open_publisher, read_jsonl

BASE = "http://127.0.0.1:8999"
SPIDER = "maghress_worker"
CRAWL = CrawlKeys("newsagg", SPIDER)
STATE = StateKeys("newsagg", "maghress")
# A republication pair (same title and body under two keys) and an unrelated article.
TWIN1, TWIN2, OTHER = f"{BASE}/fr/h24info/1", f"{BASE}/fr/lematin/7", f"{BASE}/fr/h24info/2"
TEXT = {
    TWIN1: ("Le port de Tanger", "Le trafic a doublé cette année."),
    TWIN2: ("Le port de Tanger", "Le trafic a doublé cette année."),
    OTHER: ("La pluie à Fès", "Il a plu trois jours de suite."),
}


def worker_settings(redis_url: str, data_dir) -> dict:
    """The project's settings as a worker process has them (distributed profile applied)."""
    project = get_project_settings()
    apply_distributed_settings(project)
    settings = {k: v for k, v in project.copy_to_dict().items() if project.getpriority(k) >= 20}
    settings.update(
        {
            "REDIS_URL": redis_url,
            "NEWSAGG_DATA_DIR": str(data_dir),
            "LOG_LEVEL": "WARNING",
            "NEWSAGG_DISTRIBUTED_LEASE_TTL": 30,
        }
    )
    return settings


class _QueueOwner(scrapy.Spider):
    """What the reliable queue needs of a worker spider."""

    name = SPIDER
    redis_prefix = "newsagg"

    def __init__(self, run_id: str, settings):
        super().__init__()
        self.run_id, self.settings = run_id, settings


class Worker:
    """One worker's item path (see module docstring)."""

    def __init__(self, name: str, redis_url: str, tmp_path):
        self.name, self.run_id = name, f"run-{name}"
        self.data_dir = tmp_path / name
        self.crawler = crawler = get_crawler(MaghressSpider, worker_settings(redis_url, self.data_dir))
        crawler.spider = MaghressSpider.from_crawler(crawler, base_url=BASE)
        self.ext = open_publisher(crawler, self.run_id)  # the run's publisher after spider_opened: Redis state open
        self.ext._timer.stop()
        self.lease = crawler.get_extension(RunLease)
        self.lease.spider_opened(crawler.spider)  # the run's liveness lease (heartbeat thread)
        crawler.engine = crawler._create_engine()  # builds the item pipelines from ITEM_PIPELINES
        self.pipelines = crawler.engine.scraper.itemproc.middlewares
        self.server = redis.Redis.from_url(redis_url)
        self.queue = ReliablePriorityQueue(self.server, _QueueOwner(self.run_id, crawler.settings), CRAWL.requests)
        self.kept: list[ArticleItem] = []
        self.published: list[dict] = []

    # -- the frontier --------------------------------------------------------

    def push(self, url: str, priority: int = 0) -> None:
        assert self.queue.push(scrapy.Request(url, priority=priority), url)

    def pop(self) -> str:
        """The next request of the shared frontier (now in this run's in-flight set)."""
        request = self.queue.pop()
        assert request is not None, f"{self.name}: frontier empty"
        return request.url

    # -- items ---------------------------------------------------------------

    def process(self, url: str) -> str:
        """The article at *url* through every pipeline: "kept" or the drop reason."""
        slug, article_id = url.rsplit("/", 2)[-2:]
        title, body = TEXT[url]
        item = ArticleItem(
            url=url,
            site="maghress",
            source_slug=slug,
            source=slug,
            article_id=article_id,
            title=title,
            body=body,
            published_raw="24 - 04 - 2019",
        )
        try:
            for pipe in self.pipelines:
                item = pipe.process_item(item)
        except CountedDrop as exc:
            self.ext.item_dropped(item, exception=exc)  # what the item_dropped signal does
            return exc.reason
        self.kept.append(item)
        return "kept"

    def fetch(self) -> tuple[str, str]:
        """Pop a request and process its article: (url, outcome)."""
        url = self.pop()
        return url, self.process(url)

    # -- life ----------------------------------------------------------------

    def die(self) -> None:
        """SIGKILL: the heartbeat stops and the lease lapses (its TTL, made instant here)."""
        self.lease.lease._stop.set()
        self.server.delete(RunKeys("newsagg", self.run_id).alive)

    def heartbeat(self) -> None:
        """A starved heartbeat comes back (a zombie, not a dead worker)."""
        self.lease.lease.refresh()

    def reap(self) -> tuple[int, int]:
        """This worker's reaper (a lease tick): recover dead runs."""
        return reap_dead_runs(self.server, self.crawler.settings, SPIDER, "maghress")

    def finish(self) -> list[dict]:
        """Write what was kept into the run's segment and publish it (the publisher
        at spider_closed), then the worker's end (``WorkerMixin._finish``): hand
        back work if not committed. Returns the published rows."""
        segment = self.ext.segment
        for item in self.kept:
            segment.files.write_item(item)
        published = self.ext._publish(final=True, reason="finished")
        run = RunKeys("newsagg", self.run_id)
        if self.server.hexists(STATE.committed, self.run_id):
            drop_run_record(self.server, CRAWL, run)
        else:
            release_run(self.server, STATE, self.run_id)
            requeue_run(self.server, CRAWL, run, force=True)
        final = self.data_dir / "maghress" / segment.name / f"{segment.name}.jsonl"
        self.published = read_jsonl(final) if published else []
        return self.published

    def close(self) -> None:
        self.ext.engine_stopped()
        self.lease.engine_stopped()
        self.server.close()


@pytest.fixture
def workers(redis_url, tmp_path):
    redis.Redis.from_url(redis_url).flushdb()
    made: list[Worker] = []

    def make(name: str) -> Worker:
        w = Worker(name, redis_url, tmp_path)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def copies(*ws: Worker, urls=(TWIN1, TWIN2)) -> list[str]:
    """The pair's members in published files."""
    return [row["url"] for w in ws for row in w.published if row["url"] in urls]


def test_profile_leaves_in_run_dedup_to_the_claims(workers):
    """In a worker the Redis claim is the run's dedup: a pipeline-local memory
    would outlive the claims that a dead worker's recovery frees."""
    names = [type(p).__name__ for p in workers("a").pipelines]
    assert "DedupPipeline" not in names
    assert names[-1] == "ClaimPipeline"


def test_own_run_repeats_are_counted_as_duplicates(workers):
    a = workers("a")
    assert a.process(TWIN1) == "kept"
    assert a.process(TWIN1) == "duplicate_key"
    assert a.process(TWIN2) == "duplicate_content"
    stats = a.crawler.stats
    assert stats.get_value("newsagg/items_dropped/duplicate_key") == 1
    assert stats.get_value("newsagg/items_dropped/duplicate_content") == 1
    assert stats.get_value("newsagg/items_dropped/claimed_elsewhere") is None
    a.finish()
    assert copies(a) == [TWIN1]
    keys = {("maghress", "h24info", "1"), ("maghress", "lematin", "7")}
    assert workers("z").ext.backend.known_keys(keys) == keys, "the republication is aliased by the commit"


def a_claims_then_dies_b_saw_it(workers):
    """Workers a, b, c: A claims twin 1, B drops twin 2 as claimed by A, A dies."""
    a, b, c = workers("a"), workers("b"), workers("c")
    a.push(TWIN1)
    assert a.fetch() == (TWIN1, "kept")
    b.push(TWIN2)
    assert b.fetch() == (TWIN2, "claimed_elsewhere")
    a.die()
    return a, b, c


@pytest.mark.parametrize("redo_by", ["witness", "third"])
def test_twin_dropped_for_a_dead_claimer_is_kept_by_the_redo(workers, redo_by):
    """The race: A claims twin 1 and dies before committing; B drops
    twin 2 as claimed by A; A's request is recovered and redone -- by B itself
    (which has already seen that content once) or by a third worker."""
    a, b, c = a_claims_then_dies_b_saw_it(workers)
    assert b.reap() == (1, 1), "A's claims released, its in-flight request requeued"
    assert b.server.hlen(STATE.claimed_fps) == 0
    redo = b if redo_by == "witness" else c
    assert redo.fetch() == (TWIN1, "kept")
    b.finish(), c.finish()
    assert copies(a, b, c) == [TWIN1]


def test_twin_seen_after_the_recovery_wins_and_the_redo_is_a_duplicate(workers):
    a, b = workers("a"), workers("b")
    a.push(TWIN1)
    assert a.fetch() == (TWIN1, "kept")
    b.push(TWIN2, priority=10)  # popped before the redo
    a.die()
    assert b.reap() == (1, 1)
    assert b.fetch() == (TWIN2, "kept"), "A's content claim was released"
    assert b.fetch() == (TWIN1, "duplicate_content")
    b.finish()
    assert copies(a, b) == [TWIN2]


def test_redo_elsewhere_while_the_witness_still_runs(workers):
    """B dropped twin 2 for A; A dies; C redoes twin 1 and commits first; B commits later."""
    a, b, c = a_claims_then_dies_b_saw_it(workers)
    assert c.reap() == (1, 1)
    assert c.fetch() == (TWIN1, "kept")
    c.finish()
    b.finish()
    assert copies(a, b, c) == [TWIN1]


def test_a_zombie_whose_work_was_recovered_cannot_commit_it(workers):
    """A's heartbeat starves past the TTL (A is not dead): B recovers A's work
    and redoes twin 1; then A wakes up and reaches its commit. A must not
    publish twin 1 too."""
    a, b = workers("a"), workers("b")
    a.push(TWIN1)
    assert a.fetch() == (TWIN1, "kept")
    a.die()
    assert b.reap() == (1, 1)
    assert b.fetch() == (TWIN1, "kept")
    a.heartbeat()  # A is back
    assert a.finish() == [] and not b.server.hexists(STATE.committed, a.run_id)
    assert not list(a.data_dir.rglob("*.jsonl*")), "its files are discarded"
    assert a.crawler.stats.get_value("newsagg/segments/failed") == 1
    assert not list((a.data_dir / "maghress" / ".staging").iterdir()), "nothing left in staging"
    b.finish()
    assert copies(a, b) == [TWIN1]


def test_a_zombie_claims_nothing_more_and_hands_its_work_back(workers):
    """Its new claims would only block the others (it cannot commit them)."""
    a, b = workers("a"), workers("b")
    a.push(TWIN1)
    a.fetch()
    a.die()
    assert b.reap() == (1, 1)
    a.heartbeat()
    a.push(OTHER, priority=10)  # before the requeued twin
    assert a.fetch() == (OTHER, "run_presumed_dead")
    assert a.crawler.stats.get_value("newsagg/items_dropped/run_presumed_dead") == 1
    assert b.server.hlen(STATE.claimed_keys) == 0, "a recovered run claims nothing"
    a.finish()
    assert [b.fetch() for _ in range(2)] == [(OTHER, "kept"), (TWIN1, "kept")], (
        "the zombie's in-flight work went back to the frontier at its end"
    )
    b.finish()
    assert copies(a, b, urls=(TWIN1, TWIN2, OTHER)) == [OTHER, TWIN1]


def test_a_committed_claimer_keeps_the_pair(workers):
    """No death: the witness's drop is final once the claimer commits."""
    a, b = workers("a"), workers("b")
    a.push(TWIN1)
    a.fetch()
    b.push(TWIN2)
    assert b.fetch() == (TWIN2, "claimed_elsewhere")
    a.finish()
    assert b.reap() == (0, 0)
    b.finish()
    assert copies(a, b) == [TWIN1]
