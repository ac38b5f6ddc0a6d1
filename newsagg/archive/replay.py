"""Re-extraction: the records again from committed WARCs, in capture order, on every core.

:func:`replay` has the pages extracted (here, or by ``jobs`` worker processes
a span at a time) and takes their results in capture order in this process
(:class:`Ordered`): rendered captures for the pages that needed a browser, the
other item pipelines, the output (:class:`Output`). The records are the same
whatever ``jobs``; a WARC found damaged is left out and the replay starts over
without it. docs/ARCHITECTURE.md "Re-extraction".
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.utils.conf import feed_complete_default_values_from_settings
from scrapy.utils.log import logformatter_adapter
from scrapy.utils.misc import build_from_crawler, load_object

from newsagg.archive.extract import (
    PageExtractor,
    PageResult,
    SpanResult,
    build,
    call,
    pipeline_paths,
    replay_crawler,
    settled,
    wants_spider,
)
from newsagg.archive.index import RunArchive
from newsagg.archive.records import Span, SpanReader, WarcDamaged, spans
from newsagg.items import ArticleItem
from newsagg.stats import PREFIX, fail_key, inc

logger = logging.getLogger(__name__)

REPLAYED = f"{PREFIX}/archive/replayed"
#: Output formats by suffix (the feed formats of ``FEED_EXPORTERS``).
FORMATS = {".jsonl": "jsonlines", ".csv": "csv", ".parquet": "parquet"}
#: Bytes of WARC per worker task: about 64 tasks per worker (the last one, which one
#: worker finishes alone, is short), within these bounds.
SPAN_MIN, SPAN_MAX = 256 << 10, 8 << 20


@dataclass
class Replayed:
    """What a replay did: its stats (the crawl summary's keys), the WARCs left out and why."""

    stats: dict
    runs: list[RunArchive]
    left_out: list[str] = field(default_factory=list)


class Output:
    """OUT, written by the feed exporter of its format with the crawl's feed options
    (``FEED_EXPORTERS``, ``FEED_EXPORT_*``) as ``OUT.part``, renamed when complete."""

    def __init__(self, path: Path, crawler):
        self.path = Path(path)
        fmt = FORMATS[self.path.suffix]
        feed = feed_complete_default_values_from_settings({"format": fmt}, crawler.settings)
        self.part = self.path.with_name(self.path.name + ".part")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.part.open("wb")
        self.exporter = build_from_crawler(
            load_object(crawler.settings.getwithbase("FEED_EXPORTERS")[fmt]),
            crawler,
            self.file,
            fields_to_export=feed["fields"],
            encoding=feed["encoding"],
            indent=feed["indent"],
            **feed["item_export_kwargs"],
        )
        self.exporter.start_exporting()

    def export(self, item: ArticleItem) -> None:
        self.exporter.export_item(item)

    def finish(self) -> None:
        """Complete the file and put it in place of OUT."""
        self.exporter.finish_exporting()
        self.file.close()
        os.replace(self.part, self.path)

    def discard(self) -> None:
        self.file.close()
        self.part.unlink(missing_ok=True)


class Ordered:
    """This process's part (module doc): the pages' results in capture order -> records.

    Every pipeline is built here, so that each one's signal handlers see every
    record written or dropped; those after the first *per_item* ones process items."""

    def __init__(self, crawler, paths: list[str], per_item: int, sink: Callable[[ArticleItem], None]):
        self.crawler, self.stats, self.spider = crawler, crawler.stats, crawler.spider
        self.sink = sink
        self.logformatter = build_from_crawler(load_object(crawler.settings["LOG_FORMATTER"]), crawler)
        self.pipelines = build(paths, crawler)
        built = {type(p): p for p in self.pipelines}
        ordered = [built[c] for c in map(load_object, paths[per_item:]) if c in built]
        self.steps = [(p.process_item, wants_spider(p.process_item)) for p in ordered]
        self.run: str | None = None
        self.plain: set[int] = set()  # hash() of the URLs of this run's plain article captures
        self.waiting: dict[int, str] = {}  # ... of those that need their rendered capture

    def open(self) -> None:
        self.crawler.signals.send_catch_log(signal=signals.spider_opened, spider=self.spider)
        for p in self.pipelines:
            if hasattr(p, "open_spider"):
                call(p.open_spider, self.spider)

    def close(self, reason: str = "finished") -> None:
        self._end_run()
        for p in reversed(self.pipelines):
            if hasattr(p, "close_spider"):
                call(p.close_spider, self.spider)
        self.crawler.signals.send_catch_log(signal=signals.spider_closed, spider=self.spider, reason=reason)

    def page(self, arch: RunArchive, res: PageResult) -> None:
        if arch.run != self.run:
            self._end_run()
            self.run = arch.run
        inc(self.stats, REPLAYED)
        if res.kind != "article":
            return
        key = hash(res.url)
        if res.rendered:
            if self.waiting.pop(key, None) is None and key in self.plain:
                inc(self.stats, f"{PREFIX}/archive/rendered_unused")  # the plain page gave an answer
                return
        else:
            self.plain.add(key)
            if res.browser:
                self.waiting[key] = res.url
        self._merge(res.stats)
        if res.browser or res.error:
            return
        if res.failed:
            if res.failed.startswith("no_article_"):
                logger.warning("No article found (%s): %s", res.failed, res.url)
            return
        if res.dropped is not None:
            self._dropped(res.item, res.dropped.rebuild())
            return
        self._process(res.item)

    def _process(self, item: ArticleItem) -> None:
        spider = self.spider
        for process, with_spider in self.steps:
            try:
                item = settled(process(item, spider) if with_spider else process(item))
            except DropItem as exc:
                self._dropped(item, exc)
                return
            except Exception:  # as Scrapy's scraper: logged with its traceback, item_error sent
                logger.log(*logformatter_adapter(self.logformatter.item_error(item, None, None, spider)), exc_info=True)
                from twisted.python.failure import Failure

                self.crawler.signals.send_catch_log(
                    signal=signals.item_error, item=item, response=None, spider=spider, failure=Failure()
                )
                return
        self.sink(item)
        self.crawler.signals.send_catch_log(signal=signals.item_scraped, item=item, response=None, spider=spider)

    def _dropped(self, item: ArticleItem, exc: DropItem) -> None:
        logkws = self.logformatter.dropped(item, exc, None, self.spider)
        if logkws is not None:
            logger.log(*logformatter_adapter(logkws))
        self.crawler.signals.send_catch_log(
            signal=signals.item_dropped, item=item, response=None, exception=exc, spider=self.spider
        )

    def _merge(self, stats: dict) -> None:
        for key, value in stats.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.stats.inc_value(key, value)
            else:
                self.stats.set_value(key, value)

    def _end_run(self) -> None:
        """The pages of the run that needed a browser and have no rendered capture."""
        for url in self.waiting.values():
            inc(self.stats, fail_key("needs_render"))
            inc(self.stats, f"{PREFIX}/articles/no_record")  # health: pages_no_record
            logger.warning("Needs a browser, and the archive holds no rendered capture: %s", url)
        self.waiting.clear()
        self.plain.clear()


# -- the workers -------------------------------------------------------------

_extractor: PageExtractor | None = None  # a worker's, inherited from the parent (fork)


def _work(span: Span) -> SpanResult:
    try:
        return _extractor.span(span)
    except Exception:  # a bug: its text crosses, not an exception the parent may fail to rebuild
        import traceback

        raise RuntimeError(f"worker failed on {span}:\n{traceback.format_exc()}") from None


def _inline(runs: list[RunArchive], extractor: PageExtractor) -> Iterator[tuple[RunArchive, PageResult]]:
    """Every page in capture order, extracted here (one pass over each WARC)."""
    for arch in runs:
        for rec in SpanReader(Span(arch.warc, 0, arch.warc.stat().st_size, True)):
            yield arch, extractor.page(rec)


def _pooled(runs: list[RunArchive], pool, jobs: int) -> Iterator[tuple[RunArchive, PageResult]]:
    """Every page in capture order, extracted by *pool* a span at a time (at most
    ``2 * jobs + 2`` spans in flight). A span whose first record is not where the
    one before it stopped (its search met a gzip member that is not a record's)
    is dropped with the rest of its WARC, which is then read as one span."""
    sizes = {arch.warc: arch.warc.stat().st_size for arch in runs}
    target = max(SPAN_MIN, min(SPAN_MAX, sum(sizes.values()) // (jobs * 64)))
    todo = ((arch, span) for arch in runs for span in spans(arch.warc, sizes[arch.warc], target))
    queue: deque = deque()
    stop: dict[Path, int] = {}
    whole: set[Path] = set()  # WARCs read as one span from where the spans lost the thread

    def fill() -> None:
        while len(queue) < 2 * jobs + 2:
            nxt = next(todo, None)
            if nxt is None:
                return
            if nxt[1].path not in whole:
                queue.append((*nxt, pool.apply_async(_work, (nxt[1],))))

    fill()
    while queue:
        arch, span, pending = queue.popleft()
        res: SpanResult = pending.get()
        if not span.exact and res.first != stop[span.path]:  # (whatever it met after that false start)
            logger.info(
                "%s: span at byte %d began at %s, not %s: the rest read as one span",
                span.path.name,
                span.start,
                res.first,
                stop[span.path],
            )
            while queue and queue[0][1].path == span.path:
                queue.popleft()
            whole.add(span.path)
            rest = Span(span.path, stop[span.path], sizes[span.path], True)
            queue.appendleft((arch, rest, pool.apply_async(_work, (rest,))))
            continue
        if res.damaged is not None:
            raise res.damaged
        stop[span.path] = res.stop
        fill()
        for page in res.pages:
            yield arch, page


def replay(
    site: str,
    runs: list[RunArchive],
    settings: Settings,
    spider_args: dict[str, str],
    *,
    jobs: int = 1,
    out: Path | None = None,
    sink: Callable[[ArticleItem], None] | None = None,
    restart: Callable[[], None] | None = None,
) -> Replayed:
    """Re-extract the records of *runs* (module doc) into *out* (when given) and *sink*;
    *spider_args*: the since/until window the runs were crawled with. *restart* is
    called when the replay starts over without a damaged WARC (the sink's records
    so far are void)."""
    global _extractor
    left_out: list[str] = []
    runs = list(runs)
    while True:
        paths, per_item = pipeline_paths(settings)
        _extractor = PageExtractor(replay_crawler(site, settings, spider_args), site, paths[:per_item])
        pool = multiprocessing.get_context("fork").Pool(jobs) if jobs > 1 and runs else None
        crawler = replay_crawler(site, settings, spider_args)
        output = Output(out, crawler) if out is not None else None

        def written(item: ArticleItem, output=output) -> None:
            if output is not None:
                output.export(item)
            if sink is not None:
                sink(item)

        ordered_part = Ordered(crawler, paths, per_item, written)
        ordered_part.open()
        try:
            pages = _pooled(runs, pool, jobs) if pool is not None else _inline(runs, _extractor)
            for arch, page in pages:
                ordered_part.page(arch, page)
        except WarcDamaged as exc:
            ordered_part.close("damaged")
            _extractor.close()
            if output is not None:
                output.discard()
            left_out.append(f"{exc}: left out")
            logger.error("%s: left out, the replay starts over without it", exc)
            runs = [r for r in runs if r.warc != exc.path]
            if restart is not None:
                restart()
            continue
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
        ordered_part.close()
        _extractor.close()
        if output is not None:
            output.finish()
        return Replayed(dict(crawler.stats.get_stats()), runs, left_out)
