"""Runs the health suite once at the end of the crawl and publishes the result.

:class:`HealthMonitor` is a Spidermon extension loaded before the publisher,
so the health exists when the last manifest is written; :func:`run_health`
evaluates it on demand. History checks read the state the publisher opened
plus this run's unpublished records. Results: stats ``newsagg/health/*``, ERROR
lines, the summary, the manifest, alerts, exit status 3.
docs/ARCHITECTURE.md "Health checks".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from scrapy import signals
from scrapy.exceptions import NotConfigured
from spidermon import settings as spidermon_settings
from spidermon.contrib.scrapy.extensions import Spidermon
from spidermon.contrib.scrapy.runners import SpiderMonitorResult, SpiderMonitorRunner

from newsagg import signals as newsagg_signals
from newsagg.config import setting
from newsagg.monitoring.checks import RUN_HISTORY, WITHOUT_DATE
from newsagg.monitoring.health import Check, Health
from newsagg.stats import PREFIX, inc

logger = logging.getLogger(__name__)


class _Result(SpiderMonitorResult):
    """Spidermon's report at DEBUG (the summary has the health block), except
    failed alert actions (ERROR). A failed monitor is reported once, by
    HealthMonitor: one ERROR line per check."""

    def write_errors(self):
        if self.step.name not in spidermon_settings.STEPS.MONITOR_RELATED:
            super().write_errors()

    def log_info(self, msg):
        self.log(msg, level=logging.DEBUG)

    def log(self, msg, level=logging.DEBUG):
        self.spider.logger.log(level, "[Spidermon] %s", msg)  # Spider.log() is deprecated


class _Runner(SpiderMonitorRunner):
    def create_result(self):
        return _Result(self.spider)


def run_health(crawler) -> Health | None:
    """The run's health (evaluated now if not yet); None when monitoring is off."""
    try:
        ext = crawler.get_extension(HealthMonitor)
    except (KeyError, AttributeError, RuntimeError):
        return None
    return ext.health() if ext is not None else None


class HealthMonitor(Spidermon):
    """Spidermon extension with newsagg's health result (module doc)."""

    def __init__(self, crawler, **kwargs):
        if not setting(crawler.settings, "NEWSAGG_HEALTH_ENABLED", "getbool"):
            raise NotConfigured
        super().__init__(crawler, **kwargs)
        self._health: Health | None = None
        self._backend = None
        #: (source, day) -> records written since the last published segment
        self._unpublished: Counter[tuple[str, str]] = Counter()

    @classmethod
    def from_crawler(cls, crawler):
        ext = super().from_crawler(crawler)
        crawler.signals.connect(ext.item_scraped_health, signal=signals.item_scraped)
        crawler.signals.connect(ext._state_opened, signal=newsagg_signals.state_opened)
        crawler.signals.connect(ext._segment_published, signal=newsagg_signals.segment_published)
        return ext

    # -- during the run ------------------------------------------------------

    def _state_opened(self, backend):
        self._backend = backend

    def _segment_published(self, name, items):
        self._unpublished.clear()  # in the state's history now

    def item_scraped_health(self, item, spider, response=None):
        published = getattr(item, "published_at", None)
        if not published:
            inc(self.crawler.stats, WITHOUT_DATE)
            return
        if getattr(item, "source_slug", None):
            self._unpublished[(item.source_slug, published[:10])] += 1

    # -- at the end ----------------------------------------------------------

    def spider_closed(self, spider, reason=None):
        self._add_field_coverage_to_stats()
        self.health()
        for task in self.periodic_tasks.get(spider, []):
            task.stop()

    def health(self) -> Health | None:
        """Run the close suites once; the collected checks are the run's health."""
        if self._health is not None:
            return self._health
        spider = self.crawler.spider
        if spider is None:
            return None
        meta: dict = {}
        data = self._generate_data_for_spider(spider)
        data.update(meta=meta, newsagg=self._history_data(spider))
        crashed = []
        for suite in self.spider_closed_suites:
            result = _Runner(spider=spider).run(suite, **data)
            crashed += [(str(test), trace) for test, trace in result.errors]
        checks = list(meta.get("newsagg_checks", []))
        for name, trace in crashed:  # a monitor that raised: a real error, not a pass
            logger.error("Health monitor %s raised:\n%s", name, trace)
            checks.append(Check("monitor_error", False, None, None, f"{name} raised {trace.splitlines()[-1]}"))
        health = self._health = Health(checks)
        stats = self.crawler.stats
        stats.set_value(f"{PREFIX}/health/status", health.status)
        stats.set_value(f"{PREFIX}/health/failed_checks", len(health.failed))
        for c in health.failed:
            logger.error(
                "Health check failed: %s: %s (value %s, threshold %s)", c.name, c.message, c.value, c.threshold
            )
        return health

    def _daily(self) -> dict[str, dict[dt.date, int]] | None:
        """Articles per source and publication day: stored, plus this run's unpublished ones."""
        daily_of = getattr(self._backend, "history_daily", None)
        if daily_of is None:
            return None
        daily = daily_of()
        for (slug, day), n in self._unpublished.items():
            try:
                date = dt.date.fromisoformat(day)
            except ValueError:
                continue
            per = daily.setdefault(slug, {})
            per[date] = per.get(date, 0) + n
        return daily

    def _history_data(self, spider) -> dict:
        """What the history checks need: articles per source and day, recent run sizes."""
        args = getattr(spider, "args", None)
        backend = self._backend
        if backend is None:
            return {"why": "no incremental state this run"}
        if getattr(args, "urls", None):
            return {"why": "urls= run: only the given pages"}
        out: dict = {"sources": list(args.sources) if getattr(args, "sources", None) else None}
        try:
            daily = self._daily()
            if daily is not None:
                out["daily"] = daily
            recent = getattr(backend, "recent_runs", None)
            partial = bool(
                getattr(args, "sources", None)
                or getattr(args, "since", None)
                or getattr(args, "until", None)
                or getattr(args, "max_pages", None)
            )
            if recent is not None and not getattr(args, "full", False) and not partial:
                out["runs"] = [entries for _, _, entries in recent(RUN_HISTORY)]
        except Exception as exc:
            logger.warning("History checks skipped: %s", exc)
        out.setdefault("why", "no comparable history (partial, full=1 or non-SQLite run)")
        return out
