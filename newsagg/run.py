"""The run's identity (:class:`RunIdentity`): run id, site, start, Scrapyd job, data dir, file names.

One :class:`RunContext` extension per crawler (``EXTENSIONS``) owns it; every
other part looks it up with :func:`run_context` (allowed in any ``from_crawler``
of a component built with the engine, and in signal handlers). File names are
built here from validated parts only: slugs must match
:data:`newsagg.urls.SLUG_RE`, the stamp is our own clock, the tag is hex, the
segment number an int. Page content can never steer a path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy import signals

from newsagg.urls import SLUG_RE

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


def dataset_stem(site: str, stamp: str, tag: str, source: str | None = None, segment: int | None = None) -> str:
    """``<site>[-<source>]-<stamp>-<tag>[-<NNNN>]``: every part validated."""
    parts = [safe_slug(site, "site")]
    if source is not None:
        parts.append(safe_slug(source, "source"))
    if not re.fullmatch(r"\d{8}T\d{6}Z", stamp):
        raise UnsafeName(f"bad run stamp {stamp!r}")
    if not _TAG_RE.match(tag):
        raise UnsafeName(f"bad run tag {tag!r}")
    parts += [stamp, tag]
    if segment is not None:
        if not isinstance(segment, int) or not 0 < segment < 10**8:
            raise UnsafeName(f"bad segment number {segment!r}")
        parts.append(f"{segment:04d}")
    return "-".join(parts)


def new_run_id() -> str:
    """A fresh run id when Scrapyd gave none: 32 hex digits, like Scrapyd's job ids."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class RunIdentity:
    """Who this run is. Made once per crawler (:meth:`RunContext.identity`).

    ``run_id`` is Scrapyd's ``_job`` when given, else generated; it names the
    run's claims in the state, its Redis lease and its files (``tag``).
    """

    run_id: str
    spider: str
    site: str
    started: dt.datetime
    scrapyd_job: str | None
    #: ``NEWSAGG_DATA_DIR``: dataset files go to ``<data_dir>/<spider>/``; None when not configured.
    data_dir: Path | None

    @property
    def stamp(self) -> str:
        """UTC start as it appears in file names: ``YYYYMMDDTHHMMSSZ``."""
        return self.started.strftime("%Y%m%dT%H%M%SZ")

    @property
    def tag(self) -> str:
        """The run's file-name tag (:func:`run_tag`)."""
        return run_tag(self.run_id)

    def stem(self, source: str | None = None, segment: int | None = None) -> str:
        """File stem of this run's files, of one segment when *segment* is given (:func:`dataset_stem`)."""
        return dataset_stem(self.site, self.stamp, self.tag, source, segment)

    @classmethod
    def for_spider(
        cls, spider, settings, *, run_id: str | None = None, started: dt.datetime | None = None
    ) -> RunIdentity:
        """The identity of a run of *spider*: run id from its ``_job`` argument
        unless *run_id* is given; ``NEWSAGG_DATA_DIR`` from *settings* (its
        default lives in newsagg/settings.py only)."""
        job = getattr(getattr(spider, "args", None), "job", None)
        data_dir = settings.get("NEWSAGG_DATA_DIR")
        return cls(
            run_id=run_id or (str(job) if job else new_run_id()),
            spider=spider.name,
            site=getattr(spider, "site", "") or spider.name,
            started=started or dt.datetime.now(dt.UTC).replace(microsecond=0),
            scrapyd_job=str(job) if job else None,
            data_dir=Path(data_dir) if data_dir else None,
        )


class RunContext:
    """Extension owning the run's identity (module doc). Always on: ``EXTENSIONS`` lists it."""

    def __init__(self, crawler):
        self.crawler = crawler
        self._identity: RunIdentity | None = None

    @classmethod
    def from_crawler(cls, crawler):
        ctx = cls(crawler)
        crawler.signals.connect(ctx.spider_opened, signal=signals.spider_opened)
        return ctx

    def spider_opened(self, spider):
        self.crawler.stats.set_value("newsagg/run/id", self.identity.run_id)

    @property
    def identity(self) -> RunIdentity:
        """The run's identity, made on first use (the spider and its arguments
        exist by then: Scrapy builds extensions after the spider)."""
        if self._identity is None:
            spider = getattr(self.crawler, "spider", None)
            if spider is None:
                raise RuntimeError(
                    "the run identity needs the spider: use it from from_crawler of a "
                    "component built with the engine, or a signal handler"
                )
            self._identity = RunIdentity.for_spider(spider, self.crawler.settings)
        return self._identity

    @identity.setter
    def identity(self, value: RunIdentity) -> None:
        """Set the identity before first use (tests, tools that build a crawler by hand)."""
        if self._identity is not None and self._identity != value:
            raise RuntimeError("the run identity is already in use")
        self._identity = value


def run_context(crawler) -> RunContext:
    """The crawler's :class:`RunContext`; a clear error when ``EXTENSIONS`` lacks it."""
    ctx = crawler.get_extension(RunContext)
    if ctx is None:
        raise RuntimeError("newsagg.run.RunContext is not in EXTENSIONS: the run has no identity")
    return ctx
