"""One sequence of records from many runs: each article once.

Runs are taken in release order (start time, then name) and their records in
file order; the first record of each article key (site, source_slug,
article_id) and of each content fingerprint is kept, later ones are counted
as ``duplicate_key`` / ``duplicate_content``. Near-duplicate links
(``near_duplicate_of``) are kept as the runs wrote them: each nightly run
linked its rewrites against everything stored before it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from newsagg.dataset.records import normalized, read_records, record_key
from newsagg.dataset.runs import Refused, Run, RunRefused
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


def read_run(run: Run, dropped: Counter) -> list[dict]:
    """Every record of *run*; :class:`RunRefused` when a file's row count is not the manifest's."""
    out: list[dict] = []
    report = _Report(Counter())
    for path, rows in run.record_files:
        before = len(out)
        out.extend(read_records(path, report))
        read = len(out) - before + sum(report.dropped.values())
        if rows is not None and read != int(rows):
            raise RunRefused(f"{path.name}: {read} rows read, the manifest says {rows}")
        dropped.update(report.dropped)
        report.dropped.clear()
    return out


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
