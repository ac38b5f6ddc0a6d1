"""Where and how each run fetched its pages: the provenance the card and ``release.json`` report.

From a run's manifest ``fetch`` block (or, without one, ``arguments.base_url``):
hosts, whether the run was *from the live site* (every host a live host, not
``local``) or a local replica or mirror, its fetch settings, its health, and
whether it *fetched nothing* (no response in its WARC).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from newsagg.sites import SITES


def live_hosts(site: str) -> set[str]:
    """The site's live host names: ``www.maghress.com`` and ``maghress.com``."""
    info = SITES.get(site)
    return {info.domain, f"www.{info.domain}"} if info else set()


def host_name(value: str) -> str:
    """A host name from a URL, a ``host:port`` or a bare host (lower case, no port)."""
    parts = urlsplit(value if "://" in value else f"//{value}")
    return (parts.hostname or value).lower()


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.lower()


def run_provenance(manifest: Path, site: str) -> dict:
    """The provenance of the run (or segment) of *manifest* (module doc)."""
    data = json.loads(Path(manifest).read_text(encoding="utf-8"))
    fetch = data.get("fetch") if isinstance(data.get("fetch"), dict) else {}
    arguments = data.get("arguments") if isinstance(data.get("arguments"), dict) else {}
    base_url = fetch.get("base_url") or arguments.get("base_url") or (SITES[site].root if site in SITES else None)
    hosts = [str(h).lower() for h in fetch.get("hosts") or []] or ([_netloc(base_url)] if base_url else [])
    live = bool(hosts) and not fetch.get("local") and all(host_name(h) in live_hosts(site) for h in hosts)
    health = data.get("health") if isinstance(data.get("health"), dict) else None
    failed = [
        {"name": c.get("name"), "message": c.get("message")}
        for c in (health or {}).get("checks", [])
        if isinstance(c, dict) and not c.get("ok")
    ]
    warcs = [e for e in data.get("files", []) if isinstance(e, dict) and e.get("format") == "warc"]
    counts = [e["responses"] for e in warcs if isinstance(e.get("responses"), int)]
    responses = sum(counts) if counts else None
    segment = data.get("segment") if isinstance(data.get("segment"), dict) else None
    return {
        "base_url": base_url,
        "hosts": hosts,
        "live": live,
        "fetch_settings": fetch.get("settings") if isinstance(fetch.get("settings"), dict) else None,
        "health": health.get("status") if health else None,
        "failed_checks": failed,
        "responses": responses,
        "fetched_nothing": responses == 0,
        "final": segment.get("final", True) if segment else True,
    }


def record_hosts(urls: list[str | None]) -> list[str]:
    """The hosts (``host[:port]``) of the records' URLs, sorted."""
    return sorted({_netloc(u) for u in urls if u})


def why_failed(run: dict) -> str | None:
    """Why a run is not a success (fetched nothing, failed checks), or None."""
    if run.get("fetched_nothing"):
        return "fetched nothing (no page answered)"
    if run.get("health") == "failed":
        names = ", ".join(str(c.get("name")) for c in run.get("failed_checks", [])) or "?"
        return f"health check failed: {names}"
    return None
