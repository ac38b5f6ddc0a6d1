"""Last pipeline: the incremental state's gate for items.

With state (see :mod:`newsagg.extensions.state`) an article stored by an
earlier run -- same key, or same content (a republication) -- is dropped as
``already_stored``; every other item is *claimed* for this run, to be marked
stored once the run's files are closed. A ``full=1`` run keeps everything and
refreshes the state. Another live run holding the key or content (distributed
mode) drops it as ``claimed_elsewhere``: that run emits it, or, if it dies
first, its request is redone once its claims are released.

In a distributed worker the claim is also the run's dedup (the profile turns
``DedupPipeline`` off: its memory would outlive the claims a dead worker's
recovery frees, and the redo of the dead worker's article would be dropped
here): a key or content this run already claimed is dropped as
``duplicate_key`` / ``duplicate_content``. A run that was presumed dead and
recovered by the others claims nothing more (``run_presumed_dead``; it cannot
commit either).

Always: an item whose ``site`` or ``source_slug`` is not a valid slug
(``SLUG_RE``) is dropped as ``invalid_slug``: both become file and state keys.
"""

from __future__ import annotations

import logging

from newsagg.items import ArticleItem
from newsagg.pipelines import drop
from newsagg.pipelines.neardup import NearDupPipeline, item_signature
from newsagg.state.base import CLAIMED, OWN_CONTENT, OWN_KEY, RUN_DEAD, STORED
from newsagg.urls import SLUG_RE

logger = logging.getLogger(__name__)


class StatePipeline:
    """Drops ``already_stored`` / ``claimed_elsewhere`` / ``invalid_slug`` (and, in
    a worker, ``duplicate_key`` / ``duplicate_content`` / ``run_presumed_dead``);
    claims the rest."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self._signatures: bool | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        for name in ("site", "source_slug"):
            value = getattr(item, name, None)
            if not isinstance(value, str) or not SLUG_RE.fullmatch(value):
                logger.error("Dropped, %s %r is not a slug: %s", name, value, getattr(item, "url", "?"))
                raise drop(self.stats, "invalid_slug", f"{name}={value!r} {getattr(item, 'url', '?')}")
        ext = getattr(self.crawler, "newsagg_state", None)
        backend = getattr(ext, "backend", None)
        if backend is None:
            return item
        full = ext.full
        fp = item.fingerprint or f"url:{item.url}"  # BoilerplatePipeline always sets it; never share None
        if not full:
            if backend.is_known(item.key):
                raise drop(self.stats, "already_stored", f"{item.url} (stored by an earlier run)", "INFO")
            owner = backend.fingerprint_owner(fp)
            if owner is not None:
                raise drop(self.stats, "already_stored", f"{item.url} republishes {owner} (stored by an earlier run)",
                           "INFO")
        if self._signatures is None:
            self._signatures = self.crawler.get_item_pipeline(NearDupPipeline) is not None
        sig = item_signature(item) if self._signatures else None
        result = backend.claim_result(item.key, fp, item.url, ext.run.run_id, signature=sig, refresh=full)
        if result == CLAIMED:
            ext.claimed += 1
            return item
        if result == STORED:  # stored between the lookups above and the claim
            raise drop(self.stats, "already_stored", f"{item.url} (stored by another run meanwhile)", "INFO")
        if result == OWN_KEY:
            raise drop(self.stats, "duplicate_key", item.url, "INFO")
        if result == OWN_CONTENT:
            raise drop(self.stats, "duplicate_content", f"{item.url} republishes an article of this run", "INFO")
        if result == RUN_DEAD:
            logger.error("Dropped %s: this run was presumed dead and its work recovered by other workers; "
                         "it will not commit", item.url)
            raise drop(self.stats, "run_presumed_dead", item.url)
        raise drop(self.stats, "claimed_elsewhere", f"{item.url} (another run holds this article)", "INFO")
