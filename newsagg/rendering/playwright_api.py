"""Playwright and scrapy-playwright when installed (the ``render`` extra), else stand-ins.

Without them a crawl runs on plain HTTP: the download handler names
:data:`MISSING` once and every page that needs a browser fails as
``render_unavailable`` (newsagg/rendering/handler.py).
"""

from __future__ import annotations

try:
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeout
    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
    from scrapy_playwright.page import PageMethod

    MISSING: str | None = None
except ImportError as exc:
    from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler as ScrapyPlaywrightDownloadHandler

    MISSING = f"Playwright is not installed ({exc})"

    class PlaywrightError(Exception):  # type: ignore[no-redef]
        """Stand-in: never raised without Playwright."""

    class PlaywrightTimeout(PlaywrightError):  # type: ignore[no-redef]
        """Stand-in: never raised without Playwright."""

    class PageMethod:  # type: ignore[no-redef]
        """Stand-in for scrapy-playwright's: a page method and its arguments, never run."""

        def __init__(self, method, *args, **kwargs):
            self.method, self.args, self.kwargs = method, args, kwargs


#: What installs them.
FIX = "pip install 'newsagg[render]'"

__all__ = ["FIX", "MISSING", "PageMethod", "PlaywrightError", "PlaywrightTimeout", "ScrapyPlaywrightDownloadHandler"]
