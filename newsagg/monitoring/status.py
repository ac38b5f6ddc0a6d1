"""``newsagg status``: each site and source at a glance, from the state and the manifests.

Per site: the last run, whether a run holds the site now, stored articles
(aliases apart); per source: stored articles, a sparkline of the regular-source
window, the last ``published_at``, the ``silent_sources`` flag and the
backfill (walked to the end, or how deep and how old). Read-only: works while a
crawl runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

from newsagg.config import setting
from newsagg.layout import manifest_paths
from newsagg.monitoring.checks import REGULAR_MIN_DAILY, REGULAR_WINDOW_DAYS, silent_sources
from newsagg.state.sqlite import daily_counts, read_only

SPARKS = " ▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    """Counts as block characters, scaled to the largest (0: a space)."""
    top = max(counts, default=0)
    if not top:
        return " " * len(counts)
    return "".join(SPARKS[0] if not c else SPARKS[max(1, round(c / top * (len(SPARKS) - 1)))] for c in counts)


def _query(db: sqlite3.Connection | None, sql: str) -> list[tuple]:
    if db is None:
        return []
    try:
        return db.execute(sql).fetchall()
    except sqlite3.Error:
        return []  # a state without this table or column


def _newest_manifests(data_dir: Path) -> dict[str, dict]:
    """The newest published segment (or flat run) of each site, by finish time, with
    ``_written``: the records of every segment its run published."""
    newest: dict[str, dict] = {}
    written: dict[tuple[str, str], int] = {}
    if not data_dir.is_dir():
        return newest
    for spider_dir in sorted(p for p in data_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in manifest_paths(spider_dir):
            try:
                m = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            site = m.get("site") or m.get("spider")
            if not site:
                continue
            run = (site, str(m.get("run_id")))
            written[run] = written.get(run, 0) + int(m.get("items_written") or 0)
            # Ties (one second) go to the later name: the later segment of the run.
            if site not in newest or (m.get("finished_at") or "", path.name) > (
                newest[site].get("finished_at") or "",
                Path(newest[site]["_path"]).name,
            ):
                newest[site] = {**m, "_path": str(path)}
    for site, m in newest.items():
        m["_written"] = written[(site, str(m.get("run_id")))]
    return newest


def _holder(state_dir: Path, site: str) -> int | None:
    """The pid of a live process holding the site's lock (a running crawl), else None."""
    try:
        words = (state_dir / f"{site}.lock").read_text(encoding="utf-8").split()
        pid = int(words[1]) if len(words) == 2 and words[0] == "pid" else None
    except (OSError, ValueError):
        return None
    if pid is None:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return pid


def _last_run(m: dict | None) -> dict | None:
    if m is None:
        return None
    segment = m.get("segment") or {"number": 1, "final": True}
    health = m.get("health") or {}
    return {
        "finished_at": m.get("finished_at"),
        "finish_reason": m.get("finish_reason") if segment.get("final") else "interrupted",
        "segments": segment.get("number"),
        "final": bool(segment.get("final")),
        "health": health.get("status"),
        "failed_checks": [c["name"] for c in health.get("checks", []) if not c.get("ok")],
        "items_written": m["_written"],
        "run_id": m.get("run_id"),
        "manifest": m["_path"],
    }


def collect(data_dir: Path, state_dir: Path, settings) -> dict:
    """The report as a dict (what ``--json`` prints)."""
    window = REGULAR_WINDOW_DAYS
    manifests = _newest_manifests(data_dir)
    sites = set(manifests)
    if state_dir.is_dir():
        sites |= {p.name[: -len(".sqlite3")] for p in state_dir.glob("*.sqlite3") if p.name.count(".") == 1}
    out = {"data_dir": str(data_dir), "state_dir": str(state_dir), "sites": []}
    for site in sorted(sites):
        db = read_only(state_dir, site)
        try:
            stored = dict(_query(db, "SELECT source_slug, count(*) FROM stored WHERE alias = 0 GROUP BY source_slug"))
            if not stored:  # a state without the alias column
                stored = dict(_query(db, "SELECT source_slug, count(*) FROM stored GROUP BY source_slug"))
            aliases = sum(n for (n,) in _query(db, "SELECT count(*) FROM stored WHERE alias = 1"))
            daily = daily_counts(_query(db, "SELECT source_slug, day, count(*) FROM history GROUP BY source_slug, day"))
            last = dict(_query(db, "SELECT source_slug, max(published_at) FROM history GROUP BY source_slug"))
            walked = {
                slug: (deepest, oldest)
                for slug, deepest, oldest in _query(db, "SELECT slug, deepest, oldest_day FROM sources")
            }
            walks: dict[str, list] = {}
            for slug, mode, page, deepest, oldest in _query(
                db, "SELECT slug, mode, next_page, deepest, oldest_day FROM walks ORDER BY id"
            ):
                walks.setdefault(slug, []).append(
                    {"mode": mode, "next_page": page, "deepest": deepest, "oldest_day": oldest}
                )
        finally:
            if db is not None:
                db.close()
        _, rows = silent_sources(
            daily,
            silent_days=setting(settings, "NEWSAGG_HEALTH_SILENT_DAYS", "getint"),
            window_days=window,
            min_daily=REGULAR_MIN_DAILY,
            max_chance=setting(settings, "NEWSAGG_HEALTH_SILENT_MAX_CHANCE", "getfloat"),
        )
        by_source = {r["source"]: r for r in rows}
        newest = max((d for per in daily.values() for d in per), default=None)
        sources = []
        for slug in sorted(set(stored) | set(daily) | set(walks) | set(walked)):
            per = daily.get(slug, {})
            days = [per.get(newest - dt.timedelta(days=i), 0) for i in range(window - 1, -1, -1)] if newest else []
            r = by_source.get(slug, {})
            unfinished = walks.get(slug, [])
            sources.append(
                {
                    "source": slug,
                    "stored": stored.get(slug, 0),
                    "per_day": days,
                    "last_published_at": last.get(slug),
                    "days_since_last": r.get("silent_days"),
                    "median_daily": r.get("median_daily"),
                    "flagged": bool(r.get("flagged")),
                    "walked": slug in walked,
                    "backfill": None
                    if not unfinished
                    else {
                        "deepest_page": max(w["deepest"] for w in unfinished),
                        "oldest_day": min((w["oldest_day"] for w in unfinished if w["oldest_day"]), default=None),
                        "next_pages": [w["next_page"] for w in unfinished],
                    },
                }
            )
        holder = _holder(state_dir, site)
        out["sites"].append(
            {
                "site": site,
                "last_run": _last_run(manifests.get(site)),
                "running": holder,
                "stored": sum(stored.values()),
                "republications_known": aliases,
                "newest_day": newest.isoformat() if newest else None,
                "window_days": window,
                "sources": sources,
                "backfilling": [s["source"] for s in sources if s["backfill"]],
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
            head = "no published segment"
        else:
            health = (run["health"] or "-").upper()
            if run["failed_checks"]:
                health += f" ({', '.join(run['failed_checks'])})"
            head = (
                f"last run {run['finished_at']}  {run['finish_reason']} after {run['segments']} segment(s)  "
                f"health {health}  {run['items_written']} written"
            )
        if s["running"]:
            head += f"  [running now: pid {s['running']}]"
        lines.append(f"{s['site']}  {head}")
        known = (
            f" (+{s['republications_known']} republication(s) known, not in the dataset)"
            if s["republications_known"]
            else ""
        )
        lines.append(
            f"  {s['stored']} article(s) stored{known}; per day over {s['window_days']} days up to "
            f"{s['newest_day'] or '-'} (the newest article)"
        )
        lines.append(f"  {'source':<16} {'stored':>6}  {'last published':<26} {'silent':>6}  {'listing':<24} per day")
        for src in s["sources"]:
            silent = "-" if src["days_since_last"] is None else f"{src['days_since_last']} d"
            flag = "  FLAGGED: silent" if src["flagged"] else ""
            backfill = src["backfill"]
            if backfill:
                walk = f"backfill p.{backfill['deepest_page']} {backfill['oldest_day'] or ''}".strip()
            else:
                walk = "walked" if src["walked"] else "-"
            lines.append(
                f"  {src['source']:<16} {src['stored']:>6}  {src['last_published_at'] or '-':<26} "
                f"{silent:>6}  {walk:<24} |{sparkline(src['per_day'])}|{flag}"
            )
        if s["backfilling"]:
            lines.append("  backfill unfinished: " + ", ".join(s["backfilling"]) + " (the next run resumes it)")
        lines.append("  flagged: " + (", ".join(s["flagged"]) if s["flagged"] else "none"))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
