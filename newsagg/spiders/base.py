"""The aggregator spider: routing only.

Requests go home -> source listings -> pagination -> articles (plus ticker and
sidebar links). Page objects in ``newsagg.pages`` do all extraction; the
pipelines clean, date, validate and deduplicate.

Side links (the ticker and sidebars of article and listing pages) point all
over the archive: followed at once, they fill the request queue with most of
the site before the listings get there (a Request costs ~2 KB of memory, so
100k articles meant ~200 MB). They are kept as bare URLs instead and
requested when the spider is idle, i.e. after the listings, only those the
listings did not reach (``NEWSAGG_DEFER_SIDE_LINKS``). An interrupted run
hands the ones it did not fetch to the next run through the incremental state.

Hosts: every host form of the site is the site (``newsagg.urls.same_site``).
When the home page redirects to a twin host (``www.`` <-> bare, the loopback
aliases), the host it landed on becomes the run's canonical root
(``base_url``): record URLs and requests use it from then on.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse

from newsagg.args import ArgumentError, CrawlArgs
from newsagg.config import setting
from newsagg.failures import failure_reason, lost_article, shorten
from newsagg.pages.aggregator import ArticlePage, LinkPage, ListingPage
from newsagg.profiles import apply_runtime_settings
from newsagg.rendering.policy import RenderPolicy
from newsagg.sites import SITES
from newsagg.stats import PAGES, PREFIX, fail_key, inc
from newsagg.urls import PageRef, classify, host_aliases, listing_url, same_site, site_root

# Article requests first: the queue stays short and items flow early.
PRIORITY_HOME, PRIORITY_ARTICLE, PRIORITY_LISTING = 30, 20, 10
_STATE_ROOT = "newsagg_canonical_root"  # spider.state key (JOBDIR): the adopted canonical root


def eager(callback):
    """Run a callback to its end before Scrapy sees its requests and items.

    A generator callback keeps its frame, and so its page object and the
    page's parsed tree (~3 MB on a live-weight page), alive while Scrapy
    works through the outputs; with 32 responses in flight that was ~100 MB
    of peak RSS. As a list, the page object is gone when Scrapy starts.
    """

    @functools.wraps(callback)
    def run(self, response, *args, **kwargs):
        return list(callback(self, response, *args, **kwargs))

    return run


class AggregatorSpider(scrapy.Spider):
    """Crawls the French section of one site of the aggregator family.

    Arguments (strings, validated by :class:`newsagg.args.CrawlArgs`):
    base_url, sources, max_pages, since, until, urls, render, full.
    """

    site: ClassVar[str] = ""
    #: Set by newsagg.extensions.commit on an incremental run (not full=1): a StoredGate.
    stored_gate: Any = None
    #: Side links kept as URLs until idle (module doc); set from the settings.
    defer_side_links: bool = False
    side_links_batch: int = 1000
    _root_adopted: bool = False

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args)
        try:
            self.args = CrawlArgs.parse(kwargs, SITES[self.site].root)
        except ArgumentError as exc:
            self.logger.error("Bad spider argument: %s", exc)
            raise
        #: The run's canonical root: base_url, or the twin host its home page redirects to.
        self.base_url = self.args.base_url
        self.tz = SITES[self.site].tz
        # Every host form of the site (Scrapy's offsite filter would drop the twin).
        self.allowed_domains = list(host_aliases(urlsplit(self.base_url).hostname or ""))
        self.rendering = RenderPolicy(self, self.args.render)  # which pages go through Chromium
        # hash() of the article URLs requested so far: ~60 bytes each, not a Request.
        self._requested: set[int] = set()
        # Deferred side links (ordered sets): not requested yet / requested, no response yet.
        self._side_pending: dict[str, None] = {}
        self._side_in_flight: dict[str, None] = {}
        # hash() of the author pages met: never requested, each counted once as skipped.
        self._authors_seen: set[int] = set()

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        apply_runtime_settings(crawler.settings, spider.base_url, scrapyd_job=bool(spider.args.job))
        settings = crawler.settings
        # Distributed workers share one frontier in Redis: nothing to defer there.
        spider.defer_side_links = setting(settings, "NEWSAGG_DEFER_SIDE_LINKS", "getbool") and not settings.getbool(
            "NEWSAGG_DISTRIBUTED"
        )
        spider.side_links_batch = max(1, setting(settings, "NEWSAGG_SIDE_LINKS_BATCH", "getint"))
        if spider.defer_side_links:
            crawler.signals.connect(spider.release_side_links, signal=signals.spider_idle)
        return spider

    # -- start -------------------------------------------------------------

    async def start(self):
        """Direct article URLs (``urls``), else the home page."""
        state = getattr(self, "state", None)
        if isinstance(state, dict) and state.get(_STATE_ROOT):  # a JOBDIR run resumed: keep its root
            self.base_url, self._root_adopted = state[_STATE_ROOT], True
        if self.args.urls:
            for url in self.args.urls:
                yield self.article_request(classify(url, self.base_url), follow=False)
            return
        yield scrapy.Request(
            f"{self.base_url}/fr/",
            callback=self.parse_home,
            errback=self.on_error,
            priority=PRIORITY_HOME,
            meta={"newsagg_kind": "home"},
        )

    # -- requests ----------------------------------------------------------

    def article_request(self, ref: PageRef, follow: bool = True) -> scrapy.Request:
        """The request for an article page; the first one per URL counts as a new
        article link (health: ``pages_no_record``, ``new_links_no_records``)."""
        key = hash(ref.url)
        if key not in self._requested:
            self._requested.add(key)
            inc(self.crawler.stats, f"{PREFIX}/links/new_articles")
        return scrapy.Request(
            ref.url,
            callback=self.parse_article,
            errback=self.on_error,
            priority=PRIORITY_ARTICLE,
            meta={"newsagg_kind": "article", "newsagg_ref": ref, "newsagg_follow": follow},
        )

    def listing_request(self, ref: PageRef, page_no: int) -> scrapy.Request:
        return scrapy.Request(
            ref.url,
            callback=self.parse_listing,
            errback=self.on_error,
            priority=PRIORITY_LISTING,
            meta={"newsagg_kind": "listing", "newsagg_ref": ref, "newsagg_page_no": page_no},
        )

    def follow_articles(self, refs) -> list[scrapy.Request]:
        """Requests for in-scope article links (home ticker, listing entries), now."""
        out = []
        side = self._side_links()
        for r in refs:
            if self.args.wants_source(r.slug) and not self.already_stored(r):
                out.append(self.article_request(r))
                side.pop(r.url, None)
        return out

    def follow_side_links(self, refs) -> list[scrapy.Request]:
        """Article links of sidebars and tickers: deferred (module doc) or, when
        deferring is off, requested now."""
        if not self.defer_side_links:
            return self.follow_articles(refs)
        requested, side = self._requested, self._side_links()
        before = len(side)
        for r in refs:
            if hash(r.url) not in requested and self.args.wants_source(r.slug):
                side[r.url] = None
        if len(side) > before:
            inc(self.crawler.stats, f"{PREFIX}/side_links/deferred", len(side) - before)
        return []

    def _side_links(self) -> dict[str, None]:
        """Deferred side links not requested yet. In ``spider.state`` with a
        JOBDIR, so a cleanly stopped crawl resumes with them (the requested
        ones are in the JOBDIR's queue); ``spider.state`` appears only at
        spider_opened, so the first call after it moves them there."""
        state = getattr(self, "state", None)
        if isinstance(state, dict):
            side = state.setdefault("newsagg_side_links", self._side_pending)
            if side is not self._side_pending:
                side.update(self._side_pending)
                self._side_pending = side
        return self._side_pending

    def unfinished_side_links(self) -> list[str]:
        """Side links a stopped run did not fetch: the incremental state keeps
        them for the next run (:meth:`restore_side_links`), so an article linked
        only from pages already stored is not lost when a run is interrupted."""
        return list(self._side_in_flight) + list(self._side_links())

    def restore_side_links(self, urls: list[str]) -> None:
        """Side links left by an interrupted earlier run: requested at idle time."""
        side = self._side_links()
        for url in urls:
            side.setdefault(url, None)
        if urls:
            self.logger.info("%d side link(s) left by the interrupted previous run will be requested", len(urls))

    def release_side_links(self) -> None:
        """spider_idle: request the next batch of deferred side links not yet
        requested; the spider stays open while some are left."""
        side, in_flight, requested = self._side_links(), self._side_in_flight, self._requested
        released = 0
        while side and released < self.side_links_batch:
            url = next(iter(side))
            del side[url]
            if hash(url) in requested:
                continue
            ref = classify(url, self.base_url)
            if ref.kind != "article" or self.already_stored(ref):
                continue
            in_flight[ref.url] = None
            self.crawler.engine.crawl(self.article_request(ref))
            released += 1
        if released:
            inc(self.crawler.stats, f"{PREFIX}/side_links/requested", released)
            self.logger.info("Requesting %d side link(s) the listings did not reach (%d left)", released, len(side))
            raise DontCloseSpider

    def skip_author_pages(self, page: LinkPage) -> None:
        """Author pages (``/fr/author/...``) are neither sources nor articles:
        never requested, each counted once (``newsagg/skipped/author_page``)."""
        seen = self._authors_seen
        for ref in page.author_links():
            if hash(ref.url) not in seen:
                seen.add(hash(ref.url))
                inc(self.crawler.stats, f"{PREFIX}/skipped/author_page")

    def already_stored(self, ref: PageRef) -> bool:
        """True when an earlier run stored this article (incremental state): not requested again."""
        return self.stored_gate is not None and self.stored_gate.skip(ref)

    # -- callbacks ---------------------------------------------------------

    def _usable(self, response: Response, kind: str) -> bool:
        if not isinstance(response, TextResponse):
            inc(self.crawler.stats, fail_key("not_html"))
            if kind == "article":
                inc(self.crawler.stats, f"{PREFIX}/articles/no_record")  # health: pages_no_record
            self.logger.warning("Not an HTML page (%s): %s", response.headers.get("Content-Type"), response.url)
            return False
        inc(self.crawler.stats, f"{PAGES}/{kind}")
        return True

    def adopt_canonical_root(self, response: Response) -> None:
        """The home page landed on a twin host (redirect): that root becomes the
        run's canonical one, once (logged once, ``newsagg/hosts/canonical_switched``).

        Not in distributed mode: workers that never saw the home page keep the
        seeded base_url, and all workers must write the same record URLs.
        """
        landed = site_root(response.url)
        if (
            landed == self.base_url
            or not response.meta.get("redirect_urls")
            or self._root_adopted
            or not same_site(landed, self.base_url)
            or self.settings.getbool("NEWSAGG_DISTRIBUTED")
        ):
            return
        self._root_adopted = True
        self.logger.info(
            "Canonical host: %s redirects to %s; records and requests use %s", self.base_url, landed, landed
        )
        inc(self.crawler.stats, f"{PREFIX}/hosts/canonical_switched")
        self.base_url = landed
        state = getattr(self, "state", None)
        if isinstance(state, dict):
            state[_STATE_ROOT] = landed

    @eager
    def parse_home(self, response: Response):
        if not self._usable(response, "home"):
            inc(self.crawler.stats, f"{PREFIX}/start_page/failed")  # health: failed_pages
            return
        self.adopt_canonical_root(response)
        page = LinkPage(response, self.base_url, self.tz)
        self.skip_author_pages(page)
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

    @eager
    def parse_listing(self, response: Response):
        if not self._usable(response, "listing"):
            return
        ref: PageRef = response.meta["newsagg_ref"]
        page_no: int = response.meta["newsagg_page_no"]
        page = ListingPage(response, self.base_url, self.tz, slug=ref.slug or "", page=ref.page)
        entries = page.entries()
        self.skip_author_pages(page)
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
        yield from self.follow_side_links(page.article_links())
        nxt = page.next_page()
        if nxt is None:
            return
        # The gate walks every listing when this run resumes a JOBDIR crawl or
        # the last run was interrupted (newsagg.extensions.commit).
        if self.stored_gate is not None and self.stored_gate.stop_listing(ref, [e.ref for e in entries], response.url):
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

    @eager
    def parse_article(self, response: Response):
        self._side_in_flight.pop(getattr(response.meta.get("newsagg_ref"), "url", None), None)
        if not self._usable(response, "article"):
            return
        ref = classify(response.url, self.base_url)
        if ref.kind != "article":  # redirected elsewhere: keep the requested key
            ref = response.meta["newsagg_ref"]
        page = ArticlePage(
            response,
            self.base_url,
            self.tz,
            site=self.site,
            slug=ref.slug or "",
            article_id=ref.article_id or "",
            canonical_url=ref.url,
        )
        item = page.to_item(crawled_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        if response.meta.get("newsagg_follow", True):
            yield from self.follow_side_links(page.article_links())
            self.skip_author_pages(page)
        for note, count in page.notes.items():  # body/doubled, author/link, author/par_line
            inc(self.crawler.stats, f"{PREFIX}/{note}", count)
        if item is None:
            outcome = self.rendering.article(response, page.why_not)  # browser request, or the reason
            if isinstance(outcome, scrapy.Request):
                yield outcome
                return
            inc(self.crawler.stats, fail_key(outcome))
            inc(self.crawler.stats, f"{PREFIX}/articles/no_record")  # health: pages_no_record
            self.logger.warning("No article found (%s): %s", outcome, response.url)
            return
        yield item

    def on_error(self, failure):
        self._side_in_flight.pop(getattr(failure.request.meta.get("newsagg_ref"), "url", None), None)
        kind = failure.request.meta.get("newsagg_kind")
        if self.rendering.on_error(failure):  # browser fetches: render_unavailable/_timeout/_error
            if kind == "article":
                inc(self.crawler.stats, f"{PREFIX}/articles/no_record")  # health: pages_no_record
            return
        reason = failure_reason(failure)
        inc(self.crawler.stats, fail_key(reason))
        if kind == "home":
            inc(self.crawler.stats, f"{PREFIX}/start_page/failed")  # health: failed_pages
        elif kind == "article" and lost_article(reason):
            # Lost for a reason of its own page (not HTML, garbage, too large,
            # refused, 4xx ...); a broken site's losses count toward failed_pages.
            inc(self.crawler.stats, f"{PREFIX}/articles/no_record")  # health: pages_no_record
        request = failure.request
        self.logger.warning("Page failed [%s] %s: %s", reason, shorten(request.url), failure.getErrorMessage())
