"""Where published data lives under ``NEWSAGG_DATA_DIR``: the one place readers ask.

A dataset run publishes segments, ``<data dir>/<spider>/<stem>/`` with
``<stem>.manifest.json`` and its files, each appearing by one rename from
``<data dir>/<spider>/.staging/`` (never read: readers skip dot-directories).
Flat runs keep ``<stem>.manifest.json`` beside their files in the site
directory. A manifest names its files relative to its own directory.
docs/ARCHITECTURE.md "Publishing a dataset run".
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
