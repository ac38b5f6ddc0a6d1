"""The link-following part of newsagg's crawl, without any extraction.

Same route as ``newsagg.spiders.base.AggregatorSpider``: home -> every source
listing (page 1) and the home's articles; listing -> its articles and the next
listing page; article -> the articles it links to (ticker, sidebar), which are
deferred as newsagg defers them (``NEWSAGG_DEFER_SIDE_LINKS``): kept as URLs
and requested when the spider is idle, those not requested yet. Same
canonicalisation (``newsagg.pages.aggregator.resolve``, i.e. ``newsagg.urls.classify``),
same request priorities, one request per distinct link per page; Scrapy's
dupefilter drops the repeats, as it does for newsagg.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from newsagg.pages.aggregator import resolve
from newsagg.spiders.base import PRIORITY_ARTICLE, PRIORITY_HOME, PRIORITY_LISTING
from newsagg.urls import PageRef

_SKIP = ("javascript:", "mailto:", "tel:", "#")


class FollowSpider(scrapy.Spider):
    """Base of the reference spiders; ``-a base_url=...`` is required."""

    # Bare: none of the project's pipelines or extensions (e.g. the crawl summary).
    custom_settings = {"ITEM_PIPELINES": {}, "EXTENSIONS": {}}

    def __init__(self, base_url: str = "", *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not base_url:
            raise ValueError("base_url is required (-a base_url=http://127.0.0.1:PORT)")
        self.base_url = base_url.rstrip("/")
        self.allowed_domains = [urlsplit(self.base_url).hostname or ""]
        self.requested: set[int] = set()
        self.side: dict[str, PageRef] = {}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.release_side_links, signal=signals.spider_idle)
        return spider

    async def start(self):
        yield scrapy.Request(f"{self.base_url}/fr/", callback=self.parse_home, priority=PRIORITY_HOME)

    # -- links ---------------------------------------------------------------

    def refs(self, response) -> dict[str, PageRef]:
        """On-site home/listing/article links of the page, canonical, each once."""
        out: dict[str, PageRef] = {}
        # lxml directly, as newsagg's page objects do (cheaper than a parsel
        # Selector per link): the ceiling must not be slowed by its own code.
        for a in response.selector.root.iter("a"):
            href = a.get("href")
            if href is None:
                continue
            href = href.strip()
            if not href or href.startswith(_SKIP):
                continue
            ref = resolve(response, href, self.base_url)
            if ref is not None and ref.kind != "other":
                out.setdefault(ref.url, ref)
        return out

    def count(self, kind: str) -> None:
        self.crawler.stats.inc_value(f"bench/pages/{kind}")

    def article_request(self, ref: PageRef) -> scrapy.Request:
        self.requested.add(hash(ref.url))
        self.side.pop(ref.url, None)
        return scrapy.Request(ref.url, callback=self.parse_article, priority=PRIORITY_ARTICLE, meta={"bench_ref": ref})

    def article_requests(self, refs: dict[str, PageRef], slug: str | None = None):
        """Requests for the article links (of source *slug* only, when given); the
        other article links are side links, deferred."""
        for ref in refs.values():
            if ref.kind != "article":
                continue
            if slug is None or ref.slug == slug:
                yield self.article_request(ref)
            elif hash(ref.url) not in self.requested:
                self.side[ref.url] = ref

    def release_side_links(self):
        released = 0
        while self.side and released < 1000:
            url = next(iter(self.side))
            ref = self.side.pop(url)
            if hash(url) not in self.requested:
                self.crawler.engine.crawl(self.article_request(ref))
                released += 1
        if released:
            raise DontCloseSpider

    def listing_request(self, ref: PageRef) -> scrapy.Request:
        return scrapy.Request(ref.url, callback=self.parse_listing, priority=PRIORITY_LISTING, meta={"bench_ref": ref})

    # -- callbacks -----------------------------------------------------------

    def parse_home(self, response):
        self.count("home")
        refs = self.refs(response)
        for ref in refs.values():
            if ref.kind == "listing" and ref.page == 1:
                yield self.listing_request(ref)
        yield from self.article_requests(refs)

    def parse_listing(self, response):
        self.count("listing")
        own: PageRef = response.meta["bench_ref"]
        refs = self.refs(response)
        yield from self.article_requests(refs, slug=own.slug)
        higher = [r for r in refs.values() if r.kind == "listing" and r.slug == own.slug and r.page > own.page]
        if higher:
            yield self.listing_request(min(higher, key=lambda r: r.page))

    def parse_article(self, response):
        self.count("article")
        yield from self.article_requests(self.refs(response), slug="")  # all side links
        item = self.extract(response)
        if item is not None:
            yield item

    def extract(self, response):
        """The article item of a page; the ceiling extracts nothing."""
        return None
