"""Where a site's listing walks are, and which article links wait: kept across runs.

A :class:`Walk` reads one source's listing in order; its cursor is saved with
the page's pending links as each page is processed, and a link leaves
``pending`` when the segment holding its article commits, so an interrupted
run resumes every walk and refetches only what no segment holds.
:class:`Frontier` keeps this in the SQLite state; :class:`MemoryFrontier` is
the same for a run without one. docs/ARCHITECTURE.md "Listing walks and the frontier".
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sqlite3
from dataclasses import dataclass

from newsagg.state.base import StateError

#: Walk modes: a head walk stops at a page of known articles; a tail walk reads to the end.
HEAD, TAIL = "head", "tail"


@dataclass
class Walk:
    """One walk of a source's listing (module doc)."""

    slug: str
    mode: str
    next_url: str
    next_page: int
    #: Article URLs of the last page read: on resume, the next page shows some of
    #: them when the listing moved down (news), none when it moved up (a check reads back).
    anchors: tuple[str, ...] = ()
    deepest: int = 0
    oldest_day: str | None = None
    id: int | None = None
    #: This run only: pages read, pages in a row without a new article link, and
    #: pages in a row with at most one article (a suspicious chain: warned once).
    pages: int = 0
    stale: int = 0
    thin: int = 0


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class MemoryFrontier:
    """The frontier of a run that keeps none: pending side links in memory, nothing
    persisted. *walked*: every listing counts as walked once (a run with a state
    that keeps no walks, the Redis one: read each listing until known articles)."""

    def __init__(self, walked: bool = False):
        self._side: dict[str, None] = {}
        self._walked = walked

    def walks(self) -> list[Walk]:
        """Unfinished walks left by earlier runs."""
        return []

    def is_walked(self, slug: str) -> bool:
        """True when a walk of *slug* once reached the end of its listing."""
        return self._walked

    def pending_entries(self) -> list[str]:
        """Article links requested by earlier runs and not finished."""
        return []

    def save(self, walk: Walk, run_id: str, entries: list[str] = (), side: list[str] = ()) -> None:
        """The walk read a page: its cursor, the entries it requested and the page's side links."""
        self.add_side(side)

    def add_entries(self, urls: list[str]) -> None:
        """Article links requested outside a walk's step (a page read back on resume)."""

    def finish(self, walk: Walk, reached_end: bool) -> None:
        """The walk is over (its listing ended, or a bound stopped it)."""

    def add_side(self, urls) -> None:
        for url in urls:
            self._side.setdefault(url, None)

    def next_side(self, limit: int) -> list[str]:
        """Up to *limit* side links not handed out yet, oldest first."""
        out = []
        while self._side and len(out) < limit:
            url = next(iter(self._side))
            del self._side[url]
            out.append(url)
        return out

    def side_count(self) -> int:
        return len(self._side)

    def pending_among(self, urls: list[str]) -> set[str]:
        """The *urls* a listing of an earlier, unfinished run requested (pending entries)."""
        return set()

    def done(self, url: str | None) -> None:
        """The article page at *url* is finished (a record, a drop or a failure)."""


def _state_error(method):
    """A database error of the frontier is a :class:`StateError` (the run stops: no silent loss)."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise StateError(f"frontier: {exc}") from exc

    return call


class Frontier(MemoryFrontier):
    """The frontier in the SQLite state (module doc). Its writes are small
    transactions of their own; :meth:`before_commit` runs inside a segment's commit."""

    def __init__(self, db: sqlite3.Connection):
        super().__init__()
        self.db = db
        self._done: list[str] = []
        self._side_buffer: list[str] = []
        self._side_after = 0  # seq of the last side link handed out
        self._seq = db.execute("SELECT coalesce(max(seq), 0) FROM pending").fetchone()[0]

    @_state_error
    def walks(self) -> list[Walk]:
        return [
            Walk(slug, mode, url, page, tuple(json.loads(anchors)), deepest, oldest, wid)
            for wid, slug, mode, url, page, anchors, deepest, oldest in self.db.execute(
                "SELECT id, slug, mode, next_url, next_page, anchors, deepest, oldest_day FROM walks ORDER BY id"
            )
        ]

    @_state_error
    def is_walked(self, slug: str) -> bool:
        return self.db.execute("SELECT 1 FROM sources WHERE slug=?", (slug,)).fetchone() is not None

    @_state_error
    def pending_entries(self) -> list[str]:
        return [u for (u,) in self.db.execute("SELECT url FROM pending WHERE kind='entry' ORDER BY seq")]

    def _rows(self, urls, kind: str) -> list[tuple[str, str, int]]:
        rows = []
        for url in urls:
            self._seq += 1
            rows.append((url, kind, self._seq))
        return rows

    @_state_error
    def save(self, walk: Walk, run_id: str, entries: list[str] = (), side: list[str] = ()) -> None:
        db = self.db
        with db:  # one transaction: the cursor moves with the links it found
            if walk.id is None:
                walk.id = db.execute(
                    "INSERT INTO walks (slug, mode, next_url, next_page, anchors, deepest, oldest_day, run_id,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    self._walk_row(walk, run_id),
                ).lastrowid
            else:
                db.execute(
                    "UPDATE walks SET slug=?, mode=?, next_url=?, next_page=?, anchors=?, deepest=?, oldest_day=?,"
                    " run_id=?, updated_at=? WHERE id=?",
                    (*self._walk_row(walk, run_id), walk.id),
                )
            self._flush(entries, side)

    def _walk_row(self, walk: Walk, run_id: str) -> tuple:
        return (
            walk.slug,
            walk.mode,
            walk.next_url,
            walk.next_page,
            json.dumps(list(walk.anchors)),
            walk.deepest,
            walk.oldest_day,
            run_id,
            _now(),
        )

    def _flush(self, entries=(), side=()) -> None:
        """Write the pending links (inside the caller's transaction)."""
        side = [*self._side_buffer, *side]
        self._side_buffer = []
        # An entry replaces a side link of the same URL (it is requested now).
        self.db.executemany("INSERT OR REPLACE INTO pending VALUES (?, ?, ?)", self._rows(entries, "entry"))
        self.db.executemany("INSERT OR IGNORE INTO pending VALUES (?, ?, ?)", self._rows(side, "side"))

    @_state_error
    def add_entries(self, urls: list[str]) -> None:
        if urls:
            with self.db:
                self._flush(urls)

    @_state_error
    def finish(self, walk: Walk, reached_end: bool) -> None:
        with self.db:
            if walk.id is not None:
                self.db.execute("DELETE FROM walks WHERE id=?", (walk.id,))
            if reached_end:
                self.db.execute(
                    "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)",
                    (walk.slug, _now(), walk.deepest, walk.oldest_day),
                )
            self._flush()

    def add_side(self, urls) -> None:
        self._side_buffer.extend(urls)

    @_state_error
    def next_side(self, limit: int) -> list[str]:
        if self._side_buffer:
            with self.db:
                self._flush()
        rows = self.db.execute(
            "SELECT url, seq FROM pending WHERE kind='side' AND seq > ? ORDER BY seq LIMIT ?",
            (self._side_after, limit),
        ).fetchall()
        if rows:
            self._side_after = rows[-1][1]
        return [url for url, _ in rows]

    @_state_error
    def side_count(self) -> int:
        return self.db.execute(
            "SELECT count(*) FROM pending WHERE kind='side' AND seq > ?", (self._side_after,)
        ).fetchone()[0] + len(self._side_buffer)

    @_state_error
    def pending_among(self, urls: list[str]) -> set[str]:
        found: set[str] = set()
        urls = list(dict.fromkeys(urls))
        for i in range(0, len(urls), 500):
            chunk = urls[i : i + 500]
            found.update(
                u
                for u, kind in self.db.execute(  # by the URL key; the kind index would read every entry
                    f"SELECT url, kind FROM pending WHERE url IN ({','.join('?' * len(chunk))})", chunk
                )
                if kind == "entry"
            )
        return found

    def done(self, url: str | None) -> None:
        if url:
            self._done.append(url)

    def before_commit(self, db: sqlite3.Connection) -> None:
        """Inside a segment's commit: the finished links leave ``pending``, the buffered side links join it."""
        self._flush()
        done, self._done = self._done, []
        db.executemany("DELETE FROM pending WHERE url=?", [(u,) for u in done])
