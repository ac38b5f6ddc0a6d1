"""MinHash signatures and LSH band keys of article texts (pure: no Scrapy, no I/O).

One-permutation MinHash over 5-word shingles of the folded title + body
(:func:`newsagg.text.fingerprint_words`): 64 bins of 32-bit minima, a 260-byte
signature. LSH: 21 bands of 3 values; two texts whose signatures share a band
are candidates, and a candidate counts when the share of equal values (the
estimated Jaccard similarity) reaches the threshold. Band keys are stable
64-bit integers (the same in every process), so the incremental state can
keep them with the stored articles.
"""

from __future__ import annotations

import bisect
import hashlib
import operator
import struct
from functools import lru_cache

from newsagg.text import fingerprint_words

SHINGLE = 5
NUM_HASHES = 64
BANDS, ROWS = 21, 3
_SIG_FMT = f"<{NUM_HASHES}I"
# Signatures are persisted (incremental state): the version prefix makes a
# signature of another scheme a different size, so it is ignored, not misread.
_VERSION = b"MH2\x00"
SIGNATURE_SIZE = len(_VERSION) + struct.calcsize(_SIG_FMT)
HEAD = len(_VERSION) // 4  # the version prefix, in 32-bit values
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


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures (share of equal values)."""
    va, vb = struct.unpack_from(_SIG_FMT, a, len(_VERSION)), struct.unpack_from(_SIG_FMT, b, len(_VERSION))
    return sum(map(operator.eq, va, vb)) / NUM_HASHES


_MASK64 = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15


@lru_cache(maxsize=4)  # a query, then the add of the same signature
def band_keys(sig: bytes) -> tuple[int, ...]:
    """The signature's 21 LSH band keys: signed 64-bit integers, the same in every
    process (the state stores them); each mixes its band's three values and number."""
    values = struct.unpack_from(_SIG_FMT, sig, len(_VERSION))
    keys = []
    for b in range(BANDS):
        v0, v1, v2 = values[b * ROWS : (b + 1) * ROWS]
        k = ((v0 << 32) | v1) ^ (((v2 + 1) * _MIX) & _MASK64) ^ (((b + 1) * 0xC2B2AE3D27D4EB4F) & _MASK64)
        keys.append(k - (1 << 64) if k >> 63 else k)
    return tuple(keys)
