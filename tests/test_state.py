"""The SQLite state backend and the run commit protocol, without crawling.

Claims become stored only on commit, a second opener of a site is refused
while the first holds it, a killed run's claims vanish, aliases make
republications known, and commit journals are rolled forward / back.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys

import pytest
from scrapy.settings import Settings

from newsagg.exporters.storage import PartFileStorage
from newsagg.pipelines.neardup import signature
from newsagg.state import StateError, StateLocked, open_state
from newsagg.state.base import backend_class
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
    assert st.commit("run1") == 1 and st.is_committed("run1") and not st.is_committed("run2")
    assert st.is_known(K1) and st.known_keys([K1, K2, K3]) == {K1}
    assert st.fingerprint_owner("fp1") == "u1"
    assert list(st.stored_signatures()) == [(b"s" * 4, "u1")]
    assert not st.claim(K1, "fpX", "u1", "run2"), "stored key"
    assert not st.claim(K3, "fp1", "u3", "run2"), "stored content"
    assert st.claim(K1, "fp1-new", "u1", "run3", refresh=True), "full=1 refreshes"
    st.commit("run3")
    assert st.fingerprint_owner("fp1-new") == "u1" and st.count() == 1


def test_release_forgets_claims(states):
    st = states()
    st.claim(K1, "fp1", "u1", "dead")
    st.claim(K2, "fp2", "u2", "live")
    assert st.release("dead") == 1
    assert st.claim(K1, "fp1", "u1", "live")
    assert st.commit("live") == 2 and st.known_keys([K1, K2]) == {K1, K2}


def test_alias_makes_a_republication_known(states):
    st = states()
    st.claim(K1, "fp1", "u1", "run1")
    st.alias(K2, "fp1", "u2", "run1")
    st.commit("run1")
    assert st.known_keys([K1, K2]) == {K1, K2}
    assert st.fingerprint_owner("fp1") == "u1", "the original stays the owner"


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
    st.commit("r")
    db = sqlite3.connect(tmp_path / "state" / "maghress.sqlite3")
    assert db.execute("SELECT site, source_slug, article_id, url FROM stored").fetchall() == [(*K1, "u1")]


# --- the spider's gate -----------------------------------------------------------------


def test_gate_skips_stored_and_stops_after_known_pages(states):
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    from newsagg.state.gate import StoredGate

    st = states()
    for i in range(1, 5):
        st.claim(("maghress", "h24info", str(i)), f"fp{i}", f"u{i}", "r")
    st.commit("r")
    stats = MemoryStatsCollector(get_crawler())
    gate = StoredGate(st, "maghress", stats, known_pages=2)
    ref = lambda i: PageRef("article", f"http://x/fr/h24info/{i}", "h24info", str(i))  # noqa: E731
    listing = PageRef("listing", "http://x/fr/h24info", "h24info")
    assert gate.skip(ref(1)) and gate.skip(ref(1)) and not gate.skip(ref(9))
    assert stats.get_value("newsagg/skipped/already_stored") == 1, "counted once per article"
    assert not gate.stop_listing(listing, [ref(1), ref(9)], "p1")
    assert not gate.stop_listing(listing, [ref(1), ref(2)], "p2"), "1 known page < 2"
    assert gate.stop_listing(listing, [ref(3), ref(4)], "p3")
    assert not gate.stop_listing(listing, [], "p4"), "an empty page is no evidence"
    assert stats.get_value("newsagg/listings/stopped_known") == 1


# --- journals: killed between commit and publication --------------------------------------


def _crawler_state(tmp_path, run_id):
    """The real RunCommit of a run *run_id* after spider_opened (state open, journals recovered)."""
    from scrapy.utils.test import get_crawler

    from newsagg.spiders.maghress import MaghressSpider
    from tests.crawling import open_commit, project_settings

    crawler = get_crawler(
        MaghressSpider, project_settings(NEWSAGG_STATE_DIR=str(tmp_path / "state"), NEWSAGG_STATE_ENABLED=True)
    )
    crawler.spider = MaghressSpider.from_crawler(crawler)
    return open_commit(crawler, run_id)


def _part_file(tmp_path, name, ext):
    from newsagg.run import run_context

    storage = PartFileStorage(
        str(tmp_path / "data" / name), feed_options={"format": "jsonlines"}, files=run_context(ext.crawler).files
    )
    fh = storage.open(None)
    fh.write(b'{"a": 1}\n')
    storage.store(fh)
    return storage


@pytest.mark.parametrize("committed", [True, False])
def test_journal_rolls_forward_or_back(tmp_path, committed):
    ext = _crawler_state(tmp_path, "killedrun")
    storage = _part_file(tmp_path, "a.jsonl", ext)
    assert storage.status == "closed" and storage.part.exists() and not storage.final.exists()
    assert ext.claim(K1, "fp1", "u1") == "claimed"
    ext._write_journal([storage])
    if committed:
        ext.backend.commit("killedrun")
    ext.backend.close()  # the run "dies" here, before renaming
    journal = next((tmp_path / "state").glob("maghress.*.journal.json"))
    assert json.loads(journal.read_text())["run_id"] == "killedrun"

    nxt = _crawler_state(tmp_path, "nextrun")  # spider_opened recovers the journal
    try:
        assert not journal.exists() and not storage.part.exists()
        assert storage.final.exists() is committed
        assert nxt.backend.is_known(K1) is committed
        stats = nxt.stats.get_stats()
        assert stats.get("newsagg/state/recovered_runs") == (1 if committed else None)
        assert stats.get("newsagg/state/rolled_back_runs") == (None if committed else 1)
    finally:
        nxt.backend.close()


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
    assert target.read_bytes() == b"only\n" and over.sha256 and over.size == 5


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
        "from newsagg.pipelines.neardup import signature; import sys; sys.stdout.write(signature("
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
