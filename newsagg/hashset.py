"""A set of 64-bit integers that costs about 8 bytes an entry.

The crawl remembers one hash per article it requested or wrote. In a Python
``set`` that is ~60 bytes an entry (the int object and the slot): 60 MB for a
million-article backfill. :class:`HashSet` keeps a sorted array of int64, plus a small Python set of the latest additions that is merged into
the array when it reaches ``buffer`` entries (amortised O(1) per add).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left

import numpy as np


class HashSet:
    """Set of signed 64-bit integers (``hash()`` values); ``add`` returns whether it was new."""

    def __init__(self, buffer: int = 1 << 16):
        self._array = array("q")  # sorted; bisect reads it without numpy's per-call overhead
        self._recent: set[int] = set()
        self._buffer = buffer

    def __len__(self) -> int:
        return len(self._array) + len(self._recent)

    def __contains__(self, value: int) -> bool:
        if value in self._recent:
            return True
        values = self._array
        i = bisect_left(values, value)
        return i < len(values) and values[i] == value

    def add(self, value: int) -> bool:
        """Add *value*; True when it was not in the set."""
        if value in self:
            return False
        self._recent.add(value)
        if len(self._recent) >= self._buffer:
            self._merge()
        return True

    def _merge(self) -> None:
        recent = np.fromiter(self._recent, dtype=np.int64, count=len(self._recent))
        merged = np.union1d(np.frombuffer(self._array, dtype=np.int64), recent)
        self._array = array("q", merged.tobytes())
        self._recent = set()

    def to_bytes(self) -> bytes:
        """Every value as a signed big-endian int64, sorted (a file that :func:`int.from_bytes` reads back)."""
        self._merge()
        return np.frombuffer(self._array, dtype=np.int64).astype(">i8").tobytes()

    def clear(self) -> None:
        self._array = array("q")
        self._recent = set()
