"""The SQLite state backend and its frontier, without crawling.

Claims become stored only by a segment's commit, a second opener of a site is
refused while the first holds it, a killed run's claims vanish, aliases make
republications known, a commit carries its history and the frontier's
finished links atomically, walks and pending links survive the run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys

import pytest
from scrapy.settings import Settings

from newsagg.exporters.storage import PartFileStorage
from newsagg.minhash import band_keys, signature
from newsagg.state import StateError, StateLocked, open_state
from newsagg.state.base import SegmentCommit, backend_class
from newsagg.state.frontier import HEAD, TAIL, Walk
from newsagg.state.sqlite import SQLiteState
from newsagg.urls import PageRef

K1, K2, K3 = ("maghress", "h24info", "1"), ("maghress", "lematin", "1"), ("maghress", "h24info", "2")


@pytest.fixture
def settings(tmp_path):
    return Settings({"NEWSAGG_STATE_DIR": str(tmp_path / "state")})


@pytest.fixture
def states(settings):
    opened = []

    def make(site="maghress"):
        st = open_state(settings, site)
        opened.append(st)
        return st

    yield make
    for st in opened:
        st.close()


def test_factory_defaults_to_sqlite_in_wal_mode(states, settings, tmp_path):
    st = states()
    assert isinstance(st, SQLiteState) and st.exclusive and st.site == "maghress"
    assert (tmp_path / "state" / "maghress.sqlite3").exists()
    assert st.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(StateError, match="expected one of"):
        backend_class("memcached")
    with pytest.raises(StateError, match="bad site"):
        open_state(settings, "../etc")


def test_default_dir_follows_data_dir(tmp_path):
    st = open_state(Settings({"NEWSAGG_DATA_DIR": str(tmp_path / "d")}), "turess")
    try:
        assert (tmp_path / "d" / "state" / "turess.sqlite3").exists()
    finally:
        st.close()


def test_claims_are_stored_only_by_commit(states):
    st = states()
    assert st.claim(K1, "fp1", "u1", "run1", signature=b"s" * 4)
    assert not st.claim(K1, "fp9", "u1b", "run1"), "same key twice"
    assert not st.claim(K2, "fp1", "u2", "run1"), "same content under another key"
    assert not st.is_known(K1) and st.fingerprint_owner("fp1") is None and st.count() == 0
    assert st.commit("run1", SegmentCommit("seg1")) == 1 and st.is_committed("seg1") and not st.is_committed("seg2")
    assert st.is_known(K1) and st.known_keys([K1, K2, K3]) == {K1}
    assert st.fingerprint_owner("fp1") == "u1"
    assert list(st.stored_signatures()) == [(b"s" * 4, "u1")]
    assert not st.claim(K1, "fpX", "u1", "run2"), "stored key"
    assert not st.claim(K3, "fp1", "u3", "run2"), "stored content"
    assert st.claim(K1, "fp1-new", "u1", "run3", refresh=True), "full=1 refreshes"
    st.commit("run3", SegmentCommit("seg3"))
    assert st.fingerprint_owner("fp1-new") == "u1" and st.count() == 1


def test_release_forgets_claims(states):
    st = states()
    st.claim(K1, "fp1", "u1", "dead")
    st.claim(K2, "fp2", "u2", "live")
    assert st.release("dead") == 1
    assert st.claim(K1, "fp1", "u1", "live")
    assert st.commit("live", SegmentCommit("seg")) == 2 and st.known_keys([K1, K2]) == {K1, K2}


def test_alias_makes_a_republication_known(states):
    st = states()
    st.claim(K1, "fp1", "u1", "run1")
    st.alias(K2, "fp1", "u2", "run1")
    st.commit("run1", SegmentCommit("seg1"))
    assert st.known_keys([K1, K2]) == {K1, K2}
    assert st.fingerprint_owner("fp1") == "u1", "the original stays the owner"
    assert st.count() == 1, "a republication known to be skipped is not a stored article"


def test_second_opener_is_locked_out_until_the_first_closes(states, settings):
    first = states()
    with pytest.raises(StateLocked, match=f"pid {os.getpid()}"):
        open_state(settings, "maghress")
    other_site = states("turess")  # another site is independent
    assert other_site.site == "turess"
    first.close()
    states()  # free again


def _hold_and_die(state_dir, conn):
    st = open_state(Settings({"NEWSAGG_STATE_DIR": state_dir}), "maghress")
    st.claim(K1, "fp1", "u1", "killed")
    conn.send("holding")
    signal.pause()


def test_a_killed_holder_leaves_a_usable_state(settings, tmp_path):
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("fork").Process(target=_hold_and_die, args=(str(tmp_path / "state"), child))
    proc.start()
    try:
        assert parent.poll(30) and parent.recv() == "holding"
        with pytest.raises(StateLocked):
            open_state(settings, "maghress")
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
        st = open_state(settings, "maghress")  # the lock died with the process
        try:
            assert not st.is_known(K1) and st.claim(K1, "fp1", "u1", "next")
        finally:
            st.close()
    finally:
        if proc.is_alive():
            proc.kill()


def test_database_is_plain_sqlite(states, tmp_path):
    st = states()
    st.claim(K1, "fp1", "u1", "r")
    st.commit("r", SegmentCommit("seg"))
    db = sqlite3.connect(tmp_path / "state" / "maghress.sqlite3")
    assert db.execute("SELECT site, source_slug, article_id, url FROM stored").fetchall() == [(*K1, "u1")]


# --- the spider's gate -----------------------------------------------------------------


def test_gate_skips_stored_articles_and_counts_each_once(states):
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    from newsagg.state.gate import StoredGate

    st = states()
    for i in range(1, 5):
        st.claim(("maghress", "h24info", str(i)), f"fp{i}", f"u{i}", "r")
    st.commit("r", SegmentCommit("seg"))
    stats = MemoryStatsCollector(get_crawler())
    gate = StoredGate(st, "maghress", stats)
    ref = lambda i: PageRef("article", f"http://x/fr/h24info/{i}", "h24info", str(i))  # noqa: E731
    assert gate.skip(ref(1)) and gate.skip(ref(1)) and not gate.skip(ref(9))
    assert stats.get_value("newsagg/skipped/already_stored") == 1, "counted once per article"
    assert gate.known([ref(1), ref(2), ref(9)]) == {("maghress", "h24info", "1"), ("maghress", "h24info", "2")}


# --- a segment's commit: one transaction ------------------------------------------------


def test_commit_carries_history_bands_and_finished_links_atomically(states, tmp_path):
    st = states()
    frontier = st.frontier()
    walk = Walk("h24info", TAIL, "http://x/fr/h24info?page=2", 2, ("1", "2"))
    frontier.save(walk, "run1", entries=["http://x/fr/h24info/1", "http://x/fr/h24info/2"], side=["http://x/fr/b/7"])
    sig = signature("Un titre", "Un corps de texte assez long pour faire quelques bardeaux de mots.")
    st.claim(K1, "fp1", "http://x/fr/h24info/1", "run1", signature=sig)
    frontier.done("http://x/fr/h24info/1")
    history = [("h24info", "1", "2024-05-01"), ("h24info", "5", "2024-05-01T10:00:00+01:00")]
    db = sqlite3.connect(tmp_path / "state" / "maghress.sqlite3")
    with pytest.raises(sqlite3.OperationalError):  # the segment's transaction fails at its end
        db.execute("BEGIN EXCLUSIVE")  # another writer holds the database: the commit cannot take it
        st.db.execute("PRAGMA busy_timeout=10")
        st.commit("run1", SegmentCommit("seg1", history=history))
    db.execute("ROLLBACK")
    assert not st.is_committed("seg1") and not st.is_known(K1) and not st.history_daily(), "nothing half-done"
    st.commit("run1", SegmentCommit("seg1", final=True, finish_reason="finished", history=history))
    assert st.is_committed("seg1") and st.is_known(K1)
    assert st.history_daily() == {"h24info": {dt.date(2024, 5, 1): 2}}
    keys = list(band_keys(sig))
    assert [row[1] for row in st.band_candidates(keys[:1])] == ["http://x/fr/h24info/1"]
    assert frontier.pending_entries() == ["http://x/fr/h24info/2"], "the finished link left pending"
    assert frontier.next_side(10) == ["http://x/fr/b/7"]
    assert st.recent_runs() == [("run1", st.recent_runs()[0][1], 1)]
    db.close()


def test_walks_and_pending_links_outlive_the_run(settings):
    st = open_state(settings, "maghress")
    frontier = st.frontier()
    walk = Walk("lematin", HEAD, "http://x/fr/lematin?page=3", 3, ("10", "11"), deepest=2, oldest_day="2024-01-02")
    frontier.save(walk, "run1", entries=["http://x/fr/lematin/10"])
    done = Walk("h24info", TAIL, "http://x/fr/h24info?page=2", 2)
    frontier.save(done, "run1")
    frontier.finish(done, reached_end=True)
    st.close()  # killed: nothing else happens
    st = open_state(settings, "maghress")
    try:
        frontier = st.frontier()
        (again,) = frontier.walks()
        assert (
            again.slug,
            again.mode,
            again.next_url,
            again.next_page,
            again.anchors,
            again.deepest,
            again.oldest_day,
        ) == (
            "lematin",
            HEAD,
            "http://x/fr/lematin?page=3",
            3,
            ("10", "11"),
            2,
            "2024-01-02",
        )
        assert frontier.pending_entries() == ["http://x/fr/lematin/10"]
        assert frontier.pending_among(["http://x/fr/lematin/10", "http://x/fr/lematin/12"]) == {
            "http://x/fr/lematin/10"
        }
        assert frontier.is_walked("h24info") and not frontier.is_walked("lematin")
    finally:
        st.close()


def test_an_old_state_is_brought_up_to_date(settings, tmp_path):
    """A state and a publication history written by the previous layout: aliases
    marked, band keys indexed, the history moved into the state."""
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    sig = signature("Un titre", "Un corps de texte assez long pour faire quelques bardeaux de mots.")
    db = sqlite3.connect(state_dir / "maghress.sqlite3")
    db.executescript(
        "CREATE TABLE stored (seq INTEGER PRIMARY KEY AUTOINCREMENT, site TEXT NOT NULL, source_slug TEXT NOT NULL,"
        " article_id TEXT NOT NULL, fingerprint TEXT, url TEXT NOT NULL, signature BLOB, run_id TEXT NOT NULL,"
        " stored_at TEXT NOT NULL, UNIQUE (site, source_slug, article_id));"
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY, committed_at TEXT NOT NULL, entries INTEGER NOT NULL);"
        "CREATE TABLE run_notes (run_id TEXT PRIMARY KEY, finish_reason TEXT, side_links TEXT NOT NULL);"
    )
    db.execute("INSERT INTO stored VALUES (1, 'maghress', 'h24info', '1', 'fp1', 'u1', ?, 'r', 't')", (sig,))
    db.execute("INSERT INTO stored VALUES (2, 'maghress', 'lematin', '9', 'fp1', 'u9', NULL, 'r', 't')")
    db.commit()
    db.close()
    old = sqlite3.connect(state_dir / "maghress.history.sqlite3")
    old.execute(
        "CREATE TABLE articles (source_slug TEXT, article_id TEXT, published_at TEXT, day TEXT, run_id TEXT,"
        " PRIMARY KEY (source_slug, article_id))"
    )
    old.execute("INSERT INTO articles VALUES ('h24info', '1', '2024-05-01', '2024-05-01', 'r')")
    old.commit()
    old.close()
    st = open_state(settings, "maghress")
    try:
        assert st.count() == 1, "the republication is an alias"
        assert [r[1] for r in st.band_candidates(list(band_keys(sig)))] == ["u1"]
        assert st.history_daily() == {"h24info": {dt.date(2024, 5, 1): 1}}
        assert not (state_dir / "maghress.history.sqlite3").exists()
    finally:
        st.close()


def test_part_storage_publishes_atomically_and_keeps_append_semantics(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"old\n")
    storage = PartFileStorage(str(target), feed_options={"format": "jsonlines"})  # -o: append
    fh = storage.open(None)
    fh.write(b"new\n")
    assert target.read_bytes() == b"old\n", "nothing visible before the end"
    storage.store(fh)
    assert target.read_bytes() == b"old\nnew\n" and not storage.part.exists()
    over = PartFileStorage(str(target), feed_options={"format": "jsonlines", "overwrite": True})  # -O
    fh = over.open(None)
    fh.write(b"only\n")
    over.store(fh)
    assert target.read_bytes() == b"only\n" and not over.part.exists()


def test_signature_is_stable_bytes():
    sig = signature("Un titre", "Un corps de texte assez long pour faire quelques bardeaux de mots.")
    assert isinstance(sig, bytes) and len(sig) == 260 and sig.startswith(b"MH2\x00")
    # Persisted signatures must not change without a new version prefix: pinned
    # (computed uncached, not compared with the cached call of itself).
    text = ("Un titre", "Un corps de texte assez long pour faire quelques bardeaux de mots.")
    assert sig == signature.__wrapped__(*text)
    assert hashlib.sha256(sig).hexdigest() == "2b302c3d225beed97b98aa9288b1f1502a455f40b0a2e0855313a5d93992144f"
    # Persisted in the state: the same in every process, whatever PYTHONHASHSEED salts.
    code = (
        "from newsagg.minhash import signature; import sys; sys.stdout.write(signature("
        "'Un titre', 'Un corps de texte assez long pour faire quelques bardeaux de mots.').hex())"
    )
    for seed in ("0", "1", "12345"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert out == sig.hex()
