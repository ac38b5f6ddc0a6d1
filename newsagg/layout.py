"""Where published data lives under ``NEWSAGG_DATA_DIR``: the one place readers ask.

A dataset run publishes *segments*. Each is a directory
``<data dir>/<spider>/<stem>/`` holding ``<stem>.manifest.json`` and the
segment's files (``<stem>.csv``, ``.jsonl``, ``.parquet``, ``.warc.gz``; per
source ``<site>-<source>-<stamp>-<tag>-<seq>.csv`` ...), where the stem is
``<site>-<UTC start>-<run tag>-<seq>``. A segment appears by one rename of
its staging directory (``<data dir>/<spider>/.staging/<stem>/``): readers see
all of it or nothing, and never look into a directory whose name starts
with ``.``. Runs written before segments existed are flat:
``<data dir>/<spider>/<site>-<UTC start>-<run tag>.manifest.json`` beside
their files. Both read the same way: a manifest names its files relative to
its own directory.
"""

from __future__ import annotations

from pathlib import Path

MANIFEST_SUFFIX = ".manifest.json"
#: Directory (under ``<data dir>/<spider>/``) of segments being written.
STAGING = ".staging"


def manifest_paths(site_dir: Path, site: str | None = None) -> list[Path]:
    """The manifests of the published segments (and flat runs) under *site_dir*,
    sorted by name; only those of *site* when given. Staging is never read."""
    site_dir = Path(site_dir)
    prefix = f"{site}-" if site else ""
    found = [
        *site_dir.glob(f"{prefix}*{MANIFEST_SUFFIX}"),
        *(p for p in site_dir.glob(f"{prefix}*/{prefix}*{MANIFEST_SUFFIX}") if not p.parent.name.startswith(".")),
    ]
    return sorted(p for p in found if p.is_file())


def run_name(manifest: Path) -> str:
    """The name of a segment or flat run: its manifest's file name without the suffix."""
    return manifest.name[: -len(MANIFEST_SUFFIX)]
