"""A manifest JSON per run, beside its dataset files.

``<site>-<run start>-<tag>.manifest.json`` in the directory of the run's
dataset files (feeds with the ``newsagg_dataset`` option), once every feed
is closed. When a publisher took charge of the run's files
(:class:`newsagg.run.RunFiles` ``deferred``: the commit,
:class:`newsagg.extensions.commit.RunCommit`) it asks for the manifest with
:meth:`RunManifest.write_part` and publishes it together with the files
(atomically, after the state committed); otherwise (the commit extension off)
the manifest publishes itself at ``feed_exporter_closed``. Either way it does
not depend on the incremental state. Content: run id (Scrapyd's ``_job`` when
given), spider, site, arguments, start/end (UTC), finish reason, items
written, per-source counts, drops by reason, earliest/latest
``published_at``, schema version, state summary, and per file: name (relative
to the manifest, absolute when elsewhere), format, source, rows, bytes and
sha256 (the run's WARC: format ``warc``, ``records``, ``responses``), and
the run's health checks (``health``: newsagg.monitoring).
``NEWSAGG_MANIFEST_ENABLED = False`` turns it off.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections import Counter
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newsagg.config import setting
from newsagg.exporters.storage import PartFileStorage, PendingFile
from newsagg.items import SCHEMA_VERSION
from newsagg.run import run_context
from newsagg.stats import ITEMS_DROPPED

logger = logging.getLogger(__name__)

MANIFEST_VERSION = 1


def _instant(value: str) -> dt.datetime:
    """Sort key of a ``published_at``: its instant; a date alone counts as its start (UTC)."""
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _health(crawler) -> dict | None:
    """The run's health checks (newsagg/monitoring), None when monitoring is off."""
    from newsagg.monitoring.extension import run_health

    health = run_health(crawler)
    return None if health is None else health.to_dict()


class RunManifest:
    """Collects per-item facts during the run; writes the manifest at the end."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.per_source: Counter[str] = Counter()
        self.earliest: tuple[dt.datetime, str] | None = None
        self.latest: tuple[dt.datetime, str] | None = None
        self.reason: str | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not setting(crawler.settings, "NEWSAGG_MANIFEST_ENABLED", "getbool"):
            raise NotConfigured("NEWSAGG_MANIFEST_ENABLED is off")
        ext = cls(crawler)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.feed_exporter_closed, signal=signals.feed_exporter_closed)
        return ext

    def item_scraped(self, item, spider):
        self.per_source[getattr(item, "source_slug", None) or ""] += 1
        published = getattr(item, "published_at", None)
        if published:
            try:
                key = (_instant(published), published)
            except ValueError:
                return
            if self.earliest is None or key < self.earliest:
                self.earliest = key
            if self.latest is None or key > self.latest:
                self.latest = key

    def spider_closed(self, spider, reason):
        self.reason = reason

    def feed_exporter_closed(self):
        """Every feed closed: publish the manifest now unless a publisher (the
        commit) took charge of the run's files; it calls :meth:`write_part`."""
        if run_context(self.crawler).files.deferred:
            return
        pending = self.write_part(state=None)
        if pending is not None:
            pending.publish()

    def build(self, path: Path, state: dict | None = None) -> dict:
        """The manifest of the run; *state*: the commit's summary of the
        incremental state (None: no state this run)."""
        ctx = run_context(self.crawler)
        run, spider, stats = ctx.identity, self.crawler.spider, self.crawler.stats.get_stats()
        args = getattr(spider, "args", None)
        arguments = {}
        if args is not None:
            arguments = {
                f.name: _jsonable(getattr(args, f.name))
                for f in dataclasses.fields(args)
                if f.name not in ("extra", "job")
            }
        files = []
        for f in ctx.files.complete():
            if hasattr(f, "manifest_entry"):  # the run's WARC (newsagg.archive.writer)
                files.append(f.manifest_entry(path.parent))
                continue
            if not isinstance(f, PartFileStorage):  # a feed file, not another manifest
                continue
            try:
                name = str(f.final.resolve().relative_to(path.parent.resolve()))
            except ValueError:
                name = str(f.final.resolve())
            files.append(
                {
                    "name": name,
                    "format": f.format,
                    "source": f.source,
                    "rows": f.rows,
                    "bytes": f.size,
                    "sha256": f.sha256,
                }
            )
        drops = {k[len(ITEMS_DROPPED) + 1 :]: v for k, v in sorted(stats.items()) if k.startswith(ITEMS_DROPPED + "/")}
        return {
            "manifest_version": MANIFEST_VERSION,
            "schema_version": SCHEMA_VERSION,
            "run_id": run.run_id,
            "scrapyd_job": run.scrapyd_job,
            "spider": run.spider,
            "site": run.site,
            "arguments": arguments,
            "started_at": run.started.isoformat(),
            "finished_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "finish_reason": self.reason or stats.get("finish_reason"),
            "items_written": sum(self.per_source.values()),
            "per_source": dict(sorted(self.per_source.items())),
            "items_dropped": drops,
            "requests": stats.get("downloader/request_count", 0),
            "published_at": {
                "earliest": self.earliest[1] if self.earliest else None,
                "latest": self.latest[1] if self.latest else None,
            },
            "state": None
            if state is None
            else {**state, "skipped_already_stored": stats.get("newsagg/skipped/already_stored", 0)},
            "files": files,
            "health": _health(self.crawler),
        }

    def write_part(self, state: dict | None = None) -> PendingFile | None:
        """Write the manifest as ``.part`` beside the dataset files and add it to
        the run's files (*state*: see :meth:`build`); None without dataset files."""
        ctx = run_context(self.crawler)
        dataset = [f for f in ctx.files.complete() if isinstance(f, PartFileStorage) and f.dataset]
        if not dataset:
            return None
        path = dataset[0].final.parent / f"{ctx.identity.stem()}.manifest.json"
        pending = PendingFile(path)
        data = json.dumps(self.build(path, state), ensure_ascii=False, indent=1) + "\n"
        pending.write(data.encode("utf-8"))
        ctx.files.add(pending)
        logger.info("Manifest: %s", path)
        return pending
