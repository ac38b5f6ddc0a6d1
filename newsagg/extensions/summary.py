"""End-of-crawl summary: what was written, what was dropped and why."""

from __future__ import annotations

import logging

from scrapy import signals

from newsagg.stats import summarize

logger = logging.getLogger(__name__)


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
