"""Answering a crawl from committed WARCs: the two components of ``newsagg reextract``.

:class:`ReplayDownloadHandler` (``DOWNLOAD_HANDLERS``, http and https) answers
every request the engine downloads from the WARCs (:mod:`newsagg.archive.index`)
and never opens a connection: a URL not in them fails as ``not_archived``.

:class:`DirectReplayMiddleware` (spider middleware, ``NEWSAGG_REPLAY_DIRECT``)
spares the replay's start requests, the archived article pages, the trip
through the scheduler and the downloader: a request whose archived answer is
a 2xx page gets that response built here as the handler builds it, passed
through the engine's own downloader middlewares (same instances, same order:
decompression, charset repair, nesting, content guard), and handed to its
callback; the callback's items, stamped as
:class:`~newsagg.archive.capture.WarcStampMiddleware` stamps them, and its
requests leave ``start()`` for the pipelines and the engine; a browser
re-fetch of the page is answered from its rendered capture at once, so its
record keeps the page's place in capture order (the engine path puts it
wherever the scheduler does). Requests whose answer is anything else (not
archived, an error page) are yielded as they are and take the engine's path,
where ``HttpErrorMiddleware``, the errbacks and the handler count them as in
any crawl. The records are the same either way (tests/test_archive.py
compares the two paths); the scheduling is what is saved.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from scrapy import Request, signals
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from twisted.python.failure import Failure

from newsagg.archive.capture import CAPTURED_AT_META, RECORD_ID_META, stamp
from newsagg.archive.index import Capture, WarcIndex
from newsagg.config import setting
from newsagg.failures import PageFailed
from newsagg.stats import PREFIX, inc

logger = logging.getLogger(__name__)

REPLAYED = f"{PREFIX}/archive/replayed"


def replay_index(crawler) -> WarcIndex:
    """The index of the WARCs this crawl replays (``NEWSAGG_REPLAY_WARCS``), shared per process."""
    paths = [Path(p) for p in setting(crawler.settings, "NEWSAGG_REPLAY_WARCS", "getlist")]
    return WarcIndex.shared(paths, getattr(crawler.spider, "base_url", None))


def archived_response(crawler, index: WarcIndex, cap: Capture, request: Request, answer=None) -> Response:
    """The response of *cap* for *request*, as a crawl built it off the wire (counted as replayed).

    *answer* is ``index.read(cap)`` when the caller has it already."""
    status, protocol, headers, body = answer or index.read(cap)
    request.meta[RECORD_ID_META] = cap.record_id
    request.meta[CAPTURED_AT_META] = _iso(cap.date)
    inc(crawler.stats, REPLAYED)
    headers = Headers(headers)  # as the wire gave them: the class follows Content-Type, as in a crawl
    cls = responsetypes.from_args(headers=headers, url=cap.url, body=body)
    return cls(url=cap.url, status=status, headers=headers, body=body, request=request, protocol=protocol)


def _iso(warc_date: str) -> str:
    """WARC-Date (``...Z``) as the records write ``crawled_at`` (``...+00:00``)."""
    try:
        return dt.datetime.fromisoformat(warc_date.replace("Z", "+00:00")).isoformat(timespec="seconds")
    except (AttributeError, ValueError):
        return warc_date


class ReplayDownloadHandler(BaseDownloadHandler):
    """Download handler (http and https): the archived answer, or ``not_archived``."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.index = replay_index(crawler)

    async def download_request(self, request):
        cap = self.index.lookup(request.url, rendered=bool(request.meta.get("playwright")))
        if cap is None:
            inc(self.crawler.stats, f"{PREFIX}/archive/not_archived")
            raise PageFailed("not_archived", f"not in the WARCs: {request.url}")
        return archived_response(self.crawler, self.index, cap, request)

    async def close(self) -> None:
        self.index.close()


class _EnginePath(Exception):
    """Raised inside the middleware chain: this request is the engine's to download."""


class DirectReplayMiddleware:
    """Spider middleware: archived 2xx answers of start requests straight to their callbacks (module doc)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.index: WarcIndex | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not setting(crawler.settings, "NEWSAGG_REPLAY_DIRECT", "getbool"):
            raise NotConfigured("NEWSAGG_REPLAY_DIRECT is off")
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for out in start:
            for result in await self._expand(out):
                yield result

    async def _expand(self, out) -> list:
        """What *out* becomes: a request answered here gives its callback's outputs (expanded
        the same way), anything else stays as it is, for the engine."""
        done = await self._direct(out) if isinstance(out, Request) and out.callback else None
        return [out] if done is None else done

    async def _direct(self, request: Request) -> list | None:
        """The callback's outputs for *request* answered here, or None: the engine's to download."""
        if self.index is None:
            self.index = replay_index(self.crawler)
        try:
            response = await self.downloader_middlewares().download_async(self._answer, request)
        except _EnginePath:
            return None
        except Exception as exc:  # a middleware refused the page (content guard, ...): the errback's
            if request.errback is None:
                logger.warning("Replayed page refused, no errback: %s (%s)", request, exc)
                return []
            failure = Failure(exc)
            failure.request = request  # as Scrapy hands a download failure to an errback
            return self._outputs(self._call(request, request.errback, failure), None)
        if isinstance(response, Request):  # a middleware asked for another request: the engine's
            return [response]
        self.crawler.signals.send_catch_log(
            signal=signals.response_received, response=response, request=request, spider=self.crawler.spider
        )
        outputs = []
        for out in self._outputs(self._call(request, request.callback, response, **request.cb_kwargs), response):
            # A browser re-fetch of this page is answered here too, at once: its record
            # takes the page's place in capture order, whatever the scheduler would do.
            outputs += await self._expand(out)
        return outputs

    def _call(self, request: Request, func, *args, **kwargs) -> list:
        """The outputs of a callback or errback (run to their end), [] when it raised:
        logged and counted as Scrapy's scraper does."""
        try:
            return list(func(*args, **kwargs) or ())
        except Exception as exc:
            logger.exception("Spider error processing %s", request)
            self.crawler.stats.inc_value("spider_exceptions/count")
            self.crawler.stats.inc_value(f"spider_exceptions/{type(exc).__name__}")
            return []

    async def _answer(self, request: Request) -> Response:
        """The download function given to the downloader middlewares: a 2xx capture."""
        cap = self.index.lookup(request.url, rendered=bool(request.meta.get("playwright")))
        if cap is None:
            raise _EnginePath
        answer = self.index.read(cap)
        if not 200 <= answer[0] < 300:
            raise _EnginePath
        return archived_response(self.crawler, self.index, cap, request, answer)

    def downloader_middlewares(self):
        """The engine's downloader middleware manager: the instances the engine path uses
        (a Scrapy internal: ARCHITECTURE "Dependency internals", pinned by tests/test_archive.py)."""
        return self.crawler.engine.downloader.middleware

    @staticmethod
    def _outputs(result: list, response: Response | None) -> list:
        meta = response.meta if response is not None else None
        return [o if isinstance(o, Request) else stamp(o, meta) for o in result]
