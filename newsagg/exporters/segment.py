"""The files of one segment, written in its staging directory.

:class:`SegmentFiles` opens a data file per format (``csv``, ``jsonl``,
``parquet``; per source with ``NEWSAGG_SPLIT_BY_SOURCE``) when the first
record for it arrives, and the WARC when the first page is captured, so a
segment without records has no data file. :meth:`SegmentFiles.close` finishes
every file, fsyncs it and computes its size and sha256; :meth:`SegmentFiles.entries`
lists them for the manifest. The publisher (:mod:`newsagg.extensions.publish`)
decides when a segment starts, ends and is published.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy.utils.misc import build_from_crawler, load_object

from newsagg.digest import sha256_of
from newsagg.items import FIELDS

#: Dataset formats: (file suffix, FEED_EXPORTERS name, manifest format name).
FORMATS = (("csv", "csv", "csv"), ("jsonl", "jsonlines", "jsonlines"), ("parquet", "parquet", "parquet"))


class _DataFile:
    """One data file and its item exporter."""

    def __init__(self, path: Path, fmt: str, source: str | None, exporter_factory: Callable[[Any], Any]):
        self.path, self.format, self.source = path, fmt, source
        self.rows = 0
        self.size: int | None = None
        self.sha256: str | None = None
        self._fh = path.open("xb")
        self._exporter = exporter_factory(self._fh)
        self._exporter.start_exporting()

    def write(self, item) -> None:
        self._exporter.export_item(item)
        self.rows += 1

    def close(self) -> None:
        if self._fh is None:
            return
        try:
            self._exporter.finish_exporting()
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except BaseException:
            self.abort()  # the exporter's own writer too: nothing is left to fail later
            raise
        self._fh.close()
        self._fh = None
        self.size = self.path.stat().st_size
        self.sha256 = sha256_of(self.path)

    def abort(self) -> None:
        """Close without finishing; a failing close (no space to flush) is no error here."""
        if self._fh is not None:
            fh, self._fh = self._fh, None
            abort = getattr(self._exporter, "abort", None)  # an exporter with a writer of its own (Parquet)
            if abort is not None:
                abort()
            try:
                fh.close()
            except OSError:
                pass


class SegmentFiles:
    """Data files and WARC of one segment under *directory* (module doc).

    *stem* names the files (``stem(source)`` gives a per-source stem);
    *warc* makes the segment's WARC file from its path (None: no WARC), and
    *warc_info* is its warcinfo record's fields.
    """

    def __init__(
        self,
        crawler,
        directory: Path,
        stem: Callable[[str | None], str],
        *,
        split: bool = False,
        warc: Callable[[Path], Any] | None = None,
        warc_info: dict | None = None,
    ):
        self.crawler = crawler
        self.directory = Path(directory)
        self.stem = stem
        self.split = split
        self.warc_info = warc_info
        self._new_warc = warc
        self.data: dict[tuple[str, str | None], _DataFile] = {}
        self.warc = None
        exporters = crawler.settings.getwithbase("FEED_EXPORTERS")
        self._exporters = {name: load_object(exporters[name]) for _, name, _ in FORMATS}

    def _factory(self, exporter_name: str):
        cls = self._exporters[exporter_name]
        settings = self.crawler.settings

        def make(fh):
            return build_from_crawler(
                cls,
                self.crawler,
                fh,
                fields_to_export=FIELDS,
                encoding=settings.get("FEED_EXPORT_ENCODING") or "utf-8",
                indent=settings.getint("FEED_EXPORT_INDENT"),
            )

        return make

    def write_item(self, item) -> None:
        """Append *item* to the data files (of its source when split); opens them on first use."""
        source = getattr(item, "source_slug", None) if self.split else None
        for suffix, exporter, fmt in FORMATS:
            f = self.data.get((suffix, source))
            if f is None:
                path = self.directory / f"{self.stem(source)}.{suffix}"
                f = self.data[(suffix, source)] = _DataFile(path, fmt, source, self._factory(exporter))
            f.write(item)

    def write_page(self, url: str, raw: tuple, request_headers, **kwargs) -> str | None:
        """A WARC response + request record for one page (None without a WARC); its WARC-Record-ID."""
        if self._new_warc is None:
            return None
        if self.warc is None:
            self.warc = self._new_warc(self.directory / self.stem(None))
            self.warc.open(self.warc_info or {})
        return self.warc.write_page(url, raw, request_headers, **kwargs)

    @property
    def items(self) -> int:
        """Records written (each goes to one file per format)."""
        return sum(f.rows for (suffix, _), f in self.data.items() if suffix == FORMATS[0][0])

    def close(self) -> None:
        """Finish, fsync and digest every file (may raise OSError: the segment then fails)."""
        for f in self.data.values():
            f.close()
        if self.warc is not None:
            self.warc.close()

    def abort(self) -> None:
        """Close whatever is open without finishing it (the segment failed); never raises OSError."""
        for f in self.data.values():
            f.abort()
        if self.warc is not None:
            self.warc.abort()

    def entries(self) -> list[dict]:
        """The manifest's ``files`` (names relative to the segment directory)."""
        out = [
            {
                "name": f.path.name,
                "format": f.format,
                "source": f.source,
                "rows": f.rows,
                "bytes": f.size,
                "sha256": f.sha256,
            }
            for f in self.data.values()
        ]
        if self.warc is not None:
            out.append(self.warc.manifest_entry(self.directory))
        return out
