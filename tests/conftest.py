"""Shared fixtures: replica servers (real HTTP on 127.0.0.1), a throwaway redis-server."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from newsagg.replica import Corpus, ReplicaServer, expected_records, republication_groups
from tests.redis_server import RedisServer, redis_server_binary


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
