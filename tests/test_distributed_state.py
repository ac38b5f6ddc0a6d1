"""The Redis backend of the incremental state, against a real redis-server.

Claims are atomic across instances (and threads), stored entries block later
runs, commit/release move claims as one step, and the claims of a run whose
liveness lease lapsed are released by the next opener.
"""

from __future__ import annotations

import threading
import time

import pytest
import redis
from scrapy.settings import Settings

from newsagg.distributed import lease as leases
from newsagg.distributed.keys import RunKeys
from newsagg.state import open_state
from newsagg.state.base import SegmentCommit
from newsagg.state.redis import RedisState, StateKeys, release_run


@pytest.fixture
def settings(redis_url):
    redis.Redis.from_url(redis_url).flushdb()
    return Settings(
        {
            "REDIS_URL": redis_url,
            "NEWSAGG_STATE_BACKEND": "redis",
            "NEWSAGG_DISTRIBUTED_LEASE_TTL": 2,  # a heartbeat every 1/3 s
        }
    )


@pytest.fixture
def states(settings):
    opened = []

    def make(site="maghress") -> RedisState:
        st = open_state(settings, site)
        opened.append(st)
        return st

    yield make
    for st in opened:
        st.close()


K1, K2, K3 = ("maghress", "h24info", "1"), ("maghress", "lematin", "1"), ("maghress", "h24info", "2")


def test_open_state_picks_redis_backend(states):
    st = states()
    assert isinstance(st, RedisState) and st.site == "maghress" and not st.exclusive
    assert st.count() == 0


def test_claim_blocks_key_and_fingerprint_for_every_run(states):
    a, b = states(), states()
    assert a.claim(K1, "fp1", "u1", "runA")
    assert not a.claim(K1, "fp9", "u1", "runA"), "same key twice in one run"
    assert not b.claim(K1, "fp2", "u1", "runB"), "key claimed by another live run"
    assert not b.claim(K2, "fp1", "u2", "runB"), "republication (same fingerprint) of a claimed article"
    assert b.claim(K3, "fp3", "u3", "runB")
    # Claims are not stored: lookups see committed entries only.
    assert a.known_keys([K1, K3]) == set() and a.fingerprint_owner("fp1") is None


def test_commit_stores_and_blocks_later_runs(states):
    a = states()
    assert a.claim(K1, "fp1", "http://x/fr/h24info/1", "runA", signature=b"\x00\x01sig")
    assert a.claim(K3, "fp3", "http://x/fr/h24info/2", "runA")
    assert not a.is_committed("runA")
    assert a.commit("runA", SegmentCommit("runA", final=True)) == 2
    assert a.is_committed("runA") and a.server.hlen(StateKeys("newsagg", "maghress").claims("runA")) == 0
    b = states()
    assert b.known_keys([K1, K2, K3]) == {K1, K3}
    assert b.is_known(K1) and not b.is_known(K2)
    assert b.fingerprint_owner("fp1") == "http://x/fr/h24info/1"
    assert not b.claim(K1, "fpX", "u", "runB"), "stored key"
    assert not b.claim(K2, "fp1", "u", "runB"), "stored content under another key"
    assert list(b.stored_signatures()) == [(b"\x00\x01sig", "http://x/fr/h24info/1")]
    assert b.count() == 2
    # full=1: stored entries do not block, live claims still do.
    assert b.claim(K1, "fp1b", "http://x/fr/h24info/1", "runB", refresh=True)
    c = states()
    assert not c.claim(K1, "fp1b", "u", "runC", refresh=True)
    assert (
        b.commit("runB", SegmentCommit("runB", final=True)) == 1
        and c.fingerprint_owner("fp1b") == "http://x/fr/h24info/1"
    )
    assert len(list(c.stored_signatures())) == 1


def test_release_frees_claims(states):
    a, b = states(), states()
    assert a.claim(K1, "fp1", "u1", "runA")
    assert a.release("runA") == 1
    assert b.claim(K1, "fp1", "u1", "runB")
    assert a.commit("runA", SegmentCommit("runA", final=True)) == 0  # nothing left to commit
    assert b.commit("runB", SegmentCommit("runB", final=True)) == 1 and b.is_known(K1)


def test_claims_are_atomic_under_contention(states):
    """Eight threads, each its own backend and run, race for the same 200 articles."""
    backends = [states() for _ in range(8)]
    won: dict[str, list] = {}
    barrier = threading.Barrier(len(backends))

    def race(i: int, st: RedisState) -> None:
        barrier.wait()
        won[f"run{i}"] = [
            n for n in range(200) if st.claim(("maghress", "s", str(n)), f"fp{n % 150}", f"u{n}", f"run{i}")
        ]

    threads = [threading.Thread(target=race, args=(i, st)) for i, st in enumerate(backends)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    claimed = sorted(n for ns in won.values() for n in ns)
    # 200 keys but only 150 distinct fingerprints: exactly 150 claims overall.
    assert len(claimed) == 150 and len(set(claimed)) == 150
    assert len({n % 150 for n in claimed}) == 150


def test_dead_runs_claims_are_released_on_open(states, settings):
    """A run killed before committing: its lease lapses, the next open frees its claims."""
    server = redis.Redis.from_url(settings["REDIS_URL"])
    dead = states()
    assert dead.claim(K1, "fp1", "u1", "runDead")
    dead_lease = leases.hold_run(server, settings, "runDead")  # each run's heartbeat (RunLease)
    alive = states()
    assert alive.claim(K3, "fp3", "u3", "runAlive")
    alive_lease = leases.hold_run(server, settings, "runAlive")
    assert server.exists(RunKeys("newsagg", "runDead").alive)
    # Simulate SIGKILL: the heartbeat stops (thread gone), the key expires.
    dead_lease._stop.set()
    deadline = time.monotonic() + 15
    while server.exists(RunKeys("newsagg", "runDead").alive) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not server.exists(RunKeys("newsagg", "runDead").alive), "lease should lapse after its TTL"
    newcomer = states()  # open() reaps
    assert newcomer.claim(K1, "fp1", "u1", "runNew"), "the dead run's claim was released"
    assert not newcomer.claim(K3, "fp3", "u3", "runNew"), "a live run's claim is kept"
    assert server.hlen(StateKeys("newsagg", "maghress").claims("runDead")) == 0
    leases.release(alive_lease)
    leases.release(dead_lease, delete=False)


def test_sites_are_separate(states):
    a, b = states("maghress"), states("turess")
    assert a.claim(K1, "fp1", "u1", "runA") and a.commit("runA", SegmentCommit("runA", final=True)) == 1
    assert b.claim(("turess", "h24info", "1"), "fp1", "u1", "runB")
    assert not b.is_known(("maghress", "h24info", "1")) and b.count() == 0


def test_unreachable_redis_is_a_state_error(redis_url):
    from newsagg.state import StateError

    with pytest.raises(StateError, match="unreachable"):
        open_state(
            Settings(
                {
                    "REDIS_URL": "redis://127.0.0.1:1/0",
                    "NEWSAGG_STATE_BACKEND": "redis",
                    "REDIS_PARAMS": {"socket_connect_timeout": 1},
                }
            ),
            "maghress",
        )


def test_alias_makes_a_republication_known_after_commit(states):
    a = states()
    assert a.claim(K1, "fp1", "http://x/fr/h24info/1", "runA")
    a.alias(K2, "fp1", "http://x/fr/lematin/1", "runA")  # same content under another key
    assert not a.is_known(K2), "not before the commit"
    assert a.commit("runA", SegmentCommit("runA", final=True)) == 1
    b = states()
    assert b.known_keys([K1, K2]) == {K1, K2}
    assert b.fingerprint_owner("fp1") == "http://x/fr/h24info/1", "the original stays the owner"
    b.alias(K3, "fp1", "u", "runB")
    b.release("runB")  # a failed run's aliases go with its claims
    assert b.commit("runB", SegmentCommit("runB", final=True)) == 0 and not b.is_known(K3)


def test_claim_result_says_who_holds_the_article(states):
    from newsagg.state.base import CLAIMED, OTHER_RUN, OWN_CONTENT, OWN_KEY, STORED

    a, b = states(), states()
    assert a.claim_result(K1, "fp1", "u1", "runA") == CLAIMED
    assert a.claim_result(K1, "fp9", "u1", "runA") == OWN_KEY
    assert a.claim_result(K2, "fp1", "u2", "runA") == OWN_CONTENT
    assert b.claim_result(K1, "fp8", "u1", "runB") == OTHER_RUN
    assert b.claim_result(K2, "fp1", "u2", "runB") == OTHER_RUN
    assert a.commit("runA", SegmentCommit("runA", final=True)) == 1
    assert b.claim_result(K1, "fp7", "u1", "runB") == STORED
    assert b.claim_result(K2, "fp1", "u2", "runB") == STORED


def test_a_reaped_run_can_neither_claim_nor_commit(states, settings):
    """Its lease lapsed and its claims were released (its work goes to others):
    if it was only stalled, what it still holds in its files must not be published."""
    from newsagg.state import StateError
    from newsagg.state.base import RUN_DEAD

    server = redis.Redis.from_url(settings["REDIS_URL"])
    stalled = states()
    assert stalled.claim(K1, "fp1", "u1", "runZ")
    server.delete(RunKeys("newsagg", "runZ").alive)  # no heartbeat: the key lapses past the TTL
    states()  # open() reaps
    assert server.hlen(StateKeys("newsagg", "maghress").claims("runZ")) == 0
    assert server.hexists(StateKeys("newsagg", "maghress").reaped, "runZ")
    assert stalled.claim_result(K3, "fp3", "u3", "runZ") == RUN_DEAD
    with pytest.raises(StateError, match="presumed dead"):
        stalled.commit("runZ", SegmentCommit("runZ", final=True))
    assert not stalled.is_committed("runZ") and stalled.count() == 0
    # A committed run is never marked (its lease may lapse before it forgets its work).
    assert stalled.claim(K3, "fp3", "u3", "runOK") and stalled.commit("runOK", SegmentCommit("runOK", final=True)) == 1
    server.delete(RunKeys("newsagg", "runOK").alive)
    assert release_run(server, StateKeys("newsagg", "maghress"), "runOK", only_if_dead=True) == 0
    assert not server.hexists(StateKeys("newsagg", "maghress").reaped, "runOK")
