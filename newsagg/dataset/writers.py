"""The release's files: Parquet partitioned by year, optional CSV and JSONL.

``data/year=YYYY/part-0.parquet`` per year (``year=0``: no publication date),
the feed's columns and types (:func:`newsagg.exporters.parquet.parquet_schema`),
one schema for every file; rows in release order. Deterministic (no time or
path in a file): the same rows give the same bytes. CSV and JSONL hold the same
records, year by year. docs/ARCHITECTURE.md "The release".
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from newsagg.dataset.records import open_writer
from newsagg.exporters.parquet import append_row, parquet_schema, published_day
from newsagg.items import FIELDS

NO_DATE = 0  # the year partition of records without a publication date
PART_NAME = "part-0.parquet"
DATA_DIR = "data"  # the Parquet dataset, inside the release directory
ROW_GROUP = 50_000


def year_of(rec: dict) -> int | None:
    """The partition of a record: the year of its publication date, None without one."""
    day = published_day(rec.get("published_at"))
    return None if day is None else day.year


def partition_dir(year: int | None) -> str:
    """``year=2024`` (``year=0`` for None)."""
    return f"year={NO_DATE if year is None else year}"


def to_table(records: list[dict]) -> pa.Table:
    """Records as an Arrow table of the release schema (the feed's conversions)."""
    schema = parquet_schema(FIELDS)
    cols: dict[str, list] = {f.name: [] for f in schema}
    for rec in records:
        append_row(cols, rec.get, FIELDS)
    return pa.Table.from_pydict(cols, schema=schema)


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds" if not value.microsecond else "auto")
    return str(value)


def to_records(table: pa.Table) -> list[dict]:
    """The records of a release table (the inverse of :func:`to_table`)."""
    rows = table.select(FIELDS).to_pylist()
    for row in rows:
        row["crawled_at"] = _iso(row["crawled_at"])
    return rows


def read_partition(path: Path) -> pa.Table:
    """One year file as written (no hive column added)."""
    return pq.read_table(path, partitioning=None)


def write_partition(out_dir: Path, year: int | None, table: pa.Table) -> Path:
    """Write *table* as the file of *year* (atomically: ``.part`` then rename)."""
    path = out_dir / DATA_DIR / partition_dir(year) / PART_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    pq.write_table(table.combine_chunks(), tmp, row_group_size=ROW_GROUP, compression="snappy")
    os.replace(tmp, path)
    return path


def remove_stale_partitions(out_dir: Path, years: set[int | None]) -> None:
    """Delete year directories of an earlier build that are not in *years*."""
    keep = {partition_dir(y) for y in years}
    for d in (out_dir / DATA_DIR).glob("year=*"):
        if d.is_dir() and d.name not in keep:
            shutil.rmtree(d)


def write_flat(path: Path, tables: list[pa.Table]) -> None:
    """One CSV or JSONL file (by suffix) of the records of *tables*, in order."""
    tmp = path.with_name(path.name + ".part")
    with tmp.open("wb") as fh:
        write, finish = open_writer(path, fh)
        for table in tables:
            for rec in to_records(table):
                write(rec)
        finish()
    os.replace(tmp, path)
