"""Refuse page requests whose URL could not be stored: counted, never silently dropped.

Every page request over ``URLLENGTH_LIMIT`` fails as ``url_too_long``, one
whose source slug is over :data:`newsagg.urls.SLUG_MAX` as ``slug_too_long``;
both go to the request's errback like any failed page. Scrapy's
``UrlLengthMiddleware``, which drops some of them at INFO only, is off.
"""

from __future__ import annotations

from scrapy.http import Request

from newsagg.failures import PageFailed, shorten
from newsagg.urls import PageRef, refusal


class LinkGuardMiddleware:
    """Fails page requests (``newsagg_kind`` in meta) over ``URLLENGTH_LIMIT``
    (0: no limit) or with an over-long slug; other requests pass."""

    def __init__(self, max_length: int):
        self.max_length = max_length

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getint("URLLENGTH_LIMIT"))

    def process_request(self, request: Request) -> None:
        if not request.meta.get("newsagg_kind"):
            return
        if self.max_length and len(request.url) > self.max_length:
            raise PageFailed("url_too_long", f"URL over URLLENGTH_LIMIT ({self.max_length}): {shorten(request.url)}")
        ref = request.meta.get("newsagg_ref")
        why = refusal(ref) if isinstance(ref, PageRef) else None
        if why:
            raise PageFailed(why, f"source slug of {len(ref.slug)} characters: {shorten(request.url)}")
