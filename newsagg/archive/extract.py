"""One captured page, extracted on its own: what a re-extraction's workers do.

:class:`PageExtractor` turns a response record into a :class:`PageResult`:
the answer as the crawl's download handler built it, the :data:`PREPARING`
downloader middlewares, the page objects (:func:`extract_article`, the one
call into them) and the :data:`PER_ITEM` pipelines, all built from a
:func:`replay_crawler`. docs/ARCHITECTURE.md "Re-extraction".
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.extension import ExtensionManager
from scrapy.extensions.corestats import CoreStats
from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.python.failure import Failure

from newsagg.archive.capture import CAPTURED_AT_META, RECORD_ID_META, stamp
from newsagg.archive.records import Record, Span, SpanReader, WarcDamaged
from newsagg.args import CrawlArgs
from newsagg.failures import failure_reason, lost_article
from newsagg.items import ArticleItem
from newsagg.pages.aggregator import ArticlePage
from newsagg.sites import SITES
from newsagg.stats import PAGES, PREFIX, fail_key, inc
from newsagg.urls import classify, site_root

logger = logging.getLogger(__name__)

#: The downloader middlewares that turn an archived answer into what the page
#: objects read (the others decide what is fetched, when and how, and have
#: nothing to do with an answer already received). Used in the order
#: ``DOWNLOADER_MIDDLEWARES`` gives them; one set to None there is left out.
PREPARING = frozenset(
    {
        "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware",
        "newsagg.middlewares.content.ContentGuardMiddleware",
        "newsagg.middlewares.charset.CharsetMiddleware",
        "newsagg.middlewares.nesting.NestingMiddleware",
    }
)
#: Item pipelines whose ``process_item`` depends on the item alone. Those of
#: ``ITEM_PIPELINES`` up to the first other one process items where the page is
#: extracted; the rest (and any pipeline added later) in capture order, in one process.
PER_ITEM = frozenset(
    {
        "newsagg.pipelines.clean.BoilerplatePipeline",
        "newsagg.pipelines.language.LanguagePipeline",
        "newsagg.pipelines.dates.DatePipeline",
        "newsagg.pipelines.validate.ValidationPipeline",
    }
)
#: Pipelines a re-extraction has no use for: the incremental state's claim.
LEFT_OUT = frozenset({"newsagg.pipelines.claim.ClaimPipeline"})


def replay_crawler(site: str, settings: Settings, spider_args: dict[str, str]) -> Crawler:
    """A Scrapy crawler that never crawls: settings, stats and signals to build the
    components from; a spider that is only their view of the run's arguments
    (``spider.args``, *spider_args* validated as a crawl does); Scrapy's core stats
    and no other extension (no state, no capture, no manifest)."""
    crawler = Crawler(Spider, settings)
    crawler.stats = MemoryStatsCollector(crawler)
    crawler.extensions = ExtensionManager(CoreStats.from_crawler(crawler), crawler=crawler)
    spider = Spider.from_crawler(crawler, name=site)
    spider.args = CrawlArgs.parse(spider_args, SITES[site].root)
    crawler.spider = spider
    crawler.settings.freeze()
    return crawler


def components(settings: Settings, name: str, *, load: bool = True) -> list[str]:
    """The components of the setting *name* (``ITEM_PIPELINES`` ...) in Scrapy's order, as
    paths. *load*: as Scrapy composes them (each class imported, to merge a path and its
    class); without, the paths as given (nothing imported: the browser's middleware
    brings Playwright in, half a second of start-up a replay has no use for)."""
    composed = settings.get_component_priority_dict_with_base(name) if load else settings.getwithbase(name)
    return [p if isinstance(p, str) else f"{p.__module__}.{p.__qualname__}" for p in build_component_list(composed)]


def pipeline_paths(settings: Settings) -> tuple[list[str], int]:
    """``ITEM_PIPELINES`` in order, without :data:`LEFT_OUT`, and how many of them
    (the first ones) process items where the page is extracted (:data:`PER_ITEM`)."""
    paths = [p for p in components(settings, "ITEM_PIPELINES") if p not in LEFT_OUT]
    n = 0
    while n < len(paths) and paths[n] in PER_ITEM:
        n += 1
    return paths, n


def build(paths: list[str], crawler: Crawler) -> list[Any]:
    """The components of *paths*, built as Scrapy builds them (``NotConfigured``: left out)."""
    out = []
    for path in paths:
        try:
            out.append(build_from_crawler(load_object(path), crawler))
        except NotConfigured as exc:
            if exc.args:
                logger.info("Disabled %s: %s", path, exc.args[0])
    return out


def wants_spider(method) -> bool:
    """Whether a component's method asks for the spider (Scrapy passes it only then)."""
    param = inspect.signature(method).parameters.get("spider")
    return param is not None and param.default is inspect.Parameter.empty


def call(method, spider, *args):
    """A component's *method* on *args*, plus the spider when it asks for one, as
    Scrapy calls it; a coroutine is run to its end."""
    return settled(method(*args, spider) if wants_spider(method) else method(*args))


def settled(result):
    """*result*, or what it gives when it is a coroutine (an ``async def`` component)."""
    if inspect.iscoroutine(result):
        import asyncio

        return asyncio.run(result)
    return result


def extract_article(response: TextResponse, root: str, site: str, requested_url: str | None):
    """The page objects on an article page (the spider's ``parse_article``): (item or
    None, why not, notes). The record's URL is on *root*, the root the page was
    requested from; a page redirected off the article URLs keeps the requested key."""
    ref = classify(response.url, root)
    if ref.kind != "article" and requested_url:
        ref = classify(requested_url, root)
    page = ArticlePage(
        response,
        root,
        SITES[site].tz,
        site=site,
        slug=ref.slug or "",
        article_id=ref.article_id or "",
        canonical_url=ref.url,
    )
    found = page.extract(crawled_at=None)
    return found.item, found.why_not, found.notes


class Portable:
    """An exception, as it crosses to another process: its class, ``args`` and attributes,
    rebuilt without calling its ``__init__`` (which may want other arguments than ``args``,
    and could not be unpickled)."""

    def __init__(self, exc: BaseException):
        self.cls, self.args, self.state = type(exc), exc.args, dict(vars(exc))

    def rebuild(self) -> BaseException:
        exc = BaseException.__new__(self.cls)
        exc.args = self.args
        vars(exc).update(self.state)
        return exc


@dataclass(slots=True)
class PageResult:
    """What one response record gave, for the ordered part (:mod:`newsagg.archive.replay`)."""

    kind: str
    url: str
    rendered: bool = False
    item: ArticleItem | None = None
    #: Plain page without the article's anchors: the crawl fetched it again in Chromium.
    browser: bool = False
    failed: str | None = None  # newsagg/pages_failed/<reason>, counted in stats
    dropped: Portable | None = None  # the DropItem a per-item pipeline raised
    error: bool = False  # a page object or pipeline raised (logged)
    stats: dict = field(default_factory=dict)  # what extracting this page counted


@dataclass(slots=True)
class SpanResult:
    """The pages of a span, where its records began and stopped, or the damage met."""

    span: Span
    pages: list[PageResult]
    first: int | None
    stop: int | None
    damaged: WarcDamaged | None = None


class PageExtractor:
    """The module doc's work, one record at a time."""

    def __init__(self, crawler: Crawler, site: str, pipelines: list[str]):
        self.crawler, self.site = crawler, site
        self.stats = crawler.stats
        preparing = [p for p in components(crawler.settings, "DOWNLOADER_MIDDLEWARES", load=False) if p in PREPARING]
        # Responses pass the downloader middlewares from the last to the first.
        self.middlewares = build(list(reversed(preparing)), crawler)
        self.pipelines = build(pipelines, crawler)
        self.steps = [(p.process_item, wants_spider(p.process_item)) for p in self.pipelines]
        for p in self.pipelines:
            if hasattr(p, "open_spider"):
                call(p.open_spider, crawler.spider)

    def close(self) -> None:
        """Close the pipelines (``close_spider``)."""
        for p in self.pipelines:
            if hasattr(p, "close_spider"):
                call(p.close_spider, self.crawler.spider)

    def pages(self, records: Iterator[Record]) -> Iterator[PageResult]:
        """The :class:`PageResult` of every record."""
        for rec in records:
            yield self.page(rec)

    def span(self, span: Span) -> SpanResult:
        """Every page of *span* (a worker's task)."""
        reader = SpanReader(span)
        pages: list[PageResult] = []
        try:
            pages.extend(self.pages(iter(reader)))
        except WarcDamaged as exc:
            return SpanResult(span, pages, reader.first, reader.stop, exc)
        return SpanResult(span, pages, reader.first, reader.stop)

    def page(self, rec: Record) -> PageResult:
        """One record: a non-article page as its kind only, an article page extracted."""
        kind = rec.kind or classify(rec.url, site_root(rec.url)).kind
        if kind != "article":
            return PageResult(kind, rec.url)
        result = PageResult(kind, rec.url, rec.rendered)
        try:
            self._article(rec, result)
        except Exception as exc:  # a page object or a pipeline failed: logged and counted, as Scrapy does
            logger.exception("Error extracting %s (WARC record %s)", rec.url, rec.record_id)
            self.stats.inc_value("spider_exceptions/count")
            self.stats.inc_value(f"spider_exceptions/{type(exc).__name__}")
            result.item, result.error = None, True
        result.stats = dict(self.stats.get_stats())
        self.stats.clear_stats()
        return result

    def _article(self, rec: Record, result: PageResult) -> None:
        stats = self.stats
        response = self.response(rec) if 200 <= rec.status < 300 else f"http_{rec.status}"
        if isinstance(response, str):  # failed as the spider's errback counts it
            result.failed = response
            inc(stats, fail_key(response))
            if lost_article(response):
                inc(stats, f"{PREFIX}/articles/no_record")  # health: pages_no_record
            return
        inc(stats, f"{PAGES}/article")
        item, why_not, notes = extract_article(
            response, site_root(rec.requested_url or rec.url), self.site, rec.requested_url
        )
        for note, count in notes.items():  # body/doubled, author/link, author/par_line
            inc(stats, f"{PREFIX}/{note}", count)
        if item is None:
            if why_not == "no_byline" and not rec.rendered:
                result.browser = True  # the rendered capture, if any, gives the record
                return
            result.failed = f"no_article_{why_not}"
            inc(stats, fail_key(result.failed))
            inc(stats, f"{PREFIX}/articles/no_record")  # health: pages_no_record
            return
        # The crawl stamps the record with its capture: WARC-Record-ID, and WARC-Date as crawled_at.
        item = stamp(item, {RECORD_ID_META: rec.record_id, CAPTURED_AT_META: _iso(rec.date)})
        spider = self.crawler.spider
        for process, with_spider in self.steps:
            try:
                item = settled(process(item, spider) if with_spider else process(item))
            except DropItem as exc:
                result.item, result.dropped = item, Portable(exc)
                return
        result.item = item

    def response(self, rec: Record) -> Response | str:
        """The answer of *rec* as the crawl's middlewares handed it to the spider, or why it failed."""
        request = Request(rec.url, meta={"newsagg_kind": "article"})
        headers = Headers(rec.headers)  # as the wire gave them: the class follows Content-Type, as in a crawl
        cls = responsetypes.from_args(headers=headers, url=rec.url, body=rec.body)
        response = cls(
            url=rec.url, status=rec.status, headers=headers, body=rec.body, request=request, protocol=rec.protocol
        )
        try:
            for mw in self.middlewares:
                response = mw.process_response(request, response)
        except Exception as exc:  # content guard (not_html, garbage), a body that does not decompress ...
            reason = failure_reason(Failure(exc))
            logger.warning("Page failed [%s] %s: %s", reason, rec.url, exc)
            return reason
        if not isinstance(response, TextResponse):
            logger.warning("Not an HTML page (%s): %s", response.headers.get("Content-Type"), rec.url)
            return "not_html"
        return response


def _iso(warc_date: str) -> str:
    """WARC-Date (``...Z``) as the records write ``crawled_at`` (``...+00:00``)."""
    try:
        return dt.datetime.fromisoformat(warc_date.replace("Z", "+00:00")).isoformat(timespec="seconds")
    except (AttributeError, ValueError):
        return warc_date
