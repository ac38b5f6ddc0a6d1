"""Name the reason a request failed, for ``newsagg/pages_failed/<reason>`` stats.

Every page that yields nothing ends in the spider's errback (or, for pages
parsed without an article, in ``no_article_*``) and is counted under one of
these reasons; the end-of-crawl summary prints them. The reasons are stable:
README "Failures and resuming" lists them.
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as terror
from twisted.internet.defer import CancelledError
from twisted.internet.defer import TimeoutError as DeferTimeoutError
from twisted.web._newclient import ResponseFailed


class PageFailed(IgnoreRequest):
    """Raised by newsagg's downloader middlewares to fail a page with a stat reason
    (``not_html``, ``garbage``, ``redirect_loop``, ``offsite_redirect`` ...).

    An :class:`IgnoreRequest`, so Scrapy hands it to the request's errback
    and never retries it.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _reset_by_peer(exc: BaseException) -> bool:
    """True when a data-loss error was caused by a connection reset (not a clean close)."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    reasons = getattr(cause, "reasons", None) or []
    return any(isinstance(getattr(r, "value", None), terror.ConnectionLost) for r in reasons)


def failure_reason(failure) -> str:
    """A short, stable stat key for a download/processing failure."""
    exc = failure.value
    if isinstance(exc, PageFailed):
        return exc.reason
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        msg = str(exc).lower()
        if "robots.txt" in msg:
            return "robots_txt"
        if "offsite" in msg:
            return "offsite"
        if "max redirections" in msg:
            return "too_many_redirects"
        return "ignored"
    if isinstance(exc, (DownloadTimeoutError, DeferTimeoutError, terror.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, (CannotResolveHostError, terror.DNSLookupError)):
        return "dns"
    if isinstance(exc, (DownloadCancelledError, CancelledError)):
        # Scrapy's HTTP handler cancels a download only when it is (or
        # announces to be) over DOWNLOAD_MAXSIZE.
        return "too_large"
    if isinstance(exc, ResponseDataLossError):
        # Fewer bytes than Content-Length: a reset mid-body, or a clean close too early.
        return "connection_reset" if _reset_by_peer(exc) else "truncated"
    if isinstance(exc, (DownloadConnectionRefusedError, terror.ConnectionRefusedError)):
        return "connection_refused"
    if isinstance(exc, (DownloadFailedError, ResponseFailed)):
        # Also a reset before the headers were read (ResponseNeverReceived).
        if _reset_by_peer(exc):
            return "connection_reset"
        reasons = " ".join(type(r.value).__name__ for r in getattr(exc.__cause__ or exc, "reasons", []) or [])
        return "truncated" if "DataLoss" in reasons else "connection_broken"
    if isinstance(exc, (terror.ConnectionLost, terror.ConnectError, ConnectionError)):
        return "connection"
    return type(exc).__name__.lower()
