"""Last pipeline: the incremental state's gate for items, and the claim.

With state, an article an earlier run stored (same key or same content) is
dropped as ``already_stored``; every other item is claimed for this run
(:meth:`DatasetPublisher.claim`), stored when its segment commits. Another live
run's claim drops it as ``claimed_elsewhere``; a run presumed dead claims
nothing (``run_presumed_dead``); in a worker the claims are the in-run dedup.
Without state every item passes. docs/ARCHITECTURE.md "Incremental state".
"""

from __future__ import annotations

import logging

from newsagg.extensions.publish import DatasetPublisher
from newsagg.items import ArticleItem
from newsagg.pipelines import CountedDrop, drop
from newsagg.pipelines.neardup import NearDupPipeline, item_signature
from newsagg.state.base import CLAIMED, OWN_CONTENT, OWN_KEY, RUN_DEAD, STORED

logger = logging.getLogger(__name__)


class ClaimPipeline:
    """Drops ``already_stored`` / ``claimed_elsewhere`` (and, in a worker,
    ``duplicate_key`` / ``duplicate_content`` / ``run_presumed_dead``); claims the rest."""

    def __init__(self, crawler, publisher: DatasetPublisher | None):
        self.crawler = crawler
        self.stats = crawler.stats
        #: The run's publisher (None: not a dataset run, so there is no state).
        self.publisher = publisher
        self._signatures: bool | None = None

    @classmethod
    def from_crawler(cls, crawler):
        # Pipelines are built after the extensions: the lookup is allowed here.
        return cls(crawler, crawler.get_extension(DatasetPublisher))

    def _with_signatures(self) -> bool:
        """Store near-duplicate signatures with the claims when NearDupPipeline
        runs (asked on first use: the pipelines do not exist while one is built)."""
        if self._signatures is None:
            self._signatures = self.crawler.get_item_pipeline(NearDupPipeline) is not None
        return self._signatures

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        backend = self.publisher.backend if self.publisher is not None else None
        if backend is None:
            return item
        fp = item.fingerprint or f"url:{item.url}"  # BoilerplatePipeline always sets it; never share None
        if not self.publisher.full:
            if backend.is_known(item.key):
                raise drop(self.stats, "already_stored", f"{item.url} (stored by an earlier run)", "INFO")
            owner = backend.fingerprint_owner(fp)
            if owner is not None:
                raise drop(
                    self.stats, "already_stored", f"{item.url} republishes {owner} (stored by an earlier run)", "INFO"
                )
        sig = item_signature(item) if self._with_signatures() else None
        result = self.publisher.claim(item.key, fp, item.url, signature=sig)
        if result == CLAIMED:
            return item
        if result == STORED:  # stored between the lookups above and the claim
            raise drop(self.stats, "already_stored", f"{item.url} (stored by another run meanwhile)", "INFO")
        if result in (OWN_KEY, OWN_CONTENT):
            raise self.own_repeat(item, result)
        if result == RUN_DEAD:
            logger.error(
                "Dropped %s: this run was presumed dead and its work recovered by other workers; it will not commit",
                item.url,
            )
            raise drop(self.stats, "run_presumed_dead", item.url)
        raise drop(self.stats, "claimed_elsewhere", f"{item.url} (another run holds this article)", "INFO")

    def own_repeat(self, item: ArticleItem, result: str) -> CountedDrop:
        """The in-run dedup of a distributed worker: this run already claimed the
        key (``duplicate_key``) or the content (``duplicate_content``).

        Elsewhere ``DedupPipeline`` drops these first; a worker has it off (the
        distributed profile): its memory would outlive the claims that a dead
        worker's recovery frees, and the redo of the dead worker's article
        would be dropped as a duplicate of a twin this worker dropped as
        ``claimed_elsewhere``. The claims see exactly what is still held.
        """
        if result == OWN_KEY:
            return drop(self.stats, "duplicate_key", item.url, "INFO")
        return drop(self.stats, "duplicate_content", f"{item.url} republishes an article of this run", "INFO")
