"""Merge the workers' dataset files into one, each article exactly once.

Inputs: feed files, directories holding them (``*.part`` files and
dot-directories are never data) or manifests, whose files must match their
sha256 and row counts. Records are read in a stable order, the first of each
key and fingerprint kept; a truncated last line is skipped; near-duplicates a
worker could not see are linked with the crawl's own method (``--no-neardup``:
kept as read). The output is checked before it replaces ``-o``.
docs/ARCHITECTURE.md "Distributed mode".
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from newsagg.dataset.records import JSON_LINES, read_records
from newsagg.dataset.records import open_writer as _open_writer
from newsagg.dataset.records import record_key as _key
from newsagg.dataset.records import typed_record as _typed
from newsagg.digest import sha256_of
from newsagg.items import FIELDS

logger = logging.getLogger(__name__)


class MergeError(RuntimeError):
    """An input is missing or corrupt, or the output failed verification."""


@dataclass
class MergeReport:
    inputs: list[str] = field(default_factory=list)
    read: int = 0
    written: int = 0
    dropped: Counter = field(default_factory=Counter)
    per_input: dict[str, int] = field(default_factory=dict)
    linked: int = 0  # near-duplicate links added across workers
    output: str = ""
    sha256: str = ""

    def as_dict(self) -> dict:
        return {
            "inputs": self.inputs,
            "records_read": self.read,
            "records_written": self.written,
            "dropped": dict(sorted(self.dropped.items())),
            "near_duplicates_linked": self.linked,
            "kept_per_input": self.per_input,
            "output": self.output,
            "sha256": self.sha256,
        }


def _dataset_files(directory: Path, exclude: set[Path]) -> list[tuple[Path, dict]]:
    """JSON-lines files under *directory*, plus CSV files without a JSON-lines
    twin; with the facts (sha256, rows) of any manifest there that lists them."""
    files = sorted(
        p
        for p in directory.rglob("*")
        if p.is_file()
        and p.resolve() not in exclude
        and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    )
    jsonl = [p for p in files if p.suffix in JSON_LINES]
    stems = {p.with_suffix("") for p in jsonl}
    csvs = [p for p in files if p.suffix == ".csv" and p.with_suffix("") not in stems]
    facts: dict[Path, dict] = {}
    for manifest in (p for p in files if p.name.endswith(".manifest.json")):
        for path, meta in _manifest_files(manifest, all_formats=True):
            facts[path.resolve()] = meta
    return [(p, facts.get(p.resolve(), {})) for p in sorted(jsonl + csvs)]


def _manifest_files(manifest: Path, all_formats: bool = False) -> list[tuple[Path, dict]]:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MergeError(f"{manifest}: not a readable JSON manifest ({exc})") from exc
    entries = data.get("files") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise MergeError(f"{manifest}: no 'files' list: not a run manifest")
    out = []
    for entry in entries:
        entry = {"name": entry} if isinstance(entry, str) else dict(entry)
        name = entry.get("path") or entry.get("name") or entry.get("file")
        if not name:
            continue
        path = Path(name) if Path(name).is_absolute() else manifest.parent / name
        out.append((path, entry))
    if all_formats:
        return out
    # One format per file set: JSON lines when the manifest lists them.
    if any(p.suffix in JSON_LINES for p, _ in out):
        out = [(p, e) for p, e in out if p.suffix in JSON_LINES]
    else:
        out = [(p, e) for p, e in out if p.suffix == ".csv"]
    return out


def resolve_inputs(args: list[str], output: Path | None = None) -> list[tuple[Path, dict]]:
    """The dataset files named by *args* (files, dirs, manifests), in merge order."""
    exclude = {output.resolve()} if output else set()
    seen: set[Path] = set()
    out: list[tuple[Path, dict]] = []
    for arg in args:
        path = Path(arg)
        if not path.exists():
            raise MergeError(f"{arg}: no such file or directory")
        if path.is_dir():
            found = _dataset_files(path, exclude)
        elif path.suffix == ".json":
            found = _manifest_files(path)
        elif path.suffix in JSON_LINES + (".csv",):
            found = [(path, {})]
        else:
            raise MergeError(f"{arg}: expected a directory, a manifest (.json) or a .jsonl/.jl/.csv file")
        for p, meta in found:
            if p.resolve() not in seen and p.resolve() not in exclude:
                seen.add(p.resolve())
                out.append((p, meta))
    return out


def _check_input(path: Path, meta: dict) -> None:
    want = meta.get("sha256")
    if want and sha256_of(path) != want:
        raise MergeError(f"{path}: sha256 differs from its manifest (file changed or truncated)")


def _neardup_index():
    from scrapy.utils.project import get_project_settings

    from newsagg.pipelines.neardup import MinHashIndex

    return MinHashIndex(get_project_settings().getfloat("NEWSAGG_NEARDUP_THRESHOLD"))


def _link_near_duplicate(index, rec: dict, report: MergeReport) -> None:
    """Link *rec* to the most similar earlier record when no worker did; index it."""
    from newsagg.pipelines.neardup import signature

    sig = signature(rec.get("title"), rec.get("body"))
    if sig is None:
        return
    if not rec.get("near_duplicate_of"):
        match = index.query(sig)
        if match is not None and match[0] != rec["url"]:
            rec["near_duplicate_of"] = match[0]
            report.linked += 1
    index.add(sig, rec["url"])


def merge(inputs: list[str], output: str, neardup: bool = True) -> MergeReport:
    """Merge *inputs* into *output* (.jsonl/.jl or .csv); returns the report."""
    out = Path(output)
    if out.suffix not in JSON_LINES + (".csv",):
        raise MergeError(f"{output}: output must end in .jsonl, .jl or .csv")
    files = resolve_inputs(inputs, out)
    if not files:
        raise MergeError(f"no dataset files found in {', '.join(inputs)}")
    report = MergeReport(inputs=[str(p) for p, _ in files], output=str(out))
    index = _neardup_index() if neardup else None
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    try:
        _write_merged(files, tmp, out, report, index)
        verify(tmp, report.written, csv_format=out.suffix == ".csv")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, out)
    report.sha256 = sha256_of(out)
    return report


def _write_merged(files: list[tuple[Path, dict]], tmp: Path, out: Path, report: MergeReport, index) -> None:
    keys: set[tuple] = set()
    fps: set[str] = set()
    with tmp.open("wb") as fh:
        write, finish = _open_writer(out, fh)
        for path, meta in files:
            _check_input(path, meta)
            kept = rows = 0
            for rec in read_records(path, report):
                rows += 1
                report.read += 1
                fp = rec.get("fingerprint")
                if _key(rec) in keys:
                    report.dropped["duplicate_key"] += 1
                    continue
                if fp and fp in fps:
                    report.dropped["duplicate_content"] += 1
                    continue
                keys.add(_key(rec))
                if fp:
                    fps.add(fp)
                if index is not None:
                    _link_near_duplicate(index, rec, report)
                write(rec)
                kept += 1
            if meta.get("rows") is not None and int(meta["rows"]) != rows:
                raise MergeError(f"{path}: {rows} rows read, its manifest says {meta['rows']}")
            report.per_input[str(path)] = kept
        finish()
    report.written = len(keys)


def verify(path: Path, expected_rows: int, csv_format: bool = False) -> None:
    """Re-read a merged file: row count, unique keys, unique fingerprints."""
    report = MergeReport()
    if csv_format:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames != FIELDS:
                raise MergeError(f"{path}: CSV header {reader.fieldnames} != {FIELDS}")
            records = [_typed(r) for r in reader]
    else:
        records = list(read_records(path, report))
        if report.dropped:
            raise MergeError(f"{path}: output has unreadable lines")
    keys = {_key(r) for r in records}
    fps = [r["fingerprint"] for r in records if r.get("fingerprint")]
    if len(records) != expected_rows or len(keys) != len(records) or len(set(fps)) != len(fps):
        raise MergeError(
            f"{path}: verification failed ({len(records)} rows, {len(keys)} keys, "
            f"{len(set(fps))}/{len(fps)} fingerprints unique; expected {expected_rows})"
        )
