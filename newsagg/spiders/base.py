"""The aggregator spider: routing only.

Requests go home -> source listings -> pagination -> articles (plus ticker and
sidebar links). Page objects in ``newsagg.pages`` do all extraction; the
pipelines clean, date, validate and deduplicate.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse

from newsagg.args import ArgumentError, CrawlArgs
from newsagg.failures import failure_reason
from newsagg.pages.aggregator import ArticlePage, LinkPage, ListingPage
from newsagg.profiles import apply_runtime_settings
from newsagg.rendering.policy import RenderPolicy
from newsagg.sites import SITES
from newsagg.stats import PAGES, PREFIX, fail_key, inc
from newsagg.urls import PageRef, classify, listing_url

# Article requests first: the queue stays short and items flow early.
PRIORITY_HOME, PRIORITY_ARTICLE, PRIORITY_LISTING = 30, 20, 10


class AggregatorSpider(scrapy.Spider):
    """Crawls the French section of one site of the aggregator family.

    Arguments (strings, validated by :class:`newsagg.args.CrawlArgs`):
    base_url, sources, max_pages, since, until, urls, render, full.
    """

    site: ClassVar[str] = ""
    #: Set by newsagg.extensions.state on an incremental run (not full=1): a StateGate.
    incremental_state: Any = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args)
        try:
            self.args = CrawlArgs.parse(kwargs, SITES[self.site].root)
        except ArgumentError as exc:
            self.logger.error("Bad spider argument: %s", exc)
            raise
        self.base_url = self.args.base_url
        self.tz = SITES[self.site].tz
        self.allowed_domains = [urlsplit(self.base_url).hostname or ""]
        self.rendering = RenderPolicy(self, self.args.render)  # which pages go through Chromium

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        apply_runtime_settings(crawler.settings, spider.base_url)
        return spider

    # -- start -------------------------------------------------------------

    async def start(self):
        """Direct article URLs (``urls``), else the home page."""
        if self.args.urls:
            for url in self.args.urls:
                yield self.article_request(classify(url, self.base_url), follow=False)
            return
        yield scrapy.Request(f"{self.base_url}/fr/", callback=self.parse_home, errback=self.on_error,
                             priority=PRIORITY_HOME, meta={"newsagg_kind": "home"})

    # -- requests ----------------------------------------------------------

    def article_request(self, ref: PageRef, follow: bool = True) -> scrapy.Request:
        return scrapy.Request(
            ref.url, callback=self.parse_article, errback=self.on_error, priority=PRIORITY_ARTICLE,
            meta={"newsagg_kind": "article", "newsagg_ref": ref, "newsagg_follow": follow},
        )

    def listing_request(self, ref: PageRef, page_no: int) -> scrapy.Request:
        return scrapy.Request(
            ref.url, callback=self.parse_listing, errback=self.on_error, priority=PRIORITY_LISTING,
            meta={"newsagg_kind": "listing", "newsagg_ref": ref, "newsagg_page_no": page_no},
        )

    def follow_articles(self, refs) -> list[scrapy.Request]:
        """Requests for in-scope article links (ticker, sidebar, listings)."""
        return [self.article_request(r) for r in refs if self.args.wants_source(r.slug) and not self.already_stored(r)]

    def already_stored(self, ref: PageRef) -> bool:
        """True when an earlier run stored this article (incremental state): not requested again."""
        return self.incremental_state is not None and self.incremental_state.skip(ref)

    # -- callbacks ---------------------------------------------------------

    def _usable(self, response: Response, kind: str) -> bool:
        if not isinstance(response, TextResponse):
            inc(self.crawler.stats, fail_key("not_html"))
            self.logger.warning("Not an HTML page (%s): %s", response.headers.get("Content-Type"), response.url)
            return False
        inc(self.crawler.stats, f"{PAGES}/{kind}")
        return True

    def parse_home(self, response: Response):
        if not self._usable(response, "home"):
            return
        page = LinkPage(response, self.base_url, self.tz)
        firsts = {ref.slug: ref for ref in page.listing_links() if ref.page == 1}
        for slug, ref in firsts.items():
            if self.args.wants_source(slug):
                yield self.listing_request(ref, 1)
        # Sources named with -a sources=... are crawled even when unlinked.
        missing = [s for s in self.args.sources or () if s not in firsts]
        if missing:
            self.logger.warning("Sources not linked from the home page (crawled anyway): %s", ", ".join(missing))
        for slug in missing:
            yield self.listing_request(PageRef("listing", listing_url(self.base_url, slug), slug), 1)
        yield from self.follow_articles(page.article_links())

    def parse_listing(self, response: Response):
        if not self._usable(response, "listing"):
            return
        ref: PageRef = response.meta["newsagg_ref"]
        page_no: int = response.meta["newsagg_page_no"]
        page = ListingPage(response, self.base_url, self.tz, slug=ref.slug or "", page=ref.page)
        entries = page.entries()
        rendering = self.rendering.listing(response, page)
        if isinstance(rendering, scrapy.Request):  # no article links: again, through the browser
            yield rendering
            return
        if rendering:  # render=never: counted as not rendered, crawled as it is
            inc(self.crawler.stats, fail_key(rendering))
        if not entries:
            inc(self.crawler.stats, f"{PREFIX}/listings/empty")
            self.logger.info("Listing page without articles: %s", response.url)
        yield from self.follow_articles([e.ref for e in entries])
        yield from self.follow_articles(page.article_links())
        nxt = page.next_page()
        if nxt is None:
            return
        # Not when resuming an interrupted JOBDIR crawl (newsagg.dupefilter): its
        # pagination was cut short, so a page of stored articles proves nothing.
        if self.incremental_state is not None and not getattr(self.crawler, "newsagg_resumed", False) \
                and self.incremental_state.stop_listing(ref, [e.ref for e in entries], response.url):
            return  # only already-stored articles here (counted: newsagg/listings/stopped_known)
        if self.args.max_pages and page_no >= self.args.max_pages:
            inc(self.crawler.stats, f"{PREFIX}/listings/stopped_max_pages")
            return
        dated = [e.day for e in entries if e.day]
        if self.args.since and dated and max(dated) < self.args.since:
            inc(self.crawler.stats, f"{PREFIX}/listings/stopped_since")
            self.logger.info("Listing %s is older than since=%s: stop paginating", response.url, self.args.since)
            return
        yield self.listing_request(nxt, page_no + 1)

    def parse_article(self, response: Response):
        if not self._usable(response, "article"):
            return
        ref = classify(response.url, self.base_url)
        if ref.kind != "article":  # redirected elsewhere: keep the requested key
            ref = response.meta["newsagg_ref"]
        page = ArticlePage(response, self.base_url, self.tz, site=self.site, slug=ref.slug or "",
                           article_id=ref.article_id or "", canonical_url=ref.url)
        item = page.to_item(crawled_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
        if response.meta.get("newsagg_follow", True):
            yield from self.follow_articles(page.article_links())
        if item is None:
            outcome = self.rendering.article(response, page.why_not)  # browser request, or the reason
            if isinstance(outcome, scrapy.Request):
                yield outcome
                return
            inc(self.crawler.stats, fail_key(outcome))
            self.logger.warning("No article found (%s): %s", outcome, response.url)
            return
        yield item

    def on_error(self, failure):
        if self.rendering.on_error(failure):  # browser fetches: render_unavailable/_timeout/_error
            return
        reason = failure_reason(failure)
        inc(self.crawler.stats, fail_key(reason))
        request = failure.request
        self.logger.warning("Page failed [%s] %s: %s", reason, request.url, failure.getErrorMessage())
