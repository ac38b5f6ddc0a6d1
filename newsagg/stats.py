"""Stat keys and helpers shared by the spider, pipelines and extensions; the crawl summary's sections (:func:`summarize`, pure)."""

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


LANGUAGES = f"{PREFIX}/language"
SEGMENTS = f"{PREFIX}/segments"
PUBLISHED = f"{PREFIX}/published"


def summarize(stats: dict) -> dict:
    """Group crawl stats into the summary's sections (pure; used by the demo too)."""

    def under(prefix: str) -> dict[str, int]:
        return {k[len(prefix) + 1 :]: v for k, v in sorted(stats.items()) if k.startswith(prefix + "/")}

    start, end = stats.get("start_time"), stats.get("finish_time")
    elapsed = stats.get("elapsed_time_seconds")
    if elapsed is None and start and end:
        elapsed = (end - start).total_seconds()
    grouped = (ITEMS_DROPPED, PAGES_FAILED, PAGES, f"{PREFIX}/dates", LANGUAGES, SEGMENTS, PUBLISHED)
    other = {
        k[len(PREFIX) + 1 :]: v
        for k, v in sorted(stats.items())
        if k.startswith(PREFIX + "/")
        and not k.startswith(tuple(g + "/" for g in grouped))
        and isinstance(v, (int, float))
    }
    publication = None
    if any(k.startswith((SEGMENTS + "/", PUBLISHED + "/")) for k in stats):  # a dataset run
        publication = {
            "articles": stats.get(f"{PUBLISHED}/items", 0),
            "segments": stats.get(f"{SEGMENTS}/published", 0),
            "failed": stats.get(f"{SEGMENTS}/failed", 0),
        }
    return {
        "articles_written": stats.get("item_scraped_count", 0),
        "published": publication,
        "items_dropped": under(ITEMS_DROPPED),
        "pages_failed": under(PAGES_FAILED),
        "pages_parsed": under(PAGES),
        "dates": under(f"{PREFIX}/dates"),
        "languages": under(LANGUAGES),  # articles per language (ISO 639-1), newsagg.pipelines.language
        "http_status": {
            k.rsplit("/", 1)[1]: v
            for k, v in sorted(stats.items())
            if k.startswith("downloader/response_status_count/")
        },
        "requests": stats.get("downloader/request_count", 0),
        "retries": stats.get("retry/count", 0),
        "elapsed_s": round(float(elapsed or 0), 2),
        "finish_reason": stats.get("finish_reason"),
        # listings stopped early, rendered pages, skipped requests, state...
        "other": other,
    }
