"""WARC files: every HTML page of a dataset run, raw, one gzipped WARC per segment.

:class:`WarcFile` is ``<stem>.warc.gz`` in the segment's directory: a
``warcinfo`` record (:func:`warc_info`), then per page a ``response`` record
(the wire bytes) and its ``request`` record, each its own gzip member at zlib
level :data:`GZIP_LEVEL`. :func:`wants_capture` says which pages go in (200
HTML answers of the pages the spider asked for). docs/ARCHITECTURE.md "Raw captures".
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

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsagg.digest import sha256_of

logger = logging.getLogger(__name__)

WARC_SUFFIX = ".warc.gz"
#: Page kinds written (request.meta["newsagg_kind"], set by the spider).
CAPTURED_KINDS = frozenset({"home", "listing", "article"})
#: zlib level of each record's gzip member: a third of warcio's level-9 time, a 16% larger file.
GZIP_LEVEL = 1
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
    """One WARC file being written (:meth:`open`, :meth:`write_page`, :meth:`close`)."""

    format = "warc"

    def __init__(self, path: Path, gzip_level: int = GZIP_LEVEL):
        self.path = Path(path)
        self.gzip_level = gzip_level
        self.status = "new"
        self.records = 0  # WARC records, warcinfo included
        self.responses = 0
        self.size: int | None = None
        self.sha256: str | None = None
        self._fh = None
        self._buf = BytesIO()  # one record, serialised uncompressed, then compressed in one call
        self._writer: WARCWriter | None = None

    def open(self, info: dict) -> None:
        """Create the file and write the warcinfo record."""
        self._fh = self.path.open("xb")
        self._writer = WARCWriter(self._buf, gzip=False)
        self._write(self._writer.create_warcinfo_record(self.path.name, info))
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
        """Flush, fsync, digest: complete on disk."""
        if self.status != "open":
            return
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())
        finally:
            self._fh.close()
            self._fh = self._writer = None
        self.size = self.path.stat().st_size
        self.sha256 = sha256_of(self.path)
        self.status = "closed"

    def abort(self) -> None:
        """Close without finishing (the segment failed); a failing close is no error here."""
        fh, self._fh, self._writer = self._fh, None, None
        if fh is not None:
            try:
                fh.close()
            except OSError:
                pass
        self.status = "aborted"

    def manifest_entry(self, directory: Path) -> dict:
        """This file in the manifest's ``files`` (name relative to *directory*)."""
        try:
            name = str(self.path.resolve().relative_to(directory.resolve()))
        except ValueError:
            name = str(self.path.resolve())
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


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def warc_info(crawler, spider, run) -> dict:
    """The warcinfo fields of a WARC of *run* (a :class:`newsagg.run.RunIdentity`)."""
    from scrapy import __version__ as scrapy_version

    settings = crawler.settings
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


def wants_capture(request, response, raw) -> bool:
    """Whether a page goes into the WARC (module doc): a 200 HTML answer of a page kind the spider asked for."""
    content_type = (response.headers.get("Content-Type") or b"").lower()
    return (
        raw[0] == 200
        and response.status == 200
        and request.meta.get("newsagg_kind") in CAPTURED_KINDS
        and (b"html" in content_type or not content_type)
    )
