"""scrapy-playwright's download handler, started only when a page needs a browser.

Requests without ``meta["playwright"]`` go to Scrapy's HTTP/1.1 handler
untouched; Playwright and Chromium are launched on the first page that needs
them. Without a browser: one error naming the fix, and every page that needed
it fails as ``render_unavailable``. Browser contexts are recycled every
``NEWSAGG_RENDER_CONTEXT_PAGES`` pages. The non-public scrapy-playwright hooks
it uses are confined to the "lifecycle" section (docs/ARCHITECTURE.md
"Rendering", "Dependency internals").
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.utils.reactor import is_asyncio_reactor_installed

from newsagg.config import setting
from newsagg.stats import PREFIX, inc

from . import RenderUnavailable
from .browser import FIX_HINT, chromium_path, launch_options, missing_executable
from .playwright_api import FIX, MISSING, PlaywrightError, ScrapyPlaywrightDownloadHandler

logger = logging.getLogger(__name__)

CONTEXT_PREFIX = "newsagg-"
#: Options of every browser context: no service workers (their requests would escape
#: the blocked resource types of :func:`newsagg.rendering.browser.abort_heavy_request`).
CONTEXT_KWARGS = {"service_workers": "block"}


class RenderingDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """Lazy scrapy-playwright handler on the system's Chromium (see module doc)."""

    def __init__(self, crawler):
        self.stats = crawler.stats
        self.chromium, self.chromium_from = chromium_path(crawler.settings)
        self._unavailable: str | None = None
        self._logged = False  # the one error about a missing browser
        self._plain_only = MISSING is not None or not is_asyncio_reactor_installed()
        if self._plain_only:
            # Playwright missing, or without the asyncio reactor it needs: plain HTTP still works.
            HTTP11DownloadHandler.__init__(self, crawler=crawler)
            self._unavailable = MISSING or "Scrapy is not running the asyncio reactor (TWISTED_REACTOR)"
            return
        super().__init__(crawler)
        self.config.launch_options = launch_options(crawler.settings, self.chromium)
        self.context_pages = max(1, setting(crawler.settings, "NEWSAGG_RENDER_CONTEXT_PAGES", "getint"))
        self._start_lock = asyncio.Lock()
        self._ready = False
        self._generation = 0
        self._served = 0
        self._inflight: Counter[str] = Counter()

    # -- lifecycle -----------------------------------------------------------

    async def _maybe_launch_in_thread(self) -> None:
        """Engine started: launch nothing (see :meth:`_ensure_browser`)."""

    def _engine_started(self):  # the same hook for older Scrapy versions
        return None

    async def _ensure_browser(self) -> None:
        """Start the Playwright driver and Chromium once, on the first rendered page."""
        if self._ready:
            return
        async with self._start_lock:
            if self._ready:
                return
            if self._unavailable is None:
                problem = missing_executable(self.chromium)
                if problem is None:
                    try:
                        await self._launch()
                        await self._maybe_launch_browser()
                    except Exception as exc:
                        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                        problem = f"Chromium {self.chromium!r} did not start: {first}"
                        await self._stop_quietly()
                if problem is None:
                    self._ready = True
                    inc(self.stats, f"{PREFIX}/render/browser_launches")
                    logger.info(
                        "Chromium started for rendering: %s (%s), version %s",
                        self.chromium,
                        self.chromium_from,
                        self.browser.version,
                    )
                    return
                self._give_up(problem)
            raise RenderUnavailable(self._unavailable)

    def _give_up(self, problem: str, fix: str = FIX_HINT) -> None:
        """Remember that there is no browser and say so, once, with the fix."""
        self._unavailable, self._logged = problem, True
        inc(self.stats, f"{PREFIX}/render/unavailable")
        logger.error(
            "Browser rendering unavailable: %s (browser from %s). Fix: %s. Pages that need a browser are "
            "counted as newsagg/pages_failed/render_unavailable; the rest of the crawl goes on.",
            problem,
            self.chromium_from,
            fix,
        )

    async def _stop_quietly(self) -> None:
        """Tear down what a failed launch left. Never raises: the launch already
        failed and is reported (``_give_up``); a teardown error is logged and
        counted (``newsagg/render/teardown_failed``), the crawl goes on."""
        try:
            await self._close()
        except Exception as exc:
            inc(self.stats, f"{PREFIX}/render/teardown_failed")
            logger.warning("Stopping the half-started browser failed: %s: %s", type(exc).__name__, exc)
        self.browser_provider = None

    async def close(self) -> None:
        if self._plain_only:
            await HTTP11DownloadHandler.close(self)
            return
        await super().close()

    # -- requests ------------------------------------------------------------

    async def download_request(self, request, spider=None):
        if self._plain_only:
            if request.meta.get("playwright"):
                if not self._logged:
                    self._give_up(
                        self._unavailable,
                        fix=FIX
                        if MISSING
                        else "run Scrapy with TWISTED_REACTOR = "
                        "'twisted.internet.asyncioreactor.AsyncioSelectorReactor' (newsagg/settings.py)",
                    )
                raise RenderUnavailable(self._unavailable)
            return await HTTP11DownloadHandler.download_request(self, request)
        if not request.meta.get("playwright"):
            return await super().download_request(request)
        if self._unavailable is not None:
            raise RenderUnavailable(self._unavailable)
        await self._ensure_browser()
        name = self._assign_context(request)
        try:
            return await super().download_request(request)
        finally:
            if name is not None:
                await self._release_context(name)

    def _assign_context(self, request) -> str | None:
        """The current recycled context (None: the request named its own)."""
        if request.meta.get("playwright_context"):
            return None
        if self._served >= self.context_pages:
            self._generation += 1
            self._served = 0
        self._served += 1
        name = f"{CONTEXT_PREFIX}{self._generation}"
        request.meta["playwright_context"] = name
        request.meta.setdefault("playwright_context_kwargs", dict(CONTEXT_KWARGS))
        self._inflight[name] += 1
        return name

    async def _release_context(self, name: str) -> None:
        """Close a retired context once its last page is done (frees the renderer's memory)."""
        self._inflight[name] -= 1
        if self._inflight[name] > 0 or name == f"{CONTEXT_PREFIX}{self._generation}":
            return
        del self._inflight[name]
        wrapper = self.context_wrappers.get(name)
        if wrapper is not None:
            try:
                await wrapper.context.close()
            except PlaywrightError as exc:  # the browser went away: nothing left to free
                inc(self.stats, f"{PREFIX}/render/context_close_failed")
                logger.warning("Closing retired browser context %s failed: %s", name, exc)
                return
            inc(self.stats, f"{PREFIX}/render/contexts_recycled")
