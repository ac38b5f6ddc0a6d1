"""The published runs of a site under a data directory, each verified, and the data files no run lists.

A run here is one published manifest (a segment, or a flat run:
:func:`newsagg.layout.manifest_paths`). Before any record is read, every file
it lists must exist with the listed size and sha256. Its record sources are its
intact formats that hold every record (JSON lines, Parquet, CSV); a run with a
damaged file says so (:attr:`Run.damaged`), one with no source is *refused*.
Data files no manifest lists are *unlisted*: named, never read.
docs/ARCHITECTURE.md "The release".
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from newsagg.dataset.records import JSON_LINES
from newsagg.digest import sha256_of
from newsagg.layout import manifest_paths, run_name

logger = logging.getLogger(__name__)

#: Record formats, in the order a run is read from them.
RECORD_FORMATS = ("jsonlines", "parquet", "csv")
DATA_SUFFIXES = (".csv", *JSON_LINES, ".parquet", ".warc.gz")
_FORMAT_OF_SUFFIX = {".csv": "csv", ".jsonl": "jsonlines", ".jl": "jsonlines", ".parquet": "parquet"}


@dataclass
class Run:
    """One verified published run (or segment of a run)."""

    name: str  # the manifest's file name without .manifest.json
    manifest: Path
    sha256: str  # of the manifest, which holds every file's sha256: the run's fingerprint
    started_at: str
    finished_at: str | None
    finish_reason: str | None
    segment: int = 1  # the segment number (a flat run is one segment)
    #: The intact record formats that hold every record, in reading order: (format, [(path, rows)]).
    sources: list[tuple[str, list[tuple[Path, int | None]]]] = field(default_factory=list)
    #: Files listed but damaged ("name: why"); the records come from another format.
    damaged: list[str] = field(default_factory=list)
    read_from: str | None = None  # the format the records were read from (set when read)

    @property
    def order(self) -> tuple[str, str, int]:
        """Release order: start time of the run, then the run, then its segment
        (first stored wins on duplicates)."""
        return run_order(self.name, self.started_at)


def run_order(name: str, started_at: str) -> tuple[str, str, int]:
    """(start time, run stem, segment number) of a run or segment named *name*:
    ``<site>-<stamp>-<tag>-<NNNN>`` is segment NNNN of ``<site>-<stamp>-<tag>``, a flat
    ``<site>-<stamp>-<tag>`` its only segment."""
    parts = name.split("-")
    if len(parts) == 4 and parts[3].isdigit():
        return (started_at, "-".join(parts[:3]), int(parts[3]))
    return (started_at, name, 1)


@dataclass
class Refused:
    """A run left out of the release: its name and why."""

    name: str
    reason: str

    def as_dict(self) -> dict:
        return {"run": self.name, "reason": self.reason}


@dataclass
class Discovery:
    """What :func:`discover_runs` found: verified runs in release order, refused ones, unlisted files."""

    runs: list[Run]
    refused: list[Refused]
    unlisted: list[Path]


class RunRefused(Exception):
    """Raised inside verification; becomes a :class:`Refused`."""


def _file_path(manifest: Path, name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else manifest.parent / path


def _format_of(entry: dict, path: Path) -> str:
    fmt = entry.get("format")
    if fmt in RECORD_FORMATS or fmt == "warc":
        return fmt
    return "warc" if path.name.endswith(".warc.gz") else _FORMAT_OF_SUFFIX.get(path.suffix, "other")


def _damage(entry: dict, path: Path) -> str | None:
    """Why a listed file does not verify, or None."""
    if not path.is_file():
        return "listed in the manifest, missing"
    size = path.stat().st_size
    if entry.get("bytes") is not None and size != int(entry["bytes"]):
        return f"{size} bytes, the manifest says {entry['bytes']}"
    if not entry.get("sha256"):
        return "no sha256 in the manifest"
    if sha256_of(path) != entry["sha256"]:
        return "sha256 differs from the manifest (file changed)"
    return None


def _load(manifest: Path, site: str) -> dict:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunRefused(f"manifest unreadable ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise RunRefused("manifest has no 'files' list")
    if data.get("site") != site:
        raise RunRefused(f"manifest is of site {data.get('site')!r}, not {site!r}")
    for entry in data["files"]:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise RunRefused(f"manifest file entry {entry!r} has no name")
    return data


def verify_run(manifest: Path, site: str) -> Run:
    """The verified run of *manifest*; :class:`RunRefused` when it fails (module doc)."""
    data = _load(manifest, site)
    by_format: dict[str, list[tuple[Path, int | None]]] = {}
    broken: dict[str, list[str]] = {}
    for entry in data["files"]:
        path = _file_path(manifest, entry["name"])
        fmt = _format_of(entry, path)
        why = _damage(entry, path)
        if why:
            broken.setdefault(fmt, []).append(f"{entry['name']}: {why}")
        by_format.setdefault(fmt, []).append((path, entry.get("rows")))
    written = data.get("items_written")
    sources = []
    for fmt in RECORD_FORMATS:
        files = by_format.get(fmt)
        if not files or fmt in broken:
            continue
        rows = [r for _, r in files]
        if isinstance(written, int) and None not in rows and sum(int(r) for r in rows) != written:
            continue  # does not hold every record the run wrote
        sources.append((fmt, files))
    damaged = [d for fmt in sorted(broken) for d in broken[fmt]]
    if not sources and (written or any(f in by_format for f in RECORD_FORMATS)):
        if damaged:
            raise RunRefused("; ".join(damaged) + " (no intact format holds every record)")
        raise RunRefused("no JSON-lines, Parquet or CSV file holds every record the manifest counts")
    segment = data.get("segment") if isinstance(data.get("segment"), dict) else {}
    name = run_name(manifest)
    return Run(
        name=name,
        manifest=manifest,
        sha256=sha256_of(manifest),
        started_at=str(data.get("started_at") or ""),
        finished_at=data.get("finished_at"),
        finish_reason=data.get("finish_reason"),
        segment=int(segment.get("number") or run_order(name, "")[2]),
        sources=sources,
        damaged=damaged,
    )


def listed_files(manifest: Path) -> set[Path]:
    """Every file *manifest* lists (resolved), whatever its state; empty when it does not parse."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        entries = data["files"]
        return {_file_path(manifest, e["name"]).resolve() for e in entries if isinstance(e, dict) and e.get("name")}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def data_files(site_dir: Path) -> list[Path]:
    """The data files in *site_dir* and its segment directories (never a dot-directory,
    never a ``.part``), sorted."""
    site_dir = Path(site_dir)
    found = [p for p in site_dir.iterdir() if p.is_file()]
    for d in site_dir.iterdir():
        if d.is_dir() and not d.name.startswith("."):
            found += [p for p in d.iterdir() if p.is_file()]
    return sorted(p for p in found if p.name.endswith(DATA_SUFFIXES))


def discover_runs(data_dir: Path, site: str) -> Discovery:
    """Every published run of *site* under *data_dir*, verified, in release
    order; the refused ones and the unlisted data files (each logged as an error)."""
    site_dir = Path(data_dir) / site
    runs, refused, listed = [], [], set()
    for manifest in manifest_paths(site_dir, site):
        listed |= listed_files(manifest)
        name = run_name(manifest)
        try:
            run = verify_run(manifest, site)
        except RunRefused as exc:
            logger.error("Run %s refused, left out of the release: %s", name, exc)
            refused.append(Refused(name, str(exc)))
            continue
        for damage in run.damaged:
            logger.warning("Run %s: %s", name, damage)
        runs.append(run)
    unlisted = [p for p in data_files(site_dir) if p.resolve() not in listed]
    for path in unlisted:
        logger.error("Data file %s: no manifest lists it (a run whose manifest is gone?)", path)
    runs.sort(key=lambda r: r.order)
    return Discovery(runs, refused, unlisted)
