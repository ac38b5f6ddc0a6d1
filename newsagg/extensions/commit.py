"""The run's commit: open the incremental state, gate requests, commit with the files.

Three names, three things: the *state* is the backend that stores what earlier
runs published (:mod:`newsagg.state`); the *gate* is what the spider asks
(:class:`newsagg.state.gate.StoredGate`, ``spider.stored_gate``); the *commit*
(:class:`RunCommit`, this module) is the protocol that makes "marked stored"
and "in a published file" change together.

``NEWSAGG_STATE_ENABLED``: ``"auto"`` (default) keeps state when the run
writes dataset feeds (feed option ``newsagg_dataset``: ``NEWSAGG_DEFAULT_FEEDS``,
i.e. a plain ``scrapy crawl`` or a Scrapyd job), not for a one-off ``-O out.csv``;
True/False force it. Backend: ``NEWSAGG_STATE_BACKEND`` (:mod:`newsagg.state`).

The commit protocol (no loss, no repeats, whatever kills the run):

1. every feed is written to ``<name>.part`` (:class:`PartFileStorage`), closed
   and fsync'ed; the items were *claimed* through :meth:`RunCommit.claim` by
   :class:`~newsagg.pipelines.claim.ClaimPipeline`;
2. when all feeds closed without error (``feed_exporter_closed``) the manifest
   (:class:`~newsagg.extensions.manifest.RunManifest`, when enabled) is written
   as ``.part`` too, then a journal ``<state_dir>/<site>.<tag>.journal.json``
   listing the renames;
3. ``backend.commit(run_id)``: the claims become *stored*, atomically;
4. the ``.part`` files are renamed to their final names, the journal deleted.

Killed before 3: nothing is stored, no final file exists; the next run
fetches everything again (leftover ``*.part`` files are never data; a
journal of an uncommitted run is rolled back once the run is known dead:
always with SQLite, whose lock excludes other runs; with Redis once the
run's lease is gone, which also marks it ``reaped`` so it can never commit;
``newsagg/state/rolled_back_runs``). Killed between 3 and 4: the next run
finds the journal of a committed run and finishes the renames before it
starts (``newsagg/state/recovered_runs``). A journal that cannot be read is
renamed ``*.unreadable`` (an error line, ``newsagg/state/unreadable_journals``)
so it is reported once and never read again. A feed that failed, or a
commit the backend refused: nothing is committed and the run's ``.part``
files are deleted.

Publication is deferred (:attr:`newsagg.run.RunFiles.deferred`) from
``spider_opened`` whatever the state: with the state off the files are still
published together, with the manifest, once all feeds closed.

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
from newsagg.config import setting
from newsagg.dupefilter import jobdir_resumed
from newsagg.exporters.storage import PartFileStorage, fsync_path
from newsagg.extensions.manifest import RunManifest
from newsagg.run import RunContext, RunIdentity, run_context
from newsagg.state import Key, StateBackend, StateError, StateLocked, open_state, state_dir
from newsagg.state.base import CLAIMED
from newsagg.state.gate import StoredGate
from newsagg.stats import PREFIX, inc
from newsagg.urls import SLUG_RE

logger = logging.getLogger(__name__)

UNREADABLE_SUFFIX = ".unreadable"


class RunCommit:
    """Owns the run's state backend and the publication of its files (module doc).

    Other parts use its public side only: :attr:`backend` / :attr:`full` (read
    only), :meth:`claim`, :meth:`summary`; they find it with
    ``crawler.get_extension(RunCommit)``.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.settings = crawler.settings
        self.stats = crawler.stats
        self._backend: StateBackend | None = None
        self._full = False
        self.claimed = 0
        self.reason: str | None = None
        self.aborted: str | None = None
        self.resumed = False
        self.done = False
        self.journal: Path | None = None
        self._ctx: RunContext | None = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.jobdir_resumed, signal=jobdir_resumed)
        return ext

    # -- what others see -------------------------------------------------------

    @property
    def backend(self) -> StateBackend | None:
        """The open state backend; None without state (or once closed)."""
        return self._backend

    @property
    def full(self) -> bool:
        """``full=1``: stored entries do not block, the commit refreshes them."""
        return self._full

    @property
    def context(self) -> RunContext:
        if self._ctx is None:
            self._ctx = run_context(self.crawler)
        return self._ctx

    @property
    def run(self) -> RunIdentity:
        """The run's identity (:class:`newsagg.run.RunContext`)."""
        return self.context.identity

    def claim(self, key: Key, fingerprint: str, url: str, *, signature: bytes | None = None) -> str:
        """Claim an item for this run (:meth:`StateBackend.claim_result`);
        counts what will be marked stored. Only with a backend."""
        if self._backend is None:
            raise StateError("no incremental state this run")
        result = self._backend.claim_result(
            key, fingerprint, url, self.run.run_id, signature=signature, refresh=self._full
        )
        if result == CLAIMED:
            self.claimed += 1
        return result

    def summary(self) -> dict | None:
        """The state part of the manifest; None without state."""
        if self._backend is None:
            return None
        return {"backend": self._backend.name, "full": self._full, "marked_stored": self.claimed}

    # -- opening -------------------------------------------------------------

    def _exporter(self):
        return self.crawler.get_extension(FeedExporter)

    def wanted(self) -> bool:
        """Whether this run keeps state (``NEWSAGG_STATE_ENABLED``, see module doc)."""
        mode = str(setting(self.settings, "NEWSAGG_STATE_ENABLED")).strip().lower()
        if mode in TRUE_WORDS:
            return True
        if mode in FALSE_WORDS:
            return False
        exporter = self._exporter()
        return bool(exporter) and any(o.get("newsagg_dataset") for o in exporter.feeds.values())

    def jobdir_resumed(self):
        """The dupefilter resumed a cleanly stopped JOBDIR (sent before spider_opened)."""
        self.resumed = True

    def spider_opened(self, spider):
        # Feed files open later (first item, or the end): they wait for finish().
        self.context.files.deferred = True
        if not self.wanted():
            logger.info(
                "Incremental state off for this run (NEWSAGG_STATE_ENABLED=%s, no dataset feed)",
                setting(self.settings, "NEWSAGG_STATE_ENABLED"),
            )
            return
        site = self.run.site
        try:
            self._backend = open_state(self.settings, site)
        except StateLocked as exc:
            self.aborted = "state_locked"
            logger.error("%s. This run stops now; the running one is not disturbed.", exc)
            raise CloseSpider("state_locked") from None
        except StateError as exc:
            self.aborted = "state_error"
            logger.error("Incremental state unusable: %s", exc)
            raise CloseSpider("state_error") from None
        self._full = bool(getattr(getattr(spider, "args", None), "full", False))
        self.recover(site)
        known = self._count()
        self.stats.set_value(f"{PREFIX}/state/known_before", known)
        if self._full:
            logger.info("full=1: the state (%s articles, %s) is ignored and refreshed", known, self._backend.name)
            return
        last_reason, side_links = self._backend.last_run()
        walk_all = last_reason != "finished"
        if walk_all:
            inc(self.stats, f"{PREFIX}/listings/walk_all")
            logger.info(
                "The last committed run did not finish (%s): every listing is walked to its end this time",
                last_reason or "killed after its commit",
            )
        # Resuming a JOBDIR crawl (newsagg.dupefilter): its pagination was cut
        # short, so a page of stored articles proves nothing either.
        spider.stored_gate = StoredGate(
            self._backend,
            site,
            self.stats,
            setting(self.settings, "NEWSAGG_STATE_KNOWN_PAGES", "getint"),
            walk_all or self.resumed,
        )
        if side_links and hasattr(spider, "restore_side_links"):
            spider.restore_side_links(side_links)
        logger.info(
            "Incremental run %s: %s articles already stored (%s state)", self.run.run_id, known, self._backend.name
        )

    def _count(self):
        try:
            return self._backend.count()
        except NotImplementedError:
            return None

    def _journals(self, site: str) -> list[Path]:
        return sorted(state_dir(self.settings).glob(f"{site}.*.journal.json"))

    def _quarantine(self, journal: Path, why: str) -> None:
        bad = journal.with_name(journal.name + UNREADABLE_SUFFIX)
        try:
            os.replace(journal, bad)
        except OSError as exc:
            logger.error("Unreadable commit journal %s (%s), and it cannot be renamed (%s)", journal, why, exc)
        else:
            logger.error(
                "Unreadable commit journal %s (%s): renamed %s; its run's .part files, if any, are not published",
                journal,
                why,
                bad.name,
            )
        inc(self.stats, f"{PREFIX}/state/unreadable_journals")

    def recover(self, site: str) -> None:
        """Finish or roll back the commit of runs killed mid-commit (module doc)."""
        for journal in self._journals(site):
            try:
                data = json.loads(journal.read_text(encoding="utf-8"))
                run_id, renames = str(data["run_id"]), [(str(p), str(f)) for p, f in data["renames"]]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self._quarantine(journal, f"{type(exc).__name__}: {exc}")
                continue
            if run_id == self.run.run_id:
                continue
            if not self._backend.is_committed(run_id):
                if not self._backend.abandon_if_dead(run_id):
                    logger.debug("Journal %s: run %s is still alive", journal, run_id)
                    continue
                if not self._backend.is_committed(run_id):  # it may have committed just before
                    for part, _ in renames:
                        Path(part).unlink(missing_ok=True)
                    journal.unlink()
                    inc(self.stats, f"{PREFIX}/state/rolled_back_runs")
                    logger.warning("Run %s died before its commit: its unpublished files were removed", run_id)
                    continue
            for part, final in renames:
                if Path(part).exists():
                    os.replace(part, final)
            journal.unlink()
            inc(self.stats, f"{PREFIX}/state/recovered_runs")
            logger.warning("Run %s was killed after its commit: its files are now published", run_id)

    def item_dropped(self, item, exception, spider=None):
        """A republication (same content as an article stored or written by this
        run) becomes a known key too: later runs do not fetch it again."""
        if self._backend is None or getattr(exception, "reason", None) not in ("duplicate_content", "already_stored"):
            return
        key, fp = getattr(item, "key", None), getattr(item, "fingerprint", None)
        if key and fp and all(SLUG_RE.fullmatch(str(k)) for k in key[:2]) and not self._backend.is_known(key):
            self._backend.alias(key, fp, item.url, self.run.run_id)

    # -- closing -------------------------------------------------------------

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
        run_files = self.context.files
        files = list(run_files)
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
            if self._backend is not None and self.claimed and not files:
                self._fail(files, "no feed file was written")
                return
            manifest = self.crawler.get_extension(RunManifest)
            if manifest is not None:
                manifest.write_part(self.summary())
            pending = run_files.closed()
            if self._backend is not None:
                self._write_journal(pending)
                try:
                    committed = self._backend.commit(self.run.run_id)
                except StateError as exc:  # Redis: the run was presumed dead, its work redone elsewhere
                    self._fail(pending, str(exc))
                    self.journal.unlink(missing_ok=True)
                    return
                self.stats.set_value(f"{PREFIX}/state/committed", committed)
                spider = getattr(self.crawler, "spider", None)
                leftover = spider.unfinished_side_links() if hasattr(spider, "unfinished_side_links") else []
                self._backend.note_run(self.run.run_id, self.reason or self.stats.get_value("finish_reason"), leftover)
                logger.info("State committed: %d article(s) of run %s marked stored", committed, self.run.run_id)
            for f in pending:
                f.publish()
            if self.journal is not None:
                self.journal.unlink(missing_ok=True)
            self._remove_dead_parts(files)
        finally:
            self._close_backend()

    def _fail(self, files, why: str) -> None:
        if self._backend is None:
            logger.error("%s: the complete files are kept", why)
            for f in files:
                if f.status == "closed":
                    f.publish()
            return
        released = self._backend.release(self.run.run_id)
        for f in files:
            f.discard()
        inc(self.stats, f"{PREFIX}/state/not_committed")
        logger.error(
            "%s: nothing marked stored (%d claim(s) released), this run's files removed; "
            "the next run fetches these articles again",
            why,
            released,
        )

    def _remove_dead_parts(self, files) -> None:
        """Delete ``.part`` leftovers of killed runs of this site next to our
        dataset files. Only with an exclusive backend: then no other run of
        the site is alive to own them."""
        if self._backend is None or not self._backend.exclusive:
            return
        site = re.escape(self._backend.site or "")
        dead = re.compile(rf"^{site}(-[a-z0-9]+)?-\d{{8}}T\d{{6}}Z-(?!{self.run.tag}\.)[a-z0-9]{{8}}\..+\.part$")
        for directory in {f.final.parent for f in files if isinstance(f, PartFileStorage) and f.dataset}:
            for path in directory.iterdir():
                if dead.match(path.name):
                    path.unlink(missing_ok=True)
                    logger.info("Removed %s (left by a killed run)", path)

    def _write_journal(self, pending) -> None:
        directory = state_dir(self.settings)
        directory.mkdir(parents=True, exist_ok=True)
        journal = directory / f"{self._backend.site}.{self.run.tag}.journal.json"
        tmp = journal.with_name(journal.name + ".tmp")
        data = {
            "run_id": self.run.run_id,
            "renames": [[str(f.part.resolve()), str(f.final.resolve())] for f in pending],
        }
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, journal)
        fsync_path(directory, directory=True)
        self.journal = journal

    def _close_backend(self) -> None:
        if self._backend is not None:
            try:
                self._backend.release(self.run.run_id)
            finally:
                self._backend.close()
                self._backend = None
