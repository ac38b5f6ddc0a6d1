"""One sequence of records from many runs: each article once.

Runs in release order (start time, run, segment), records in file order; the
first record of each article key and of each content fingerprint is kept,
later ones counted as ``duplicate_key`` / ``duplicate_content``;
``near_duplicate_of`` is kept as the runs wrote it. A run is read from its
first intact record format whose row counts match its manifest
(:attr:`newsagg.dataset.runs.Run.sources`), else refused.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from newsagg.dataset.records import normalized, read_records, record_key
from newsagg.dataset.runs import Refused, Run, RunRefused
from newsagg.exporters.csv import unescape_cell
from newsagg.items import FIELDS

logger = logging.getLogger(__name__)


class Dedup:
    """Keys and fingerprints already in the release (*keys*, *fps*: seeds from
    an earlier build); :meth:`admit` keeps or counts each record."""

    def __init__(self, dropped: Counter, keys: Iterable[tuple] = (), fps: Iterable[str] = ()):
        self.dropped = dropped
        self.keys = set(keys)
        self.fps = set(fps)

    def admit(self, rec: dict) -> dict | None:
        """The record normalised to the current fields when it is new, else None (counted)."""
        if record_key(rec) in self.keys:
            self.dropped["duplicate_key"] += 1
            return None
        fp = rec.get("fingerprint")
        if fp and fp in self.fps:
            self.dropped["duplicate_content"] += 1
            return None
        for name in rec.keys() - set(FIELDS):
            self.dropped[f"unknown_field/{name}"] += 1  # counted per record; the field is left out
        self.keys.add(record_key(rec))
        if fp:
            self.fps.add(fp)
        return normalized(rec)


class _Report:
    def __init__(self, dropped: Counter):
        self.dropped = dropped


def _parquet_records(path: Path) -> Iterator[dict]:
    """The records of a run's Parquet file (the record fields it has; ``crawled_at`` as ISO text)."""
    table = pq.read_table(path, partitioning=None)
    for row in table.select([f for f in FIELDS if f in table.column_names]).to_pylist():
        when = row.get("crawled_at")
        if when is not None and not isinstance(when, str):
            row["crawled_at"] = when.isoformat(timespec="seconds" if not when.microsecond else "auto")
        yield row


def _csv_records(path: Path, report) -> Iterator[dict]:
    """The records of a run's CSV file, formula neutralisation undone (docs/ARCHITECTURE.md "Files")."""
    for rec in read_records(path, report):
        yield {k: unescape_cell(v) if isinstance(v, str) else v for k, v in rec.items()}


def _read_format(fmt: str, files: list[tuple[Path, int | None]], dropped: Counter) -> list[dict]:
    out: list[dict] = []
    report = _Report(Counter())
    for path, rows in files:
        before = len(out)
        try:
            if fmt == "parquet":
                out.extend(_parquet_records(path))
            elif fmt == "csv":
                out.extend(_csv_records(path, report))
            else:
                out.extend(read_records(path, report))
        except (OSError, ValueError, csv.Error, pa.ArrowException) as exc:
            raise RunRefused(f"{path.name}: unreadable ({exc})") from exc
        read = len(out) - before + sum(report.dropped.values())
        if rows is not None and read != int(rows):
            raise RunRefused(f"{path.name}: {read} rows read, the manifest says {rows}")
    dropped.update(report.dropped)
    return out


def read_run(run: Run, dropped: Counter) -> list[dict]:
    """Every record of *run*, from its first intact format whose row counts match the
    manifest (``run.read_from`` says which; a format passed over joins ``run.damaged``);
    :class:`RunRefused` when none does."""
    for fmt, files in run.sources:
        try:
            records = _read_format(fmt, files, dropped)
        except RunRefused as exc:
            run.damaged.append(str(exc))
            continue
        run.read_from = fmt
        return records
    if not run.sources:
        return []
    raise RunRefused("; ".join(run.damaged) + " (no format holds every record)")


def consolidate(runs: list[Run], dedup: Dedup) -> tuple[list[dict], dict[str, int], list[Refused]]:
    """The new records of *runs* (in order), kept records per run, and the runs
    refused while reading (row counts)."""
    records: list[dict] = []
    kept: dict[str, int] = {}
    refused: list[Refused] = []
    for run in runs:
        try:
            recs = read_run(run, dedup.dropped)
        except RunRefused as exc:
            logger.error("Run %s refused, left out of the release: %s", run.name, exc)
            refused.append(Refused(run.name, str(exc)))
            continue
        n = 0
        for rec in recs:
            rec = dedup.admit(rec)
            if rec is not None:
                records.append(rec)
                n += 1
        kept[run.name] = n
    return records, kept, refused
