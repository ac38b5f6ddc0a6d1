"""Publication history per source, kept beside the incremental state.

``<state_dir>/<site>.history.sqlite3``: one row per stored article with its
``published_at`` (the state itself keeps keys and fingerprints, not dates).
Rows of a run are added only once the state committed the run, so the
history holds exactly the stored articles that have a date; a ``full=1``
rerun replaces rows instead of adding them. The run's own rows wait in a
temporary table until then: the checks at the end of the run see history
and run together. A separate file, so the state's schema stays the state
backend's business; losing it only resets the history checks.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    source_slug TEXT NOT NULL,
    article_id TEXT NOT NULL,
    published_at TEXT NOT NULL,
    day TEXT NOT NULL,
    run_id TEXT NOT NULL,
    PRIMARY KEY (source_slug, article_id)
);
CREATE INDEX IF NOT EXISTS articles_day ON articles (source_slug, day);
"""


def history_path(state_dir: Path, site: str) -> Path:
    return Path(state_dir) / f"{site}.history.sqlite3"


class History:
    """The history database of one site, plus the current run's pending rows."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        self.db.execute(
            "CREATE TEMP TABLE pending (source_slug TEXT, article_id TEXT, published_at TEXT,"
            " day TEXT, PRIMARY KEY (source_slug, article_id))"
        )

    def add(self, source_slug: str, article_id: str, published_at: str) -> None:
        """Note a written record of this run (kept pending until :meth:`commit`)."""
        self.db.execute(
            "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?)",
            (source_slug, article_id, published_at, published_at[:10]),
        )

    def daily(self) -> dict[str, dict[dt.date, int]]:
        """Articles per source and publication day: stored, plus this run's (a
        row of this run replaces a stored one of the same key, as the commit will)."""
        return _daily(
            self.db.execute(
                "SELECT source_slug, day, count(*) FROM ("
                " SELECT source_slug, day FROM articles a WHERE NOT EXISTS (SELECT 1 FROM pending p"
                "  WHERE p.source_slug = a.source_slug AND p.article_id = a.article_id)"
                " UNION ALL SELECT source_slug, day FROM pending) GROUP BY source_slug, day"
            )
        )

    def commit(self, run_id: str) -> int:
        """Move this run's rows into the history (after the state committed the run)."""
        with self.db:
            self.db.execute("BEGIN")
            n = self.db.execute(
                "INSERT OR REPLACE INTO articles SELECT source_slug, article_id, published_at, day, ? FROM pending",
                (run_id,),
            ).rowcount
            self.db.execute("DELETE FROM pending")
        return n

    def close(self) -> None:
        self.db.close()


def _daily(rows) -> dict[str, dict[dt.date, int]]:
    out: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for slug, day, n in rows:
        try:
            out[slug][dt.date.fromisoformat(day)] = n
        except ValueError:
            continue
    return dict(out)


def read_history(path: Path) -> tuple[dict[str, dict[dt.date, int]], dict[str, str]]:
    """Read-only: (articles per source and day, last ``published_at`` per source); empty when absent."""
    if not path.exists():
        return {}, {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        daily = _daily(db.execute("SELECT source_slug, day, count(*) FROM articles GROUP BY source_slug, day"))
        last = dict(db.execute("SELECT source_slug, max(published_at) FROM articles GROUP BY source_slug"))
    finally:
        db.close()
    return daily, last
