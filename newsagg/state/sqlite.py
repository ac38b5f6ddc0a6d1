"""SQLite state backend: one database per site under ``NEWSAGG_STATE_DIR``.

``<state_dir>/<site>.sqlite3`` (WAL mode) holds the *stored* entries and the
committed run ids; ``<site>.lock`` is an ``fcntl`` lock held for the whole run,
so two runs of the same site never share the state: the second one gets
:class:`~newsagg.state.base.StateLocked`. Because of that lock, claims need
no persistence: they live in a private temporary database (deleted with its
connection, so a killed run's claims vanish with its process) until
:meth:`SQLiteState.commit` copies them into the state in one transaction.
Not in Python dicts: a claim carries a 260-byte signature, and a backfill of
100k articles would hold ~100 MB of them until the end of the run.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from newsagg.state.base import (
    CLAIMED,
    OTHER_RUN,
    OWN_CONTENT,
    OWN_KEY,
    STORED,
    Key,
    StateBackend,
    StateError,
    StateLocked,
    state_dir,
)
from newsagg.urls import SLUG_RE

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stored (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    site TEXT NOT NULL,
    source_slug TEXT NOT NULL,
    article_id TEXT NOT NULL,
    fingerprint TEXT,
    url TEXT NOT NULL,
    signature BLOB,
    run_id TEXT NOT NULL,
    stored_at TEXT NOT NULL,
    UNIQUE (site, source_slug, article_id)
);
CREATE INDEX IF NOT EXISTS stored_fingerprint ON stored (fingerprint);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    committed_at TEXT NOT NULL,
    entries INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS run_notes (
    run_id TEXT PRIMARY KEY,
    finish_reason TEXT,
    side_links TEXT NOT NULL  -- JSON list of URLs the run did not fetch
);
"""


_PENDING_SCHEMA = """
PRAGMA journal_mode=OFF;
PRAGMA synchronous=OFF;
PRAGMA cache_size=-2048;
CREATE TABLE claims (
    site TEXT NOT NULL, source_slug TEXT NOT NULL, article_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL, url TEXT NOT NULL, signature BLOB, run_id TEXT NOT NULL,
    seq INTEGER PRIMARY KEY,
    UNIQUE (site, source_slug, article_id)
);
CREATE INDEX claims_fingerprint ON claims (fingerprint);
"""


#: Keys per ``known_keys`` query: 3 parameters each, under SQLite's 999-variable limit.
_KEYS_PER_QUERY = 300


class SQLiteState(StateBackend):
    """Stdlib ``sqlite3`` backend; exclusive per site (see module docstring)."""

    name = "sqlite"
    exclusive = True

    def __init__(self, settings):
        super().__init__(settings)
        self.dir: Path = state_dir(settings)
        self.db: sqlite3.Connection | None = None
        self._lock_fh = None
        self._pending: sqlite3.Connection | None = None  # claims of this run (module doc)
        self._aliases: dict[Key, tuple[str, str, str]] = {}  # key -> (fingerprint, url, run_id)

    # -- life cycle ----------------------------------------------------------

    def open(self, site: str) -> None:
        if not SLUG_RE.fullmatch(site or ""):
            raise StateError(f"bad site name {site!r}")
        self.dir.mkdir(parents=True, exist_ok=True)
        lock_path = self.dir / f"{site}.lock"
        fh = open(lock_path, "a+")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip()
            fh.close()
            raise StateLocked(
                f"state of {site!r} is locked by another run ({holder or 'unknown'}): {lock_path}"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}\n")
        fh.flush()
        self._lock_fh = fh
        self.site = site
        try:
            self.db = sqlite3.connect(self.dir / f"{site}.sqlite3", isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit survives a power cut too (one fsync per run commit).
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            self.close()
            raise StateError(f"cannot open state database in {self.dir}: {exc}") from exc
        self._pending = sqlite3.connect("", isolation_level=None)
        self._pending.executescript(_PENDING_SCHEMA)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None
        if self._pending is not None:
            self._pending.close()
            self._pending = None
        self._aliases.clear()

    def _conn(self) -> sqlite3.Connection:
        if self.db is None:
            raise StateError("state is not open")
        return self.db

    # -- lookups (stored entries) --------------------------------------------

    def known_keys(self, keys: Iterable[Key]) -> set[Key]:
        """One query per :data:`_KEYS_PER_QUERY` keys (a row-value ``IN``)."""
        db = self._conn()
        todo = list(dict.fromkeys(tuple(k) for k in keys))
        found: set[Key] = set()
        for i in range(0, len(todo), _KEYS_PER_QUERY):
            chunk = todo[i : i + _KEYS_PER_QUERY]
            rows = ",".join(["(?, ?, ?)"] * len(chunk))
            found.update(
                db.execute(
                    f"SELECT site, source_slug, article_id FROM stored WHERE (site, source_slug, article_id) IN"
                    f" (VALUES {rows})",
                    [part for key in chunk for part in key],
                )
            )
        return found

    def fingerprint_owner(self, fingerprint: str) -> str | None:
        row = (
            self._conn()
            .execute("SELECT url FROM stored WHERE fingerprint=? ORDER BY seq LIMIT 1", (fingerprint,))
            .fetchone()
        )
        return row[0] if row else None

    def stored_signatures(self) -> Iterator[tuple[bytes, str]]:
        cur = self._conn().execute("SELECT signature, url FROM stored WHERE signature IS NOT NULL ORDER BY seq")
        yield from cur

    def count(self) -> int:
        return self._conn().execute("SELECT count(*) FROM stored").fetchone()[0]

    def recent_runs(self, limit: int = 10) -> list[tuple[str, str, int]]:
        """Read-only: the last *limit* committed runs, newest first: (run_id, committed_at, entries).
        For the health checks (newsagg.monitoring)."""
        return [
            tuple(r)
            for r in self._conn().execute(
                "SELECT run_id, committed_at, entries FROM runs ORDER BY committed_at DESC, rowid DESC LIMIT ?",
                (limit,),
            )
        ]

    # -- claims and commits --------------------------------------------------

    def _claims(self) -> sqlite3.Connection:
        if self._pending is None:
            raise StateError("state is not open")
        return self._pending

    def _claimed(self, key: Key) -> bool:
        return self._holder_of_key(key) is not None

    def _holder_of_key(self, key: Key) -> str | None:
        row = (
            self._claims()
            .execute("SELECT run_id FROM claims WHERE site=? AND source_slug=? AND article_id=?", key)
            .fetchone()
        )
        return row[0] if row else None

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
        # Same order as the Redis script: stored first (unless refresh), then claims, key before content.
        if not refresh and (self.is_known(key) or self.fingerprint_owner(fingerprint) is not None):
            return STORED
        pending = self._claims()
        holder = self._holder_of_key(key)
        if holder is not None:
            return OWN_KEY if holder == run_id else OTHER_RUN
        row = pending.execute("SELECT run_id FROM claims WHERE fingerprint=? LIMIT 1", (fingerprint,)).fetchone()
        if row is not None:
            return OWN_CONTENT if row[0] == run_id else OTHER_RUN
        pending.execute(
            "INSERT INTO claims (site, source_slug, article_id, fingerprint, url, signature, run_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*key, fingerprint, url, signature, run_id),
        )
        return CLAIMED

    def alias(self, key: Key, fingerprint: str, url: str, run_id: str) -> None:
        if not self._claimed(key):
            self._aliases[key] = (fingerprint, url, run_id)

    def commit(self, run_id: str) -> int:
        db = self._conn()
        pending = self._claims()
        count = pending.execute("SELECT count(*) FROM claims WHERE run_id=?", (run_id,)).fetchone()[0]
        aliases = [(k, v) for k, v in self._aliases.items() if v[2] == run_id and not self._claimed(k)]
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        rows = pending.execute(
            "SELECT site, source_slug, article_id, fingerprint, url, signature, run_id, ? FROM claims"
            " WHERE run_id=? ORDER BY seq",
            (now, run_id),
        )

        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO stored (site, source_slug, article_id, fingerprint, url, signature, run_id, stored_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (site, source_slug, article_id) DO UPDATE SET fingerprint=excluded.fingerprint,"
                " url=excluded.url, signature=excluded.signature, run_id=excluded.run_id, stored_at=excluded.stored_at",
                rows,
            )
            # After the claims (higher seq): fingerprint_owner keeps naming the original.
            db.executemany(
                "INSERT INTO stored (site, source_slug, article_id, fingerprint, url, signature, run_id, stored_at)"
                " VALUES (?, ?, ?, ?, ?, NULL, ?, ?) ON CONFLICT (site, source_slug, article_id) DO NOTHING",
                [(*k, fp, url, run_id, now) for k, (fp, url, _) in aliases],
            )
            db.execute(
                "INSERT OR REPLACE INTO runs (run_id, committed_at, entries) VALUES (?, ?, ?)", (run_id, now, count)
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.release(run_id)
        return count

    def is_committed(self, run_id: str) -> bool:
        return self._conn().execute("SELECT 1 FROM runs WHERE run_id=?", (run_id,)).fetchone() is not None

    def release(self, run_id: str) -> int:
        for key in [k for k, v in self._aliases.items() if v[2] == run_id]:
            del self._aliases[key]
        return self._claims().execute("DELETE FROM claims WHERE run_id=?", (run_id,)).rowcount

    def abandon_if_dead(self, run_id: str) -> bool:
        """Always True: this run holds the site lock, so any other run is dead
        (and its claims died with its process)."""
        self.release(run_id)
        return True

    def note_run(self, run_id: str, finish_reason: str | None, side_links: list[str]) -> None:
        self._conn().execute(
            "INSERT OR REPLACE INTO run_notes (run_id, finish_reason, side_links) VALUES (?, ?, ?)",
            (run_id, finish_reason, json.dumps(side_links)),
        )

    def last_run(self) -> tuple[str | None, list[str]]:
        row = (
            self._conn()
            .execute(
                "SELECT r.run_id, n.run_id, n.finish_reason, n.side_links FROM runs r"
                " LEFT JOIN run_notes n ON n.run_id = r.run_id ORDER BY r.committed_at DESC, r.rowid DESC LIMIT 1"
            )
            .fetchone()
        )
        if row is None:
            return "finished", []
        if row[1] is None:
            return None, []
        return row[2], json.loads(row[3] or "[]")
