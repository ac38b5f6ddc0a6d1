"""The ``parquet`` feed format: typed columns for pandas / Arrow.

Every record field (:data:`newsagg.items.FIELDS`: text as ``string``,
``word_count`` ``int32``, ``crawled_at`` ``timestamp[ms, UTC]``), then two typed
views of the publication date, ``published_date`` and ``published_ts``; the
schema version in the file's metadata. Rows are written in row groups of
:data:`ROW_GROUP` rows (bounded memory). Columns: docs/ARCHITECTURE.md "Files".
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq
from itemadapter import ItemAdapter
from scrapy.exporters import BaseItemExporter

from newsagg.items import FIELDS, SCHEMA_VERSION

_TS = pa.timestamp("ms", tz="UTC")  # Parquet has no second unit
_TYPES = {"word_count": pa.int32(), "crawled_at": _TS}
EXTRA_COLUMNS = [("published_date", pa.date32()), ("published_ts", _TS)]
#: Rows buffered per row group: bounds the exporter's memory (~1000 x 6 KB).
ROW_GROUP = 1000


def parquet_schema(fields: list[str] | None = None) -> pa.Schema:
    """The Arrow schema of the dataset (record fields + typed date columns)."""
    cols = [pa.field(name, _TYPES.get(name, pa.string())) for name in (fields or FIELDS)]
    cols += [pa.field(name, typ) for name, typ in EXTRA_COLUMNS]
    return pa.schema(cols, metadata={"newsagg.schema_version": str(SCHEMA_VERSION)})


def record_values(get, fields: list[str]):
    """``(column, value)`` of one record (``get(name)`` gives a field's value) in
    the terms of :func:`parquet_schema`: typed ``word_count`` and ``crawled_at``,
    text for the rest, plus the derived ``published_date`` / ``published_ts``."""
    for name in fields:
        value = get(name)
        if name == "word_count":
            value = None if value is None else int(value)
        elif name == "crawled_at":
            value = _timestamp(value)
        elif value is not None and not isinstance(value, str):
            value = str(value)
        yield name, value
    published = get("published_at")
    yield "published_date", published_day(published)
    yield "published_ts", _timestamp(published)


def append_row(cols: dict[str, list], get, fields: list[str]) -> None:
    """Append one record to the column lists of :func:`parquet_schema` (:func:`record_values`)."""
    for name, value in record_values(get, fields):
        cols[name].append(value)


def _timestamp(value: str | None) -> dt.datetime | None:
    """An aware ISO 8601 date-time as UTC; None for dates without a time."""
    if not value or len(value) <= 10:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(dt.UTC)


def published_day(value: str | None) -> dt.date | None:
    """The calendar day of an ISO ``published_at`` (None when missing or not a date): the ``published_date`` column."""
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_DAY = dt.date(1970, 1, 1)
_MS = dt.timedelta(milliseconds=1)


def _wire(value):
    """A :func:`record_values` value as JSON: dates as days and instants as
    milliseconds since the epoch (cast back to date32 / timestamp by Arrow)."""
    if isinstance(value, dt.datetime):
        return (value - _EPOCH) // _MS
    if isinstance(value, dt.date):
        return (value - _EPOCH_DAY).days
    return value


def _wire_type(typ: pa.DataType) -> pa.DataType:
    if typ == pa.date32():
        return pa.int32()
    return pa.int64() if pa.types.is_timestamp(typ) else typ


class ParquetItemExporter(BaseItemExporter):
    """Buffers rows and writes a row group every ``row_group_size`` rows.

    The rows wait as JSON lines and become a table through Arrow's JSON reader
    (``pyarrow.json``), not ``Table.from_pydict``: converting Python objects
    makes pyarrow import pandas (~40 MB of RSS in every crawl process, for
    nothing), and the text waits as UTF-8 bytes rather than Python strings.
    """

    def __init__(self, file, *, row_group_size: int = ROW_GROUP, compression: str = "snappy", **kwargs: Any):
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self.fields = list(self.fields_to_export or FIELDS)
        self.schema = parquet_schema(self.fields)
        self._wire_schema = pa.schema([pa.field(f.name, _wire_type(f.type)) for f in self.schema])
        self.row_group_size = max(1, row_group_size)
        self.compression = compression
        self.writer: pq.ParquetWriter | None = None
        self._reset()

    def _reset(self) -> None:
        self._lines = io.BytesIO()
        self._rows = 0

    def start_exporting(self) -> None:
        self.writer = pq.ParquetWriter(self.file, self.schema, compression=self.compression)

    def export_item(self, item: Any) -> None:
        row = {name: _wire(value) for name, value in record_values(ItemAdapter(item).get, self.fields)}
        self._lines.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        self._rows += 1
        if self._rows >= self.row_group_size:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        assert self.writer is not None
        data = self._lines.getvalue()
        table = pj.read_json(
            io.BytesIO(data),
            # One block for the whole group: a row may be longer than the default 1 MB block.
            read_options=pj.ReadOptions(use_threads=False, block_size=len(data) + 1),
            parse_options=pj.ParseOptions(explicit_schema=self._wire_schema, unexpected_field_behavior="error"),
        )
        self.writer.write_table(table.select(self._wire_schema.names).cast(self.schema))
        self._reset()

    def finish_exporting(self) -> None:
        assert self.writer is not None
        self._flush()
        self.writer.close()  # writes the footer; the storage closes the file
        self.writer = None

    def abort(self) -> None:
        """Give the file up unfinished (its write failed): no footer, no error later."""
        writer, self.writer = self.writer, None
        if writer is not None:
            try:
                writer.close()
            except (OSError, ValueError):
                pass
