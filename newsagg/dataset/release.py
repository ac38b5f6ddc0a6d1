"""The consolidated release of a site: ``newsagg dataset build`` and :func:`write_release`.

A release directory R holds ``R/data/year=*/`` (Parquet), the card
``README.md``, ``coverage.png``, ``<site>.csv`` / ``.jsonl`` when asked for, and
``release.json`` (runs included, refused, held, removed, unlisted, provenance,
file digests). A rebuild is incremental and gives a fresh build's bytes; nothing
is lost without a word: unlisted files stop the build, damaged ones are named, a
refused run is named, a run whose records leave is ``removed`` (an ERROR).
docs/ARCHITECTURE.md "The release".
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa

from newsagg.dataset import card, coverage, writers
from newsagg.dataset.consolidate import Dedup, consolidate
from newsagg.dataset.provenance import run_provenance, why_failed
from newsagg.dataset.runs import Refused, discover_runs, run_order
from newsagg.digest import sha256_of
from newsagg.items import FIELDS

logger = logging.getLogger(__name__)

STATE_FILE = "release.json"
STATE_VERSION = 2  # 2: runs carry their provenance (newsagg.dataset.provenance)


class ReleaseError(RuntimeError):
    """Nothing to build (no run, unknown site) or the output directory is unusable."""


class UnlistedFiles(ReleaseError):
    """Data files that no manifest lists: the build writes nothing (``skip_unlisted`` to go on)."""

    def __init__(self, data_dir: Path, paths: list[Path]):
        self.paths = paths
        names = ", ".join(str(p.relative_to(data_dir)) for p in paths)
        super().__init__(
            f"{len(paths)} data file(s) that no manifest lists (a run whose manifest is gone?): {names}; "
            "nothing written (--skip-unlisted builds without them)"
        )


def _settings():
    import os as _os

    from scrapy.utils.project import get_project_settings

    _os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsagg.settings")
    return get_project_settings()


def _load_state(out_dir: Path) -> dict | None:
    try:
        state = json.loads((out_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and state.get("state_version") == STATE_VERSION else None


def _by_year(records: list[dict]) -> dict[int | None, list[dict]]:
    out: dict[int | None, list[dict]] = {}
    for rec in records:
        out.setdefault(writers.year_of(rec), []).append(rec)
    return out


def _year_order(years) -> list[int | None]:
    return sorted(years, key=lambda y: (y is None, y or 0))


def _write(
    out_dir: Path,
    site: str,
    tables: dict[int | None, pa.Table],
    changed: set[int | None],
    *,
    runs: list[dict],
    refused: list[dict],
    dropped: Counter,
    provenance: dict,
    provenance_text: str,
    csv: bool,
    jsonl: bool,
    checks: dict | None = None,
) -> dict:
    """Write the changed year files, the flat files, card, plot and state; the summary.
    *checks*: what the build found wrong in the runs (``damaged``, ``removed``, ``unlisted``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for year in _year_order(changed):
        writers.write_partition(out_dir, year, tables[year])
    writers.remove_stale_partitions(out_dir, set(tables))
    ordered = [tables[y] for y in _year_order(tables)]
    whole = pa.concat_tables(ordered) if ordered else writers.to_table([])
    flat = {f"{site}.csv": csv, f"{site}.jsonl": jsonl}
    for name, wanted in flat.items():
        if wanted:
            writers.write_flat(out_dir / name, ordered)
        else:
            (out_dir / name).unlink(missing_ok=True)
    slugs = whole.column("source_slug").to_pylist()
    labels: dict[str, str] = {}
    for slug, label in zip(slugs, whole.column("source").to_pylist(), strict=True):
        if label and slug not in labels:
            labels[slug] = label
    dates = whole.column("published_date").to_pylist()
    facts = card.facts_from(
        site,
        slugs,
        labels,
        dates,
        whole.column("crawled_at").to_pylist(),
        _settings(),
        urls=whole.column("url").to_pylist(),
        languages=whole.column("language").to_pylist(),
    )
    facts.update(
        runs=runs,
        refused=refused,
        dropped=dict(sorted(dropped.items())),
        provenance_text=provenance_text,
    )
    _replace_text(out_dir / "README.md", card.render(facts))
    png = out_dir / "coverage.png"
    coverage.plot(coverage.daily_counts(slugs, dates), labels, png.with_name(png.name + ".part"), facts_title(site))
    os.replace(png.with_name(png.name + ".part"), png)
    ours = [out_dir / "README.md", png, *(out_dir / n for n, wanted in flat.items() if wanted)]
    ours += (out_dir / writers.DATA_DIR).glob("year=*/" + writers.PART_NAME)
    files = sorted(str(p.relative_to(out_dir)) for p in ours)
    per_year = {
        str(y if y is not None else writers.NO_DATE): t.num_rows
        for y, t in sorted(tables.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    }
    state = {
        "state_version": STATE_VERSION,
        "site": site,
        "fields": FIELDS,
        "records": whole.num_rows,
        "records_per_year": per_year,
        "runs": runs,
        "refused": refused,
        "dropped": dict(sorted(dropped.items())),
        **(checks or {}),
        "provenance": {
            **(provenance if isinstance(provenance, dict) else {"given": provenance}),
            "record_hosts": facts["record_hosts"],
            "live_site": card.from_live_site(facts),
            "failed_runs": [r["name"] for r in runs if why_failed(r)],
        },
        "files": {name: sha256_of(out_dir / name) for name in files},
    }
    _replace_text(out_dir / STATE_FILE, json.dumps(state, ensure_ascii=False, indent=1) + "\n")
    return {
        **state,
        "release": str(out_dir),
        "years_written": [str(y if y is not None else writers.NO_DATE) for y in _year_order(changed)],
    }


def facts_title(site: str) -> str:
    """The plot's title."""
    return f"{site}: articles per day per source"


def _replace_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _existing_tables(out_dir: Path, state: dict) -> dict[int | None, pa.Table] | None:
    """The year tables of the earlier build; None when one is missing, changed
    (sha256 in ``release.json``) or of another schema."""
    schema = writers.to_table([]).schema
    tables: dict[int | None, pa.Table] = {}
    for key in state.get("records_per_year", {}):
        year = None if int(key) == writers.NO_DATE else int(key)
        path = out_dir / writers.DATA_DIR / writers.partition_dir(year) / writers.PART_NAME
        want = state.get("files", {}).get(str(path.relative_to(out_dir)))
        try:
            if want != sha256_of(path):  # changed since the build wrote it: do not build on it
                return None
            table = writers.read_partition(path)
        except (OSError, pa.ArrowException):
            return None
        if not table.schema.equals(schema, check_metadata=True) or table.num_rows != state["records_per_year"][key]:
            return None
        tables[year] = table
    return tables


def _incremental_base(out_dir: Path, runs, state: dict | None, held: set[str]) -> tuple[dict, list] | None:
    """(earlier tables, included runs' state entries) when the build can be incremental, else None (logged).
    Included runs named in *held* (refused now, or gone) keep their records from the earlier tables."""
    if state is None or not state.get("runs") or state.get("provenance", {}).get("source") != "runs":
        return None
    if state.get("fields") != FIELDS:
        logger.info("Release schema changed since the last build: fresh build")
        return None
    verified = {r.name: r for r in runs}
    included = state["runs"]
    for entry in included:
        run = verified.get(entry["name"])
        if entry["name"] in held:
            continue
        if run is None or run.sha256 != entry["sha256"]:
            logger.warning("Run %s changed since the last build: fresh build", entry["name"])
            return None
    last = max((run_order(e["name"], e.get("started_at") or "") for e in included), default=None)
    names = {e["name"] for e in included}
    if any(r.order < last for r in runs if r.name not in names):
        logger.warning("A new run starts before the last included one: fresh build")
        return None
    tables = _existing_tables(out_dir, state)
    if tables is None:
        logger.warning("The release's Parquet files are missing or of another schema: fresh build")
        return None
    return tables, included


def _held_runs(state: dict | None, runs, refused: list[Refused]) -> dict[str, str]:
    """Runs the earlier release included that are not verified now -> why (refused, or gone)."""
    if state is None or state.get("provenance", {}).get("source") != "runs":
        return {}
    verified, why = {r.name for r in runs}, {r.name: r.reason for r in refused}
    return {
        e["name"]: why.get(e["name"], "manifest missing") for e in state.get("runs", []) if e["name"] not in verified
    }


def build_release(
    site: str,
    data_dir: Path,
    out_dir: Path,
    *,
    csv: bool = False,
    jsonl: bool = False,
    fresh: bool = False,
    skip_unlisted: bool = False,
) -> dict:
    """Build (or update) the release of *site* in *out_dir* from the published
    runs under *data_dir* (module doc); returns the summary (``refused``: runs
    left out or held; ``removed``: runs whose records an earlier release held and
    this one does not; ``damaged``; ``unlisted``). :class:`UnlistedFiles` when
    data files no manifest lists are there and not *skip_unlisted*."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    if not (data_dir / site).is_dir():
        raise ReleaseError(f"{data_dir / site}: no such directory (no run of {site} under {data_dir})")
    found = discover_runs(data_dir, site)
    runs, refused = found.runs, found.refused
    if found.unlisted and not skip_unlisted:
        raise UnlistedFiles(data_dir, found.unlisted)
    state = _load_state(out_dir)
    held = _held_runs(state, runs, refused)
    base = None if fresh else _incremental_base(out_dir, runs, state, set(held))
    dropped: Counter = Counter()
    removed: list[dict] = []
    if base is None:
        tables: dict[int | None, pa.Table] = {}
        included: list[dict] = []
        dedup = Dedup(dropped)
        for entry in (state or {}).get("runs", []):
            if entry["name"] in held:
                removed.append({"run": entry["name"], "records": entry.get("kept", 0), "reason": held[entry["name"]]})
                logger.error(
                    "Run %s: its %s record(s) in the earlier release are not in this one (%s)",
                    entry["name"],
                    entry.get("kept", 0),
                    held[entry["name"]],
                )
    else:
        tables, included = base
        dropped.update(state.get("dropped", {}))
        keys, fps = [], []
        for t in tables.values():
            keys += zip(
                t.column("site").to_pylist(),
                t.column("source_slug").to_pylist(),
                t.column("article_id").to_pylist(),
                strict=True,
            )
            fps += [fp for fp in t.column("fingerprint").to_pylist() if fp]
        dedup = Dedup(dropped, [(s, slug, str(a)) for s, slug, a in keys], fps)
        kept_before = {e["name"]: e.get("kept", 0) for e in included}
        gone = [Refused(name, why) for name, why in held.items() if name not in {r.name for r in refused}]
        refused = refused + gone
        for r in refused:
            if r.name in held:
                r.reason += f"; its {kept_before[r.name]} record(s) are kept from the earlier release"
                logger.error("Run %s refused: %s", r.name, r.reason)
    names = {e["name"] for e in included}
    new_runs = [r for r in runs if r.name not in names]
    records, kept, late = consolidate(new_runs, dedup)
    refused = sorted(refused + late, key=lambda r: r.name)
    entries = included + [
        {
            "name": r.name,
            "sha256": r.sha256,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "finish_reason": r.finish_reason,
            "kept": kept[r.name],
            **run_provenance(r.manifest, site),
        }
        for r in new_runs
        if r.name in kept
    ]
    if not entries:
        raise ReleaseError(
            f"no verified run of {site} under {data_dir}" + (f" ({len(refused)} refused)" if refused else "")
        )
    damaged = [
        {"run": r.name, "damaged": r.damaged, "read_from": r.read_from}
        for r in runs
        if r.damaged and (r.name in kept or r.name in names)
    ]
    for d in damaged:
        logger.warning(
            "Run %s has damaged files (%s): %s",
            d["run"],
            "; ".join(d["damaged"]),
            f"its records read from its {d['read_from']} files"
            if d["read_from"]
            else "its records were in the release already",
        )
    changed: set[int | None] = set()
    for year, recs in _by_year(records).items():
        table = writers.to_table(recs)
        tables[year] = pa.concat_tables([tables[year], table]) if year in tables else table
        changed.add(year)
    if base is None:
        changed = set(tables)
    text = f"{len(entries)} committed nightly run(s) under the data directory"
    summary = _write(
        out_dir,
        site,
        tables,
        changed,
        runs=entries,
        refused=[r.as_dict() for r in refused],
        dropped=dropped,
        provenance={"source": "runs", "runs": [e["name"] for e in entries]},
        provenance_text=text,
        csv=csv,
        jsonl=jsonl,
        checks={
            "damaged": damaged,
            "removed": removed,
            "unlisted": [str(p.relative_to(data_dir)) for p in found.unlisted],
        },
    )
    summary["incremental"] = base is not None
    summary["runs_added"] = [r.name for r in new_runs if r.name in kept]
    summary["records_added"] = len(records)
    return summary


def write_release(records: Iterable[dict], out_dir: Path, *, site: str, provenance: dict) -> dict:
    """Write the consolidated release of *records* (e.g. re-extracted from WARCs)
    to *out_dir*: Parquet partitioned by year, card, coverage.png, ``release.json``.

    Records are deduplicated by key and content (first kept) and normalised to
    the current fields (missing ones null, unknown ones left out and counted);
    *provenance* (JSON-able, e.g. ``{"source": "reextract", "warcs": [...]}``)
    is stored in ``release.json`` and named in the card. A later
    ``dataset build`` into the same directory rebuilds it fresh from runs.
    Returns the summary (``release.json``'s content plus ``release``)."""
    out_dir = Path(out_dir)
    dropped: Counter = Counter()
    dedup = Dedup(dropped)
    kept = [rec for rec in (dedup.admit(r) for r in records) if rec is not None]
    tables = {year: writers.to_table(recs) for year, recs in _by_year(kept).items()}
    source = provenance.get("source", "records") if isinstance(provenance, dict) else "records"
    summary = _write(
        out_dir,
        site,
        tables,
        set(tables),
        runs=[],
        refused=[],
        dropped=dropped,
        provenance=provenance,
        provenance_text=f"records given by {source}",
        csv=False,
        jsonl=False,
    )
    return summary
