"""Annotate near-duplicates: the same story slightly rewritten by another newspaper.

Exact republications are dropped earlier (DedupPipeline, same fingerprint).
A *near*-duplicate -- a title word swapped, a sentence added or removed --
is kept, and ``near_duplicate_of`` gets the URL of the near-identical article
the dataset already holds: one emitted earlier in this run, or stored by an
earlier run (signatures are kept in the incremental state). A link only ever
points to an article already written, so of a pair crawled in the "wrong"
order it is the earlier publication that points to the later one; the
ground-truth comparisons accept either direction (:func:`align_links`).

Method: MinHash over 5-word shingles of the folded title + body (the words of
:func:`newsagg.text.normalize_for_fingerprint`), 64 hash values (one 64-bit
BLAKE2b hash per shingle, XOR-ed with 64 fixed random masks; minimum kept,
low 32 bits stored: a 256-byte signature). Candidates come from LSH (21
bands of 3 values); a candidate counts when the estimated Jaccard similarity
(share of equal values) is at least ``NEWSAGG_NEARDUP_THRESHOLD`` (0.5).
On the replica, rewrites score >= 0.77 and distinct articles <= 0.30. Five-word
shingles matter: news prose shares many short phrases between unrelated
articles. The best candidate wins (ties: the earliest).

Memory: 256 bytes of signature + 21 band keys (8 bytes each, in sorted arrays)
+ the URL per known article.
"""

from __future__ import annotations

import hashlib
import logging
import random
import struct
from array import array
from bisect import bisect_left, bisect_right
from functools import lru_cache

from scrapy.exceptions import NotConfigured

from newsagg.items import ArticleItem
from newsagg.stats import PREFIX, inc
from newsagg.text import normalize_for_fingerprint

logger = logging.getLogger(__name__)

SHINGLE = 5
NUM_HASHES = 64
BANDS, ROWS = 21, 3
_SIG_FMT = f"<{NUM_HASHES}I"
SIGNATURE_SIZE = struct.calcsize(_SIG_FMT)
# Fixed masks: signatures must stay comparable across runs and machines.
_rng = random.Random("newsagg-minhash-v1")
_MASKS = tuple(_rng.getrandbits(64) for _ in range(NUM_HASHES))
del _rng


def shingles(title: str | None, body: str | None, size: int = SHINGLE) -> set[str]:
    """The *size*-word shingles of the folded title + body."""
    words = normalize_for_fingerprint(title, body).split()
    if not words:
        return set()
    if len(words) <= size:
        return {" ".join(words)}
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


@lru_cache(maxsize=256)  # the state pipeline asks again for the item just annotated
def signature(title: str | None, body: str | None) -> bytes | None:
    """The MinHash signature of an article's text (None without text)."""
    hashes = [int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")
              for s in shingles(title, body)]
    if not hashes:
        return None
    return struct.pack(_SIG_FMT, *(min([h ^ m for h in hashes]) & 0xFFFFFFFF for m in _MASKS))


def item_signature(item: ArticleItem) -> bytes | None:
    """:func:`signature` of an item."""
    return signature(item.title, item.body)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures (share of equal values)."""
    va, vb = struct.unpack(_SIG_FMT, a), struct.unpack(_SIG_FMT, b)
    return sum(x == y for x, y in zip(va, vb)) / NUM_HASHES


def _band_keys(sig: bytes) -> list[int]:
    step = 4 * ROWS
    # hash() of bytes is stable within a process: the index is never persisted.
    return [hash((b, sig[b * step:(b + 1) * step])) for b in range(BANDS)]


class MinHashIndex:
    """LSH index of signatures -> URL. Bulk-loaded entries live in sorted
    arrays (compact); entries added during the run in dicts, merged into the
    arrays when they grow."""

    MERGE_AT = 20_000

    def __init__(self, threshold: float = 0.5):
        self.threshold = threshold
        self.sigs = bytearray()
        self.urls: list[str] = []
        self._keys = [array("q") for _ in range(BANDS)]
        self._ids = [array("l") for _ in range(BANDS)]
        self._recent: list[dict[int, list[int]]] = [{} for _ in range(BANDS)]
        self._recent_count = 0

    def __len__(self) -> int:
        return len(self.urls)

    def _sig(self, i: int) -> bytes:
        return bytes(self.sigs[i * SIGNATURE_SIZE:(i + 1) * SIGNATURE_SIZE])

    def add(self, sig: bytes, url: str) -> None:
        """Index *sig* under *url*."""
        if len(sig) != SIGNATURE_SIZE:
            return
        i = len(self.urls)
        self.urls.append(url)
        self.sigs += sig
        for band, key in enumerate(_band_keys(sig)):
            self._recent[band].setdefault(key, []).append(i)
        self._recent_count += 1
        if self._recent_count >= self.MERGE_AT:
            self.merge()

    def merge(self) -> None:
        """Move recent entries into the sorted arrays."""
        for band in range(BANDS):
            pairs = sorted(zip(self._keys[band], self._ids[band]))
            pairs += [(k, i) for k, ids in self._recent[band].items() for i in ids]
            pairs.sort()
            self._keys[band] = array("q", (k for k, _ in pairs))
            self._ids[band] = array("l", (i for _, i in pairs))
            self._recent[band] = {}
        self._recent_count = 0

    def candidates(self, sig: bytes) -> set[int]:
        found: set[int] = set()
        for band, key in enumerate(_band_keys(sig)):
            found.update(self._recent[band].get(key, ()))
            keys = self._keys[band]
            lo = bisect_left(keys, key)
            if lo < len(keys) and keys[lo] == key:
                found.update(self._ids[band][lo:bisect_right(keys, key, lo)])
        return found

    def query(self, sig: bytes) -> tuple[str, float] | None:
        """The best match at or above the threshold: ``(url, similarity)``; ties: earliest."""
        best: tuple[float, int] | None = None
        for i in self.candidates(sig):
            sim = similarity(sig, self._sig(i))
            if sim >= self.threshold and (best is None or (sim, -i) > (best[0], -best[1])):
                best = (sim, i)
        return None if best is None else (self.urls[best[1]], best[0])


class NearDupPipeline:
    """Sets ``near_duplicate_of`` (see module docstring); never drops.

    Settings: ``NEWSAGG_NEARDUP_ENABLED``, ``NEWSAGG_NEARDUP_THRESHOLD``.
    Counts ``newsagg/near_duplicates``.
    """

    def __init__(self, crawler, threshold: float):
        self.crawler = crawler
        self.stats = crawler.stats
        self.index = MinHashIndex(threshold)
        self._loaded = False

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSAGG_NEARDUP_ENABLED", True):
            raise NotConfigured("NEWSAGG_NEARDUP_ENABLED is off")
        threshold = crawler.settings.getfloat("NEWSAGG_NEARDUP_THRESHOLD", 0.5)
        if not 0 < threshold <= 1:
            raise ValueError(f"NEWSAGG_NEARDUP_THRESHOLD={threshold}: expected 0 < t <= 1")
        return cls(crawler, threshold)

    def _load_stored(self) -> None:
        """Signatures of articles stored by earlier runs (not on a ``full=1`` run,
        whose dataset stands alone)."""
        self._loaded = True
        ext = getattr(self.crawler, "newsagg_state", None)
        backend = getattr(ext, "backend", None)
        if backend is None or getattr(ext, "full", False):
            return
        for sig, url in backend.stored_signatures():
            self.index.add(bytes(sig), url)
        self.index.merge()
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
            inc(self.stats, f"{PREFIX}/near_duplicates")
            logger.info("Near-duplicate (%.2f): %s of %s", match[1], item.url, match[0])
        self.index.add(sig, item.url)
        return item


def align_links(items: list[dict], truth: list[dict]) -> list[dict]:
    """Copies of *items* with near-duplicate links turned to the ground truth's
    direction where the crawl linked a planted pair the other way round
    (earlier -> later, because the later one was written first). A link the
    truth does not know is left as it is (and so still fails a comparison)."""
    pairs = {(t["near_duplicate_of"], t["url"]) for t in truth if t.get("near_duplicate_of")}
    by_url = {it["url"]: it for it in items}
    out = {it["url"]: dict(it) for it in items}
    for earlier, later in pairs:
        a, b = by_url.get(earlier), by_url.get(later)
        if a and b and a.get("near_duplicate_of") == later and not b.get("near_duplicate_of"):
            out[earlier]["near_duplicate_of"] = None
            out[later]["near_duplicate_of"] = earlier
    return [out[it["url"]] for it in items]
