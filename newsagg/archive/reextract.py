"""``newsagg reextract SITE --data-dir D [-o OUT] [--release R] [--jobs N]``: the
records again, from the site's committed WARCs alone, with today's extraction.

The command around :func:`newsagg.archive.replay.replay`: the runs' window
(:func:`replay_window`), the comparison with the stored dataset
(:class:`Comparison`), the release. Exit status: 0; 1 a WARC was left out
(named; the output holds the rest); 2 nothing done (bad arguments, no
archive). docs/ARCHIVE.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import struct
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from newsagg.archive.index import RunArchive, committed_warcs
from newsagg.items import FIELDS
from newsagg.stats import summarize

logger = logging.getLogger(__name__)

#: Output suffixes (newsagg.archive.replay.FORMATS; kept here so --help and errors import nothing heavy).
SUFFIXES = (".jsonl", ".csv", ".parquet")
#: Not compared: when the record was made.
UNCOMPARED = ("crawled_at",)
COMPARED = [f for f in FIELDS if f not in UNCOMPARED]
_DIGEST = struct.Struct(f"{len(COMPARED)}q")


class UsageError(Exception):
    """A bad argument: one line, exit status 2."""


def _value(text: str):
    """A ``--set`` value: JSON when it parses (lists, numbers), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def stored_records(runs: list[RunArchive]) -> Iterator[dict]:
    """The records of the segments' committed dataset files (JSONL, else Parquet)."""
    for run in runs:
        files = run.data.get("files", [])
        jsonl = [e for e in files if e.get("format") == "jsonlines"]
        chosen = jsonl or [e for e in files if e.get("format") == "parquet"]
        for entry in chosen:
            path = run.manifest.parent / entry["name"]
            if entry["format"] == "jsonlines":
                with path.open(encoding="utf-8") as fh:
                    yield from (json.loads(line) for line in fh if line.strip())
            else:
                import pyarrow.parquet as pq

                yield from pq.read_table(path, columns=COMPARED).to_pylist()


def _digest(get) -> bytes:
    """The compared fields of a record as one hash each (this process's ``hash()``)."""
    return _DIGEST.pack(*(hash(get(f)) for f in COMPARED))


class Comparison:
    """The re-extracted records against the stored ones, by URL, field by field
    (``crawled_at`` aside). Each record is kept as one 64-bit hash per field: an
    archive of millions of records fits in memory."""

    def __init__(self):
        self.fresh: dict[str, bytes] = {}

    def add(self, record) -> None:
        """One re-extracted record (an item or a dict)."""
        get = record.get if isinstance(record, dict) else record.__getattribute__
        self.fresh[get("url")] = _digest(get)

    def result(self, stored: Iterable[dict]) -> dict:
        """``records``, ``stored``, ``changed``, ``fields`` (records changed per field),
        ``new``, ``missing`` against the *stored* records."""
        old = {r["url"]: _digest(r.get) for r in stored}
        fields: Counter = Counter()
        changed = 0
        for url, now in self.fresh.items():
            before = old.get(url)
            if before is None or before == now:
                continue
            changed += 1
            for name, a, b in zip(COMPARED, _DIGEST.unpack(now), _DIGEST.unpack(before), strict=True):
                if a != b:
                    fields[name] += 1
        return {
            "records": len(self.fresh),
            "stored": len(old),
            "changed": changed,
            "fields": dict(sorted(fields.items())),
            "new": sorted(set(self.fresh) - set(old)),
            "missing": sorted(set(old) - set(self.fresh)),
        }


def replay_window(runs: list[RunArchive]) -> tuple[dict[str, str], list[str]]:
    """The ``since``/``until`` spider arguments the runs were crawled with (their manifests'
    ``arguments``), so that the window drops its articles again, and the problems met:
    runs with different windows get none (their records outside a window show as new)."""
    windows = {(a.get("since"), a.get("until")) for a in ((r.data.get("arguments") or {}) for r in runs)}
    if len(windows) > 1:
        shown = "; ".join(f"since={s or 'none'} until={u or 'none'}" for s, u in sorted(windows, key=str))
        return {}, [f"the runs were crawled with different since/until windows ({shown}): none applied"]
    since, until = windows.pop() if windows else (None, None)
    return {name: value for name, value in (("since", since), ("until", until)) if value}, []


def format_summary(s: dict) -> str:
    """The short human result: what was read, where the records went, what differs."""
    where = [f"-> {s['output']}"] if s["output"] else []
    where += [f"-> release {s['release']}"] if s["release"] else []
    c, crawl = s["comparison"], s["crawl"]
    lines = [
        f"reextract {s['site']}: {s['runs']} run(s), {len(s['warcs'])} WARC(s), {s['pages']} page(s), "
        f"{c['records']} record(s) {' '.join(where)} ({s['seconds']:.1f} s, {s['jobs']} job(s))",
    ]
    for title, counts in (("dropped", crawl["items_dropped"]), ("pages failed", crawl["pages_failed"])):
        if counts:
            lines.append(f"{title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    lines.append(
        f"against the stored dataset ({c['stored']} record(s)): {c['changed']} changed, "
        f"{len(c['new'])} new, {len(c['missing'])} missing"
    )
    lines += [f"  {name}: {n} record(s) changed" for name, n in c["fields"].items()]
    lines += [f"  new: {u}" for u in c["new"][:20]] + [f"  missing: {u}" for u in c["missing"][:20]]
    lines += [f"left out: {p}" for p in s["left_out"]]
    lines += [f"warning: {p}" for p in s["warnings"]]
    return "\n".join(lines) + "\n"


def _settings(sets: list[str] | None):
    """The project's settings with the ``--set`` overrides."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsagg.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for item in sets or []:
        name, sep, value = item.partition("=")
        if not sep or not name.startswith("NEWSAGG_"):
            raise UsageError(f"--set {item!r}: expected NEWSAGG_NAME=VALUE")
        settings.set(name, _value(value), priority="cmdline")
    return settings


def _check(opts) -> tuple[Path | None, int]:
    from newsagg.sites import SITES

    if opts.site not in SITES:
        raise UsageError(f"unknown site {opts.site!r} (one of {', '.join(SITES)})")
    if not opts.output and not opts.release:
        raise UsageError("nothing to write: give -o OUT and/or --release R")
    out = Path(opts.output) if opts.output else None
    if out is not None and out.suffix not in SUFFIXES:
        raise UsageError(f"-o {out}: expected a .jsonl, .csv or .parquet file")
    jobs = opts.jobs if opts.jobs is not None else len(os.sched_getaffinity(0))
    if jobs < 1:
        raise UsageError(f"--jobs {jobs}: expected at least 1")
    return out, jobs


def run(opts) -> int:
    """The ``newsagg reextract`` command; its exit status."""
    # Per-page messages (dates, drops) are counted in the result: the console shows them with -v.
    logging.basicConfig(
        level=logging.INFO if opts.verbose else logging.ERROR,
        format="%(asctime)s [%(name)s] %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        out, jobs = _check(opts)
        settings = _settings(opts.set)
    except UsageError as exc:
        print(f"newsagg reextract: {exc}", file=sys.stderr)
        return 2
    runs, left_out = committed_warcs(Path(opts.data_dir) / opts.site, opts.site)
    if not runs:
        why = f" ({'; '.join(left_out)})" if left_out else ""
        print(
            f"newsagg reextract: no committed run of {opts.site} with a WARC under {opts.data_dir}{why}",
            file=sys.stderr,
        )
        return 2
    window, warnings = replay_window(runs)

    from newsagg.archive.replay import replay  # late: Scrapy and the components

    records: list[dict] = []
    comparison = Comparison()

    def keep(item) -> None:
        comparison.add(item)
        if opts.release:
            records.append({f: getattr(item, f) for f in FIELDS})

    def restart() -> None:  # a damaged WARC left out: the records so far are void
        records.clear()
        comparison.fresh.clear()

    started = time.monotonic()
    done = replay(opts.site, runs, settings, window, jobs=jobs, out=out, sink=keep, restart=restart)
    left_out += done.left_out
    summary = {
        "site": opts.site,
        "runs": len({r.run for r in done.runs}),
        "warcs": [r.warc.name for r in done.runs],
        "pages": done.stats.get("newsagg/archive/replayed", 0),
        "jobs": jobs,
        "output": str(out) if out else None,
        "release": opts.release,
        "comparison": comparison.result(stored_records(done.runs)),
        "left_out": left_out,
        "warnings": warnings,
        "crawl": None,
    }
    if opts.release:
        from newsagg.dataset.release import write_release  # late: matplotlib for the coverage plot

        write_release(
            records,
            Path(opts.release),
            site=opts.site,
            provenance={
                "source": "reextract",
                "warcs": [{"warc": r.warc.name, "run_id": r.data.get("run_id")} for r in done.runs],
            },
        )
    summary["seconds"] = time.monotonic() - started
    summary["crawl"] = summarize(done.stats)
    if opts.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    else:
        sys.stdout.write(format_summary(summary))
    return 1 if left_out else 0


def add_parser(sub) -> None:
    """The ``reextract`` subcommand's arguments (newsagg/cli.py)."""
    p = sub.add_parser(
        "reextract",
        help="rebuild a site's records from its committed WARCs (no network), diff with the stored dataset",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Rebuild SITE's records from the WARCs of its committed runs under --data-dir, through\n"
        "today's page objects and pipelines, in capture order, with no network; print the differences\n"
        "from the stored dataset (records changed per field, new, missing).\n"
        "Exit status: 0; 1 a WARC was left out (named); 2 nothing done (bad argument, no archive).",
    )
    p.add_argument("site", help="maghress, djazairess or turess")
    p.add_argument("--data-dir", required=True, help="NEWSAGG_DATA_DIR of the runs (WARCs under <dir>/<site>/)")
    p.add_argument("-o", "--output", help="the re-extracted records: OUT.jsonl, .csv or .parquet (replaced)")
    p.add_argument("--release", help="write the consolidated release of the records here (newsagg dataset)")
    p.add_argument("-j", "--jobs", type=int, help="worker processes extracting pages (default: every core)")
    p.add_argument(
        "-s", "--set", action="append", metavar="NAME=VALUE", help="a NEWSAGG_ setting for the extraction (JSON value)"
    )
    p.add_argument("--json", action="store_true", help="the result as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="log per-page messages (default: errors only)")
    p.set_defaults(func=run)
