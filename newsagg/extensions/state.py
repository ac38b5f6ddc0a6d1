"""Incremental runs: open the crawl state, gate requests, commit with the files.

``NEWSAGG_STATE_ENABLED``: ``"auto"`` (default) keeps state when the run
writes dataset feeds (feed option ``newsagg_dataset``: ``NEWSAGG_DEFAULT_FEEDS``,
i.e. a plain ``scrapy crawl`` or a Scrapyd job), not for a one-off ``-O out.csv``;
True/False force it. Backend: ``NEWSAGG_STATE_BACKEND`` (:mod:`newsagg.state`).

The commit protocol (no loss, no repeats, whatever kills the run):

1. every feed is written to ``<name>.part`` (:class:`PartFileStorage`), closed
   and fsync'ed; the items were *claimed* by :class:`StatePipeline`;
2. when all feeds closed without error (``feed_exporter_closed``) the manifest
   is written as ``.part`` too, then a journal ``<state_dir>/<site>.<tag>.journal.json``
   listing the renames;
3. ``backend.commit(run_id)``: the claims become *stored*, atomically;
4. the ``.part`` files are renamed to their final names, the journal deleted.

Killed before 3: nothing is stored, no final file exists; the next run
fetches everything again (leftover ``*.part`` files are never data; a
journal of an uncommitted run is rolled back: its parts deleted). Killed
between 3 and 4: the next run finds the journal of a committed run and
finishes the renames before it starts. A feed that failed: nothing is
committed and the run's ``.part`` files are deleted.

A second run of a site whose state is locked (SQLite backend) stops at once
with finish reason ``state_locked``, touching nothing.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.extensions.feedexport import FeedExporter

from newsagg.args import FALSE_WORDS, TRUE_WORDS
from newsagg.exporters.storage import PartFileStorage, fsync_path, get_run
from newsagg.state import Key, StateError, StateLocked, open_state
from newsagg.state.sqlite import state_dir
from newsagg.stats import PREFIX, inc
from newsagg.urls import SLUG_RE, PageRef

logger = logging.getLogger(__name__)


class StateGate:
    """What the spider asks before requesting: see ``AggregatorSpider.already_stored``
    and ``parse_listing``. Only on a run with state that is not ``full=1``."""

    CACHE_MAX = 50_000  # answers of the backend kept for links seen again (sidebars repeat)

    def __init__(self, backend, site: str, stats, known_pages: int = 1, walk_all: bool = False):
        self.backend, self.site, self.stats = backend, site, stats
        #: The last run was interrupted: its pagination stopped short, so a page
        #: of stored articles proves nothing; walk every listing to its end.
        self.walk_all = walk_all
        self.known_pages = max(1, known_pages)
        self._known: dict[Key, bool] = {}
        self._skipped: set[int] = set()
        self._streak: dict[str, int] = {}

    def _key(self, ref: PageRef) -> Key:
        return (self.site, ref.slug or "", ref.article_id or "")

    def known(self, refs: list[PageRef]) -> set[Key]:
        keys = [self._key(r) for r in refs]
        if len(self._known) > self.CACHE_MAX:  # a cache, not a record: memory stays flat
            self._known.clear()
        todo = [k for k in keys if k not in self._known]
        if todo:
            found = self.backend.known_keys(todo)
            self._known.update((k, k in found) for k in todo)
        return {k for k in keys if self._known[k]}

    def skip(self, ref: PageRef) -> bool:
        """True (and counted once per article) when an earlier run stored *ref*."""
        key = self._key(ref)
        if not self.known([ref]):
            return False
        if hash(key) not in self._skipped:  # counted once per article; ints, not key tuples
            self._skipped.add(hash(key))
            inc(self.stats, f"{PREFIX}/skipped/already_stored")
        return True

    def stop_listing(self, listing: PageRef, entries: list[PageRef], url: str) -> bool:
        """True when this listing page and the ``NEWSAGG_STATE_KNOWN_PAGES - 1``
        before it held only stored articles: pagination of the source stops."""
        if self.walk_all:
            return False
        slug = listing.slug or ""
        if entries and len(self.known(entries)) == len({self._key(r) for r in entries}):
            self._streak[slug] = self._streak.get(slug, 0) + 1
        else:
            self._streak[slug] = 0
        if self._streak[slug] >= self.known_pages:
            inc(self.stats, f"{PREFIX}/listings/stopped_known")
            logger.info("Listing %s holds only stored articles (%d page(s) in a row): stop paginating",
                        url, self._streak[slug])
            return True
        return False


class CrawlState:
    """Owns the run's state backend and the publication of its files (module doc)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.settings = crawler.settings
        self.stats = crawler.stats
        self.backend = None
        self.full = False
        self.claimed = 0
        self.reason: str | None = None
        self.aborted: str | None = None
        self.done = False
        self.journal: Path | None = None
        crawler.newsagg_state = self

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.feed_slot_closed, signal=signals.feed_slot_closed)
        crawler.signals.connect(ext.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        return ext

    @property
    def run(self):
        """The crawler's :class:`~newsagg.exporters.storage.Run` (made once the spider exists)."""
        return get_run(self.crawler)

    # -- opening -------------------------------------------------------------

    def _exporter(self):
        return self.crawler.get_extension(FeedExporter)

    def wanted(self) -> bool:
        """Whether this run keeps state (``NEWSAGG_STATE_ENABLED``, see module doc)."""
        mode = str(self.settings.get("NEWSAGG_STATE_ENABLED", "auto")).strip().lower()
        if mode in TRUE_WORDS:
            return True
        if mode in FALSE_WORDS:
            return False
        exporter = self._exporter()
        return bool(exporter) and any(o.get("newsagg_dataset") for o in exporter.feeds.values())

    def spider_opened(self, spider):
        # Feed files open later (first item, or the end): they wait for finish().
        self.run.defer_publish = True
        self.stats.set_value(f"{PREFIX}/run/id", self.run.run_id)
        if not self.wanted():
            logger.info("Incremental state off for this run (NEWSAGG_STATE_ENABLED=%s, no dataset feed)",
                        self.settings.get("NEWSAGG_STATE_ENABLED"))
            return
        site = getattr(spider, "site", "") or spider.name
        try:
            self.backend = open_state(self.settings, site)
        except StateLocked as exc:
            self.aborted = "state_locked"
            logger.error("%s. This run stops now; the running one is not disturbed.", exc)
            raise CloseSpider("state_locked") from None
        except StateError as exc:
            self.aborted = "state_error"
            logger.error("Incremental state unusable: %s", exc)
            raise CloseSpider("state_error") from None
        self.full = bool(getattr(getattr(spider, "args", None), "full", False))
        self.recover(site)
        known = self._count()
        self.stats.set_value(f"{PREFIX}/state/known_before", known)
        if self.full:
            logger.info("full=1: the state (%s articles, %s) is ignored and refreshed", known, self.backend.name)
        else:
            last_reason, side_links = self.backend.last_run()
            walk_all = last_reason != "finished"
            if walk_all:
                inc(self.stats, f"{PREFIX}/listings/walk_all")
                logger.info("The last committed run did not finish (%s): every listing is walked to its end "
                            "this time", last_reason or "killed after its commit")
            spider.incremental_state = StateGate(self.backend, site, self.stats,
                                                 self.settings.getint("NEWSAGG_STATE_KNOWN_PAGES", 1), walk_all)
            if side_links and hasattr(spider, "restore_side_links"):
                spider.restore_side_links(side_links)
            logger.info("Incremental run %s: %s articles already stored (%s state)", self.run.run_id, known,
                        self.backend.name)

    def _count(self):
        try:
            return self.backend.count()
        except NotImplementedError:
            return None

    def _journals(self, site: str) -> list[Path]:
        return sorted(state_dir(self.settings).glob(f"{site}.*.journal.json"))

    def recover(self, site: str) -> None:
        """Finish or roll back the commit of runs killed mid-commit (module doc)."""
        for journal in self._journals(site):
            try:
                data = json.loads(journal.read_text(encoding="utf-8"))
                run_id, renames = data["run_id"], data["renames"]
            except (OSError, ValueError, KeyError) as exc:
                logger.error("Unreadable commit journal %s (%s): left alone", journal, exc)
                continue
            if run_id == self.run.run_id:
                continue
            if self.backend.is_committed(run_id):
                for part, final in renames:
                    if Path(part).exists():
                        os.replace(part, final)
                journal.unlink()
                inc(self.stats, f"{PREFIX}/state/recovered_runs")
                logger.warning("Run %s was killed after its commit: its files are now published", run_id)
            elif self.backend.exclusive:
                for part, _ in renames:
                    Path(part).unlink(missing_ok=True)
                journal.unlink()
                logger.warning("Run %s was killed before its commit: its unpublished files were removed", run_id)

    def item_dropped(self, item, exception, spider=None):
        """A republication (same content as an article stored or written by this
        run) becomes a known key too: later runs do not fetch it again."""
        if self.backend is None or getattr(exception, "reason", None) not in ("duplicate_content", "already_stored"):
            return
        key, fp = getattr(item, "key", None), getattr(item, "fingerprint", None)
        if key and fp and all(SLUG_RE.fullmatch(str(k)) for k in key[:2]) and not self.backend.is_known(key):
            self.backend.alias(key, fp, item.url, self.run.run_id)

    # -- closing -------------------------------------------------------------

    def feed_slot_closed(self, slot):
        if isinstance(slot.storage, PartFileStorage):
            slot.storage.rows = slot.itemcount

    def spider_closed(self, spider, reason):
        self.reason = reason
        if self._exporter() is None:  # no feed at all: nothing was written
            self.finish()

    def feed_exporter_closed(self):
        self.finish()

    def engine_stopped(self):
        self._close_backend()

    def finish(self) -> None:
        """Commit and publish, or discard (module doc). Runs once."""
        if self.done:
            return
        self.done = True
        files = list(self.run.files)
        try:
            if self.aborted:
                for f in files:
                    f.discard()
                return
            failed = [f for f in files if f.status != "closed"]
            failed_stats = sum(v for k, v in self.stats.get_stats().items() if k.startswith("feedexport/failed_count/"))
            if failed or failed_stats:
                self._fail(files, f"{len(failed) or failed_stats} feed(s) not stored")
                return
            if self.backend is not None and self.claimed and not files:
                self._fail(files, "no feed file was written")
                return
            pending = list(files)
            manifest = getattr(self.crawler, "newsagg_manifest", None)
            if manifest is not None:
                part = manifest.write_part(self)
                if part is not None:
                    pending.append(part)
            if self.backend is not None:
                self._write_journal(pending)
                try:
                    committed = self.backend.commit(self.run.run_id)
                except StateError as exc:  # Redis: the run was presumed dead, its work redone elsewhere
                    self._fail(pending, str(exc))
                    self.journal.unlink(missing_ok=True)
                    return
                self.stats.set_value(f"{PREFIX}/state/committed", committed)
                spider = getattr(self.crawler, "spider", None)
                leftover = spider.unfinished_side_links() if hasattr(spider, "unfinished_side_links") else []
                self.backend.note_run(self.run.run_id, self.reason, leftover)
                logger.info("State committed: %d article(s) of run %s marked stored", committed, self.run.run_id)
            for f in pending:
                f.publish()
            if self.journal is not None:
                self.journal.unlink(missing_ok=True)
            self._remove_dead_parts(files)
        finally:
            self._close_backend()

    def _fail(self, files, why: str) -> None:
        if self.backend is None:
            logger.error("%s: the complete files are kept", why)
            for f in files:
                if f.status == "closed":
                    f.publish()
            return
        released = self.backend.release(self.run.run_id)
        for f in files:
            f.discard()
        inc(self.stats, f"{PREFIX}/state/not_committed")
        logger.error("%s: nothing marked stored (%d claim(s) released), this run's files removed; "
                     "the next run fetches these articles again", why, released)

    def _remove_dead_parts(self, files) -> None:
        """Delete ``.part`` leftovers of killed runs of this site next to our
        dataset files. Only with an exclusive backend: then no other run of
        the site is alive to own them."""
        if self.backend is None or not self.backend.exclusive:
            return
        site = re.escape(self.backend.site or "")
        dead = re.compile(rf"^{site}(-[a-z0-9]+)?-\d{{8}}T\d{{6}}Z-(?!{self.run.tag}\.)[a-z0-9]{{8}}\..+\.part$")
        for directory in {f.final.parent for f in files if f.dataset}:
            for path in directory.iterdir():
                if dead.match(path.name):
                    path.unlink(missing_ok=True)
                    logger.info("Removed %s (left by a killed run)", path)

    def _write_journal(self, pending) -> None:
        directory = state_dir(self.settings)
        directory.mkdir(parents=True, exist_ok=True)
        journal = directory / f"{self.backend.site}.{self.run.tag}.journal.json"
        tmp = journal.with_name(journal.name + ".tmp")
        data = {"run_id": self.run.run_id,
                "renames": [[str(f.part.resolve()), str(f.final.resolve())] for f in pending]}
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, journal)
        fsync_path(directory, directory=True)
        self.journal = journal

    def _close_backend(self) -> None:
        if self.backend is not None:
            try:
                self.backend.release(self.run.run_id)
            finally:
                self.backend.close()
                self.backend = None
