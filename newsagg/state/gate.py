"""The spider's gate on the incremental state: what the spider asks before it
requests an article (``already_stored``) or a listing's next page
(``stop_listing``). Built by the commit extension (:mod:`newsagg.extensions.commit`)
on a run with state that is not ``full=1`` and handed to the spider as
``spider.stored_gate`` (not ``spider.state``: that name is Scrapy's JOBDIR dict).
"""

from __future__ import annotations

import logging

from newsagg.state.base import Key, StateBackend
from newsagg.stats import PREFIX, inc
from newsagg.urls import PageRef

logger = logging.getLogger(__name__)


class StoredGate:
    """Answers "did an earlier run store this?" for the spider, from the backend
    (batched lookups, a bounded cache of answers)."""

    CACHE_MAX = 50_000  # answers of the backend kept for links seen again (sidebars repeat)

    def __init__(self, backend: StateBackend, site: str, stats, known_pages: int = 1, walk_all: bool = False):
        self.backend, self.site, self.stats = backend, site, stats
        #: The last run was interrupted, or this one resumes a JOBDIR: pagination
        #: stopped short before, so a page of stored articles proves nothing; walk
        #: every listing to its end.
        self.walk_all = walk_all
        self.known_pages = max(1, known_pages)
        self._known: dict[Key, bool] = {}
        self._skipped: set[int] = set()
        self._streak: dict[str, int] = {}

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
        key = self._key(ref)
        if not self.known([ref]):
            return False
        if hash(key) not in self._skipped:  # counted once per article; ints, not key tuples
            self._skipped.add(hash(key))
            inc(self.stats, f"{PREFIX}/skipped/already_stored")
        return True

    def stop_listing(self, listing: PageRef, entries: list[PageRef], url: str) -> bool:
        """True when this listing page and the ``NEWSAGG_STATE_KNOWN_PAGES - 1``
        before it held only stored articles: pagination of the source stops."""
        if self.walk_all:
            return False
        slug = listing.slug or ""
        if entries and len(self.known(entries)) == len({self._key(r) for r in entries}):
            self._streak[slug] = self._streak.get(slug, 0) + 1
        else:
            self._streak[slug] = 0
        if self._streak[slug] >= self.known_pages:
            inc(self.stats, f"{PREFIX}/listings/stopped_known")
            logger.info(
                "Listing %s holds only stored articles (%d page(s) in a row): stop paginating", url, self._streak[slug]
            )
            return True
        return False
