"""Crash-safe feed files and dataset file names.

:class:`PartFileStorage` replaces Scrapy's ``file`` feed storage
(``FEED_STORAGES``): a feed is written to ``<name>.part`` and only becomes
``<name>`` by an atomic ``os.replace`` once it is complete, flushed and
fsync'ed. A run killed at any point leaves at most ``*.part`` files, which
are never data. While a run keeps incremental state
(:mod:`newsagg.extensions.state`) the renames are deferred until the state
committed the run, so "in a dataset file" and "marked stored" change together.

Dataset file names are built only from validated parts: the site and source
slugs must match :data:`newsagg.urls.SLUG_RE`, the run stamp is our own clock,
the run tag is hex. Page content can never steer a path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.extensions.feedexport import FileFeedStorage

from newsagg.digest import sha256_of
from newsagg.urls import SLUG_RE

logger = logging.getLogger(__name__)

PART_SUFFIX = ".part"
_TAG_RE = re.compile(r"^[a-z0-9]{1,12}$")


class UnsafeName(ValueError):
    """A file name part failed validation."""


def safe_slug(value: Any, what: str = "slug") -> str:
    """*value* when it is a valid slug (``SLUG_RE``), else :class:`UnsafeName`."""
    if not isinstance(value, str) or not SLUG_RE.fullmatch(value):
        raise UnsafeName(f"refusing {what} {value!r} in a file name (expected {SLUG_RE.pattern})")
    return value


def run_tag(run_id: str) -> str:
    """A short file-name-safe tag of a run id (Scrapyd job ids are hex; any other
    id is hashed, so a crafted ``_job`` cannot reach a path)."""
    low = run_id.lower().replace("-", "")
    if re.fullmatch(r"[0-9a-f]{8,}", low):
        return low[:8]
    return hashlib.sha1(run_id.encode("utf-8")).hexdigest()[:8]


def dataset_stem(site: str, stamp: str, tag: str, source: str | None = None) -> str:
    """``<site>[-<source>]-<stamp>-<tag>``: every part validated."""
    parts = [safe_slug(site, "site")]
    if source is not None:
        parts.append(safe_slug(source, "source"))
    if not re.fullmatch(r"\d{8}T\d{6}Z", stamp):
        raise UnsafeName(f"bad run stamp {stamp!r}")
    if not _TAG_RE.match(tag):
        raise UnsafeName(f"bad run tag {tag!r}")
    return "-".join([*parts, stamp, tag])


@dataclass
class Run:
    """One crawl run: its id, start time and the feed files it writes."""

    run_id: str
    started: dt.datetime
    #: Set by the state extension: storages wait for it to publish their files.
    defer_publish: bool = False
    files: list["PartFileStorage"] = field(default_factory=list)

    @property
    def stamp(self) -> str:
        return self.started.strftime("%Y%m%dT%H%M%SZ")

    @property
    def tag(self) -> str:
        return run_tag(self.run_id)


def new_run_id() -> str:
    """A fresh run id when Scrapyd gave none: 32 hex digits, like Scrapyd's job ids."""
    return uuid.uuid4().hex


def get_run(crawler) -> Run:
    """The crawler's :class:`Run`, created on first use (run id: Scrapyd's
    ``_job`` argument when given)."""
    run = getattr(crawler, "_newsagg_run", None)
    if run is None:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        args = getattr(getattr(crawler, "spider", None), "args", None)
        job = getattr(args, "job", None)
        run = Run(run_id=str(job) if job else new_run_id(), started=now)
        crawler._newsagg_run = run
    return run


def dataset_uri_params(params: dict, spider) -> dict:
    """``FEEDS`` ``uri_params`` for dataset feeds: adds ``data_dir``
    (``NEWSAGG_DATA_DIR``), ``site``, ``run_start`` (UTC stamp), ``run_tag`` and
    ``source_part`` ("" for the run's files; ``-<slug>`` per source, filled by
    :class:`newsagg.extensions.feeds.DatasetFeedExporter`)."""
    run = get_run(spider.crawler)
    params = dict(params)
    params["data_dir"] = str(spider.crawler.settings.get("NEWSAGG_DATA_DIR") or "data").rstrip("/") or "/"
    params["site"] = safe_slug(getattr(spider, "site", "") or spider.name, "site")
    params["run_start"] = run.stamp
    params["run_tag"] = run.tag
    source = params.get("source")
    params["source_part"] = f"-{safe_slug(source, 'source')}" if source else ""
    # Checked once more as a whole (a template could use other parameters).
    dataset_stem(params["site"], run.stamp, run.tag, source or None)
    return params


def fsync_path(path: Path, directory: bool = False) -> None:
    """fsync a file or directory by path (best effort for directories)."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


class PartFileStorage(FileFeedStorage):
    """``file`` feed storage writing ``<path>.part``, published by atomic rename.

    States: ``new`` -> ``open`` -> ``closed`` (complete on disk, sha256 known)
    -> ``published`` (renamed) or ``discarded`` (run not committed).
    """

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, run: Run | None = None,
                 crawler=None):
        super().__init__(uri, feed_options=feed_options)
        self._crawler = crawler
        feed_options = feed_options or {}
        self.final = Path(self.path)
        self.part = self.final.with_name(self.final.name + PART_SUFFIX)
        self.run = run
        self.format: str | None = feed_options.get("format")
        self.dataset = bool(feed_options.get("newsagg_dataset"))
        self.source: str | None = feed_options.get("newsagg_source")
        self.status = "new"
        self.rows: int | None = None
        self.sha256: str | None = None
        self.size: int | None = None

    @classmethod
    def from_crawler(cls, crawler, uri: str, *, feed_options: dict[str, Any] | None = None):
        # The run is looked up at open(): storages are built before the spider exists.
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def open(self, spider):
        if self.run is None and self._crawler is not None:
            self.run = get_run(self._crawler)
        self.part.parent.mkdir(parents=True, exist_ok=True)
        if self.write_mode == "ab" and self.final.exists():
            # -o (append): the complete old file plus this run, swapped in at the end.
            shutil.copyfile(self.final, self.part)
        fh = self.part.open("ab" if self.write_mode == "ab" and self.final.exists() else "wb")
        self.status = "open"
        if self.run is not None:
            self.run.files.append(self)
        return fh

    def store(self, file):
        if not file.closed:
            file.flush()
            file.close()
        fsync_path(self.part)
        self.size = self.part.stat().st_size
        self.sha256 = sha256_of(self.part)
        self.status = "closed"
        if self.run is None or not self.run.defer_publish:
            self.publish()

    def publish(self) -> None:
        """Atomically rename the complete ``.part`` to its final name."""
        if self.status == "published":
            return
        os.replace(self.part, self.final)
        fsync_path(self.final.parent, directory=True)
        self.status = "published"
        logger.debug("Published %s", self.final)

    def discard(self) -> None:
        """Delete the ``.part`` of a run that was not committed."""
        self.part.unlink(missing_ok=True)
        self.status = "discarded"


class PendingFile:
    """A complete file waiting under ``<name>.part`` for the run's commit
    (the manifest); same publish/discard protocol as :class:`PartFileStorage`."""

    def __init__(self, final: Path):
        self.final = Path(final)
        self.part = self.final.with_name(self.final.name + PART_SUFFIX)
        self.status = "new"

    def write(self, data: bytes) -> None:
        self.part.parent.mkdir(parents=True, exist_ok=True)
        with self.part.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        self.status = "closed"

    publish = PartFileStorage.publish
    discard = PartFileStorage.discard
