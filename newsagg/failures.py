"""Name the reason a request failed, for ``newsagg/pages_failed/<reason>`` stats."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as terror
from twisted.internet.defer import CancelledError
from twisted.internet.defer import TimeoutError as DeferTimeoutError
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived


def failure_reason(failure) -> str:
    """A short, stable stat key for a download/processing failure."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        msg = str(exc).lower()
        if "robots.txt" in msg:
            return "robots_txt"
        if "offsite" in msg:
            return "offsite"
        return "ignored"
    if isinstance(exc, (DeferTimeoutError, terror.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, terror.DNSLookupError):
        return "dns"
    if isinstance(exc, CancelledError):
        # Scrapy cancels downloads over DOWNLOAD_MAXSIZE this way.
        return "cancelled_or_too_large"
    if isinstance(exc, ResponseFailed):
        reasons = " ".join(type(r.value).__name__ for r in getattr(exc, "reasons", []) or [])
        if "DataLoss" in reasons or "PotentialDataLoss" in reasons:
            return "truncated"
        return "connection_broken"
    if isinstance(exc, (ResponseNeverReceived, terror.ConnectionRefusedError, terror.ConnectionLost,
                        terror.ConnectError, ConnectionError)):
        return "connection"
    return type(exc).__name__.lower()
