"""Annotate near-duplicates: the same story slightly rewritten by another newspaper.

Exact republications are dropped earlier (DedupPipeline, same fingerprint).
A *near*-duplicate -- a title word swapped, a sentence added or removed --
is kept, and ``near_duplicate_of`` gets the URL of the near-identical article
the dataset already holds: one emitted earlier in this run, or stored by an
earlier run (signatures are kept in the incremental state). A link only ever
points to an article already written, so of a pair crawled in the "wrong"
order it is the earlier publication that points to the later one; the
ground-truth comparisons accept either direction (``align_links`` in replica/truth.py).

Method: one-permutation MinHash over 5-word shingles of the folded title +
body (:func:`newsagg.text.fingerprint_words`): 64 bins
of 32-bit minima, a 260-byte signature (:func:`signature`; about 20x cheaper
than 64 independent hash functions, same estimate). Candidates come from LSH (21
bands of 3 values); a candidate counts when the estimated Jaccard similarity
(share of equal values) is at least ``NEWSAGG_NEARDUP_THRESHOLD`` (0.5).
On the replica, rewrites score >= 0.77 and distinct articles <= 0.30. Five-word
shingles matter: news prose shares many short phrases between unrelated
articles. The best candidate wins (ties: the earliest).

Memory: none per article; the index lives in a temporary SQLite file
(:class:`MinHashIndex`).
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import operator
import sqlite3
import struct
from functools import lru_cache

import numpy as np
from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsagg.config import setting
from newsagg.extensions.commit import RunCommit
from newsagg.items import ArticleItem
from newsagg.stats import PREFIX, inc
from newsagg.text import fingerprint_words

logger = logging.getLogger(__name__)

SHINGLE = 5
NUM_HASHES = 64
BANDS, ROWS = 21, 3
_SIG_FMT = f"<{NUM_HASHES}I"
# Signatures are persisted (incremental state): the version prefix makes a
# signature of another scheme a different size, so it is ignored, not misread.
_VERSION = b"MH2\x00"
SIGNATURE_SIZE = len(_VERSION) + struct.calcsize(_SIG_FMT)
_HEAD = len(_VERSION) // 4  # the version prefix, in 32-bit values (MinHashIndex.query)
_NO_VALUE = 1 << 32  # above any 32-bit value: an empty bin
_GOLDEN = 0x9E3779B1


class _WordHashes(dict):
    """word -> 64-bit BLAKE2b hash, filled on demand; emptied when it reaches
    ``_WORD_CACHE`` words (a year of vocabulary would otherwise stay in memory).
    A dict and ``map(cache.__getitem__, words)``: no Python call per known word."""

    def __missing__(self, word: str) -> int:
        if len(self) >= _WORD_CACHE:
            self.clear()
        h = self[word] = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
        return h


_WORD_CACHE = 1 << 16
_word_hashes = _WordHashes()


def _shingle_hashes(title: str | None, body: str | None, size: int = SHINGLE):
    """Signed 64-bit hashes of the *size*-word shingles of the folded title +
    body, repeats included (a MinHash is the same with or without them).

    Each word is hashed once (BLAKE2b, cached); a shingle's hash is CPython's
    tuple hash of its word hashes, which is computed in C and does not depend
    on PYTHONHASHSEED (only str/bytes hashes are salted), so it is the same in
    every process and run. ``test_signature_is_stable`` pins it.
    """
    words = fingerprint_words(title, body)
    if not words:
        return ()
    wh = list(map(_word_hashes.__getitem__, words))
    if len(wh) <= size:
        return (hash(tuple(wh)),)
    return map(hash, zip(*(wh[i:] for i in range(size)), strict=False))


@lru_cache(maxsize=256)  # the state pipeline asks again for the item just annotated
def signature(title: str | None, body: str | None) -> bytes | None:
    """The MinHash signature of an article's text (None without text).

    One-permutation MinHash: each shingle hash falls in one of 64 bins (the
    top 6 bits of its unsigned 64-bit value) and each bin keeps its smallest
    low 32 bits; empty bins (short texts) borrow the next filled bin's value,
    shifted by the distance (rotation densification). One pass over the
    shingles instead of 64.
    """
    mins = [_NO_VALUE] * NUM_HASHES
    for h in _shingle_hashes(title, body):
        # h is signed: h >> 58 is the unsigned top 6 bits minus 64 when negative,
        # the same bin as a negative list index; h & 0xFFFFFFFF is the same either way.
        v = h & 0xFFFFFFFF
        if v < mins[h >> 58]:
            mins[h >> 58] = v
    if _NO_VALUE in mins:
        filled = [i for i, v in enumerate(mins) if v != _NO_VALUE]
        if not filled:  # no shingle: no text
            return None
        for i in [i for i, v in enumerate(mins) if v == _NO_VALUE]:
            k = bisect.bisect_right(filled, i)  # the next filled bin, wrapping around
            j = filled[k] if k < len(filled) else filled[0]
            mins[i] = (mins[j] + ((j - i) % NUM_HASHES) * _GOLDEN) & 0xFFFFFFFF
    return _VERSION + struct.pack(_SIG_FMT, *mins)


def item_signature(item: ArticleItem) -> bytes | None:
    """:func:`signature` of an item."""
    return signature(item.title, item.body)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures (share of equal values)."""
    va, vb = struct.unpack_from(_SIG_FMT, a, len(_VERSION)), struct.unpack_from(_SIG_FMT, b, len(_VERSION))
    return sum(map(operator.eq, va, vb)) / NUM_HASHES


@lru_cache(maxsize=4)  # a query, then the add of the same signature
def _band_keys(sig: bytes) -> tuple[int, ...]:
    step, off = 4 * ROWS, len(_VERSION)
    # hash() of bytes is stable within a process: the index is never persisted.
    return tuple(hash((b, sig[off + b * step : off + (b + 1) * step])) for b in range(BANDS))


_INDEX_SCHEMA = """
PRAGMA journal_mode=OFF;
PRAGMA synchronous=OFF;
PRAGMA cache_size=-4096;
PRAGMA temp_store=FILE;
CREATE TABLE sigs (id INTEGER PRIMARY KEY, url TEXT NOT NULL, sig BLOB NOT NULL);
CREATE TABLE bands (key INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID;
"""
# One statement per number of band keys looked up (the ones the filter lets through).
# Each entry once, however many bands it shares (a join returned one row per band).
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
        db.executemany("DELETE FROM bands WHERE key=? AND id=?", [(k, entry_id) for k in _band_keys(sig[0])])
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
            keys = _band_keys(sig)
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
        keys = [k for k in _band_keys(sig) if bits[(k & _FILTER_MASK) >> 3] >> (k & 7) & 1]
        return self._db.execute(_CANDIDATES[len(keys)], keys).fetchall() if keys else []

    def query(self, sig: bytes) -> tuple[str, float] | None:
        """The best match at or above the threshold: ``(url, similarity)``; ties: earliest."""
        rows = self.candidates(sig)
        if not rows:
            return None
        # Equal values of every candidate at once (numpy): one similarity() per
        # candidate cost ~5 us, and the replica's shared sentence bank gives
        # ~0.2 % of the index as candidates (196 per article at 90k).
        others = np.frombuffer(b"".join([r[2] for r in rows]), dtype="<u4").reshape(len(rows), -1)[:, _HEAD:]
        mine = np.frombuffer(sig, dtype="<u4", count=_HEAD + NUM_HASHES)[_HEAD:]
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

    def __init__(self, crawler, threshold: float, commit=None):
        self.crawler = crawler
        self.stats = crawler.stats
        #: The run's commit (:class:`newsagg.extensions.commit.RunCommit`): its
        #: backend's stored signatures seed the index. None: no state.
        self.commit = commit
        self.index = MinHashIndex(threshold)
        self._loaded = False
        # Items indexed but not yet written (url -> entry id): one dropped by a
        # later pipeline (e.g. a republication another worker holds) leaves the
        # index again, so nothing ever links to an article the dataset lacks.
        self._in_flight: dict[str, int] = {}
        if getattr(crawler, "signals", None) is not None:
            crawler.signals.connect(self._written, signal=signals.item_scraped)
            crawler.signals.connect(self._dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        if not setting(crawler.settings, "NEWSAGG_NEARDUP_ENABLED", "getbool"):
            raise NotConfigured("NEWSAGG_NEARDUP_ENABLED is off")
        threshold = setting(crawler.settings, "NEWSAGG_NEARDUP_THRESHOLD", "getfloat")
        if not 0 < threshold <= 1:
            raise ValueError(f"NEWSAGG_NEARDUP_THRESHOLD={threshold}: expected 0 < t <= 1")
        return cls(crawler, threshold, crawler.get_extension(RunCommit))

    def _load_stored(self) -> None:
        """Signatures of articles stored by earlier runs (not on a ``full=1`` run,
        whose dataset stands alone)."""
        self._loaded = True
        backend = self.commit.backend if self.commit is not None else None
        if backend is None or self.commit.full:
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
        match = self.index.query(sig)
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

    def close_spider(self, spider=None) -> None:
        self.index.close()
