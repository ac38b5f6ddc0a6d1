"""The run's WARC: every HTML page of a dataset run, raw, in one gzipped file.

``<site>-<run start>-<tag>.warc.gz`` beside the run's dataset files
(``<NEWSAGG_DATA_DIR>/<spider>/``). It opens with a ``warcinfo`` record
(software, version, the settings that shape what was fetched and how, the
robots policy); then, per page, a ``response`` record (the bytes and headers
as they came off the wire: :class:`~newsagg.archive.capture.RawResponseMiddleware`)
and its ``request`` record (``WARC-Concurrent-To``).

Written: the home page, listings and articles answered 200 with an HTML
content type that reached the spider. Not written: robots.txt, redirects,
error answers, retried answers, pages the content guard failed (not_html,
garbage, too_large ...): those never reach ``response_received``.

The file is one of the run's files (:class:`newsagg.run.RunFiles`), with the
protocol of the feeds: written as ``.part``, closed at ``spider_closed``
(before the feeds close: this extension is built before the feed exporter and
connects first), renamed by the commit with the others, discarded with them;
a killed run leaves a ``.part`` only, which the next run removes.

``NEWSAGG_WARC_ENABLED`` (default on): on for dataset runs (feeds with the
``newsagg_dataset`` option: a plain ``scrapy crawl``, a Scrapyd job);
``NotConfigured`` when off or for a run with -o/-O only.

Compression: each record is its own gzip member (as warcio writes them, so
readers can seek to a record's offset), at ``NEWSAGG_WARC_GZIP_LEVEL``.
warcio's own writer compresses at level 9, in many small pieces per record:
on ~37 KB pages that cost ~590 µs a page against ~220 µs at level 1 for a
file 16% larger (benchmarks/RESULTS.md). So records are serialised by
warcio uncompressed and compressed here in one call.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
import zlib
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsagg.archive.capture import CAPTURED_AT_META, RAW_META, RECORD_ID_META
from newsagg.config import setting
from newsagg.digest import sha256_of
from newsagg.exporters.storage import PART_SUFFIX, PartFileStorage, fsync_path
from newsagg.run import run_context
from newsagg.stats import PREFIX, inc

logger = logging.getLogger(__name__)

WARC_SUFFIX = ".warc.gz"
#: Page kinds written (request.meta["newsagg_kind"], set by the spider).
CAPTURED_KINDS = frozenset({"home", "listing", "article"})
#: WARC header naming the URL a redirected page was requested as (reextract asks for that one).
REQUESTED_URL = "WARC-Newsagg-Requested-URI"
#: WARC header on pages rendered by Chromium (the body is the rendered DOM).
RENDERED = "WARC-Newsagg-Rendered"
#: WARC header: the page kind the spider asked for (home, listing, article).
PAGE_KIND = "WARC-Newsagg-Page-Kind"
#: Settings recorded in the warcinfo record: what was fetched, and how politely.
INFO_SETTINGS = (
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "DOWNLOAD_DELAY",
    "AUTOTHROTTLE_ENABLED",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "DOWNLOAD_TIMEOUT",
    "DOWNLOAD_MAXSIZE",
    "RETRY_TIMES",
    "NEWSAGG_FALLBACK_ENCODING",
    "NEWSAGG_MAX_TAG_RUN",
    "NEWSAGG_STATE_ENABLED",
)


def new_record_id() -> str:
    """A WARC-Record-ID: ``<urn:uuid:...>``."""
    return f"<urn:uuid:{uuid.uuid4()}>"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsagg")
    except PackageNotFoundError:
        return "unknown"


class WarcFile:
    """One run's WARC under ``<name>.part`` until published (the
    :class:`newsagg.run.PublishableFile` protocol, like the feed storages)."""

    format = "warc"

    def __init__(self, final: Path, gzip_level: int = 1):
        self.final = Path(final)
        self.gzip_level = gzip_level
        self.part = self.final.with_name(self.final.name + PART_SUFFIX)
        self.status = "new"
        self.records = 0  # WARC records, warcinfo included
        self.responses = 0
        self.size: int | None = None
        self.sha256: str | None = None
        self._fh = None
        self._buf = BytesIO()  # one record, uncompressed (module doc)
        self._writer: WARCWriter | None = None

    def open(self, info: dict) -> None:
        """Create the ``.part`` and write the warcinfo record."""
        self.part.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.part.open("wb")
        self._writer = WARCWriter(self._buf, gzip=False)
        self._write(self._writer.create_warcinfo_record(self.final.name, info))
        self.records = 1
        self.status = "open"

    def _write(self, record) -> None:
        """Serialise *record* and append it to the file as one gzip member."""
        buf = self._buf
        self._writer.write_record(record)
        gz = zlib.compressobj(self.gzip_level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        with buf.getbuffer() as view:
            self._fh.write(gz.compress(view) + gz.flush())
        buf.seek(0)
        buf.truncate()

    def write_page(
        self,
        url: str,
        raw: tuple,
        request_headers: list[tuple[str, str]],
        *,
        kind: str = "",
        date: dt.datetime | None = None,
        requested_url: str | None = None,
        rendered: bool = False,
    ) -> str:
        """A response record (+ its request record) for one page, dated *date*
        (default: now); its WARC-Record-ID."""
        status, protocol, headers, body = raw
        record_id = new_record_id()
        date = (date or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        warc_headers = {"WARC-Record-ID": record_id, "WARC-Date": date, PAGE_KIND: kind}
        if requested_url and requested_url != url:
            warc_headers[REQUESTED_URL] = requested_url
        if rendered:
            warc_headers[RENDERED] = "true"
        # The body is stored de-chunked (Scrapy's client decoded the framing),
        # compressed as it came (Content-Encoding kept): drop the framing header.
        http_headers = StatusAndHeaders(
            f"{status} {_reason(status)}",
            [(k, v) for k, v in headers if k.lower() != "transfer-encoding"],
            protocol=protocol,
        )
        writer = self._writer
        response = writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            length=len(body),  # known: warcio then digests the bytes in place, no temporary copy
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_headers = StatusAndHeaders(f"GET {target} {protocol}", request_headers, is_http_request=True)
        request = writer.create_warc_record(
            url,
            "request",
            payload=BytesIO(b""),
            length=0,
            http_headers=req_headers,
            warc_headers_dict={"WARC-Concurrent-To": record_id, "WARC-Date": date},
        )
        self._write(response)
        self._write(request)
        self.records += 2
        self.responses += 1
        return record_id

    def close(self) -> None:
        """Flush, fsync, digest: complete on disk, waiting for the commit."""
        if self.status != "open":
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = self._writer = None
        fsync_path(self.part)
        self.size = self.part.stat().st_size
        self.sha256 = sha256_of(self.part)
        self.status = "closed"

    def manifest_entry(self, directory: Path) -> dict:
        """This file in the manifest's ``files`` (name relative to *directory*)."""
        try:
            name = str(self.final.resolve().relative_to(directory.resolve()))
        except ValueError:
            name = str(self.final.resolve())
        return {
            "name": name,
            "format": self.format,
            "source": None,
            "rows": None,
            "records": self.records,
            "responses": self.responses,
            "bytes": self.size,
            "sha256": self.sha256,
        }

    publish = PartFileStorage.publish

    def discard(self) -> None:
        """Delete the ``.part`` (the run was not committed)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = self._writer = None
        PartFileStorage.discard(self)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def is_dataset_run(settings) -> bool:
    """True when the run writes dataset feeds (``newsagg_dataset``)."""
    return any(opts.get("newsagg_dataset") for opts in settings.getdict("FEEDS").values())


class WarcCapture:
    """Extension: the run's WARC (module doc)."""

    def __init__(self, crawler, gzip_level: int = 1):
        self.crawler = crawler
        self.gzip_level = gzip_level
        self.file: WarcFile | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not setting(crawler.settings, "NEWSAGG_WARC_ENABLED", "getbool"):
            raise NotConfigured("NEWSAGG_WARC_ENABLED is off")
        if not is_dataset_run(crawler.settings):
            raise NotConfigured  # -o/-O only: no dataset files, no WARC (silently, every such run)
        level = setting(crawler.settings, "NEWSAGG_WARC_GZIP_LEVEL", "getint")
        if not 0 <= level <= 9:
            raise ValueError(f"NEWSAGG_WARC_GZIP_LEVEL must be a zlib level 0-9, not {level}")
        ext = cls(crawler, level)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def info(self, spider) -> dict:
        """The warcinfo fields."""
        settings = self.crawler.settings
        run = run_context(self.crawler).identity
        from scrapy import __version__ as scrapy_version

        return {
            "software": f"newsagg/{_version()} (Scrapy {scrapy_version})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "isPartOf": run.stem(),
            "run-id": run.run_id,
            "spider": run.spider,
            "site": run.site,
            "base-url": getattr(spider, "base_url", ""),
            "started": run.started.isoformat(),
            "robots": "obeyed (robots.txt fetched and honoured, not archived)"
            if settings.getbool("ROBOTSTXT_OBEY")
            else "not obeyed (ROBOTSTXT_OBEY off)",
            **{name: repr(settings.get(name)) for name in INFO_SETTINGS},
        }

    def spider_opened(self, spider):
        ctx = run_context(self.crawler)
        run = ctx.identity
        if run.data_dir is None:
            logger.error("NEWSAGG_DATA_DIR is not set: no WARC this run")
            return
        self.file = WarcFile(run.data_dir / run.spider / f"{run.stem()}{WARC_SUFFIX}", gzip_level=self.gzip_level)
        self.file.open(self.info(spider))
        ctx.files.add(self.file)
        logger.info("Raw captures: %s", self.file.part)

    def response_received(self, response, request, spider):
        raw = request.meta.pop(RAW_META, None)
        if self.file is None or self.file.status != "open" or raw is None:
            return
        content_type = (response.headers.get("Content-Type") or b"").lower()
        if (
            raw[0] != 200
            or response.status != 200
            or request.meta.get("newsagg_kind") not in CAPTURED_KINDS
            or not (b"html" in content_type or not content_type)
        ):
            return
        redirects = request.meta.get("redirect_urls")
        # The record's crawled_at is its capture's WARC-Date: a re-extraction gives the same one.
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        request.meta[CAPTURED_AT_META] = now.isoformat(timespec="seconds")
        request_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in request.headers.items() for v in vs]
        request.meta[RECORD_ID_META] = self.file.write_page(
            response.url,
            raw,
            request_headers,
            kind=request.meta["newsagg_kind"],
            date=now,
            requested_url=redirects[0] if redirects else None,
            rendered=bool(request.meta.get("playwright")),
        )
        inc(self.crawler.stats, f"{PREFIX}/warc/responses")

    def spider_closed(self, spider, reason):
        if self.file is not None:
            self.file.close()
            self.crawler.stats.set_value(f"{PREFIX}/warc/bytes", self.file.size)
            if not run_context(self.crawler).files.deferred:  # no commit this run: published when complete
                self.file.publish()
