"""Annotate near-duplicates: the same story slightly rewritten by another newspaper.

A near-duplicate is kept, and ``near_duplicate_of`` gets the URL of the
near-identical article the dataset already holds (written earlier in this run,
or stored by an earlier run). MinHash signatures of 5-word shingles, LSH bands
(:mod:`newsagg.minhash`), ``NEWSAGG_NEARDUP_THRESHOLD``; this run's unpublished
articles in a temporary index (:class:`MinHashIndex`), stored ones from the
state. docs/ARCHITECTURE.md "Key and dedup".
"""

from __future__ import annotations

import logging
import sqlite3

import numpy as np
from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsagg import signals as newsagg_signals
from newsagg.config import setting
from newsagg.extensions.publish import DatasetPublisher
from newsagg.items import ArticleItem
from newsagg.minhash import BANDS, HEAD, NUM_HASHES, SIGNATURE_SIZE, band_keys, signature
from newsagg.stats import PREFIX, inc

__all__ = ["MinHashIndex", "NearDupPipeline", "item_signature", "signature"]

logger = logging.getLogger(__name__)


def item_signature(item: ArticleItem) -> bytes | None:
    """The MinHash signature of an item's text (:func:`newsagg.minhash.signature`)."""
    return signature(item.title, item.body)


#: In-run entry ids come after every stored seq: ties go to the earliest article.
_RUN_IDS = 1 << 48

_INDEX_SCHEMA = """
PRAGMA journal_mode=OFF;
PRAGMA synchronous=OFF;
PRAGMA cache_size=-4096;
PRAGMA temp_store=FILE;
CREATE TABLE sigs (id INTEGER PRIMARY KEY, url TEXT NOT NULL, sig BLOB NOT NULL);
CREATE TABLE bands (key INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID;
"""
# One statement per number of band keys looked up (the ones the filter lets through).
# Each entry once, however many bands it shares (a join would return one row per band).
_CANDIDATES = [
    "SELECT id, url, sig FROM sigs WHERE id IN (SELECT id FROM bands WHERE key IN ({}))".format(",".join("?" * n))
    for n in range(BANDS + 1)
]
_INSERT_BANDS = "INSERT OR IGNORE INTO bands VALUES " + ",".join(["(?, ?)"] * BANDS)
# In-memory filter of the band keys in the index: one bit per key hash slot,
# 2**25 bits (4 MB, like the page cache). A key whose bit is clear is in no
# entry, so most lookups of a distinct article skip SQLite (21 B-tree seeks).
# Bits are never cleared (a removed entry may share a slot): a set bit only
# means "look it up".
_FILTER_BITS = 25
_FILTER_MASK = (1 << _FILTER_BITS) - 1
_COMMIT_EVERY = 1024


class MinHashIndex:
    """LSH index of signatures -> URL, kept in a private temporary SQLite
    database on disk (``sqlite3.connect("")``: deleted when closed).

    Why not in memory: a year of archives is hundreds of thousands of articles,
    and 21 band keys + a signature + a URL each (~1 KB as Python objects) made
    the crawl's memory grow with the archive. On disk the index costs a 4 MB
    page cache whatever its size (plus the 4 MB key filter), and about 0.1 ms
    per article.
    """

    def __init__(self, threshold: float = 0.5):
        self.threshold = threshold
        self._db = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        self._db.executescript(_INDEX_SCHEMA)
        self._count = 0
        self._writes = 0
        self._filter = bytearray(1 << (_FILTER_BITS - 3))

    def __len__(self) -> int:
        return self._count

    def add(self, sig: bytes, url: str) -> int | None:
        """Index *sig* under *url*; returns its entry id (for :meth:`remove`)."""
        return self._insert([(bytes(sig), url)]) if len(sig) == SIGNATURE_SIZE else None

    def remove(self, entry_id: int) -> None:
        """Forget an entry (an item dropped after it was indexed)."""
        db = self._db
        sig = db.execute("SELECT sig FROM sigs WHERE id=?", (entry_id,)).fetchone()
        if sig is None:
            return
        self._begin()
        db.executemany("DELETE FROM bands WHERE key=? AND id=?", [(k, entry_id) for k in band_keys(sig[0])])
        db.execute("DELETE FROM sigs WHERE id=?", (entry_id,))
        self._count -= 1

    def add_many(self, entries) -> None:
        """Index ``(signature, url)`` pairs, 1,000 at a time (bulk loads)."""
        batch: list[tuple[bytes, str]] = []
        for sig, url in entries:
            if len(sig) == SIGNATURE_SIZE:
                batch.append((bytes(sig), url))
            if len(batch) >= 1000:
                self._insert(batch)
                batch = []
        if batch:
            self._insert(batch)

    def _begin(self) -> None:
        # One transaction stays open across entries (committed every _COMMIT_EVERY
        # writes): a BEGIN/COMMIT pair per article cost as much as its rows. Nothing
        # else reads this private database, and its own connection sees every write.
        if not self._db.in_transaction:
            self._db.execute("BEGIN")
        self._writes += 1
        if self._writes >= _COMMIT_EVERY:
            self._db.execute("COMMIT")
            self._db.execute("BEGIN")
            self._writes = 0

    def _insert(self, batch: list[tuple[bytes, str]]) -> int:
        """Index *batch*; the last entry's id."""
        db, bits = self._db, self._filter
        for sig, url in batch:
            self._begin()
            rid = db.execute("INSERT INTO sigs (url, sig) VALUES (?, ?)", (url, sig)).lastrowid
            keys = band_keys(sig)
            try:
                db.execute(_INSERT_BANDS, [x for k in keys for x in (k, rid)])  # one statement, not 21
            except BaseException:
                db.execute("DELETE FROM sigs WHERE id=?", (rid,))  # no entry without its bands
                raise
            for k in keys:  # set once the rows are in: bits may be set in vain, never missing
                bits[(k & _FILTER_MASK) >> 3] |= 1 << (k & 7)
            self._count += 1
        return rid

    def candidates(self, sig: bytes) -> list[tuple[int, str, bytes]]:
        """``(id, url, signature)`` of the entries sharing a band with *sig*."""
        bits = self._filter
        keys = [k for k in band_keys(sig) if bits[(k & _FILTER_MASK) >> 3] >> (k & 7) & 1]
        return self._db.execute(_CANDIDATES[len(keys)], keys).fetchall() if keys else []

    def query(self, sig: bytes, stored: list[tuple[int, str, bytes]] = ()) -> tuple[str, float] | None:
        """The best match at or above the threshold among this index's candidates and
        *stored* ones (``(seq, url, signature)``, earlier than any entry here):
        ``(url, similarity)``; ties: earliest."""
        rows = [*stored, *((_RUN_IDS + i, url, s) for i, url, s in self.candidates(sig))]
        rows = [r for r in rows if len(r[2]) == SIGNATURE_SIZE]
        if not rows:
            return None
        # Equal values of every candidate at once (numpy): one similarity() per
        # candidate cost ~5 us, and the replica's shared sentence bank gives
        # ~0.2 % of the index as candidates (196 per article at 90k).
        others = np.frombuffer(b"".join([r[2] for r in rows]), dtype="<u4").reshape(len(rows), -1)[:, HEAD:]
        mine = np.frombuffer(sig, dtype="<u4", count=HEAD + NUM_HASHES)[HEAD:]
        equal = np.count_nonzero(others == mine, axis=1).tolist()
        best: tuple[float, int, str] | None = None
        for (i, url, _), same in zip(rows, equal, strict=True):
            sim = same / NUM_HASHES  # = similarity(sig, other)
            if sim >= self.threshold and (best is None or (sim, -i) > (best[0], -best[1])):
                best = (sim, i, url)
        return None if best is None else (best[2], best[0])

    def close(self) -> None:
        """Drop the temporary database."""
        self._db.close()


class NearDupPipeline:
    """Sets ``near_duplicate_of`` (see module docstring); never drops.

    Settings: ``NEWSAGG_NEARDUP_ENABLED``, ``NEWSAGG_NEARDUP_THRESHOLD``.
    Counts ``newsagg/near_duplicates`` (items written with a link).
    """

    def __init__(self, crawler, threshold: float, publisher: DatasetPublisher | None = None):
        self.crawler = crawler
        self.stats = crawler.stats
        self.threshold = threshold
        #: The run's publisher: its state holds the stored articles. None: no state.
        self.publisher = publisher
        self.index = MinHashIndex(threshold)
        self._loaded = False
        self._stored = None  # the backend, when it keeps band keys (nothing to load)
        # Items indexed but not yet written (url -> entry id): one dropped by a
        # later pipeline (e.g. a republication another worker holds) leaves the
        # index again, so nothing ever links to an article the dataset lacks.
        self._in_flight: dict[str, int] = {}
        if getattr(crawler, "signals", None) is not None:
            crawler.signals.connect(self._written, signal=signals.item_scraped)
            crawler.signals.connect(self._dropped, signal=signals.item_dropped)
            crawler.signals.connect(self._published, signal=newsagg_signals.segment_published)

    @classmethod
    def from_crawler(cls, crawler):
        if not setting(crawler.settings, "NEWSAGG_NEARDUP_ENABLED", "getbool"):
            raise NotConfigured("NEWSAGG_NEARDUP_ENABLED is off")
        threshold = setting(crawler.settings, "NEWSAGG_NEARDUP_THRESHOLD", "getfloat")
        if not 0 < threshold <= 1:
            raise ValueError(f"NEWSAGG_NEARDUP_THRESHOLD={threshold}: expected 0 < t <= 1")
        return cls(crawler, threshold, crawler.get_extension(DatasetPublisher))

    def _load_stored(self) -> None:
        """Where the articles stored by earlier runs come from (not on a ``full=1``
        run, whose dataset stands alone): the state's band keys, else its signatures."""
        self._loaded = True
        backend = self.publisher.backend if self.publisher is not None else None
        if backend is None or self.publisher.full:
            return
        if hasattr(backend, "band_candidates"):
            self._stored = backend
            return
        self.index.add_many(backend.stored_signatures())
        if len(self.index):
            logger.info("Near-duplicate index: %d articles stored by earlier runs", len(self.index))

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        if not self._loaded:
            self._load_stored()
        sig = item_signature(item)
        if sig is None:
            return item
        stored = self._stored.band_candidates(list(band_keys(sig))) if self._stored is not None else ()
        match = self.index.query(sig, stored)
        if match is not None and match[0] != item.url:
            item.near_duplicate_of = match[0]
            logger.info("Near-duplicate (%.2f): %s of %s", match[1], item.url, match[0])
        entry = self.index.add(sig, item.url)
        if entry is not None:
            self._in_flight[item.url] = entry
        return item

    def _written(self, item, response=None, spider=None) -> None:
        self._in_flight.pop(getattr(item, "url", None), None)
        if getattr(item, "near_duplicate_of", None):  # counted when written: a later drop does not count
            inc(self.stats, f"{PREFIX}/near_duplicates")

    def _dropped(self, item, response=None, exception=None, spider=None) -> None:
        entry = self._in_flight.pop(getattr(item, "url", None), None)
        if entry is not None:
            self.index.remove(entry)

    def _published(self, name, items) -> None:
        """A segment committed: its articles are in the state's band keys now."""
        if self._stored is not None:
            self.index.close()
            self.index = MinHashIndex(self.threshold)
            self._in_flight.clear()

    def close_spider(self, spider=None) -> None:
        self.index.close()
