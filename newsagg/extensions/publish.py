"""Publishing a dataset run: segments, each committed with the state, whatever kills the run.

:class:`DatasetPublisher` opens the state (the spider's gate and frontier, the
claims), writes records and captured pages into the open segment's staging
directory, cuts a segment every ``NEWSAGG_CHECKPOINT_ITEMS`` records or
``NEWSAGG_CHECKPOINT_SECONDS`` seconds and at the end (files fsync'ed, manifest,
state commit, one rename), and recovers what killed runs left. A write that
fails fails the segment (``publish_failed``, exit 4), nothing of it committed.
The protocol: docs/ARCHITECTURE.md "Publishing a dataset run".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import json
import logging
import os
import shutil
import sqlite3
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from newsagg import failpoints
from newsagg import signals as newsagg_signals
from newsagg.archive.capture import CAPTURED_AT_META, RAW_META, RECORD_ID_META, captures_warc
from newsagg.archive.writer import INFO_SETTINGS, WARC_SUFFIX, WarcFile, wants_capture, warc_info
from newsagg.config import setting
from newsagg.exporters.segment import SegmentFiles
from newsagg.exporters.storage import fsync_path
from newsagg.items import SCHEMA_VERSION
from newsagg.layout import MANIFEST_SUFFIX, STAGING
from newsagg.monitoring.extension import run_health
from newsagg.profiles import is_dataset_run, is_loopback
from newsagg.run import RunIdentity, UnsafeName, run_context
from newsagg.state import Key, StateBackend, StateError, StateLocked, open_state
from newsagg.state.base import CLAIMED, SegmentCommit
from newsagg.state.frontier import MemoryFrontier
from newsagg.state.gate import StoredGate
from newsagg.stats import ITEMS_DROPPED, PREFIX, inc
from newsagg.urls import SLUG_RE

logger = logging.getLogger(__name__)

MANIFEST_VERSION = 2
RUN_ID_FILE = ".run_id"  # in a staging directory: whose segment it is (recovery asks the state)
SEGMENTS = f"{PREFIX}/segments"


def _cause(exc: BaseException) -> str:
    """One line naming what failed: the OS's words and the file, or the error."""
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{os.strerror(exc.errno)} [{errno.errorcode.get(exc.errno, exc.errno)}]{where}"
    return f"{type(exc).__name__}: {exc}"


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (tuple, frozenset, set)):
        return list(value)
    return value


def _instant(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclasses.dataclass
class _Segment:
    """The open segment: its files and what the manifest will say of it."""

    number: int
    name: str
    directory: Path
    files: SegmentFiles
    started: dt.datetime
    stats_at_start: dict
    per_source: Counter = dataclasses.field(default_factory=Counter)
    per_language: Counter = dataclasses.field(default_factory=Counter)
    hosts: set = dataclasses.field(default_factory=set)
    history: list = dataclasses.field(default_factory=list)
    earliest: tuple | None = None
    latest: tuple | None = None
    claimed: int = 0
    pages: int = 0

    def note(self, item) -> None:
        self.per_source[item.source_slug or ""] += 1
        self.per_language[getattr(item, "language", None) or ""] += 1
        self.hosts.add(urlsplit(item.url).netloc)
        published = item.published_at
        if not published:
            return
        self.history.append((item.source_slug, item.article_id or "", published))
        try:
            key = (_instant(published), published)
        except ValueError:
            return
        if self.earliest is None or key < self.earliest:
            self.earliest = key
        if self.latest is None or key > self.latest:
            self.latest = key


class DatasetPublisher:
    """The publishing protocol of a dataset run (module doc)."""

    def __init__(self, crawler, checkpoint_items: int, checkpoint_seconds: float):
        self.crawler = crawler
        self.settings = crawler.settings
        self.stats = crawler.stats
        self.checkpoint_items = checkpoint_items
        self.checkpoint_seconds = checkpoint_seconds
        self.warc = captures_warc(crawler)
        self.split = crawler.settings.getbool("NEWSAGG_SPLIT_BY_SOURCE")
        self._backend: StateBackend | None = None
        self._full = False
        self.aborted: str | None = None
        self.failed = False
        self.segment: _Segment | None = None
        self.published = 0  # segments
        self.published_items = 0
        self._seq = 0
        self._cutting = False
        self._waiter: task.LoopingCall | None = None
        self._timer: task.LoopingCall | None = None
        self._site_dir: Path | None = None
        self._run: RunIdentity | None = None
        self._warc_info: dict | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not is_dataset_run(crawler):
            raise NotConfigured  # -o/-O only: no dataset, no state (silently, every such run)
        items = setting(crawler.settings, "NEWSAGG_CHECKPOINT_ITEMS", "getint")
        seconds = setting(crawler.settings, "NEWSAGG_CHECKPOINT_SECONDS", "getfloat")
        if items < 1 or seconds <= 0:
            raise ValueError(
                f"NEWSAGG_CHECKPOINT_ITEMS={items} and NEWSAGG_CHECKPOINT_SECONDS={seconds}: both must be positive"
            )
        ext = cls(crawler, items, seconds)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    # -- what others see -------------------------------------------------------

    @property
    def backend(self) -> StateBackend | None:
        """The open state backend (None before it opens or once closed)."""
        return self._backend

    @property
    def full(self) -> bool:
        """``full=1``: stored entries do not block, the commits refresh them."""
        return self._full

    @property
    def run(self) -> RunIdentity:
        if self._run is None:
            self._run = run_context(self.crawler).identity
        return self._run

    def claim(self, key: Key, fingerprint: str, url: str, *, signature: bytes | None = None) -> str:
        """Claim an item for this run (:meth:`StateBackend.claim_result`)."""
        if self._backend is None:
            raise StateError("no incremental state this run")
        result = self._backend.claim_result(
            key, fingerprint, url, self.run.run_id, signature=signature, refresh=self._full
        )
        if result == CLAIMED and self.segment is not None:
            self.segment.claimed += 1
        return result

    # -- opening ---------------------------------------------------------------

    def spider_opened(self, spider):
        run = self.run
        if run.data_dir is None:
            inc(self.stats, f"{SEGMENTS}/failed")
            self._stop_at_once("publish_failed", "NEWSAGG_DATA_DIR is not set: nowhere to publish the dataset")
        self._site_dir = run.data_dir / run.spider
        try:
            self._backend = open_state(self.settings, run.site)
        except StateLocked as exc:
            self._stop_at_once("state_locked", f"{exc}. This run stops now; the running one is not disturbed.")
        except StateError as exc:
            inc(self.stats, f"{SEGMENTS}/failed")
            self._stop_at_once("publish_failed", f"Incremental state unusable: {exc}")
        self._full = bool(getattr(getattr(spider, "args", None), "full", False))
        try:
            self._recover()
            self._warc_info = warc_info(self.crawler, spider, run) if self.warc else None
            self._open_segment()
        except OSError as exc:
            inc(self.stats, f"{SEGMENTS}/failed")
            self._stop_at_once("publish_failed", f"Cannot write in {self._site_dir}: {_cause(exc)}")
        backend = self._backend
        known = backend.count() if hasattr(backend, "count") else None
        self.stats.set_value(f"{PREFIX}/state/known_before", known)
        spider.frontier = backend.frontier() or MemoryFrontier(walked=True)
        if self._full:
            logger.info("full=1: the state (%s articles, %s) is ignored and refreshed", known, backend.name)
        else:
            spider.stored_gate = StoredGate(backend, run.site, self.stats)
            logger.info("Incremental run %s: %s articles already stored (%s state)", run.run_id, known, backend.name)
        self.crawler.signals.send_catch_log(newsagg_signals.state_opened, backend=backend)
        self._timer = task.LoopingCall(self._tick)
        self._timer.start(1.0, now=False)

    def _stop_at_once(self, reason: str, message: str):
        self.aborted = reason
        logger.error(message)
        raise CloseSpider(reason)

    def _recover(self) -> None:
        """Finish or undo the segments earlier runs left in staging (docs/ARCHITECTURE.md "Publishing a dataset run")."""
        staging = self._site_dir / STAGING
        if not staging.is_dir():
            return
        for directory in sorted(p for p in staging.iterdir() if p.is_dir() and p.name.startswith(f"{self.run.site}-")):
            try:
                owner = (directory / RUN_ID_FILE).read_text(encoding="utf-8").strip()
            except OSError:
                owner = ""
            if owner == self.run.run_id:
                continue
            if self._backend.is_committed(directory.name):
                self._publish_dir(directory)
                inc(self.stats, f"{SEGMENTS}/recovered")
                logger.warning(
                    "Segment %s was committed by a run that died before publishing it: published now", directory.name
                )
            elif not owner or self._backend.abandon_if_dead(owner):
                if self._backend.is_committed(directory.name):  # committed just before it died
                    self._publish_dir(directory)
                    continue
                shutil.rmtree(directory)
                inc(self.stats, f"{SEGMENTS}/rolled_back")
                logger.warning(
                    "Segment %s of a run that died before committing it removed: its articles are fetched again",
                    directory.name,
                )

    def _publish_dir(self, staged: Path) -> Path:
        final = self._site_dir / staged.name
        os.rename(staged, final)
        fsync_path(self._site_dir, directory=True)
        return final

    def _open_segment(self) -> None:
        self._seq += 1
        run, n = self.run, self._seq
        name = run.stem(segment=n)
        directory = self._site_dir / STAGING / name
        directory.mkdir(parents=True)
        (directory / RUN_ID_FILE).write_text(run.run_id, encoding="utf-8")
        files = SegmentFiles(
            self.crawler,
            directory,
            lambda source: run.stem(source, segment=n),
            split=self.split,
            warc=(lambda stem: WarcFile(stem.with_name(stem.name + WARC_SUFFIX))) if self.warc else None,
            warc_info=self._warc_info,
        )
        self.segment = _Segment(
            n, name, directory, files, dt.datetime.now(dt.UTC).replace(microsecond=0), dict(self.stats.get_stats())
        )

    # -- during the run --------------------------------------------------------

    def response_received(self, response, request, spider):
        raw = request.meta.pop(RAW_META, None)
        segment = self.segment
        if segment is None or self.failed or raw is None or not wants_capture(request, response, raw):
            return
        redirects = request.meta.get("redirect_urls")
        # The record's crawled_at is its capture's WARC-Date: a re-extraction gives the same one.
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in request.headers.items() for v in vs]
        try:
            record_id = segment.files.write_page(
                response.url,
                raw,
                headers,
                kind=request.meta["newsagg_kind"],
                date=now,
                requested_url=redirects[0] if redirects else None,
                rendered=bool(request.meta.get("playwright")),
            )
        except OSError as exc:
            self._fail(exc)
            return
        request.meta[CAPTURED_AT_META] = now.isoformat(timespec="seconds")
        request.meta[RECORD_ID_META] = record_id
        segment.pages += 1
        inc(self.stats, f"{PREFIX}/warc/responses")

    def item_scraped(self, item, response=None, spider=None):
        segment = self.segment
        if segment is None or self.failed:
            inc(self.stats, f"{SEGMENTS}/items_not_written")
            return
        try:
            segment.files.write_item(item)
        except UnsafeName as exc:  # validation drops these first; never a path from a page
            inc(self.stats, f"{PREFIX}/feeds/rejected_slug")
            logger.error("%s: item %s left out of the dataset", exc, getattr(item, "url", "?"))
            return
        except OSError as exc:
            self._fail(exc)
            inc(self.stats, f"{SEGMENTS}/items_not_written")
            return
        segment.note(item)
        if segment.files.items >= self.checkpoint_items:
            self.checkpoint()

    def item_dropped(self, item, response=None, exception=None, spider=None):
        """A republication (same content as an article stored or written by this
        run) becomes a known key too: later runs do not fetch it again."""
        backend = self._backend
        if backend is None or getattr(exception, "reason", None) not in ("duplicate_content", "already_stored"):
            return
        key, fp = getattr(item, "key", None), getattr(item, "fingerprint", None)
        if key and fp and all(SLUG_RE.fullmatch(str(k)) for k in key[:2]) and not backend.is_known(key):
            backend.alias(key, fp, item.url, self.run.run_id)

    def _tick(self) -> None:
        segment = self.segment
        if (
            segment is not None
            and (segment.files.items or segment.pages)
            and (dt.datetime.now(dt.UTC) - segment.started).total_seconds() >= self.checkpoint_seconds
        ):
            self.checkpoint()

    def checkpoint(self) -> None:
        """Cut the open segment as soon as no response is being processed (docs/ARCHITECTURE.md "Publishing a dataset run")."""
        if self._cutting or self.failed or self.segment is None:
            return
        engine = self.crawler.engine
        self._cutting = True
        engine.pause()
        self._waiter = task.LoopingCall(self._cut_when_idle)
        self._waiter.start(0.02, now=True)

    def _cut_when_idle(self) -> None:
        engine = self.crawler.engine
        slot = getattr(engine.scraper, "slot", None)
        if slot is not None and not slot.is_idle():
            return
        self._stop_waiter()
        try:
            if self._publish(final=False, reason="checkpoint"):
                self._open_segment()
        except OSError as exc:
            self._fail(exc)
        finally:
            self._cutting = False
            engine.unpause()
            nextcall = getattr(getattr(engine, "_slot", None), "nextcall", None)
            if nextcall is not None:
                nextcall.schedule()  # resume now, not at the engine's next heartbeat

    def _stop_waiter(self) -> None:
        if self._waiter is not None and self._waiter.running:
            self._waiter.stop()
        self._waiter = None

    # -- a segment ---------------------------------------------------------------

    def _manifest(self, segment: _Segment, final: bool, reason: str) -> dict:
        run, spider, stats = self.run, self.crawler.spider, self.stats.get_stats()
        before = segment.stats_at_start
        args = getattr(spider, "args", None)
        arguments = {}
        if args is not None:
            arguments = {
                f.name: _jsonable(getattr(args, f.name))
                for f in dataclasses.fields(args)
                if f.name not in ("extra", "job")
            }

        def delta(key: str) -> int:
            return stats.get(key, 0) - before.get(key, 0)

        prefix = ITEMS_DROPPED + "/"
        drops = {k[len(prefix) :]: delta(k) for k in sorted(stats) if k.startswith(prefix) and delta(k)}
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        base_url = getattr(spider, "base_url", None) or ""
        health = run_health(self.crawler) if final else None
        return {
            "manifest_version": MANIFEST_VERSION,
            "schema_version": SCHEMA_VERSION,
            "run_id": run.run_id,
            "scrapyd_job": run.scrapyd_job,
            "spider": run.spider,
            "site": run.site,
            "arguments": arguments,
            "started_at": run.started.isoformat(),
            "segment": {
                "number": segment.number,
                "final": final,
                "started_at": segment.started.isoformat(),
                "finished_at": now,
            },
            "finished_at": now,
            "finish_reason": reason if final else "checkpoint",
            "items_written": segment.files.items,
            "per_source": dict(sorted(segment.per_source.items())),
            "per_language": dict(sorted(segment.per_language.items())),
            "items_dropped": drops,
            "requests": delta("downloader/request_count"),
            "published_at": {
                "earliest": segment.earliest[1] if segment.earliest else None,
                "latest": segment.latest[1] if segment.latest else None,
            },
            "state": {
                "backend": self._backend.name if self._backend else None,
                "full": self._full,
                "marked_stored": segment.claimed,
                "skipped_already_stored": delta(f"{PREFIX}/skipped/already_stored"),
            },
            "fetch": {
                "base_url": base_url,
                "hosts": sorted(segment.hosts or {urlsplit(base_url).netloc} - {""}),
                "local": is_loopback(base_url),
                "settings": {name: _jsonable(self.settings.get(name)) for name in INFO_SETTINGS},
            },
            "files": segment.files.entries(),
            "health": None if health is None else health.to_dict(),
            "run": {"segments": segment.number, "items_written": self.published_items + segment.files.items}
            if final
            else None,
        }

    def _publish(self, *, final: bool, reason: str) -> bool:
        """Close, commit and publish the open segment; False when it failed."""
        segment = self.segment
        if segment is None or self.failed:
            return False
        try:
            segment.files.close()
            manifest = json.dumps(self._manifest(segment, final, reason), ensure_ascii=False, indent=1) + "\n"
            path = segment.directory / f"{segment.name}{MANIFEST_SUFFIX}"
            with path.open("x", encoding="utf-8") as fh:
                fh.write(manifest)
                fh.flush()
                os.fsync(fh.fileno())
            fsync_path(segment.directory, directory=True)
        except OSError as exc:
            self._fail(exc)
            return False
        failpoints.reached("staged")
        record = SegmentCommit(
            segment.name, final=final, finish_reason=reason if final else None, history=segment.history
        )
        try:
            entries = self._backend.commit(self.run.run_id, record)
        except (StateError, sqlite3.Error, OSError) as exc:
            self._fail(exc)
            return False
        failpoints.reached("rename")
        self.segment = None
        try:
            final_dir = self._publish_dir(segment.directory)
        except OSError as exc:
            # Committed: the next run publishes it (recovery). This run stops: its disk is failing.
            self.failed = True
            inc(self.stats, f"{SEGMENTS}/failed")
            logger.error(
                "Segment %s is committed but could not be published (%s): the next run publishes it",
                segment.name,
                _cause(exc),
            )
            self._stop_run()
            return False
        self.published += 1
        self.published_items += segment.files.items
        inc(self.stats, f"{SEGMENTS}/published")
        inc(self.stats, f"{PREFIX}/published/items", segment.files.items)
        self.stats.set_value(
            f"{PREFIX}/state/committed", self.stats.get_value(f"{PREFIX}/state/committed", 0) + entries
        )
        logger.info(
            "Segment %s published: %d record(s), %d page(s) (%s)",
            segment.name,
            segment.files.items,
            segment.pages,
            final_dir,
        )
        self.crawler.signals.send_catch_log(
            newsagg_signals.segment_published, name=segment.name, items=segment.files.items
        )
        return True

    def _fail(self, exc: BaseException) -> None:
        """The open segment cannot be published: undo it and stop the run."""
        segment, self.segment = self.segment, None
        if self.failed:
            return
        self.failed = True
        said = self.stats.get_value(f"{SEGMENTS}/failed")  # the run already said why it fails (once)
        inc(self.stats, f"{SEGMENTS}/failed")
        name = segment.name if segment else "?"
        logger.log(
            logging.INFO if said else logging.ERROR,
            "Publication failed: segment %s not published: %s. Nothing of it is marked stored; "
            "the next run fetches its articles again.",
            name,
            _cause(exc),
        )
        if segment is not None:
            segment.files.abort()
            shutil.rmtree(segment.directory, ignore_errors=True)
        if self._backend is not None:
            try:
                self._backend.release(self.run.run_id)
            except (StateError, sqlite3.Error) as release_exc:
                logger.error("Claims of run %s not released: %s", self.run.run_id, _cause(release_exc))
        self._stop_run()

    def _fail_quietly(self) -> None:
        """The run failed elsewhere (said there): the open segment is not published."""
        self.failed = True
        segment, self.segment = self.segment, None
        if segment is not None:
            segment.files.abort()
            shutil.rmtree(segment.directory, ignore_errors=True)

    def _stop_run(self) -> None:
        try:
            engine = self.crawler.engine
        except (AttributeError, RuntimeError):  # not crawling (tools, tests)
            return
        if engine is None or getattr(engine, "spider", None) is None:
            return
        slot = getattr(engine, "_slot", None)
        if slot is not None and slot.closing is not None:
            return  # closing already: spider_closed publishes nothing more
        deferred_from_coro(engine.close_spider_async(reason="publish_failed"))

    # -- closing -----------------------------------------------------------------

    def spider_closed(self, spider, reason):
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self._stop_waiter()
        self._cutting = False
        if reason == "publish_failed" and not self.failed:  # the spider could not write the state
            self._fail_quietly()
        if self.aborted or self.failed or self.segment is None:
            return
        started = time.monotonic()
        if self._publish(final=True, reason=reason):
            logger.info(
                "Run %s published: %d segment(s), %d record(s) (last segment in %.1f s)",
                self.run.run_id,
                self.published,
                self.published_items,
                time.monotonic() - started,
            )

    def engine_stopped(self):
        segment, self.segment = self.segment, None
        if segment is not None:  # never committed (the run ended without its last cut): not data
            segment.files.abort()
            shutil.rmtree(segment.directory, ignore_errors=True)
        if self._backend is not None:
            try:
                self._backend.release(self.run.run_id)
            except (StateError, sqlite3.Error):
                pass
            finally:
                self._backend.close()
                self._backend = None
