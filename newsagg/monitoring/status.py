"""``newsagg status``: each site and source at a glance, from the state and the manifests.

Per site: the last run (time, finish reason, health: its manifest), stored
articles; per source: stored articles, articles per day over the last
``NEWSAGG_HEALTH_REGULAR_WINDOW_DAYS`` days as a sparkline, the last
``published_at``, the days since the last new article, and the flag of the
``silent_sources`` check. Days count on the site's own clock, up to its
newest article (as the check does). Read-only: works while a crawl runs.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from newsagg.config import setting
from newsagg.monitoring.checks import silent_sources
from newsagg.monitoring.history import read_history

SPARKS = " ▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    """Counts as block characters, scaled to the largest (0: a space)."""
    top = max(counts, default=0)
    if not top:
        return " " * len(counts)
    return "".join(SPARKS[0] if not c else SPARKS[max(1, round(c / top * (len(SPARKS) - 1)))] for c in counts)


def _stored(db_path: Path) -> dict[str, int]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return dict(db.execute("SELECT source_slug, count(*) FROM stored GROUP BY source_slug"))
    except sqlite3.Error:
        return {}
    finally:
        db.close()


def _manifests(data_dir: Path) -> dict[str, dict]:
    """The newest manifest of each site (by finish time)."""
    newest: dict[str, dict] = {}
    for path in data_dir.rglob("*.manifest.json"):
        try:
            m = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        site = m.get("site") or m.get("spider")
        if site and (site not in newest or (m.get("finished_at") or "") > (newest[site].get("finished_at") or "")):
            newest[site] = {**m, "_path": str(path)}
    return newest


def collect(data_dir: Path, state_dir: Path, settings) -> dict:
    """The report as a dict (what ``--json`` prints)."""
    window = setting(settings, "NEWSAGG_HEALTH_REGULAR_WINDOW_DAYS", "getint")
    manifests = _manifests(data_dir) if data_dir.exists() else {}
    sites = set(manifests)
    if state_dir.exists():
        sites |= {p.name[: -len(".sqlite3")] for p in state_dir.glob("*.sqlite3") if p.name.count(".") == 1}
    out = {"data_dir": str(data_dir), "state_dir": str(state_dir), "sites": []}
    for site in sorted(sites):
        db = state_dir / f"{site}.sqlite3"
        stored = _stored(db) if db.exists() else {}
        daily, last = read_history(state_dir / f"{site}.history.sqlite3")
        _, rows = silent_sources(
            daily,
            silent_days=setting(settings, "NEWSAGG_HEALTH_SILENT_DAYS", "getint"),
            window_days=window,
            min_daily=setting(settings, "NEWSAGG_HEALTH_REGULAR_MIN_DAILY", "getfloat"),
            max_chance=setting(settings, "NEWSAGG_HEALTH_SILENT_MAX_CHANCE", "getfloat"),
        )
        by_source = {r["source"]: r for r in rows}
        newest = max((d for per in daily.values() for d in per), default=None)
        sources = []
        for slug in sorted(set(stored) | set(daily)):
            per = daily.get(slug, {})
            days = [per.get(newest - dt.timedelta(days=i), 0) for i in range(window - 1, -1, -1)] if newest else []
            r = by_source.get(slug, {})
            sources.append(
                {
                    "source": slug,
                    "stored": stored.get(slug, 0),
                    "per_day": days,
                    "last_published_at": last.get(slug),
                    "days_since_last": r.get("silent_days"),
                    "median_daily": r.get("median_daily"),
                    "flagged": bool(r.get("flagged")),
                }
            )
        m = manifests.get(site)
        last_run = (
            None
            if m is None
            else {
                "finished_at": m.get("finished_at"),
                "finish_reason": m.get("finish_reason"),
                "health": (m.get("health") or {}).get("status"),
                "failed_checks": [c["name"] for c in (m.get("health") or {}).get("checks", []) if not c.get("ok")],
                "items_written": m.get("items_written"),
                "run_id": m.get("run_id"),
                "manifest": m["_path"],
            }
        )
        out["sites"].append(
            {
                "site": site,
                "last_run": last_run,
                "stored": sum(stored.values()),
                "newest_day": newest.isoformat() if newest else None,
                "window_days": window,
                "sources": sources,
                "flagged": [s["source"] for s in sources if s["flagged"]],
            }
        )
    return out


def format_report(report: dict) -> str:
    """The report as terminal text."""
    if not report["sites"]:
        return f"no runs found (data: {report['data_dir']}, state: {report['state_dir']})"
    lines = []
    for s in report["sites"]:
        run = s["last_run"]
        if run is None:
            head = "no manifest"
        else:
            health = (run["health"] or "?").upper()
            if run["failed_checks"]:
                health += f" ({', '.join(run['failed_checks'])})"
            head = (
                f"last run {run['finished_at']}  {run['finish_reason']}  health {health}  "
                f"{run['items_written']} written"
            )
        lines.append(f"{s['site']}  {head}")
        lines.append(
            f"  {s['stored']} article(s) stored; per day over {s['window_days']} days up to "
            f"{s['newest_day'] or '-'} (the newest article)"
        )
        lines.append(f"  {'source':<16} {'stored':>6}  {'last published':<26} {'silent':>6}  per day")
        for src in s["sources"]:
            silent = "-" if src["days_since_last"] is None else f"{src['days_since_last']} d"
            flag = "  FLAGGED: silent" if src["flagged"] else ""
            lines.append(
                f"  {src['source']:<16} {src['stored']:>6}  {src['last_published_at'] or '-':<26} "
                f"{silent:>6}  |{sparkline(src['per_day'])}|{flag}"
            )
        lines.append("  flagged: " + (", ".join(s["flagged"]) if s["flagged"] else "none"))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
