"""``newsagg reextract SITE --data-dir D -o OUT``: the records again, from the WARCs alone.

A real Scrapy crawl, in this process, of the site's spider with the project's
settings (page objects, middlewares, every item pipeline: boilerplate, dates,
validation, dedup by key and by content, near-duplicates), where
:mod:`newsagg.archive.replay` answers every request from the committed WARCs
(:mod:`newsagg.archive.index`) and never opens a connection: a URL not in them
fails as ``not_archived``. The spider is given the archived article pages in
capture order (``urls``, oldest run first), one at a time, with the runs'
``since``/``until`` window (:func:`replay_window`), so duplicates and
near-duplicates resolve as they did when crawled; their 2xx answers go straight
to the callback (``DirectReplayMiddleware``), the rest through the engine. Incremental
state, WARC capture, manifest and health checks are off; the feed is OUT.

Then the re-extracted records are compared with the stored dataset (the
committed JSONL, else Parquet, files of the runs that have a WARC), by URL,
field by field (``crawled_at`` aside, though a replayed record takes its
capture's WARC-Date, as the crawl did): records changed (per field), new, missing.

``--release R`` hands the records to :func:`newsagg.dataset.release.write_release`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from newsagg.archive.index import RunArchive, WarcIndex, committed_warcs, warcinfo
from newsagg.extensions.summary import summarize
from newsagg.items import FIELDS
from newsagg.stats import PREFIX

logger = logging.getLogger(__name__)

FORMATS = {".jsonl": "jsonlines", ".csv": "csv", ".parquet": "parquet"}
#: Downloader middlewares a replayed answer has nothing for: every archived page
#: is a 200 answer that already passed them when it was captured (redirects and
#: meta refreshes never reach the WARC), so they cannot change a record here;
#: the ones that transform a body (decompression, charset repair, nesting,
#: content guard) stay. About 6 % of a replay's CPU.
REPLAY_SKIPPED_MIDDLEWARES = (
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware",
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware",
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware",
    "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware",
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware",
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware",
    "scrapy.downloadermiddlewares.stats.DownloaderStats",
    "newsagg.middlewares.redirect.GuardedMetaRefreshMiddleware",
    "newsagg.middlewares.redirect.GuardedRedirectMiddleware",
)
DIRECT_REPLAY = "newsagg.archive.replay.DirectReplayMiddleware"
#: Not compared: when the record was made.
UNCOMPARED = ("crawled_at",)


def _value(text: str):
    """A ``--set`` value: JSON when it parses (lists, numbers), else the string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def stored_records(runs: list[RunArchive]) -> list[dict]:
    """The records of the runs' committed dataset files (JSONL, else Parquet)."""
    records = []
    for run in runs:
        files = run.data.get("files", [])
        jsonl = [e for e in files if e.get("format") == "jsonlines"]
        chosen = jsonl or [e for e in files if e.get("format") == "parquet"]
        for entry in chosen:
            path = run.manifest.parent / entry["name"]
            if entry["format"] == "jsonlines":
                with path.open(encoding="utf-8") as fh:
                    records += [json.loads(line) for line in fh if line.strip()]
            else:
                import pyarrow.parquet as pq

                for row in pq.read_table(path, columns=[c for c in FIELDS if c != "crawled_at"]).to_pylist():
                    records.append(row)
    return records


def compare(new: list[dict], stored: list[dict]) -> dict:
    """Differences by URL: ``changed`` records, ``fields`` changed counts, ``new``, ``missing``."""
    old = {r["url"]: r for r in stored}
    fresh = {r["url"]: r for r in new}
    fields: dict[str, int] = {}
    changed = 0
    for url, rec in fresh.items():
        before = old.get(url)
        if before is None:
            continue
        diff = [f for f in FIELDS if f not in UNCOMPARED and rec.get(f) != before.get(f)]
        changed += bool(diff)
        for f in diff:
            fields[f] = fields.get(f, 0) + 1
    return {
        "records": len(fresh),
        "stored": len(old),
        "changed": changed,
        "fields": dict(sorted(fields.items())),
        "new": sorted(set(fresh) - set(old)),
        "missing": sorted(set(old) - set(fresh)),
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


def crawl(
    site: str, runs: list[RunArchive], out: Path, overrides: dict, window: dict[str, str]
) -> tuple[list[dict], dict]:
    """The replay crawl (module doc), *window* its since/until (:func:`replay_window`):
    the records written to *out*, and the crawl's stats."""
    import os

    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsagg.settings")
    warcs = [r.warc for r in runs]
    base_url = warcinfo(warcs[0]).get("base-url") or None
    index = WarcIndex.shared(warcs, base_url)
    urls = list(dict.fromkeys(c.requested_url or c.url for c in index.captures if c.kind == "article"))
    settings = get_project_settings()
    handler = "newsagg.archive.replay.ReplayDownloadHandler"
    forced = {
        "FEEDS": {str(out): {"format": FORMATS[out.suffix], "overwrite": True}},  # OUT is this run's records
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "NEWSAGG_REPLAY_WARCS": [str(p) for p in warcs],
        "NEWSAGG_STATE_ENABLED": False,
        "NEWSAGG_WARC_ENABLED": False,
        "NEWSAGG_MANIFEST_ENABLED": False,
        "NEWSAGG_HEALTH_ENABLED": False,
        "SPIDERMON_ENABLED": False,
        "ROBOTSTXT_OBEY": False,  # robots.txt was obeyed when the pages were fetched
        # One page at a time, in capture order: dedup and near-duplicates see the pages as the crawl did.
        "CONCURRENT_REQUESTS": 1,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "NEWSAGG_LOCAL_FULL_SPEED": False,
        "RETRY_ENABLED": False,
        "DOWNLOADER_MIDDLEWARES": {
            **settings.getdict("DOWNLOADER_MIDDLEWARES"),
            **dict.fromkeys(REPLAY_SKIPPED_MIDDLEWARES),
        },
        # Closest to the spider: it sees the start requests first (newsagg/archive/replay.py).
        "SPIDER_MIDDLEWARES": {**settings.getdict("SPIDER_MIDDLEWARES"), DIRECT_REPLAY: 1000},
    }
    for name, value in {**forced, **overrides}.items():
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(site)
    items: list[dict] = []
    crawler.signals.connect(
        lambda item: items.append({f: getattr(item, f) for f in FIELDS}), signal=signals.item_scraped, weak=False
    )
    args = {"urls": ",".join(urls), **window}
    if base_url:
        args["base_url"] = base_url
    process.crawl(crawler, **args)
    process.start()
    return items, dict(crawler.stats.get_stats())


def format_summary(s: dict) -> str:
    """The human summary."""
    lines = [
        f"reextract {s['site']}: {s['runs']} run(s) with a WARC, {s['pages']} page(s) replayed, "
        f"{s['comparison']['records']} record(s) -> {s['output']} ({s['seconds']:.1f} s, "
        f"{s['pages_per_second']:.0f} pages/s)",
    ]
    c = s["comparison"]
    lines.append(
        f"against the stored dataset ({c['stored']} record(s)): {c['changed']} changed, "
        f"{len(c['new'])} new, {len(c['missing'])} missing"
    )
    lines += [f"  {name}: {n} record(s) changed" for name, n in c["fields"].items()]
    lines += [f"  new: {u}" for u in c["new"][:20]] + [f"  missing: {u}" for u in c["missing"][:20]]
    lines += [f"  warning: {p}" for p in s["problems"]]
    return "\n".join(lines) + "\n"


def run(opts) -> int:
    """The ``newsagg reextract`` command; its exit status."""
    from newsagg.sites import SITES

    if opts.site not in SITES:
        print(f"newsagg reextract: unknown site {opts.site!r} (one of {', '.join(SITES)})", file=sys.stderr)
        return 2
    out = Path(opts.output)
    if out.suffix not in FORMATS:
        print(f"newsagg reextract: -o {out}: expected a .jsonl, .csv or .parquet file", file=sys.stderr)
        return 2
    overrides = {}
    for item in opts.set or []:
        name, sep, value = item.partition("=")
        if not sep or not name.startswith("NEWSAGG_"):
            print(f"newsagg reextract: --set {item!r}: expected NEWSAGG_NAME=VALUE", file=sys.stderr)
            return 2
        overrides[name] = _value(value)
    runs, problems = committed_warcs(Path(opts.data_dir) / opts.site)
    window, window_problems = replay_window(runs)
    problems += window_problems
    if not runs:
        print(f"newsagg reextract: no committed run of {opts.site} with a WARC under {opts.data_dir}", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    items, stats = crawl(opts.site, runs, out, overrides, window)
    seconds = time.monotonic() - started
    pages = stats.get(f"{PREFIX}/archive/replayed", 0)
    summary = {
        "site": opts.site,
        "runs": len(runs),
        "warcs": [r.warc.name for r in runs],
        "pages": pages,
        "not_archived": stats.get(f"{PREFIX}/archive/not_archived", 0),
        "seconds": seconds,
        "pages_per_second": pages / seconds if seconds else 0.0,
        "output": str(out),
        "comparison": compare(items, stored_records(runs)),
        "problems": problems,
        "crawl": summarize(stats),  # what was dropped or failed, and why (as the crawl's summary)
    }
    if opts.release:
        from newsagg.dataset.release import write_release  # late: pandas-free, but matplotlib for the plot

        write_release(
            items,
            Path(opts.release),
            site=opts.site,
            provenance={
                "source": "reextract",
                "warcs": [{"warc": r.warc.name, "run_id": r.data.get("run_id")} for r in runs],
            },
        )
    if opts.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    else:
        sys.stdout.write(format_summary(summary))
    return 0


def add_parser(sub) -> None:
    """The ``reextract`` subcommand's arguments (newsagg/cli.py)."""
    p = sub.add_parser(
        "reextract",
        help="rebuild a site's records from its committed WARCs (no network), diff with the stored dataset",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Rebuild SITE's records from the WARCs of its committed runs under --data-dir, through\n"
        "the current page objects and pipelines, with no network; print the differences from the\n"
        "stored dataset (records changed per field, new, missing).",
    )
    p.add_argument("site", help="maghress, djazairess or turess")
    p.add_argument("--data-dir", required=True, help="NEWSAGG_DATA_DIR of the runs (WARCs under <dir>/<site>/)")
    p.add_argument("-o", "--output", required=True, help="the re-extracted records: OUT.jsonl, .csv or .parquet")
    p.add_argument("--release", help="also write the consolidated release here (newsagg dataset)")
    p.add_argument(
        "-s", "--set", action="append", metavar="NAME=VALUE", help="a NEWSAGG_ setting for the extraction (JSON value)"
    )
    p.add_argument("--json", action="store_true", help="the summary as JSON")
    p.set_defaults(func=run)
