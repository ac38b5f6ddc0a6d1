"""The committed runs of a site under a data directory, each verified.

A run here is a published segment, or a flat run of an older newsagg: its
manifest (:mod:`newsagg.layout`), published together with its files; what a
killed run did not publish has no manifest, so it is no run here. Verification, before any record is read: the manifest parses and
names this site, and every file it lists exists with the listed size and
sha256 (the WARC capture too, when listed). A run failing any of it is
*refused*: named with the reason, and left out of the release.

The records of a run are read from its JSON-lines files (several with
``NEWSAGG_SPLIT_BY_SOURCE``), else its CSV files; the row count must match the
manifest.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from newsagg.dataset.records import JSON_LINES
from newsagg.digest import sha256_of
from newsagg.layout import manifest_paths

logger = logging.getLogger(__name__)

MANIFEST_SUFFIX = ".manifest.json"


@dataclass
class Run:
    """One verified committed run."""

    name: str  # the manifest's file name without .manifest.json: <site>-<start>-<tag>
    manifest: Path
    sha256: str  # of the manifest, which holds every file's sha256: the run's fingerprint
    started_at: str
    finished_at: str | None
    finish_reason: str | None
    record_files: list[tuple[Path, int | None]] = field(default_factory=list)  # (path, rows)

    @property
    def order(self) -> tuple[str, str]:
        """Release order: start time, then name (first stored wins on duplicates)."""
        return (self.started_at, self.name)


@dataclass
class Refused:
    """A run left out of the release: its name and why."""

    name: str
    reason: str

    def as_dict(self) -> dict:
        return {"run": self.name, "reason": self.reason}


class RunRefused(Exception):
    """Raised inside verification; becomes a :class:`Refused`."""


def _file_path(manifest: Path, name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else manifest.parent / path


def verify_run(manifest: Path, site: str) -> Run:
    """The verified run of *manifest*; :class:`RunRefused` when it fails (module doc)."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunRefused(f"manifest unreadable ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise RunRefused("manifest has no 'files' list")
    if data.get("site") != site:
        raise RunRefused(f"manifest is of site {data.get('site')!r}, not {site!r}")
    records: list[tuple[Path, int | None]] = []
    csvs: list[tuple[Path, int | None]] = []
    for entry in data["files"]:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise RunRefused(f"manifest file entry {entry!r} has no name")
        path = _file_path(manifest, entry["name"])
        if not path.is_file():
            raise RunRefused(f"{entry['name']}: listed in the manifest, missing")
        if entry.get("bytes") is not None and path.stat().st_size != int(entry["bytes"]):
            raise RunRefused(f"{entry['name']}: {path.stat().st_size} bytes, the manifest says {entry['bytes']}")
        if not entry.get("sha256"):
            raise RunRefused(f"{entry['name']}: no sha256 in the manifest")
        if sha256_of(path) != entry["sha256"]:
            raise RunRefused(f"{entry['name']}: sha256 differs from the manifest (file changed)")
        rows = entry.get("rows")
        if path.suffix in JSON_LINES:
            records.append((path, rows))
        elif path.suffix == ".csv":
            csvs.append((path, rows))
    if not records and not csvs and data.get("items_written"):
        raise RunRefused("no JSON-lines or CSV file listed, yet items were written")
    return Run(
        name=manifest.name[: -len(MANIFEST_SUFFIX)],
        manifest=manifest,
        sha256=sha256_of(manifest),
        started_at=str(data.get("started_at") or ""),
        finished_at=data.get("finished_at"),
        finish_reason=data.get("finish_reason"),
        record_files=records or csvs,
    )


def discover_runs(data_dir: Path, site: str) -> tuple[list[Run], list[Refused]]:
    """Every committed run of *site* under *data_dir*, verified, in release
    order; and the refused ones (each logged as an error)."""
    runs, refused = [], []
    for manifest in manifest_paths(Path(data_dir) / site, site):
        name = manifest.name[: -len(MANIFEST_SUFFIX)]
        try:
            runs.append(verify_run(manifest, site))
        except RunRefused as exc:
            logger.error("Run %s refused, left out of the release: %s", name, exc)
            refused.append(Refused(name, str(exc)))
    runs.sort(key=lambda r: r.order)
    return runs, refused
