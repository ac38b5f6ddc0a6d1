"""A WARC's response records, read span by span.

:func:`spans` cuts a WARC into byte ranges; :class:`SpanReader` reads the
response records that begin in one (a span after the first starts at the
first gzip member at or after its start that opens a WARC record) and says
where its first record began (``first``) and where the next span's must
(``stop``). Damage (a member that does not inflate, a record or the file cut
short, bytes that are no WARC) raises :class:`WarcDamaged`.
docs/ARCHITECTURE.md "Re-extraction".
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from newsagg.archive.writer import PAGE_KIND, RENDERED, REQUESTED_URL

_GZIP_MEMBER = b"\x1f\x8b\x08"
_WARC_START = b"WARC/1."
_SEARCH_BLOCK = 1 << 20


class WarcDamaged(Exception):
    """A WARC that cannot be read past *offset*."""

    def __init__(self, path: Path, offset: int, why: str):
        super().__init__(Path(path), offset, why)  # the arguments: picklable, from a worker
        self.path, self.offset, self.why = Path(path), offset, why

    def __str__(self) -> str:
        return f"{self.path.name}: damaged at byte {self.offset} ({self.why})"


@dataclass(frozen=True)
class Span:
    """Bytes ``[start, end)`` of a WARC; *exact*: a record is known to begin at *start*."""

    path: Path
    start: int
    end: int
    exact: bool


@dataclass(slots=True)
class Record:
    """One response record: where, what, and the page as it came off the wire."""

    offset: int
    url: str  # WARC-Target-URI: the URL that answered
    record_id: str
    date: str  # WARC-Date
    kind: str  # the page kind the spider asked for ("" when the WARC does not say)
    requested_url: str | None  # the URL requested, when a redirect led to *url*
    rendered: bool  # the DOM Chromium rendered, not the HTTP body
    status: int
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes  # as received: Content-Encoding not undone


def spans(path: Path, size: int, target: int) -> list[Span]:
    """*path* (*size* bytes) cut into spans of about *target* bytes (at least one)."""
    target = max(1, target)
    cuts = list(range(0, size, target)) or [0]
    return [Span(Path(path), a, min(a + target, size), a == 0) for a in cuts]


def member_start(fd: int, pos: int, size: int) -> int:
    """The offset of the first gzip member at or after *pos* that opens a WARC record; *size* if none."""
    while pos < size:
        block = os.pread(fd, _SEARCH_BLOCK + len(_GZIP_MEMBER) - 1, pos)  # a marker across the cut is seen
        at = block.find(_GZIP_MEMBER)
        while 0 <= at < _SEARCH_BLOCK:
            if _opens_record(fd, pos + at):
                return pos + at
            at = block.find(_GZIP_MEMBER, at + 1)
        pos += _SEARCH_BLOCK
    return size


def _opens_record(fd: int, offset: int) -> bool:
    """True when the bytes at *offset* inflate to the start of a WARC record."""
    head = os.pread(fd, 512, offset)
    try:
        out = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(head, len(_WARC_START))
    except zlib.error:
        return False
    return out == _WARC_START


class SpanReader:
    """The response records of a :class:`Span`, in file order (module doc).

    After iteration, ``first`` is the offset of its first record (where a
    search found it) and ``stop`` that of the first record at or past the end
    (the file size at the end of the file)."""

    def __init__(self, span: Span):
        self.span = span
        self.first: int | None = None
        self.stop: int | None = None

    def __iter__(self) -> Iterator[Record]:
        span = self.span
        size = span.path.stat().st_size
        with span.path.open("rb") as fh:
            self.first = span.start if span.exact else member_start(fh.fileno(), span.start, size)
            if self.first >= span.end:
                self.stop = self.first
                return
            fh.seek(self.first)
            offset = self.first
            try:
                records = ArchiveIterator(fh)
                for rec in records:
                    # The body first: asking the offset reads the record to its end.
                    body = rec.raw_stream.read() if rec.rec_type == "response" else None
                    offset = records.get_record_offset()
                    if offset >= span.end:
                        self.stop = offset
                        return
                    if body is None or rec.http_headers is None:
                        continue
                    if 0 <= rec.payload_length != len(body):
                        raise WarcDamaged(
                            span.path, offset, f"record cut short: {len(body)} of {rec.payload_length} bytes"
                        )
                    yield _record(rec, offset, body)
            except WarcDamaged:
                raise
            except Exception as exc:  # warcio on bytes that are no WARC: whatever it raises
                raise WarcDamaged(span.path, offset, _why(exc)) from exc
            if not _complete_member(fh.fileno(), offset, size):  # the file was cut in its last record
                raise WarcDamaged(span.path, offset, "the last gzip member is cut short")
        self.stop = size


def _complete_member(fd: int, offset: int, size: int) -> bool:
    """True when the bytes from *offset* to the end of the file are whole gzip members
    (a file that is not gzipped is not judged here)."""
    data = os.pread(fd, size - offset, offset)
    if not data.startswith(_GZIP_MEMBER):
        return True
    while data:
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            inflate.decompress(data)
        except zlib.error:
            return False
        if not inflate.eof:
            return False
        data = inflate.unused_data
    return True


def _why(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0][:120] if text else "") or type(exc).__name__


def _record(rec, offset: int, body: bytes) -> Record:
    h, http = rec.rec_headers, rec.http_headers
    try:
        status = int(http.get_statuscode())
    except (TypeError, ValueError):
        status = 0
    return Record(
        offset=offset,
        url=h.get_header("WARC-Target-URI") or "",
        record_id=h.get_header("WARC-Record-ID") or "",
        date=h.get_header("WARC-Date") or "",
        kind=h.get_header(PAGE_KIND) or "",
        requested_url=h.get_header(REQUESTED_URL),
        rendered=h.get_header(RENDERED) == "true",
        status=status,
        protocol=http.protocol or "HTTP/1.1",
        headers=list(http.headers),
        body=body,
    )
