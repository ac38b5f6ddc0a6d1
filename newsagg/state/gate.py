"""The spider's gate on the incremental state: "did an earlier run store this article?"

Built by the publisher (:mod:`newsagg.extensions.publish`) on a run with state
that is not ``full=1`` and handed to the spider as ``spider.stored_gate``; the
spider asks it before it requests an article and when it judges a listing page.
"""

from __future__ import annotations

from newsagg.hashset import HashSet
from newsagg.state.base import Key, StateBackend
from newsagg.stats import PREFIX, inc
from newsagg.urls import PageRef


class StoredGate:
    """Batched lookups of the backend's stored keys, with a bounded cache of answers."""

    CACHE_MAX = 50_000  # answers kept for links seen again (sidebars repeat)

    def __init__(self, backend: StateBackend, site: str, stats):
        self.backend, self.site, self.stats = backend, site, stats
        self._known: dict[Key, bool] = {}
        self._skipped = HashSet()

    def _key(self, ref: PageRef) -> Key:
        return (self.site, ref.slug or "", ref.article_id or "")

    def known(self, refs: list[PageRef]) -> set[Key]:
        """Keys of *refs* stored by earlier runs."""
        keys = [self._key(r) for r in refs]
        if len(self._known) > self.CACHE_MAX:  # a cache, not a record: memory stays flat
            self._known.clear()
        todo = [k for k in keys if k not in self._known]
        if todo:
            found = self.backend.known_keys(todo)
            self._known.update((k, k in found) for k in todo)
        return {k for k in keys if self._known[k]}

    def skip(self, ref: PageRef) -> bool:
        """True (and counted once per article) when an earlier run stored *ref*."""
        if not self.known([ref]):
            return False
        if self._skipped.add(hash(self._key(ref))):
            inc(self.stats, f"{PREFIX}/skipped/already_stored")
        return True
