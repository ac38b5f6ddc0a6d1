"""What kind of run this is, and the settings that depend on it.

A *dataset run* (:func:`is_dataset_run`) is a plain ``scrapy crawl SITE``
(no ``-o``/``-O``/FEEDS) or a Scrapyd job (next to Scrapyd's own items feed):
it publishes segments into ``NEWSAGG_DATA_DIR`` and keeps state. Against a
loopback host (the local replica) the politeness limits are lifted
(:func:`apply_runtime_settings`, from the spider's ``from_crawler``, before
Scrapy freezes settings); the live sites keep the polite defaults.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)


def is_loopback(base_url: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_dataset_run(crawler) -> bool:
    """True for a dataset run (module doc): no FEEDS given, or a Scrapyd job (``-a _job=...``)."""
    spider = getattr(crawler, "spider", None)
    scrapyd_job = bool(getattr(getattr(spider, "args", None), "job", None))
    return scrapyd_job or not crawler.settings.getdict("FEEDS")


def apply_runtime_settings(settings, base_url: str, dataset: bool = False) -> list[str]:
    """Adjust not-yet-frozen settings for this crawl (*dataset*: a dataset run);
    returns what was changed."""
    changed: list[str] = []
    if settings.frozen:
        # Crawlers built by scrapy.utils.test.get_crawler freeze settings
        # before the spider exists; callers there pass settings explicitly.
        logger.debug("Settings already frozen: run-time profile not applied")
        return changed
    if dataset and settings.get("JOBDIR"):
        # A dataset run resumes from its state (walk cursors, pending links):
        # Scrapy's JOBDIR queue would only repeat or filter those requests.
        logger.warning(
            "JOBDIR is not used by a dataset run: it resumes from its state (%s ignored)", settings["JOBDIR"]
        )
        settings.set("JOBDIR", None, priority=max(settings.getpriority("JOBDIR") or 0, 40))
        changed.append("JOBDIR")
    if is_loopback(base_url) and settings.getbool("NEWSAGG_LOCAL_FULL_SPEED"):
        for key, value in settings.getdict("NEWSAGG_LOCAL_SETTINGS").items():
            # "spider" priority: anything given with -s still wins.
            settings.set(key, value, priority="spider")
            changed.append(key)
        logger.info("Loopback host %s: politeness limits lifted (%s)", base_url, ", ".join(changed))
    return changed
