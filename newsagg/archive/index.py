"""The committed archives of a site: which WARCs a re-extraction reads, in which order.

:func:`committed_warcs`: the WARCs the manifests of the site's published
segments and flat runs list, each checked against its sha256 (the others
named, not read), in capture order (:func:`in_capture_order`).
docs/ARCHITECTURE.md "Re-extraction".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from newsagg.digest import sha256_of
from newsagg.layout import manifest_paths


@dataclass(frozen=True)
class RunArchive:
    """A committed segment (or flat run) that has a WARC: its manifest, the WARC."""

    manifest: Path
    data: dict
    warc: Path

    @property
    def run(self) -> str:
        """The run the segment belongs to (segments of one run share it)."""
        return str(self.data.get("run_id") or self.data.get("started_at") or self.manifest.name)

    @property
    def number(self) -> int:
        """The segment's number in its run (a flat run is one segment)."""
        segment = self.data.get("segment") or {}
        number = segment.get("number") if isinstance(segment, dict) else None
        return number if isinstance(number, int) else 1


def committed_warcs(site_dir: Path, site: str | None = None) -> tuple[list[RunArchive], list[str]]:
    """The committed segments of *site* under *site_dir* that have a WARC, in capture
    order (module doc), and the problems met (an unreadable manifest, a missing WARC,
    a sha256 that does not match: left out, named)."""
    runs, problems = [], []
    for manifest in manifest_paths(Path(site_dir), site):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            entries = [e for e in data["files"] if e.get("format") == "warc"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            problems.append(f"{manifest.name}: unreadable manifest ({exc}): left out")
            continue
        for entry in entries:
            path = manifest.parent / str(entry.get("name"))
            if not path.is_file():
                problems.append(f"{manifest.name}: its WARC {entry.get('name')} is missing: left out")
            elif sha256_of(path) != entry.get("sha256"):
                problems.append(f"{manifest.name}: {entry.get('name')} does not match its sha256: left out")
            else:
                runs.append(RunArchive(manifest, data, path))
    return in_capture_order(runs), problems


def in_capture_order(segments: list[RunArchive]) -> list[RunArchive]:
    """Runs by start (``started_at``, to the second: two runs of a site never overlap,
    so the rare tie is broken by when their manifests were written), then each run's
    segments by number."""
    runs: dict[str, list[RunArchive]] = {}
    for seg in segments:
        runs.setdefault(seg.run, []).append(seg)

    def start(run: list[RunArchive]) -> tuple:
        return (str(run[0].data.get("started_at") or ""), min(s.manifest.stat().st_mtime_ns for s in run), run[0].run)

    return [
        seg
        for run in sorted(runs.values(), key=start)
        for seg in sorted(run, key=lambda s: (s.number, s.manifest.name))
    ]
