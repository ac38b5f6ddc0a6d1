"""Downloader middleware: ``render=always``, and counting rendered pages."""

from __future__ import annotations

from scrapy.exceptions import NotConfigured

from newsagg.stats import PREFIX, inc

from . import RENDERED, RENDERED_KINDS
from .policy import render_meta, wait_result
from .wait import FOUND


class RenderMiddleware:
    """With ``render=always`` every spider page (home, listings, articles) goes
    through the browser (robots.txt and other non-page requests never do).
    Counts ``newsagg/rendered/<why>`` per rendered page and
    ``newsagg/render/content_<missing|timeout>`` when the awaited content
    never appeared. Off (NotConfigured) for spiders without a ``render`` argument.
    """

    def __init__(self, crawler, mode: str):
        self.crawler = crawler
        self.mode = mode

    @classmethod
    def from_crawler(cls, crawler):
        mode = getattr(getattr(crawler.spider, "args", None), "render", None)
        if mode is None:
            raise NotConfigured("the spider has no render argument")
        return cls(crawler, mode)

    def process_request(self, request, spider=None):
        kind = request.meta.get("newsagg_kind")
        if self.mode == "always" and kind in RENDERED_KINDS and not request.meta.get("playwright"):
            ref = request.meta.get("newsagg_ref")
            request.meta.update(render_meta(kind, getattr(ref, "slug", None), "always", self.crawler.settings))
        return None

    def process_response(self, request, response, spider=None):
        why = request.meta.get("newsagg_render")
        if why and "playwright" in response.flags and response.status < 400:
            stats = self.crawler.stats
            inc(stats, f"{RENDERED}/{why}")
            waited = wait_result(request.meta)
            if waited and waited != FOUND:
                inc(stats, f"{PREFIX}/render/content_{waited}")
        return response
