"""Redirects that may not loop nor leave the configured site.

Scrapy would lose both without a trace (the dupefilter drops a loop's second
visit, the offsite filter a redirect to another host): these subclasses fail
the page instead (``redirect_loop``, ``offsite_redirect``). A redirect to a twin
of the host (:func:`newsagg.urls.same_site`) is followed.
"""

from __future__ import annotations

from urllib.parse import urldefrag

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.http import Request

from newsagg.failures import PageFailed
from newsagg.urls import same_site


class _Guard:
    def _redirect(self, redirected: Request, request: Request, reason):
        chain = [*request.meta.get("redirect_urls", []), request.url]
        origin = chain[0]
        target = urldefrag(redirected.url)[0]
        if not same_site(redirected.url, origin):
            raise PageFailed("offsite_redirect", f"{origin} redirects ({reason}) to another host: {redirected.url}")
        if target in {urldefrag(u)[0] for u in chain}:
            raise PageFailed(
                "redirect_loop", f"{origin} redirects ({reason}) in a loop: {' -> '.join(chain)} -> {target}"
            )
        return super()._redirect(redirected, request, reason)


class GuardedRedirectMiddleware(_Guard, RedirectMiddleware):
    """RedirectMiddleware (3xx + Location) failing loops and offsite redirects."""


class GuardedMetaRefreshMiddleware(_Guard, MetaRefreshMiddleware):
    """MetaRefreshMiddleware (``<meta http-equiv=refresh>``) failing loops and offsite redirects."""
