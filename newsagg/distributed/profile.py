"""The distributed settings profile, applied by the worker spiders.

Like :mod:`newsagg.profiles`, it runs from the spider's ``from_crawler``
before Scrapy freezes the settings. Values come from
``NEWSAGG_DISTRIBUTED_SETTINGS`` (newsagg/settings.py) and are set at
"spider" priority, so ``-s`` / Scrapyd ``setting=`` still win, except the
few that correctness depends on (forced, see ``FORCED``), and the in-run
dedup: a worker leaves it to its claims in the shared state
(``DedupPipeline`` off, see :meth:`newsagg.pipelines.claim.ClaimPipeline.own_repeat`).
"""

from __future__ import annotations

import logging

from scrapy.utils.misc import load_object

from newsagg.distributed.keys import prefix_of
from newsagg.pipelines.claim import ClaimPipeline
from newsagg.pipelines.dedup import DedupPipeline

logger = logging.getLogger(__name__)

#: Settings a worker cannot run without: a private frontier or a flushed
#: shared one would silently lose or repeat work.
FORCED = {
    "SCHEDULER": "newsagg.distributed.scheduler.ReliableScheduler",
    "SCHEDULER_QUEUE_CLASS": "newsagg.distributed.queue.ReliablePriorityQueue",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_PERSIST": True,
    "SCHEDULER_FLUSH_ON_START": False,
    # Claims in the shared state are what keeps an article out of two workers' files.
    "NEWSAGG_STATE_BACKEND": "redis",
}


def apply_distributed_settings(settings) -> list[str]:
    """Switch a not-yet-frozen crawl to the shared Redis frontier and state.

    Returns the names of the settings changed. Key templates follow
    ``NEWSAGG_REDIS_PREFIX``. A worker publishes segments like any dataset
    run: their names carry the run tag, so workers sharing a disk never collide.
    """
    if settings.frozen:
        logger.debug("Settings already frozen: distributed profile not applied")
        return []
    changed: list[str] = []
    prefix = prefix_of(settings)
    for key, value in settings.getdict("NEWSAGG_DISTRIBUTED_SETTINGS").items():
        settings.set(key, value, priority="spider")
        changed.append(key)
    # Key names: recovery and seeding address the same keys (newsagg.distributed.keys).
    forced = dict(
        FORCED,
        SCHEDULER_QUEUE_KEY=f"{prefix}:%(spider)s:requests",
        SCHEDULER_DUPEFILTER_KEY=f"{prefix}:%(spider)s:dupefilter",
        REDIS_START_URLS_KEY=f"{prefix}:%(name)s:start_urls",
    )
    for key, value in forced.items():
        if settings.get(key) != value:
            if settings.getpriority(key) and settings.getpriority(key) > 30:  # given with -s
                logger.warning("Distributed mode overrides %s=%r with %r", key, settings.get(key), value)
            settings.set(key, value, priority="cmdline")
            changed.append(key)
    # A pipeline-local memory of keys and fingerprints outlives the claims
    # that recovering a dead worker releases: the redo of the dead worker's
    # article would be dropped as a duplicate of a twin this worker dropped as
    # claimed_elsewhere, and the pair kept by nobody. The claims (which see
    # this run's own claims too) are the in-run dedup of a worker.
    pipelines = settings.getdict("ITEM_PIPELINES")
    active = {k: load_object(k) for k, v in pipelines.items() if v is not None}
    if ClaimPipeline in active.values() and DedupPipeline in active.values():
        pipelines.update((k, None) for k, cls in active.items() if cls is DedupPipeline)
        settings.set("ITEM_PIPELINES", pipelines, priority=settings.getpriority("ITEM_PIPELINES") or "project")
        changed.append("ITEM_PIPELINES")
    settings.set("NEWSAGG_DISTRIBUTED", True, priority="spider")
    return changed
