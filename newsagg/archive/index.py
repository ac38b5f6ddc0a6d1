"""Reading committed WARCs back: which runs have one, and their pages by URL or record id.

:func:`committed_warcs` lists the WARCs the manifests of a site's committed runs
name (a ``.part`` is never read), checked against the manifest's sha256.
:class:`WarcIndex` keeps, per response record, its file and offset only (the
archive of a year does not fit in memory); :meth:`WarcIndex.read` reads one
page back as it came off the wire.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator

from newsagg.archive.writer import PAGE_KIND, RENDERED, REQUESTED_URL
from newsagg.digest import sha256_of
from newsagg.layout import manifest_paths
from newsagg.urls import classify

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Capture:
    """One response record: where it is, what it is."""

    path: Path
    offset: int
    url: str  # WARC-Target-URI: the URL that answered
    record_id: str
    date: str  # WARC-Date
    kind: str  # home, listing, article ("" when unknown)
    requested_url: str | None
    rendered: bool


@dataclass(frozen=True)
class RunArchive:
    """A committed run that has a WARC: its manifest, the WARC, the dataset files."""

    manifest: Path
    data: dict
    warc: Path


def committed_warcs(site_dir: Path) -> tuple[list[RunArchive], list[str]]:
    """The committed runs of a site directory that have a WARC, oldest first, and
    the problems met (a missing WARC, a sha256 that does not match: left out)."""
    runs, problems = [], []
    for manifest in manifest_paths(site_dir):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            entries = [e for e in data["files"] if e.get("format") == "warc"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{manifest.name}: unreadable manifest ({exc})")
            continue
        for entry in entries:
            path = manifest.parent / entry["name"]
            if not path.is_file():
                problems.append(f"{manifest.name}: its WARC {entry['name']} is missing")
            elif sha256_of(path) != entry.get("sha256"):
                problems.append(f"{manifest.name}: {entry['name']} does not match its sha256: left out")
            else:
                runs.append(RunArchive(manifest, data, path))
    runs.sort(key=lambda r: (str(r.data.get("started_at")), r.manifest.name))  # segments of a run: by number
    return runs, problems


def warcinfo(path: Path) -> dict[str, str]:
    """The fields of the WARC's first (warcinfo) record; {} without one."""
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "warcinfo":
                return {}
            info = {}
            for line in record.content_stream().read().decode("utf-8").splitlines():
                name, sep, value = line.partition(":")
                if sep:
                    info[name.strip()] = value.strip()
            return info
    return {}


class WarcIndex:
    """The response records of some WARC files, in capture order (module doc).

    ``base_url`` (the crawl's root) lets an article be found by its canonical
    URL whatever host form answered it. The first capture of a URL wins, as the
    first stored record does.
    """

    def __init__(self, paths: list[Path], base_url: str | None = None):
        self.captures: list[Capture] = []
        self._by_url: dict[tuple[str, bool], Capture] = {}
        self._by_id: dict[str, Capture] = {}
        self._files: dict[Path, BinaryIO] = {}  # open for read(), one handle per WARC
        for path in paths:
            self._scan(Path(path), base_url)

    @classmethod
    def shared(cls, paths: list[Path], base_url: str | None = None) -> WarcIndex:
        """The index of these files, scanned once per process while they are unchanged
        (``newsagg reextract`` needs it for its URL list and for its download handler:
        a scan decompresses every record)."""
        key = tuple((str(Path(p).resolve()), *_stamp(Path(p))) for p in paths)
        return _shared(key, base_url)

    def _scan(self, path: Path, base_url: str | None) -> None:
        with path.open("rb") as fh:
            # WARC headers only: the HTTP headers are parsed when a page is read.
            records = ArchiveIterator(fh, no_record_parse=True)
            for record in records:
                if record.rec_type != "response":
                    continue
                h = record.rec_headers
                cap = Capture(
                    path=path,
                    offset=records.get_record_offset(),
                    url=h.get_header("WARC-Target-URI"),
                    record_id=h.get_header("WARC-Record-ID"),
                    date=h.get_header("WARC-Date"),
                    kind=h.get_header(PAGE_KIND) or "",
                    requested_url=h.get_header(REQUESTED_URL),
                    rendered=h.get_header(RENDERED) == "true",
                )
                self.captures.append(cap)
                self._by_id.setdefault(cap.record_id, cap)
                names = {cap.url, cap.requested_url}
                if base_url:
                    names |= {classify(u, base_url).url for u in list(names) if u}
                for name in names - {None}:
                    self._by_url.setdefault((name, cap.rendered), cap)

    def lookup(self, url: str, rendered: bool = False) -> Capture | None:
        """The first capture of *url* (the rendered one when *rendered*)."""
        return self._by_url.get((url, rendered))

    def by_id(self, record_id: str) -> Capture | None:
        """The response record with this WARC-Record-ID."""
        return self._by_id.get(record_id)

    def read(self, cap: Capture) -> tuple[int, str, list[tuple[str, str]], bytes]:
        """(status, protocol, headers, body) of a capture, as it came off the wire."""
        fh = self._files.get(cap.path)
        if fh is None:
            fh = self._files[cap.path] = cap.path.open("rb")
        fh.seek(cap.offset)
        record = next(iter(ArchiveIterator(fh)))
        http = record.http_headers
        body = record.raw_stream.read()
        return int(http.get_statuscode()), http.protocol, list(http.headers), body

    def close(self) -> None:
        """Close the files :meth:`read` opened."""
        for fh in self._files.values():
            fh.close()
        self._files.clear()


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


@lru_cache(maxsize=2)
def _shared(key: tuple, base_url: str | None) -> WarcIndex:
    return WarcIndex([Path(k[0]) for k in key], base_url)
