"""SQLite state backend: one database per site under ``NEWSAGG_STATE_DIR``.

``<site>.sqlite3`` (WAL) holds the stored articles with their near-duplicate
signatures and band keys, the committed segments and runs, the publication
history and the frontier; ``<site>.lock`` (``fcntl``) excludes a second run of
the site (:class:`StateLocked`). Claims live in a private temporary database
until a segment's commit copies them in, in one transaction.
docs/ARCHITECTURE.md "Incremental state".
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from newsagg import failpoints
from newsagg.minhash import BANDS, SIGNATURE_SIZE, band_keys
from newsagg.state.base import (
    CLAIMED,
    OTHER_RUN,
    OWN_CONTENT,
    OWN_KEY,
    STORED,
    Key,
    SegmentCommit,
    StateBackend,
    StateError,
    StateLocked,
    state_dir,
)
from newsagg.state.frontier import Frontier
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
    alias INTEGER NOT NULL DEFAULT 0,  -- 1: a republication, known so it is not fetched again; not in the dataset
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
    side_links TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS segments (
    name TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    final INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    committed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS history (
    source_slug TEXT NOT NULL,
    article_id TEXT NOT NULL,
    published_at TEXT NOT NULL,
    day TEXT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (source_slug, article_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS history_day ON history (source_slug, day);
CREATE TABLE IF NOT EXISTS bands (
    key INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (key, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS walks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL,
    mode TEXT NOT NULL,
    next_url TEXT NOT NULL,
    next_page INTEGER NOT NULL,
    anchors TEXT NOT NULL,
    deepest INTEGER NOT NULL,
    oldest_day TEXT,
    run_id TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    slug TEXT PRIMARY KEY,
    walked_at TEXT NOT NULL,
    deepest INTEGER NOT NULL,
    oldest_day TEXT
);
CREATE TABLE IF NOT EXISTS pending (
    url TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_kind ON pending (kind, seq);
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
_UPSERT_STORED = (
    "INSERT INTO stored (site, source_slug, article_id, fingerprint, url, signature, run_id, stored_at, alias)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (site, source_slug, article_id) DO UPDATE SET fingerprint=excluded.fingerprint,"
    " url=excluded.url, signature=excluded.signature, run_id=excluded.run_id, stored_at=excluded.stored_at,"
    " alias=excluded.alias RETURNING seq"
)
# A full=1 run may store a republication whose original another key holds: the
# release keeps the first stored one, so this one counts as an alias.
_OWNED_ELSEWHERE = (
    "SELECT 1 FROM stored WHERE fingerprint=? AND alias=0 AND NOT (site=? AND source_slug=? AND article_id=?) LIMIT 1"
)
_INSERT_BANDS = "INSERT OR IGNORE INTO bands VALUES " + ",".join(["(?, ?)"] * BANDS)
_CANDIDATES = "SELECT s.seq, s.url, s.signature FROM stored s WHERE s.seq IN (SELECT seq FROM bands WHERE key IN ({}))"


def database_path(directory: Path, site: str) -> Path:
    """``<state_dir>/<site>.sqlite3``."""
    return Path(directory) / f"{site}.sqlite3"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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
        self._frontier = None

    # -- life cycle ----------------------------------------------------------

    def open(self, site: str) -> None:
        if not SLUG_RE.fullmatch(site or ""):
            raise StateError(f"bad site name {site!r}")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fh = open(self.dir / f"{site}.lock", "a+")  # noqa: SIM115 - held for the whole run
        except OSError as exc:
            raise StateError(f"cannot create the state directory {self.dir}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip()
            fh.close()
            raise StateLocked(
                f"the state of {site!r} is locked by another run ({holder or 'unknown'}): {self.dir / f'{site}.lock'}"
            ) from None
        self._lock_fh = fh
        self.site = site
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}\n")
            fh.flush()
            self.db = sqlite3.connect(database_path(self.dir, site), isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL between segment commits (the frontier's small writes survive a
            # killed process, not a power cut); each segment commit runs at FULL.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self._migrate()
            self._pending = sqlite3.connect("", isolation_level=None)
            self._pending.executescript(_PENDING_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            self.close()
            raise StateError(f"cannot open the state database in {self.dir}: {exc}") from exc

    def _migrate(self) -> None:
        """Bring a state written by an older newsagg up to date, once: the LSH band
        keys of stored signatures, and the publication history that lived in
        ``<site>.history.sqlite3``."""
        db = self._conn()
        if "alias" not in {row[1] for row in db.execute("PRAGMA table_info(stored)")}:
            db.execute("ALTER TABLE stored ADD COLUMN alias INTEGER NOT NULL DEFAULT 0")
            # Republications were stored after their original, without a signature.
            db.execute(
                "UPDATE stored SET alias = 1 WHERE signature IS NULL AND seq >"
                " (SELECT min(o.seq) FROM stored o WHERE o.fingerprint = stored.fingerprint)"
            )
        if db.execute("SELECT 1 FROM bands LIMIT 1").fetchone() is None:
            rows = db.execute("SELECT seq, signature FROM stored WHERE signature IS NOT NULL").fetchall()
            if rows:
                db.execute("BEGIN IMMEDIATE")
                db.executemany(
                    "INSERT OR IGNORE INTO bands VALUES (?, ?)",
                    ((k, seq) for seq, sig in rows if len(sig) == SIGNATURE_SIZE for k in band_keys(bytes(sig))),
                )
                db.execute("COMMIT")
                logger.info("State of %s: near-duplicate band keys of %d stored articles indexed", self.site, len(rows))
        old = self.dir / f"{self.site}.history.sqlite3"
        if old.exists():
            db.execute("ATTACH DATABASE ? AS old", (f"file:{old}?mode=ro",))
            try:
                db.execute(
                    "INSERT OR IGNORE INTO history SELECT source_slug, article_id, published_at, day, run_id"
                    " FROM old.articles"
                )
            finally:
                db.execute("DETACH DATABASE old")
            os.replace(old, old.with_name(old.name + ".migrated"))
            logger.info("Publication history of %s moved into the state database", self.site)

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
        self._frontier = None

    def _conn(self) -> sqlite3.Connection:
        if self.db is None:
            raise StateError("state is not open")
        return self.db

    # -- lookups (stored entries) --------------------------------------------

    def known_keys(self, keys: Iterable[Key]) -> set[Key]:
        """One query per :data:`_KEYS_PER_QUERY` keys: the keys joined to the key index
        (a row-value ``IN`` scans the whole table: 1 ms a key at a million articles)."""
        db = self._conn()
        todo = list(dict.fromkeys(tuple(k) for k in keys))
        found: set[Key] = set()
        for i in range(0, len(todo), _KEYS_PER_QUERY):
            chunk = todo[i : i + _KEYS_PER_QUERY]
            rows = ",".join(["(?, ?, ?)"] * len(chunk))
            found.update(
                db.execute(
                    f"WITH k(site, slug, id) AS (VALUES {rows}) SELECT s.site, s.source_slug, s.article_id"
                    " FROM k JOIN stored s ON s.site = k.site AND s.source_slug = k.slug AND s.article_id = k.id",
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

    def band_candidates(self, keys: list[int]) -> list[tuple[int, str, bytes]]:
        """``(seq, url, signature)`` of the stored articles sharing a band key with *keys*."""
        if not keys:
            return []
        return self._conn().execute(_CANDIDATES.format(",".join("?" * len(keys))), keys).fetchall()

    def count(self) -> int:
        """Stored articles (republications known only as aliases not counted)."""
        return self._conn().execute("SELECT count(*) FROM stored WHERE alias = 0").fetchone()[0]

    def recent_runs(self, limit: int = 10) -> list[tuple[str, str, int]]:
        """The last *limit* runs that completed, newest first: (run_id, committed_at, entries)."""
        return [
            tuple(r)
            for r in self._conn().execute(
                "SELECT r.run_id, r.committed_at, r.entries FROM runs r JOIN segments s"
                " ON s.run_id = r.run_id AND s.final = 1 ORDER BY r.committed_at DESC, r.rowid DESC LIMIT ?",
                (limit,),
            )
        ]

    def history_daily(self) -> dict[str, dict[dt.date, int]]:
        """Stored articles per source and publication day (the publication history)."""
        return daily_counts(
            self._conn().execute("SELECT source_slug, day, count(*) FROM history GROUP BY source_slug, day")
        )

    # -- claims and commits --------------------------------------------------

    def _claims(self) -> sqlite3.Connection:
        if self._pending is None:
            raise StateError("state is not open")
        return self._pending

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
        if self._holder_of_key(key) is None:
            self._aliases[key] = (fingerprint, url, run_id)

    def commit(self, run_id: str, segment: SegmentCommit) -> int:
        db = self._conn()
        claims = self._claims().execute(
            "SELECT site, source_slug, article_id, fingerprint, url, signature, run_id FROM claims"
            " WHERE run_id=? ORDER BY seq",
            (run_id,),
        )
        aliases = [(k, v) for k, v in self._aliases.items() if v[2] == run_id and self._holder_of_key(k) is None]
        now = _now()
        count = 0
        db.execute("PRAGMA synchronous=FULL")
        db.execute("BEGIN IMMEDIATE")
        try:
            for row in claims:
                site, slug, aid, fp = row[:4]
                alias = db.execute(_OWNED_ELSEWHERE, (fp, site, slug, aid)).fetchone() is not None
                (seq,) = db.execute(_UPSERT_STORED, (*row, now, int(alias))).fetchone()
                sig = row[5]
                if sig is not None and len(sig) == SIGNATURE_SIZE:
                    db.execute(_INSERT_BANDS, [x for k in band_keys(bytes(sig)) for x in (k, seq)])
                count += 1
            # After the claims (higher seq): fingerprint_owner keeps naming the original.
            db.executemany(
                "INSERT INTO stored (site, source_slug, article_id, fingerprint, url, signature, run_id, stored_at, alias)"
                " VALUES (?, ?, ?, ?, ?, NULL, ?, ?, 1) ON CONFLICT (site, source_slug, article_id) DO NOTHING",
                [(*k, fp, url, run_id, now) for k, (fp, url, _) in aliases],
            )
            db.executemany(
                "INSERT OR REPLACE INTO history VALUES (?, ?, ?, ?, ?)",
                [(slug, aid, published, published[:10], run_id) for slug, aid, published in segment.history],
            )
            db.execute(
                "INSERT INTO runs (run_id, committed_at, entries) VALUES (?, ?, ?) ON CONFLICT (run_id)"
                " DO UPDATE SET committed_at=excluded.committed_at, entries=entries + excluded.entries",
                (run_id, now, count),
            )
            db.execute(
                "INSERT INTO segments (name, run_id, final, entries, committed_at) VALUES (?, ?, ?, ?, ?)",
                (segment.name, run_id, int(segment.final), count, now),
            )
            if segment.final:
                db.execute(
                    "INSERT OR REPLACE INTO run_notes (run_id, finish_reason, side_links) VALUES (?, ?, '[]')",
                    (run_id, segment.finish_reason),
                )
            if self._frontier is not None:
                self._frontier.before_commit(db)
            failpoints.reached("commit")  # tests: a kill inside the transaction
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.execute("PRAGMA synchronous=NORMAL")
        self.release(run_id)
        return count

    def is_committed(self, segment: str) -> bool:
        return self._conn().execute("SELECT 1 FROM segments WHERE name=?", (segment,)).fetchone() is not None

    def release(self, run_id: str) -> int:
        for key in [k for k, v in self._aliases.items() if v[2] == run_id]:
            del self._aliases[key]
        return self._claims().execute("DELETE FROM claims WHERE run_id=?", (run_id,)).rowcount

    def abandon_if_dead(self, run_id: str) -> bool:
        """Always True: this run holds the site lock, so any other run is dead
        (and its claims died with its process)."""
        self.release(run_id)
        return True

    def frontier(self) -> Frontier:
        if self._frontier is None:
            self._frontier = Frontier(self._conn())
        return self._frontier


def daily_counts(rows) -> dict[str, dict[dt.date, int]]:
    out: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for slug, day, n in rows:
        try:
            out[slug][dt.date.fromisoformat(day)] = n
        except ValueError:
            continue
    return dict(out)


def read_only(directory: Path, site: str) -> sqlite3.Connection | None:
    """A read-only connection to a site's state (while a crawl runs too); None when absent."""
    path = database_path(directory, site)
    if not path.exists():
        return None
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
