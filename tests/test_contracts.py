"""The explicit contracts between the run's parts: the run identity
(RunContext), the publisher (state, segments, staging recovery), the claim
pipeline, the Redis lease; each part found through Scrapy's own means, each
one working (or cleanly off) without the others.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_twisted
import redis
import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from newsagg.distributed.keys import CrawlKeys, RunKeys
from newsagg.distributed.lease import RunLease
from newsagg.distributed.queue import ReliablePriorityQueue
from newsagg.distributed.seed import status
from newsagg.extensions.publish import DatasetPublisher
from newsagg.items import ArticleItem
from newsagg.pipelines import CountedDrop
from newsagg.pipelines.validate import ValidationPipeline
from newsagg.run import RunIdentity, run_context
from newsagg.spiders.maghress import MaghressSpider
from newsagg.state import open_state
from newsagg.state.base import CLAIMED, OTHER_RUN, OWN_CONTENT, OWN_KEY, STORED, SegmentCommit
from newsagg.state.keys import StateKeys
from tests.crawling import crawl_dataset, open_publisher, project_settings

ROOT = Path(__file__).resolve().parent.parent
K1, K2, K3 = ("maghress", "h24info", "1"), ("maghress", "lematin", "1"), ("maghress", "h24info", "2")


# --- a segment's manifest lists exactly its files ----------------------------------------------


def check_manifest(result, data_dir: Path) -> dict:
    """The manifest of *result*'s last segment lists exactly its files, with their real bytes and sha256."""
    path = result.files["manifest.json"]
    m = json.loads(path.read_text(encoding="utf-8"))
    on_disk = sorted(p.name for p in path.parent.iterdir() if not p.name.startswith(".") and p != path)
    assert sorted(f["name"] for f in m["files"]) == on_disk and len(on_disk) == 4  # csv, jsonl, parquet, warc.gz
    for f in m["files"]:
        data = (path.parent / f["name"]).read_bytes()
        assert f["sha256"] == hashlib.sha256(data).hexdigest() and f["bytes"] == len(data)
    assert {f["rows"] for f in m["files"] if f["format"] != "warc"} == {len(result.items)} and result.items
    assert m["items_written"] == len(result.items) and m["finish_reason"] == "finished"
    assert m["segment"]["final"] and m["run"]["items_written"] == len(result.items)
    assert not list(data_dir.rglob("*.part")) and not [p for p in (data_dir / "maghress" / ".staging").iterdir()]
    return m


# --- NotConfigured: each part off on its own ---------------------------------------------------


def test_components_not_configured():
    sqlite = get_crawler(MaghressSpider, project_settings())
    with pytest.raises(NotConfigured):
        RunLease.from_crawler(sqlite)  # liveness only matters with the Redis state
    assert sqlite.get_extension(RunLease) is None and sqlite.get_extension(DatasetPublisher) is not None
    assert isinstance(
        RunLease.from_crawler(get_crawler(MaghressSpider, project_settings(NEWSAGG_STATE_BACKEND="redis"))), RunLease
    )
    one_off = get_crawler(MaghressSpider, project_settings(FEEDS={"out.jsonl": {"format": "jsonlines"}}))
    with pytest.raises(NotConfigured):  # -o/-O: no dataset, no state
        DatasetPublisher.from_crawler(one_off)
    assert one_off.get_extension(DatasetPublisher) is None


def test_run_identity_comes_from_the_spider_and_settings(tmp_path):
    crawler = get_crawler(MaghressSpider, project_settings(NEWSAGG_DATA_DIR=str(tmp_path)))
    with pytest.raises(RuntimeError, match="spider"):
        run_context(crawler).identity  # noqa: B018 - no spider yet
    crawler.spider = MaghressSpider.from_crawler(crawler, _job="0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    run = run_context(crawler).identity
    assert isinstance(run, RunIdentity) and run is run_context(crawler).identity, "one identity per crawler"
    assert (run.run_id, run.scrapyd_job, run.site, run.spider) == ("0f1e2d3c4b5a69788796a5b4c3d2e1f0",) * 2 + (
        "maghress",
        "maghress",
    )
    assert run.data_dir == tmp_path and run.tag == "0f1e2d3c"
    assert run.stem("h24info") == f"maghress-h24info-{run.stamp}-0f1e2d3c"
    assert run.stem(segment=12) == f"maghress-{run.stamp}-0f1e2d3c-0012"
    with pytest.raises(RuntimeError, match="already in use"):
        run_context(crawler).identity = RunIdentity.for_spider(crawler.spider, crawler.settings, run_id="other")
    bare = get_crawler(MaghressSpider, {"EXTENSIONS": {}})
    bare.spider = MaghressSpider.from_crawler(bare)
    with pytest.raises(RuntimeError, match="RunContext is not in EXTENSIONS"):
        run_context(bare)


# --- the SQLite backend: why a claim failed, batched lookups ---------------------------------


@pytest.fixture
def sqlite_state(tmp_path):
    st = open_state(Settings({"NEWSAGG_STATE_DIR": str(tmp_path / "state")}), "maghress")
    yield st
    st.close()


def test_sqlite_claim_result_says_why(sqlite_state):
    st = sqlite_state
    assert st.claim_result(K1, "fp1", "u1", "runA") == CLAIMED
    assert st.claim_result(K1, "fp9", "u1", "runA") == OWN_KEY
    assert st.claim_result(K2, "fp1", "u2", "runA") == OWN_CONTENT
    # Two run ids on one backend (the lock makes that a test-only case): the other's claims.
    assert st.claim_result(K1, "fp8", "u1", "runB") == OTHER_RUN
    assert st.claim_result(K2, "fp1", "u2", "runB") == OTHER_RUN
    assert st.commit("runA", SegmentCommit("segA")) == 1
    assert st.claim_result(K1, "fp7", "u1", "runB") == STORED
    assert st.claim_result(K3, "fp1", "u3", "runB") == STORED, "republication of a stored article"
    assert st.claim_result(K1, "fp1", "u1", "runB", refresh=True) == CLAIMED, "full=1: stored does not block"


def test_sqlite_known_keys_is_one_query_per_batch(sqlite_state):
    st = sqlite_state
    for i in range(0, 700, 7):
        st.claim(("maghress", "h24info", str(i)), f"fp{i}", f"u{i}", "r")
    st.commit("r", SegmentCommit("seg-r"))
    queries: list[str] = []
    st.db.set_trace_callback(queries.append)
    keys = [("maghress", "h24info", str(i)) for i in range(700)] + [("maghress", "h24info", "0")]
    found = st.known_keys(keys)
    st.db.set_trace_callback(None)
    assert found == {("maghress", "h24info", str(i)) for i in range(0, 700, 7)}
    lookups = [q for q in queries if q.startswith(("SELECT", "WITH"))]
    assert len(lookups) == 3, "700 distinct keys, 300 per query"
    # Each key is a search of the key index, never a scan of the table (a million rows).
    plan = [row[3] for row in st.db.execute("EXPLAIN QUERY PLAN " + lookups[0])]
    assert any(step.startswith("SEARCH s USING") for step in plan), plan
    assert not any(step.startswith("SCAN stored") or step.startswith("SCAN s") for step in plan), plan
    assert st.known_keys([]) == set()


# --- validation owns the slug check ------------------------------------------------------------


def test_validation_drops_keys_that_are_not_slugs():
    crawler = get_crawler()
    pipe = ValidationPipeline.from_crawler(crawler)
    ok = ArticleItem(
        url="http://x/fr/h24info/1",
        site="maghress",
        source_slug="h24info",
        source="H24",
        article_id="1",
        title="Un titre",
        body="Un corps.",
    )
    assert pipe.process_item(ok) is ok
    for field, value in (("source_slug", "../../etc"), ("site", "Maghress"), ("source_slug", None)):
        with pytest.raises(CountedDrop) as exc:
            pipe.process_item(ArticleItem(**{**ok.__dict__, field: value}))
        assert exc.value.reason == "invalid_slug"
    assert crawler.stats.get_value("newsagg/items_dropped/invalid_slug") == 3


# --- staging: a segment left by a dead run is published or removed --------------------------------


def _publisher(tmp_path, run_id, **settings) -> DatasetPublisher:
    crawler = get_crawler(
        MaghressSpider,
        project_settings(NEWSAGG_DATA_DIR=str(tmp_path / "data"), **settings),
    )
    crawler.spider = MaghressSpider.from_crawler(crawler)
    return open_publisher(crawler, run_id)


def _killed_run(tmp_path, run_id: str, settings: dict, *, commit: bool) -> Path:
    """A run that wrote a segment (and maybe committed it), then died before the rename."""
    ext = _publisher(tmp_path, run_id, **settings)
    staged = ext.segment.directory
    ext.segment.files.write_item(
        ArticleItem(url="u1", site="maghress", source_slug="h24info", article_id="1", title="T", body="B")
    )
    ext.segment.files.close()
    assert ext.claim(K1, "fp1", "u1") == CLAIMED
    if commit:
        ext.backend.commit(run_id, SegmentCommit(ext.segment.name))
    ext._timer.stop()
    ext.backend.close()  # killed: no rename, no release
    assert staged.is_dir() and staged.parent.name == ".staging"
    return staged


@pytest.mark.parametrize("commit", [True, False])
def test_sqlite_staged_segment_is_published_or_removed(tmp_path, commit):
    staged = _killed_run(tmp_path, "runS", {}, commit=commit)
    nxt = _publisher(tmp_path, "runNext")
    try:
        final = staged.parent.parent / staged.name
        assert not staged.exists() and final.is_dir() is commit
        assert nxt.stats.get_value("newsagg/segments/recovered") == (1 if commit else None)
        assert nxt.stats.get_value("newsagg/segments/rolled_back") == (None if commit else 1)
        assert nxt.backend.is_known(K1) is commit
    finally:
        nxt._timer.stop()
        nxt.engine_stopped()


@pytest.fixture
def redis_settings(redis_url):
    server = redis.Redis.from_url(redis_url)
    server.flushdb()
    yield {"NEWSAGG_STATE_BACKEND": "redis", "REDIS_URL": redis_url}
    server.close()


def test_redis_staged_segment_of_a_committed_run_is_published(tmp_path, redis_settings):
    staged = _killed_run(tmp_path, "runC", redis_settings, commit=True)
    nxt = _publisher(tmp_path, "runNext", **redis_settings)
    try:
        assert not staged.exists() and (staged.parent.parent / staged.name).is_dir()
        assert nxt.stats.get_value("newsagg/segments/recovered") == 1 and nxt.backend.is_known(K1)
    finally:
        nxt._timer.stop()
        nxt.engine_stopped()


def test_redis_staged_segment_of_a_dead_run_is_removed_and_the_run_reaped(tmp_path, redis_settings):
    staged = _killed_run(tmp_path, "runD", redis_settings, commit=False)
    server = redis.Redis.from_url(redis_settings["REDIS_URL"])
    alive = RunKeys("newsagg", "runD").alive
    assert server.exists(alive), "its claim set the liveness key"

    early = _publisher(tmp_path, "runEarly", **redis_settings)  # the run may still be alive: hands off
    early._timer.stop()
    early.engine_stopped()
    assert staged.exists()
    assert early.stats.get_value("newsagg/segments/rolled_back") is None

    server.delete(alive)  # its lease lapsed: dead
    nxt = _publisher(tmp_path, "runNext", **redis_settings)
    try:
        assert not staged.exists() and not (staged.parent.parent / staged.name).exists()
        assert nxt.stats.get_value("newsagg/segments/rolled_back") == 1
        assert server.hexists(StateKeys("newsagg", "maghress").reaped, "runD"), "it can never commit now"
        assert nxt.claim(K1, "fp1", "u1") == CLAIMED, "its claim was released"
    finally:
        nxt._timer.stop()
        nxt.engine_stopped()
    server.close()


def test_redis_run_reaped_before_its_commit_publishes_nothing(tmp_path, redis_settings):
    """A run presumed dead (reaped) while it wrote a segment: its commit fails and
    the segment is removed at once."""
    server = redis.Redis.from_url(redis_settings["REDIS_URL"])
    ext = _publisher(tmp_path, "runZ", **redis_settings)
    staged = ext.segment.directory
    assert ext.claim(K1, "fp1", "u1") == CLAIMED
    server.delete(RunKeys("newsagg", "runZ").alive)
    other = _publisher(tmp_path, "runO", **redis_settings)  # its open() reaps runZ
    other._timer.stop()
    other.engine_stopped()
    ext._timer.stop()
    assert ext._publish(final=True, reason="finished") is False
    assert not staged.exists() and not (staged.parent.parent / staged.name).exists()
    assert ext.stats.get_value("newsagg/segments/failed") == 1
    ext.engine_stopped()
    server.close()


# --- seed --force -------------------------------------------------------------------------------


def _seed(redis_url: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "newsagg.distributed",
            "seed",
            "maghress",
            "--base-url",
            "http://127.0.0.1:8999",
            "--redis-url",
            redis_url,
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


class _Worker(scrapy.Spider):
    name, site, redis_prefix = "maghress_worker", "maghress", "newsagg"

    def __init__(self, run_id, settings):
        super().__init__()
        self.run_id, self.settings = run_id, settings


def test_seed_force_resets_a_crawl_in_progress(redis_url, redis_settings):
    server = redis.Redis.from_url(redis_url)
    crawl = CrawlKeys("newsagg", "maghress_worker")
    assert _seed(redis_url, "--max-pages", "1").returncode == 0
    settings = Settings({"REDIS_URL": redis_url})
    queue = ReliablePriorityQueue(server, _Worker("busy", settings), crawl.requests)
    queue.push(scrapy.Request("http://127.0.0.1:8999/fr/h24info/1"), "f1")
    queue.push(scrapy.Request("http://127.0.0.1:8999/fr/h24info/2"), "f2")
    assert queue.pop() is not None  # a live run holds one request; one waits in the frontier
    server.sadd(crawl.runs, "gone")  # and a dead run of the old crawl left a record

    refused = _seed(redis_url)
    assert refused.returncode == 2 and "busy" in refused.stderr and "--force" in refused.stderr
    assert json.loads(server.get(crawl.config)) == {"base_url": "http://127.0.0.1:8999", "max_pages": "1"}

    forced = _seed(redis_url, "--force")
    assert forced.returncode == 0, forced.stderr
    out = json.loads(forced.stdout)
    assert out["reset"] and out["old_runs_dropped"] == 1 and out["seeds"] == 1
    assert json.loads(server.get(crawl.config)) == {"base_url": "http://127.0.0.1:8999"}
    assert server.zcard(crawl.requests) == 0 and not server.exists(crawl.dupefilter), "old frontier cleared"
    assert server.llen(crawl.start_urls) == 1
    runs = status(server, "maghress", prefix="newsagg")["runs"]
    assert list(runs) == ["busy"] and runs["busy"]["in_flight"] == 1, "the live run keeps what it holds"
    server.close()


# --- a whole crawl with the Redis state: the lease is the extension's, not the backend's -----------


@pytest_twisted.ensureDeferred
async def test_crawl_with_redis_state_holds_and_drops_its_lease(make_replica, tmp_path, redis_settings):
    site = make_replica(n_articles=30, seed=22)
    result = await crawl_dataset(
        "maghress", tmp_path / "data", dict(redis_settings), base_url=site.base_url, max_pages="2"
    )
    run_id = result.stats["newsagg/run/id"]
    server = redis.Redis.from_url(redis_settings["REDIS_URL"])
    state = StateKeys("newsagg", "maghress")
    assert result.items and result.stats["newsagg/state/committed"] == len(result.items)
    aliases = result.stats.get("newsagg/items_dropped/duplicate_content", 0)  # republications: known keys too
    assert server.hexists(state.committed, run_id) and server.hlen(state.keys) == len(result.items) + aliases
    assert [name for name in server.hkeys(state.segments)] == [s.name.encode() for s in result.segments]
    assert not server.exists(RunKeys("newsagg", run_id).alive), "a clean end deletes the lease"
    assert not server.exists(state.claims(run_id)) and not server.sismember(state.runs, run_id)
    m = check_manifest(result, tmp_path / "data")
    assert m["state"] == {
        "backend": "redis",
        "full": False,
        "marked_stored": len(result.items),
        "skipped_already_stored": 0,
    }
    server.close()
