"""Run-time settings that depend on the spider's arguments.

Applied from the spider's ``from_crawler``, before Scrapy freezes settings:
default feeds when none were given, and full speed against a loopback host
(the local replica) while the live sites keep the polite defaults.
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


def apply_runtime_settings(settings, base_url: str) -> list[str]:
    """Adjust not-yet-frozen settings for this crawl; returns what was changed."""
    changed: list[str] = []
    if settings.frozen:
        # Crawlers built by scrapy.utils.test.get_crawler freeze settings
        # before the spider exists; callers there pass settings explicitly.
        logger.debug("Settings already frozen: run-time profile not applied")
        return changed
    if not settings.getdict("FEEDS") and settings.getdict("NEWSAGG_DEFAULT_FEEDS"):
        settings.set("FEEDS", settings.getdict("NEWSAGG_DEFAULT_FEEDS"), priority="spider")
        changed.append("FEEDS")
    if is_loopback(base_url) and settings.getbool("NEWSAGG_LOCAL_FULL_SPEED"):
        for key, value in settings.getdict("NEWSAGG_LOCAL_SETTINGS").items():
            # "spider" priority: anything given with -s still wins.
            settings.set(key, value, priority="spider")
            changed.append(key)
        logger.info("Loopback host %s: politeness limits lifted (%s)", base_url, ", ".join(changed))
    return changed
