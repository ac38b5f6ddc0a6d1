"""Health checks of a finished crawl (Spidermon), alerts, and ``newsagg status``.

- :mod:`~newsagg.monitoring.health`: the result object (:class:`Check`, :class:`Health`).
- :mod:`~newsagg.monitoring.checks`: the checks as pure functions of stats and history.
- :mod:`~newsagg.monitoring.monitors`: one Spidermon monitor per check.
- :mod:`~newsagg.monitoring.suites`: the suite run when the spider closes, with the alert actions.
- :mod:`~newsagg.monitoring.actions`: alerts (e-mail, webhook, file drop).
- :mod:`~newsagg.monitoring.extension`: runs the suite once, publishes the result.
- :mod:`~newsagg.monitoring.progress`: the console progress line.
- :mod:`~newsagg.monitoring.status`: the ``newsagg status`` report.
"""
