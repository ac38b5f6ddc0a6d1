"""Shared fixtures: replica servers (real HTTP on 127.0.0.1), a throwaway redis-server;
the ``slow`` mark (the fast tier is ``-m "not slow"``)."""

from __future__ import annotations

import inspect
import os
from types import SimpleNamespace

import pytest

from newsagg.replica import Corpus, ReplicaServer, expected_records, republication_groups
from tests.redis_server import RedisServer, redis_server_binary

#: Fixtures that start a server (a test using one, directly or through another fixture, is slow).
SERVER_FIXTURES = {"replica", "make_replica", "make_replica_module", "redis_url"}
#: Names whose use means a crawl, a server, a browser or a subprocess: in a test's body, a
#: fixture it uses, or a helper of tests/ either calls (followed through the helpers).
SLOW_NAMES = {"crawl", "crawl_dataset", "ReplicaServer", "CrawlerProcess", "subprocess", "Popen", "psutil"}
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


def _uses_slow_names(func, seen: set) -> bool:
    code = getattr(func, "__code__", None)
    if code is None or func in seen:
        return False
    seen.add(func)
    if SLOW_NAMES & set(code.co_names):
        return True
    helpers = (func.__globals__.get(name) for name in code.co_names)
    return any(
        _uses_slow_names(h, seen)
        for h in helpers
        if inspect.isfunction(h) and h.__code__.co_filename.startswith(TESTS_DIR)
    )


def is_slow(item) -> bool:
    """True for a test that crawls, serves, renders or runs a subprocess (see SLOW_NAMES)."""
    if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    func = getattr(item, "function", None)
    if func is None:
        return False
    if inspect.iscoroutinefunction(func) or inspect.isgeneratorfunction(func):  # pytest-twisted: in-process crawls
        return True
    seen: set = set()
    fixtures = [d.func for defs in item._fixtureinfo.name2fixturedefs.values() for d in defs]
    return any(_uses_slow_names(f, seen) for f in [func, *fixtures])


def pytest_collection_modifyitems(config, items):
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)


def _handle(server: ReplicaServer) -> SimpleNamespace:
    corpus, base = server.corpus, server.base_url
    return SimpleNamespace(
        base_url=base,
        corpus=corpus,
        server=server,
        truth=expected_records(corpus, base),
        republication_groups=republication_groups(corpus, base),
    )


@pytest.fixture(scope="session")
def replica():
    """The default replica: maghress, 240 articles, seed 7, built-in faults (500 once)."""
    server = ReplicaServer(Corpus("maghress", n_articles=240, seed=7))
    server.start()
    try:
        yield _handle(server)
    finally:
        server.stop()


def _factory():
    servers: list[ReplicaServer] = []

    def make(
        site: str = "maghress", n_articles: int = 60, seed: int = 1, edition: int = 1, faults=None, per_page: int = 10
    ) -> SimpleNamespace:
        server = ReplicaServer(
            Corpus(site, n_articles=n_articles, seed=seed, edition=edition, per_page=per_page), faults=faults
        )
        server.start()
        servers.append(server)
        return _handle(server)

    return make, servers


@pytest.fixture
def make_replica():
    """Factory: ``make_replica(site=..., n_articles=..., seed=..., edition=1, faults=None)``; stopped at teardown."""
    make, servers = _factory()
    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def make_replica_module():
    """Like ``make_replica``, for replicas shared by the tests of one module."""
    make, servers = _factory()
    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def redis_url():
    """A throwaway redis-server on a free loopback port, one per test module
    (``redis://127.0.0.1:PORT/0``); skipped where it is not installed, an
    error under CI (``./run setup`` installs it)."""
    if redis_server_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server missing: ./run setup installs it")
        pytest.skip("redis-server not installed (./run setup installs it as root)")
    with RedisServer() as server:
        yield server.url
