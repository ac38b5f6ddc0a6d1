"""Health checks of a finished crawl (Spidermon), alerts, the progress line and ``newsagg status``.

The checks as pure functions (``checks``), one monitor each (``monitors``,
``suites``), the result (``health``), alerts (``actions``), the extension
that runs them once (``extension``). docs/ARCHITECTURE.md "Health checks".
"""
