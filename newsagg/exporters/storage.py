"""Crash-safe feed files.

:class:`PartFileStorage` replaces Scrapy's ``file`` feed storage
(``FEED_STORAGES``): a feed is written to ``<name>.part`` and only becomes
``<name>`` by an atomic ``os.replace`` once it is complete, flushed and
fsync'ed. A run killed at any point leaves at most ``*.part`` files, which
are never data. Each storage joins the run's files (:class:`newsagg.run.RunFiles`);
when a publisher took charge of them (``RunFiles.deferred``: the commit,
:mod:`newsagg.extensions.commit`) the renames wait for the state's commit, so
"in a dataset file" and "marked stored" change together.

The run's identity and its file names are not made here: they come from
:class:`newsagg.run.RunContext` (:func:`dataset_uri_params`).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from scrapy.extensions.feedexport import FileFeedStorage

from newsagg.digest import sha256_of
from newsagg.run import RunContext, RunFiles, UnsafeName, run_context, safe_slug

__all__ = [
    "PART_SUFFIX",
    "PartFileStorage",
    "PendingFile",
    "UnsafeName",
    "dataset_uri_params",
    "fsync_path",
    "safe_slug",
    "sha256_of",
]

logger = logging.getLogger(__name__)

PART_SUFFIX = ".part"


def dataset_uri_params(params: dict, spider) -> dict:
    """``FEEDS`` ``uri_params`` for dataset feeds, from the run's identity: adds
    ``data_dir`` (``NEWSAGG_DATA_DIR``), ``site``, ``run_start`` (UTC stamp),
    ``run_tag`` and ``source_part`` ("" for the run's files; ``-<slug>`` per
    source, filled by :class:`newsagg.extensions.feeds.DatasetFeedExporter`)."""
    run = run_context(spider.crawler).identity
    if run.data_dir is None:
        raise UnsafeName("NEWSAGG_DATA_DIR is not set: no place for the dataset files")
    params = dict(params)
    params["data_dir"] = str(run.data_dir).rstrip("/") or "/"
    params["site"] = safe_slug(run.site, "site")
    params["run_start"] = run.stamp
    params["run_tag"] = run.tag
    source = params.get("source")
    params["source_part"] = f"-{safe_slug(source, 'source')}" if source else ""
    # Checked once more as a whole (a template could use other parameters).
    run.stem(source or None)
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

    def __init__(
        self, uri: str, *, feed_options: dict[str, Any] | None = None, files: RunFiles | None = None, crawler=None
    ):
        super().__init__(uri, feed_options=feed_options)
        self._crawler = crawler
        feed_options = feed_options or {}
        self.final = Path(self.path)
        self.part = self.final.with_name(self.final.name + PART_SUFFIX)
        #: The run's files this storage joins when it opens (None: published at once, alone).
        self.files: RunFiles | None = files
        self.format: str | None = feed_options.get("format")
        self.dataset = bool(feed_options.get("newsagg_dataset"))
        self.source: str | None = feed_options.get("newsagg_source")
        self.status = "new"
        self.rows: int | None = None
        self.sha256: str | None = None
        self.size: int | None = None

    @classmethod
    def from_crawler(cls, crawler, uri: str, *, feed_options: dict[str, Any] | None = None):
        # The run's files are looked up at open(): FeedExporter builds storages
        # while the extensions are being built, when get_extension cannot answer.
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def open(self, spider):
        if self.files is None and self._crawler is not None:
            ctx = self._crawler.get_extension(RunContext)  # None: a project without it publishes at once
            self.files = ctx.files if ctx is not None else None
        self.part.parent.mkdir(parents=True, exist_ok=True)
        if self.write_mode == "ab" and self.final.exists():
            # -o (append): the complete old file plus this run, swapped in at the end.
            shutil.copyfile(self.final, self.part)
        fh = self.part.open("ab" if self.write_mode == "ab" and self.final.exists() else "wb")
        self.status = "open"
        if self.files is not None:
            self.files.add(self)
        return fh

    def store(self, file):
        if not file.closed:
            file.flush()
            file.close()
        fsync_path(self.part)
        self.size = self.part.stat().st_size
        self.sha256 = sha256_of(self.part)
        self.status = "closed"
        if self.files is None or not self.files.deferred:
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
