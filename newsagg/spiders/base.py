"""The aggregator spider: routing only.

Requests go home -> source listings, read by *walks* -> articles; side links
(ticker, sidebars) wait in the frontier until the spider is idle; author pages
are never requested; the gate skips stored articles. Page objects
(``newsagg.pages``) do all extraction, the pipelines the rest. When the home
page redirects to a twin host, that host becomes the run's canonical root.
docs/ARCHITECTURE.md "Listing walks and the frontier", "Hosts".
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.http import Response, TextResponse

from newsagg.args import ArgumentError, CrawlArgs
from newsagg.config import setting
from newsagg.failures import failure_reason, lost_article, shorten
from newsagg.hashset import HashSet
from newsagg.pages.aggregator import ArticlePage, LinkPage, ListingPage
from newsagg.profiles import apply_runtime_settings, is_dataset_run
from newsagg.rendering.policy import RenderPolicy
from newsagg.run import run_context
from newsagg.sites import SITES
from newsagg.state.base import StateError
from newsagg.state.frontier import HEAD, TAIL, MemoryFrontier, Walk
from newsagg.stats import PAGES, PREFIX, fail_key, inc
from newsagg.urls import PageRef, classify, host_aliases, listing_url, same_site, site_root

# Article requests first: the queue stays short and items flow early.
PRIORITY_HOME, PRIORITY_ARTICLE, PRIORITY_LISTING = 30, 20, 10
LISTINGS = f"{PREFIX}/listings"
_STATE_ROOT = "newsagg_canonical_root"  # spider.state key (a -O run's JOBDIR): the adopted canonical root


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


def page_url(url: str, page: int) -> str:
    """The URL of listing page *page* in the shape of *url* (``/page/N`` or ``?page=N``)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if "/page/" in path:
        path = path[: path.index("/page/")]
        return f"{parts.scheme}://{parts.netloc}{path}" + (f"/page/{page}" if page > 1 else "")
    return f"{parts.scheme}://{parts.netloc}{path}" + (f"?page={page}" if page > 1 else "")


class AggregatorSpider(scrapy.Spider):
    """Crawls the French section of one site of the aggregator family.

    Arguments (strings, validated by :class:`newsagg.args.CrawlArgs`):
    base_url, sources, max_pages, since, until, urls, render, full.
    """

    site: ClassVar[str] = ""
    #: Set by the publisher on an incremental run (not full=1): a StoredGate.
    stored_gate: Any = None
    #: Side links wait in the frontier until the spider is idle; not in a distributed worker.
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
        #: Walk cursors and pending links; the publisher hands over the state's (newsagg.state.frontier).
        self.frontier = MemoryFrontier()
        self._requested = HashSet()  # hash() of the article URLs requested in this run
        self._listed = HashSet()  # ... of the article URLs seen on listing pages (new links, for the walk bound)
        self._listings = HashSet()  # ... of the listing pages requested (two walks never read one page)
        self._walks: dict[str, list[Walk]] = {}  # the walks in progress, per source
        self._side_seen = HashSet()  # ... of side links handed to the frontier
        self._authors_seen = HashSet()  # ... of author pages met (never requested, each counted once)
        self._resumed: set[str] = set()  # sources with a walk resumed from an earlier run
        self._sources: set[str] = set()  # sources walked this run (the progress line's total)
        self._failed = False  # the state could not be written: the run is stopping
        self.max_listing_pages = 0
        self.stale_pages = 0

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        apply_runtime_settings(settings, spider.base_url, dataset=is_dataset_run(crawler))
        # Distributed workers share one frontier in Redis: nothing to defer there.
        spider.defer_side_links = not settings.getbool("NEWSAGG_DISTRIBUTED")
        spider.max_listing_pages = max(1, setting(settings, "NEWSAGG_MAX_LISTING_PAGES", "getint"))
        spider.stale_pages = max(1, setting(settings, "NEWSAGG_LISTING_STALE_PAGES", "getint"))
        if spider.defer_side_links:
            crawler.signals.connect(spider.release_side_links, signal=signals.spider_idle)
        return spider

    @property
    def run_id(self) -> str:
        """The run's id (:class:`newsagg.run.RunIdentity`)."""
        return run_context(self.crawler).identity.run_id

    # -- start -------------------------------------------------------------

    async def start(self):
        """Direct article URLs (``urls``); else the home page, the unfinished walks
        and the pending article links of earlier runs (docs/ARCHITECTURE.md "Listing walks and the frontier")."""
        state = getattr(self, "state", None)
        if isinstance(state, dict) and state.get(_STATE_ROOT):  # a -O run's JOBDIR resumed: keep its root
            self.base_url, self._root_adopted = state[_STATE_ROOT], True
        if self.args.urls:
            for url in self.args.urls:
                yield self.article_request(classify(url, self.base_url), follow=False)
            return
        # Known before the home page's answer (it may come before the walks are
        # yielded): a source whose walk resumes is read from page 1 for news only.
        walks = [] if self.args.full else [w for w in self.frontier.walks() if self.args.wants_source(w.slug)]
        self._resumed.update(w.slug for w in walks)
        yield scrapy.Request(
            f"{self.base_url}/fr/",
            callback=self.parse_home,
            errback=self.on_error,
            priority=PRIORITY_HOME,
            meta={"newsagg_kind": "home"},
        )
        if self.args.full:
            return  # a full re-crawl reads every listing from page 1
        for walk in walks:
            walk.next_url = self._rebase(walk.next_url)
            self.logger.info("Resuming the walk of %s at listing page %d", walk.slug, walk.next_page)
            inc(self.crawler.stats, f"{LISTINGS}/resumed")
            request = self.walk_request(walk, start=True, resumed=True)
            if request is not None:
                yield request
        resumed = 0
        for url in self.frontier.pending_entries():
            ref = classify(self._rebase(url), self.base_url)
            if ref.kind != "article" or not self.args.wants_source(ref.slug):
                continue
            if self.already_stored(ref):
                self.frontier.done(url)
                continue
            if self._requested.add(hash(ref.url)):
                resumed += 1
                yield self.article_request(ref, pending=url)
        if resumed:
            self.logger.info("%d article link(s) pending from an interrupted run are requested", resumed)
            inc(self.crawler.stats, f"{PREFIX}/links/resumed", resumed)

    def _rebase(self, url: str) -> str:
        """*url* (of an earlier run, maybe on another host form) on this run's root."""
        parts = urlsplit(url)
        return f"{self.base_url}{parts.path}" + (f"?{parts.query}" if parts.query else "")

    # -- requests ----------------------------------------------------------

    def article_request(self, ref: PageRef, follow: bool = True, pending: str | None = None) -> scrapy.Request:
        """The request for an article page; counted as a new article link (health:
        ``pages_no_record``, ``new_links_no_records``). The spider asks each URL once (``_requested``)."""
        self._requested.add(hash(ref.url))
        inc(self.crawler.stats, f"{PREFIX}/links/new_articles")
        return scrapy.Request(
            ref.url,
            callback=self.parse_article,
            errback=self.on_error,
            priority=PRIORITY_ARTICLE,
            meta={
                "newsagg_kind": "article",
                "newsagg_ref": ref,
                "newsagg_follow": follow,
                "newsagg_pending": pending or ref.url,
            },
        )

    def walk_request(
        self, walk: Walk, *, start: bool = False, resumed: bool = False, check: tuple[str, ...] = ()
    ) -> scrapy.Request | None:
        """The request for the walk's next listing page (*start*: its first); None
        when another walk of this run reads that page: this walk then ends, and a
        tail walk hands its mode to the other one.

        *check*: a page read back to find the anchors of a resumed walk (:meth:`_read_back`)."""
        ref = classify(walk.next_url, self.base_url)
        if ref.kind != "listing":
            self.logger.warning("Walk of %s: %s is not a listing page; the walk ends", walk.slug, walk.next_url)
            self.frontier.finish(walk, reached_end=False)
            return None
        if not check:
            if not self._listings.add(hash(ref.url)):
                for other in self._walks.get(walk.slug, ()):  # the walk(s) that read or will read it
                    if walk.mode == TAIL and other is not walk:
                        other.mode = TAIL  # saved with its next page
                if start and walk.id is not None:
                    self.frontier.finish(walk, reached_end=False)
                return None
            if start:
                self._walks.setdefault(walk.slug, []).append(walk)
                self._sources.add(walk.slug)
                self.crawler.stats.set_value(f"{PREFIX}/sources/total", len(self._sources))
        return scrapy.Request(
            ref.url,
            callback=self.parse_listing,
            errback=self.on_error,
            priority=PRIORITY_LISTING,
            dont_filter=bool(check),
            meta={
                "newsagg_kind": "listing",
                "newsagg_ref": ref,
                "newsagg_page_no": walk.next_page,
                "newsagg_walk": walk,
                "newsagg_resumed": resumed,
                "newsagg_check": check,
            },
        )

    def follow_articles(self, refs) -> list[scrapy.Request]:
        """Requests for in-scope article links (home ticker, listing entries) not asked yet."""
        out = []
        for r in refs:
            if self.args.wants_source(r.slug) and hash(r.url) not in self._requested and not self.already_stored(r):
                out.append(self.article_request(r))
        return out

    def follow_side_links(self, refs) -> list[scrapy.Request]:
        """Article links of sidebars and tickers: deferred to the frontier (module
        doc) or, when deferring is off, requested now."""
        if not self.defer_side_links:
            return self.follow_articles(refs)
        new = [
            r
            for r in refs
            if self.args.wants_source(r.slug)
            and hash(r.url) not in self._requested
            and self._side_seen.add(hash(r.url))
        ]
        if new:
            known = self.stored_gate.known(new) if self.stored_gate is not None else set()
            site = self.site
            urls = [r.url for r in new if (site, r.slug, r.article_id) not in known]
            self.frontier.add_side(urls)
            inc(self.crawler.stats, f"{PREFIX}/side_links/deferred", len(urls))
        return []

    def release_side_links(self) -> None:
        """spider_idle: request the next batch of deferred side links not yet
        requested; the spider stays open while some are left."""
        released = 0
        while not released:
            try:
                batch = self.frontier.next_side(self.side_links_batch)
            except StateError as exc:
                self._state_failed(exc)
            if not batch:
                return
            for url in batch:
                ref = classify(self._rebase(url), self.base_url)
                if ref.kind != "article" or hash(ref.url) in self._requested:
                    continue
                if self.already_stored(ref):
                    self.frontier.done(url)
                    continue
                self.crawler.engine.crawl(self.article_request(ref, pending=url))
                released += 1
        inc(self.crawler.stats, f"{PREFIX}/side_links/requested", released)
        self.logger.info(
            "Requesting %d side link(s) the listings did not reach (%d left)", released, self.frontier.side_count()
        )
        raise DontCloseSpider

    def skip_author_pages(self, page: LinkPage) -> None:
        """Author pages (``/fr/author/...``) are neither sources nor articles:
        never requested, each counted once (``newsagg/skipped/author_page``)."""
        for ref in page.author_links():
            if self._authors_seen.add(hash(ref.url)):
                inc(self.crawler.stats, f"{PREFIX}/skipped/author_page")

    def already_stored(self, ref: PageRef) -> bool:
        """True when an earlier run stored this article (incremental state): not requested again."""
        return self.stored_gate is not None and self.stored_gate.skip(ref)

    def _known(self, refs: list[PageRef]) -> bool:
        """Every article of *refs* is stored, or waits in the frontier (an interrupted run listed it)."""
        if not refs or self.stored_gate is None:
            return False
        stored = self.stored_gate.known(refs)
        rest = [r.url for r in refs if (self.site, r.slug, r.article_id) not in stored]
        return not rest or len(self.frontier.pending_among(rest)) == len(set(rest))

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
        slugs = [slug for slug in firsts if self.args.wants_source(slug)]
        # Sources named with -a sources=... are crawled even when unlinked.
        missing = [s for s in self.args.sources or () if s not in firsts]
        if missing:
            self.logger.warning("Sources not linked from the home page (crawled anyway): %s", ", ".join(missing))
        for slug in [*slugs, *missing]:
            url = firsts[slug].url if slug in firsts else listing_url(self.base_url, slug)
            # Page 1 to the end, unless the listing was walked to its end once or a
            # walk of it resumes: then only until a page of known articles (the news).
            walked = not self.args.full and (slug in self._resumed or self.frontier.is_walked(slug))
            request = self.walk_request(Walk(slug, HEAD if walked else TAIL, url, 1), start=True)
            if request is not None:
                yield request
        yield from self.follow_articles(page.article_links())

    @eager
    def parse_listing(self, response: Response):
        meta = response.meta
        walk: Walk = meta["newsagg_walk"]
        page_no: int = meta["newsagg_page_no"]
        check: tuple[str, ...] = meta.get("newsagg_check") or ()
        if not self._usable(response, "listing"):
            if not check:
                self._walk_stopped(walk)  # its cursor stays on this page: the next run tries it again
            return
        ref: PageRef = meta["newsagg_ref"]
        page = ListingPage(response, self.base_url, self.tz, slug=ref.slug or "", page=ref.page)
        entries = page.entries()
        self.skip_author_pages(page)
        rendering = self.rendering.listing(response, page)
        if isinstance(rendering, scrapy.Request):  # no article links: again, through the browser
            yield rendering
            return
        if rendering:  # render=never: counted as not rendered, crawled as it is
            inc(self.crawler.stats, fail_key(rendering))
        refs = [e.ref for e in entries]
        new_links = sum(self._listed.add(hash(r.url)) for r in refs)
        if not entries:
            inc(self.crawler.stats, f"{LISTINGS}/empty")
            self.logger.info("Listing page without articles: %s", response.url)
        yield from self.follow_articles(refs)
        yield from self.follow_side_links(page.article_links())
        # Pending with the walk's cursor: every article of the page not stored yet,
        # the ones requested earlier in this run (from the home page, a ticker) too.
        stored = self.stored_gate.known(refs) if self.stored_gate is not None else set()
        requested = [
            r.url for r in refs if self.args.wants_source(r.slug) and (self.site, r.slug, r.article_id) not in stored
        ]
        if check:
            self._write(self.frontier.add_entries, requested)
            yield from self._read_back(walk, page_no, ref, refs, check)
            return
        if meta.get("newsagg_resumed") and not self._anchored(walk, refs):
            yield from self._read_back(walk, page_no, ref, refs, walk.anchors)
        dated = [e.day for e in entries if e.day]
        walk.deepest = max(walk.deepest, page_no)
        if dated:
            oldest = min(dated).isoformat()
            walk.oldest_day = min(walk.oldest_day or oldest, oldest)
        walk.stale = 0 if new_links else walk.stale + 1
        walk.thin = walk.thin + 1 if len(entries) <= 1 else 0
        walk.pages += 1
        if walk.thin == self.stale_pages:
            inc(self.crawler.stats, f"{LISTINGS}/thin_chain")
            self.logger.warning(
                "Listing of %s: %d pages in a row hold at most one article (last: %s); still followed, "
                "up to NEWSAGG_MAX_LISTING_PAGES",
                walk.slug,
                walk.thin,
                response.url,
            )
        stop = self._stop_reason(walk, page, page_no, refs, dated, response.url)
        nxt = page.next_page()
        if stop == "ceiling":  # this run's share of the listing is read: the next run goes on from here
            walk.next_url, walk.next_page = nxt.url, page_no + 1
            walk.anchors = tuple(r.article_id or "" for r in refs)
            self._write(self.frontier.save, walk, self.run_id, requested)
            self._walk_stopped(walk)
            return
        if stop is not None:
            self._walk_stopped(walk, stop, requested)
            return
        walk.next_url, walk.next_page = nxt.url, page_no + 1
        walk.anchors = tuple(r.article_id or "" for r in refs)
        self._write(self.frontier.save, walk, self.run_id, requested)
        request = self.walk_request(walk)
        if request is None:  # another walk of this run reads that page: this one ends here
            self._walk_stopped(walk, "merged")
            return
        yield request

    def _stop_reason(self, walk: Walk, page: ListingPage, page_no: int, refs, dated, url: str) -> str | None:
        """Why the walk stops after this page (end, known, max_pages, since, stale, ceiling), or None."""
        stats = self.crawler.stats
        if page.next_page() is None:
            return "end"
        if walk.mode == HEAD and self._known(refs):
            inc(stats, f"{LISTINGS}/stopped_known")
            self.logger.info("Listing %s holds only known articles: stop paginating", url)
            return "known"
        if self.args.max_pages and page_no >= self.args.max_pages:
            inc(stats, f"{LISTINGS}/stopped_max_pages")
            return "max_pages"
        if self.args.since and dated and max(dated) < self.args.since:
            inc(stats, f"{LISTINGS}/stopped_since")
            self.logger.info("Listing %s is older than since=%s: stop paginating", url, self.args.since)
            return "since"
        if walk.stale >= self.stale_pages:
            inc(stats, f"{LISTINGS}/stopped_stale")
            self.logger.warning(
                "Listing of %s: %d page(s) in a row without a new article link (last: %s): stop paginating",
                walk.slug,
                walk.stale,
                url,
            )
            return "stale"
        if walk.pages >= self.max_listing_pages:
            inc(stats, f"{LISTINGS}/stopped_ceiling")
            self.logger.warning(
                "Listing of %s: %d pages read this run (NEWSAGG_MAX_LISTING_PAGES): stop paginating at %s",
                walk.slug,
                walk.pages,
                url,
            )
            return "ceiling"
        return None

    def _write(self, write, *args) -> None:
        """A frontier write; one that fails stops the run (:meth:`_state_failed`)."""
        try:
            write(*args)
        except StateError as exc:
            self._state_failed(exc)

    def _state_failed(self, exc: Exception):
        """The state cannot be written: the run stops (``publish_failed``, counted, said once)."""
        if not self._failed:
            self._failed = True
            said = self.crawler.stats.get_value(f"{PREFIX}/segments/failed")  # the publisher said it first
            inc(self.crawler.stats, f"{PREFIX}/segments/failed")
            self.logger.log(
                logging.INFO if said else logging.ERROR,
                "Publication failed: the state cannot be written (%s). Nothing more is marked stored; "
                "the next run fetches the rest again.",
                exc,
            )
        raise CloseSpider("publish_failed") from None

    def _walk_stopped(self, walk: Walk, why: str | None = None, requested: list[str] = ()) -> None:
        """The walk is over this run: it ended (*why*), or a page failed (None: its
        cursor stays on that page, the next run tries it again)."""
        if why is not None:
            if requested:
                self._write(self.frontier.save, walk, self.run_id, requested)
            # The listing's end, or pages after it holding nothing new, covers the source.
            self._write(self.frontier.finish, walk, why in ("end", "stale"))
        walks = self._walks.get(walk.slug, [])
        if any(w is walk for w in walks):
            walks[:] = [w for w in walks if w is not walk]
            if not walks:
                inc(self.crawler.stats, f"{PREFIX}/sources/finished")

    def _anchored(self, walk: Walk, refs: list[PageRef]) -> bool:
        """The first page of a resumed walk joins what was read before: it shows
        some of the anchors (the listing moved down with news), or only known
        articles (it moved down more); the cursor's own page with neither may
        follow a listing that moved up (articles removed): read back (docs/ARCHITECTURE.md "Listing walks and the frontier")."""
        return not walk.anchors or bool({r.article_id for r in refs} & set(walk.anchors)) or self._known(refs)

    def _read_back(self, walk: Walk, page_no: int, ref: PageRef, refs: list[PageRef], anchors: tuple[str, ...]):
        """Read the page before this one, down to the anchors or page 1; its new
        articles are followed like any listing's (they are counted)."""
        if page_no <= 1 or {r.article_id for r in refs} & set(anchors):
            return
        inc(self.crawler.stats, f"{LISTINGS}/read_back")
        back = Walk(walk.slug, walk.mode, page_url(ref.url, page_no - 1), page_no - 1, anchors)
        request = self.walk_request(back, check=anchors)
        if request is not None:
            yield request

    @eager
    def parse_article(self, response: Response):
        meta = response.meta
        if not self._usable(response, "article"):
            self.frontier.done(meta.get("newsagg_pending"))
            return
        ref = classify(response.url, self.base_url)
        if ref.kind != "article":  # redirected elsewhere: keep the requested key
            ref = meta["newsagg_ref"]
        page = ArticlePage(
            response,
            self.base_url,
            self.tz,
            site=self.site,
            slug=ref.slug or "",
            article_id=ref.article_id or "",
            canonical_url=ref.url,
        )
        found = page.extract(crawled_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        if meta.get("newsagg_follow", True):
            yield from self.follow_side_links(page.article_links())
            self.skip_author_pages(page)
        for note, count in found.notes.items():  # body/doubled, author/link, author/par_line
            inc(self.crawler.stats, f"{PREFIX}/{note}", count)
        item = found.item
        if item is None:
            outcome = self.rendering.article(response, found.why_not)  # browser request, or the reason
            if isinstance(outcome, scrapy.Request):
                yield outcome
                return
            inc(self.crawler.stats, fail_key(outcome))
            inc(self.crawler.stats, f"{PREFIX}/articles/no_record")  # health: pages_no_record
            self.logger.warning("No article found (%s): %s", outcome, response.url)
            self.frontier.done(meta.get("newsagg_pending"))
            return
        self.frontier.done(meta.get("newsagg_pending"))
        yield item

    def on_error(self, failure):
        request = failure.request
        kind = request.meta.get("newsagg_kind")
        if kind == "article":
            self.frontier.done(request.meta.get("newsagg_pending"))
        elif kind == "listing" and not request.meta.get("newsagg_check"):
            self._walk_stopped(request.meta["newsagg_walk"])  # its cursor stays: the next run tries again
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
        self.logger.warning("Page failed [%s] %s: %s", reason, shorten(request.url), failure.getErrorMessage())
