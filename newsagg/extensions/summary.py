"""End-of-crawl summary: what was written, what was dropped and why."""

from __future__ import annotations

import logging

from scrapy import signals

from newsagg.stats import ITEMS_DROPPED, PAGES, PAGES_FAILED, PREFIX

logger = logging.getLogger(__name__)
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


def format_summary(summary: dict) -> str:
    """The summary as an aligned text block."""
    published = summary.get("published")
    written = f"  articles written   {summary['articles_written']}"
    if published is not None:
        written += f" (published: {published['articles']} in {published['segments']} segment(s)"
        if published["failed"]:
            written += "; PUBLICATION FAILED: the rest is not stored, the next run fetches it again"
        written += ")"
    lines = [
        "newsagg crawl summary",
        written,
        f"  requests           {summary['requests']} (retries {summary['retries']})",
        f"  elapsed            {summary['elapsed_s']} s   finish: {summary['finish_reason']}",
    ]
    for title, key in (
        ("pages by HTTP status", "http_status"),
        ("pages parsed", "pages_parsed"),
        ("items dropped", "items_dropped"),
        ("pages failed", "pages_failed"),
        ("dates", "dates"),
        ("languages", "languages"),
        ("other newsagg counts", "other"),
    ):
        section = summary[key]
        lines.append(f"  {title}:" + ("" if section else " none"))
        lines.extend(f"    {k:<28} {v}" for k, v in section.items())
    return "\n".join(lines)


class CrawlSummary:
    """Logs the summary when the spider closes (always: ``EXTENSIONS`` lists it)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        # Loaded after CoreStats (EXTENSIONS order), so finish_time is set.
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider, reason):
        stats = dict(self.crawler.stats.get_stats())
        stats.setdefault("finish_reason", reason)
        text = format_summary(summarize(stats))
        from newsagg.monitoring.extension import run_health  # health block (newsagg/monitoring)

        health = run_health(self.crawler)
        if health is not None:
            text += "\n" + health.format()
        logger.info("\n%s", text)
