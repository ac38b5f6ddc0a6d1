"""Stat keys and helpers shared by the spider, pipelines and extensions."""

from __future__ import annotations

PREFIX = "newsagg"
ITEMS_DROPPED = f"{PREFIX}/items_dropped"
PAGES_FAILED = f"{PREFIX}/pages_failed"
PAGES = f"{PREFIX}/pages"


def inc(stats, key: str, count: int = 1) -> None:
    """Increment a stat (no-op without a stats collector)."""
    if stats is not None:
        stats.inc_value(key, count)


def drop_key(reason: str) -> str:
    return f"{ITEMS_DROPPED}/{reason}"


def fail_key(reason: str) -> str:
    return f"{PAGES_FAILED}/{reason}"
