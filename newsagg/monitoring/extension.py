"""Runs the health suite once at the end of the crawl and publishes the result.

A :class:`spidermon.contrib.scrapy.extensions.Spidermon` (so ``SPIDERMON_*``
settings work as documented there) loaded *before* the feed exporter
(EXTENSIONS order): its ``spider_closed`` handler runs first, so the health
exists before the feeds close, the state commits and the manifest is written
(``feed_exporter_closed``). :func:`run_health` evaluates it on demand as well,
whatever the order. Results: stats ``newsagg/health/*``, one ERROR line per
failed check, the summary's health block, the manifest's ``health``, and the
exit status of ``scrapy crawl`` (newsagg/commands/crawl.py).
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured
from spidermon import settings as spidermon_settings
from spidermon.contrib.scrapy.extensions import Spidermon
from spidermon.contrib.scrapy.runners import SpiderMonitorResult, SpiderMonitorRunner

from newsagg.config import setting
from newsagg.monitoring.checks import WITHOUT_DATE
from newsagg.monitoring.health import Check, Health
from newsagg.monitoring.history import History, history_path
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
        self._history: History | None = None
        self._history_tried = False

    @classmethod
    def from_crawler(cls, crawler):
        ext = super().from_crawler(crawler)
        crawler.signals.connect(ext.item_scraped_health, signal=signals.item_scraped)
        return ext

    # -- during the run ------------------------------------------------------

    def _state(self):
        """The run's commit extension (None when it is not enabled)."""
        from newsagg.extensions.commit import RunCommit  # late: the commit imports much of newsagg

        return self.crawler.get_extension(RunCommit)

    def _open_history(self) -> History | None:
        """The site's history (SQLite state only), opened once the state is open."""
        if self._history is not None or self._history_tried:
            return self._history
        state = self._state()
        backend = getattr(state, "backend", None)
        if backend is None:
            return None  # not open yet (or no state this run): ask again later
        self._history_tried = True
        if backend.name == "sqlite":
            try:
                self._history = History(history_path(backend.dir, backend.site))
            except Exception as exc:
                logger.warning("Publication history unusable (%s): history checks skipped", exc)
        return self._history

    def item_scraped_health(self, item, spider, response=None):
        published = getattr(item, "published_at", None)
        if not published:
            inc(self.crawler.stats, WITHOUT_DATE)
            return
        history = self._open_history()
        if history is not None and getattr(item, "source_slug", None):
            history.add(item.source_slug, item.article_id or "", published)

    # -- at the end ----------------------------------------------------------

    def spider_closed(self, spider, reason=None):
        self._add_field_coverage_to_stats()
        self.health()
        for task in self.periodic_tasks.get(spider, []):
            task.stop()

    def engine_stopped(self):
        super().engine_stopped()
        history = self._history
        if history is None:
            return
        try:
            # The state committed this run (extensions/commit.py): its records are stored now.
            if self.crawler.stats.get_value(f"{PREFIX}/state/committed") is not None:
                history.commit(self.crawler.stats.get_value(f"{PREFIX}/run/id") or "")
        finally:
            history.close()
            self._history = None

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

    def _history_data(self, spider) -> dict:
        """What the history checks need: articles per source and day, recent run sizes."""
        args = getattr(spider, "args", None)
        state = self._state()
        backend = getattr(state, "backend", None)
        if backend is None:
            return {"why": "no incremental state this run"}
        if getattr(args, "urls", None):
            return {"why": "urls= run: only the given pages"}
        history = self._open_history()
        out: dict = {"sources": list(args.sources) if getattr(args, "sources", None) else None}
        try:
            if history is not None:
                out["daily"] = history.daily()
            recent = getattr(backend, "recent_runs", None)
            partial = bool(
                getattr(args, "sources", None)
                or getattr(args, "since", None)
                or getattr(args, "until", None)
                or getattr(args, "max_pages", None)
            )
            if recent is not None and not getattr(state, "full", False) and not partial:
                out["runs"] = [
                    entries
                    for _, _, entries in recent(setting(self.crawler.settings, "NEWSAGG_HEALTH_RUN_HISTORY", "getint"))
                ]
        except Exception as exc:
            logger.warning("History checks skipped: %s", exc)
        out.setdefault("why", "no comparable history (partial, full=1 or non-SQLite run)")
        return out
