"""Crash-safe feed files for ``-o``/``-O`` and Scrapyd's items feed.

:class:`PartFileStorage` replaces Scrapy's ``file`` feed storage
(``FEED_STORAGES``): a feed is written to ``<name>.part`` and becomes
``<name>`` by an atomic ``os.replace`` once it is complete, flushed and
fsync'ed. A run killed at any point leaves at most a ``*.part`` file, which is
never data. (A dataset run's own files are published by segments:
:mod:`newsagg.extensions.publish`.)
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from scrapy.extensions.feedexport import FileFeedStorage

logger = logging.getLogger(__name__)

PART_SUFFIX = ".part"


def fsync_path(path: Path, directory: bool = False) -> None:
    """fsync a file, or a directory (best effort: some filesystems refuse it)."""
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


class PartFileStorage(FileFeedStorage):
    """``file`` feed storage writing ``<path>.part``, published by atomic rename when complete."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None):
        super().__init__(uri, feed_options=feed_options)
        self.final = Path(self.path)
        self.part = self.final.with_name(self.final.name + PART_SUFFIX)

    @classmethod
    def from_crawler(cls, crawler, uri: str, *, feed_options: dict[str, Any] | None = None):
        return cls(uri, feed_options=feed_options)

    def open(self, spider):
        self.part.parent.mkdir(parents=True, exist_ok=True)
        append = self.write_mode == "ab" and self.final.exists()
        if append:
            # -o (append): the complete old file plus this run, swapped in at the end.
            shutil.copyfile(self.final, self.part)
        return self.part.open("ab" if append else "wb")

    def store(self, file):
        if not file.closed:
            file.flush()
            os.fsync(file.fileno())
            file.close()
        os.replace(self.part, self.final)
        fsync_path(self.final.parent, directory=True)
        logger.debug("Published %s", self.final)
