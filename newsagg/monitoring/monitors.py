"""One Spidermon monitor per health check (thresholds: ``NEWSAGG_HEALTH_*``).

Each monitor evaluates its check (:mod:`newsagg.monitoring.checks`), records
the :class:`~newsagg.monitoring.health.Check` in ``data.meta["newsagg_checks"]``
(the extension turns them into the run's health) and fails when it failed.
History checks read ``data.newsagg``, prepared by the extension from the state.
"""

from __future__ import annotations

from spidermon import Monitor, monitors

from newsagg.monitoring import checks
from newsagg.monitoring.health import Check


class HealthCheckMonitor(Monitor):
    """Base: record the check, fail the monitor when the check failed."""

    def record(self, check: Check) -> None:
        self.data.meta.setdefault("newsagg_checks", []).append(check)
        if not check.ok:
            self.fail(f"{check.name}: {check.message}")

    @property
    def settings(self):
        return self.data.crawler.settings

    @property
    def history(self) -> dict:
        return self.data.get("newsagg") or {}


@monitors.name("Pages with no record")
class NoRecordMonitor(HealthCheckMonitor):
    @monitors.name("pages_no_record")
    def test_pages_no_record(self):
        """Share of article pages that gave no record (NEWSAGG_HEALTH_NO_RECORD_MAX)."""
        self.record(
            checks.no_record(self.data.stats, self.settings.getfloat("NEWSAGG_HEALTH_NO_RECORD_MAX"), checks.MIN_SAMPLE)
        )


@monitors.name("Failed pages")
class FailedPagesMonitor(HealthCheckMonitor):
    @monitors.name("failed_pages")
    def test_failed_pages(self):
        """Share of pages failed (5xx, timeouts, connections, offsite) (NEWSAGG_HEALTH_FAILED_MAX); start page."""
        self.record(
            checks.failed_pages(self.data.stats, self.settings.getfloat("NEWSAGG_HEALTH_FAILED_MAX"), checks.MIN_SAMPLE)
        )


@monitors.name("Missing dates")
class MissingDatesMonitor(HealthCheckMonitor):
    @monitors.name("missing_dates")
    def test_missing_dates(self):
        """Share of written records without published_at (NEWSAGG_HEALTH_MISSING_DATES_MAX)."""
        self.record(
            checks.missing_dates(
                self.data.stats, self.settings.getfloat("NEWSAGG_HEALTH_MISSING_DATES_MAX"), checks.MIN_SAMPLE
            )
        )


@monitors.name("New links, no records")
class NewLinksMonitor(HealthCheckMonitor):
    @monitors.name("new_links_no_records")
    def test_new_links_no_records(self):
        """The run requested article links it did not know, and wrote nothing."""
        self.record(checks.new_links_no_records(self.data.stats))


@monitors.name("Silent sources")
class SilentSourcesMonitor(HealthCheckMonitor):
    @monitors.name("silent_sources")
    def test_silent_sources(self):
        """A regular source without a new article for NEWSAGG_HEALTH_SILENT_DAYS,
        unlikely by chance (NEWSAGG_HEALTH_SILENT_MAX_CHANCE)."""
        h = self.history
        if h.get("daily") is None:
            self.record(Check("silent_sources", True, None, 0, h.get("why", "no history")))
            return
        s = self.settings
        check, _ = checks.silent_sources(
            h["daily"],
            silent_days=s.getint("NEWSAGG_HEALTH_SILENT_DAYS"),
            window_days=checks.REGULAR_WINDOW_DAYS,
            min_daily=checks.REGULAR_MIN_DAILY,
            max_chance=s.getfloat("NEWSAGG_HEALTH_SILENT_MAX_CHANCE"),
            sources=h.get("sources"),
        )
        self.record(check)


@monitors.name("Run article count")
class RunCountMonitor(HealthCheckMonitor):
    @monitors.name("run_article_count")
    def test_run_article_count(self):
        """This run's articles below NEWSAGG_HEALTH_RUN_MIN_RATIO of the median of recent runs."""
        h = self.history
        if h.get("runs") is None:
            self.record(
                Check(
                    "run_article_count",
                    True,
                    self.data.stats.get("item_scraped_count", 0),
                    None,
                    h.get("why", "no history"),
                )
            )
            return
        self.record(
            checks.run_count(
                self.data.stats.get("item_scraped_count", 0),
                h["runs"],
                min_ratio=self.settings.getfloat("NEWSAGG_HEALTH_RUN_MIN_RATIO"),
                min_runs=checks.RUN_MIN_HISTORY,
            )
        )
