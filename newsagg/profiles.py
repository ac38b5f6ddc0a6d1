"""Run-time settings that depend on the spider's arguments.

Applied from the spider's ``from_crawler``, before Scrapy freezes settings:
default feeds when none were given (under Scrapyd, next to Scrapyd's items
feed: ``NEWSAGG_SCRAPYD_DATASET``), and full speed against a loopback host
(the local replica) while the live sites keep the polite defaults.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from scrapy.settings import SETTINGS_PRIORITIES

from newsagg.config import setting

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


def apply_runtime_settings(settings, base_url: str, scrapyd_job: bool = False) -> list[str]:
    """Adjust not-yet-frozen settings for this crawl; returns what was changed.

    *scrapyd_job*: Scrapyd launched the crawl (``-a _job=...``).
    """
    changed: list[str] = []
    if settings.frozen:
        # Crawlers built by scrapy.utils.test.get_crawler freeze settings
        # before the spider exists; callers there pass settings explicitly.
        logger.debug("Settings already frozen: run-time profile not applied")
        return changed
    feeds, dataset = settings.getdict("FEEDS"), settings.getdict("NEWSAGG_DEFAULT_FEEDS")
    if not feeds and dataset:
        settings.set("FEEDS", dataset, priority="spider")
        changed.append("FEEDS")
    elif scrapyd_job and dataset and setting(settings, "NEWSAGG_SCRAPYD_DATASET", "getbool"):
        # Scrapyd gives FEEDS (its items_dir file, rotated after jobs_to_keep
        # jobs) on the command line: the dataset feeds join it, at the same
        # priority, so the research dataset always lands in NEWSAGG_DATA_DIR.
        extra = {uri: opts for uri, opts in dataset.items() if uri not in feeds}
        if extra:
            priority = max(settings.getpriority("FEEDS") or 0, SETTINGS_PRIORITIES["spider"])
            settings.set("FEEDS", {**feeds, **extra}, priority=priority)
            changed.append("FEEDS")
            logger.info("Scrapyd job: dataset feeds added next to Scrapyd's items feed: %s", ", ".join(extra))
    if is_loopback(base_url) and settings.getbool("NEWSAGG_LOCAL_FULL_SPEED"):
        for key, value in settings.getdict("NEWSAGG_LOCAL_SETTINGS").items():
            # "spider" priority: anything given with -s still wins.
            settings.set(key, value, priority="spider")
            changed.append(key)
        logger.info("Loopback host %s: politeness limits lifted (%s)", base_url, ", ".join(changed))
    return changed
