"""Retries that honour ``Retry-After`` (Scrapy's RetryMiddleware ignores it)."""

from __future__ import annotations

import datetime as dt
import logging
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.asyncio import sleep

from newsagg.config import setting
from newsagg.stats import PREFIX, inc

logger = logging.getLogger(__name__)

RETRY_AFTER = f"{PREFIX}/retry_after"


def retry_after_seconds(value: bytes | str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/invalid."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, but a retried response carrying ``Retry-After``
    (429, 503) is retried only after that delay, capped by
    ``NEWSAGG_RETRY_AFTER_MAX`` seconds.

    The wait is an asynchronous sleep inside the download: the reactor keeps
    running the other requests, the waiting one holds one of
    ``CONCURRENT_REQUESTS``, and as it stays "in progress" the spider cannot
    close (nor a clean stop lose it) while a retry is pending.
    Stats: ``newsagg/retry_after/waits``, ``.../seconds``, ``.../capped``.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.max_delay = setting(settings, "NEWSAGG_RETRY_AFTER_MAX", "getfloat")

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if not isinstance(result, Request):
            return result  # not retried (or retries exhausted)
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if not asked:
            return result
        delay = min(asked, self.max_delay)
        stats = self.crawler.stats
        inc(stats, f"{RETRY_AFTER}/waits")
        inc(stats, f"{RETRY_AFTER}/seconds", round(delay, 3))
        if delay < asked:
            inc(stats, f"{RETRY_AFTER}/capped")
        logger.info(
            "HTTP %s with Retry-After %s s: retrying %s in %.1f s%s",
            response.status,
            round(asked),
            request.url,
            delay,
            " (capped by NEWSAGG_RETRY_AFTER_MAX)" if delay < asked else "",
        )
        await sleep(delay)
        return result
