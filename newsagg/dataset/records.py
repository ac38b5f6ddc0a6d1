"""Reading and writing records of dataset files: shared by the release build
(:mod:`newsagg.dataset`) and the distributed merge (:mod:`newsagg.distributed.merge`).

A record is a dict of the record fields (:data:`newsagg.items.FIELDS`).
Files of another schema read as well: a field the file lacks (``author`` in
schema 1) is null, a field this version does not know is left out by
:func:`normalized`.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from pathlib import Path

from newsagg.items import FIELDS

logger = logging.getLogger(__name__)

JSON_LINES = (".jsonl", ".jl")
_INT_FIELDS = {"word_count"}
#: Fields that always have a value; every other one may be null (CSV: empty cell).
_REQUIRED = {"url", "site", "source_slug", "article_id", "language", "word_count"}


def typed_record(row: dict) -> dict:
    """A CSV row as a record: ``word_count`` an int, empty optional cells null."""
    rec = {}
    for f in FIELDS:
        v = row.get(f)
        if f in _INT_FIELDS:
            v = int(v) if v not in (None, "") else 0
        elif f not in _REQUIRED and v == "":
            v = None
        rec[f] = v
    return rec


def normalized(rec: dict) -> dict:
    """*rec* with exactly the record fields, in order (missing ones null)."""
    return {f: rec.get(f) for f in FIELDS}


def read_records(path: Path, report) -> Iterator[dict]:
    """Records of one ``.jsonl``/``.jl``/``.csv`` file; unreadable JSON lines and
    non-records are counted in ``report.dropped`` (a Counter) and skipped."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                yield typed_record(row)
        return
    with path.open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                report.dropped["unreadable_line"] += 1
                logger.warning("%s:%d: unreadable line skipped (a worker killed mid-write?)", path, n)
                continue
            if not isinstance(rec, dict) or not rec.get("url"):
                report.dropped["not_a_record"] += 1
                continue
            yield rec


def record_key(rec: dict) -> tuple:
    """The article key (site, source_slug, article_id)."""
    return (rec.get("site"), rec.get("source_slug"), str(rec.get("article_id")))


def open_writer(path: Path, fh):
    """``(write(record), finish())`` writing records to the binary *fh* as CSV
    (the project's CSV exporter: column order, formula neutralisation) when
    *path* ends in ``.csv``, else as JSON lines."""
    if path.suffix == ".csv":
        from scrapy.utils.misc import load_object
        from scrapy.utils.project import get_project_settings

        exporter_cls = load_object(get_project_settings().getwithbase("FEED_EXPORTERS")["csv"])
        exporter = exporter_cls(fh, fields_to_export=FIELDS, encoding="utf-8")
        exporter.start_exporting()
        return exporter.export_item, exporter.finish_exporting
    return (
        lambda rec: fh.write(json.dumps({f: rec.get(f) for f in FIELDS}, ensure_ascii=False).encode() + b"\n"),
        lambda: None,
    )
