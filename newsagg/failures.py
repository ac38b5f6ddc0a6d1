"""Name the reason a request failed, for ``newsagg/pages_failed/<reason>`` stats.

Every page that yields nothing ends in the spider's errback (or, for pages
parsed without an article, in ``no_article_*``) and is counted under one of
these reasons; the end-of-crawl summary prints them. The reasons are stable:
README "Failures and resuming" lists them.
"""

from __future__ import annotations

import re

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


#: Reasons that say the site (or the way to it) is broken: 5xx, 429, timeouts,
#: connection errors, redirects off the site or in loops. Every other reason is
#: about the page itself (not HTML, garbage, too large, refused, 4xx, no article).
_SITE_BROKEN = re.compile(
    r"http_5\d\d|http_429|timeout|dns|connection.*|truncated|offsite.*|redirect_loop|too_many_redirects"
)


#: A dead link: there is no article behind it, so nothing is lost (every site has some).
DEAD_LINK_REASONS = ("http_404", "http_410")


def site_broken(reason: str) -> bool:
    """True for a reason that says the site is broken, not the page (health: ``failed_pages``)."""
    return _SITE_BROKEN.fullmatch(reason) is not None


def lost_article(reason: str) -> bool:
    """True when an article page that failed for *reason* is an article lost by a
    fault of its own page (not HTML, garbage, too large, refused, robots.txt,
    a 4xx other than a dead link, ignored ...): health's ``pages_no_record``."""
    return not site_broken(reason) and reason not in DEAD_LINK_REASONS


def shorten(url: str, limit: int = 160) -> str:
    """*url* cut for a log line (a refused URL may be megabytes long)."""
    return url if len(url) <= limit else f"{url[: limit - 40]}...{url[-30:]} ({len(url)} characters)"


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
        if "download_maxsize" in msg:  # HttpCompressionMiddleware: a body that inflates beyond it
            return "too_large"
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
