"""The health suite run when the spider closes (``SPIDERMON_SPIDER_CLOSE_MONITORS``).

Alerts are its "monitors failed" actions, added only when configured
(``NEWSAGG_ALERT_*``, all off by default; docs/ARCHITECTURE.md "Health checks").
"""

from __future__ import annotations

from spidermon import MonitorSuite

from newsagg.monitoring import actions, monitors


class HealthSuite(MonitorSuite):
    """Every newsagg health check."""

    monitors = [
        monitors.NoRecordMonitor,
        monitors.FailedPagesMonitor,
        monitors.MissingDatesMonitor,
        monitors.NewLinksMonitor,
        monitors.SilentSourcesMonitor,
        monitors.RunCountMonitor,
    ]

    def __init__(self, *args, crawler=None, **kwargs):
        super().__init__(*args, crawler=crawler, **kwargs)
        if crawler is not None:
            self.add_monitors_failed_actions(actions.configured(crawler.settings))
