"""Backfill: a long dataset run's cost as the archive grows, and what a kill costs.

Three measurements (``--backfill``; sizes with ``--backfill-sizes``):

- **long runs**: one dataset run per replica size (default 10,000 and
  100,000 articles; the goal's 1,000,000 on request): requests per stored
  article (the limit is 1 + listing pages per article), peak RSS, and CPU per
  article at the start and at the end of the run (CPU of the crawler process
  during the first and the last published segments, per record);
- **a kill**: a run SIGKILLed half-way through a replica, then run again:
  article pages fetched again, listing pages read again (per source);
- **state and near-duplicates at scale**: a synthetic state of N stored
  articles (default 100,000 and 1,000,000 rows: keys, fingerprints, MinHash
  signatures of random texts and their band keys), then per article the costs
  a crawl pays: a batch of key lookups, a claim, the near-duplicate candidates
  of a new signature, and a segment's commit.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import pin_note
from benchmarks.registry import Context, Result, Section, Target

RSS_GROWTH = 1.3
CPU_GROWTH = 1.5
CHECKPOINT = 2000  # records per segment in these runs: enough segments to see a trend


def add_arguments(parser) -> None:
    g = parser.add_argument_group("backfill section")
    g.add_argument(
        "--backfill", action="store_true", help="run the backfill section (long runs, a kill, state at scale)"
    )
    g.add_argument("--backfill-sizes", default=None, help="replica sizes of the long runs (default 10000,100000)")
    g.add_argument("--backfill-kill", type=int, default=None, help="replica size of the kill run (default 10000)")
    g.add_argument("--backfill-state", default=None, help="synthetic state sizes (default 100000,1000000)")


def _sizes(raw: str | None, default: str) -> list[int]:
    return sorted({int(s) for s in (raw or default).split(",") if s.strip()})


# -- long runs -------------------------------------------------------------------


def _segments(run: harness.CrawlRun) -> list[dict]:
    out = []
    data = run.out_dir / "data" / "maghress"
    for manifest in sorted(data.glob("maghress-*/*.manifest.json")):
        m = json.loads(manifest.read_text(encoding="utf-8"))
        seg = m["segment"]
        out.append(
            {
                "n": seg["number"],
                "items": m["items_written"],
                "start": dt.datetime.fromisoformat(seg["started_at"]).timestamp(),
                "end": dt.datetime.fromisoformat(seg["finished_at"]).timestamp(),
                "final": seg["final"],
            }
        )
    return sorted(out, key=lambda s: s["n"])


def _cpu_per_record(run: harness.CrawlRun, segments: list[dict]) -> tuple[float, float]:
    """CPU ms per record over the first and the last full segments (the final,
    partial one and the first, which pays start-up, aside when there are enough)."""
    full = [s for s in segments if not s["final"] and s["items"]]
    if len(full) > 3:
        full = full[1:]
    if not full:
        return float("nan"), float("nan")
    k = max(1, len(full) // 4)

    def per(segs):
        cpu = sum(run.cpu_at(s["end"]) - run.cpu_at(s["start"]) for s in segs)
        return 1000 * cpu / max(1, sum(s["items"] for s in segs))

    return per(full[:k]), per(full[-k:])


def long_runs(ctx: Context, sizes: list[int]) -> tuple[list[str], dict, list[Target], list[str]]:
    rows, problems = {}, []
    for n in sizes:
        ctx.log(f"[backfill] dataset run over {n:,} articles (segments of {CHECKPOINT} records)")
        with ctx.replica(n) as rep:
            run = ctx.crawl("dataset", rep, f"backfill-{n}/dataset", settings={"NEWSAGG_CHECKPOINT_ITEMS": CHECKPOINT})
        if not run.ok or run.article_pages != n:
            problems.append(f"backfill {n}: exit {run.returncode}, {run.article_pages}/{n} article pages")
        segments = _segments(run)
        start, end = _cpu_per_record(run, segments)
        stats = run.stats
        listing = stats.get("newsagg/pages/listing", 0)
        rows[n] = {
            "items": run.items,
            "requests": stats.get("downloader/request_count", 0),
            "per_record": stats.get("downloader/request_count", 0) / max(1, run.items),
            "limit": 1 + listing / max(1, run.items),
            "segments": len(segments),
            "crawl_s": run.crawl_s,
            "pages_per_s": run.pages_per_s,
            "peak_rss_mb": run.peak_rss_mb,
            "cpu_ms_start": start,
            "cpu_ms_end": end,
        }
    header = (
        f"{'articles':>10} {'records':>9} {'segments':>8} {'requests':>9} {'req/record':>10} {'limit':>6} "
        f"{'pages/s':>8} {'peak RSS MB':>11} {'CPU ms/rec start':>16} {'end':>6}"
    )
    lines = [header, "-" * len(header)]
    for n, r in rows.items():
        lines.append(
            f"{n:>10,} {r['items']:>9,} {r['segments']:>8} {r['requests']:>9,} {r['per_record']:>10.3f} "
            f"{r['limit']:>6.3f} {r['pages_per_s']:>8.1f} {r['peak_rss_mb']:>11.1f} {r['cpu_ms_start']:>16.2f} "
            f"{r['cpu_ms_end']:>6.2f}"
        )
    targets = []
    small, large = min(rows), max(rows)
    if small != large:
        growth = rows[large]["peak_rss_mb"] / rows[small]["peak_rss_mb"]
        lines.append(f"peak RSS {large:,} / {small:,}: {growth:.2f}x (goal <= {RSS_GROWTH}x)")
        targets.append(
            Target(
                f"peak RSS at {large:,} <= {RSS_GROWTH} x at {small:,}",
                f"{growth:.2f}x",
                f"<= {RSS_GROWTH}x",
                growth <= RSS_GROWTH,
            )
        )
    r = rows[large]
    cpu_growth = r["cpu_ms_end"] / r["cpu_ms_start"] if r["cpu_ms_start"] else float("nan")
    if math.isnan(cpu_growth):  # fewer than two full segments to compare
        lines.append(f"CPU per record, end / start of the {large:,} run: too few segments to compare")
        return lines, rows, targets, problems
    lines.append(f"CPU per record, end / start of the {large:,} run: {cpu_growth:.2f}x (goal <= {CPU_GROWTH}x)")
    targets.append(
        Target(
            f"CPU per record at the end of the {large:,} run <= {CPU_GROWTH} x at its start",
            f"{cpu_growth:.2f}x",
            f"<= {CPU_GROWTH}x",
            cpu_growth <= CPU_GROWTH,
        )
    )
    return lines, rows, targets, problems


# -- a kill ----------------------------------------------------------------------


def _article(target: str) -> str | None:
    parts = target.split("?")[0].split("/")
    return "/".join(parts) if len(parts) == 4 and parts[1] == "fr" and parts[3].isdigit() else None


def _listing(target: str) -> str | None:
    parts = target.split("?")[0].strip("/").split("/")
    if parts[0] != "fr" or len(parts) < 2 or parts[1] in ("author", "tag", "contact", "recherche", "print"):
        return None
    return None if len(parts) == 3 and parts[2].isdigit() else target


def _read_listings(data: Path) -> set[str]:
    """Listing pages (path and query) captured in the WARCs under *data*, staging included."""
    from urllib.parse import urlsplit

    from warcio.archiveiterator import ArchiveIterator

    from newsagg.archive.writer import PAGE_KIND

    out = set()
    for path in data.rglob("*.warc.gz"):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response" and record.rec_headers.get_header(PAGE_KIND) == "listing":
                    parts = urlsplit(record.rec_headers.get_header("WARC-Target-URI"))
                    out.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def kill_cost(ctx: Context, n: int) -> tuple[list[str], dict, list[str]]:
    from newsagg.replica import Corpus, ReplicaServer

    checkpoint = max(100, n // 20)
    ctx.log(f"[backfill] a run over {n:,} articles SIGKILLed half-way, then run again (segments of {checkpoint})")
    work = ctx.workdir / f"backfill-kill-{n}"
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    server = ReplicaServer(Corpus("maghress", n_articles=n, seed=ctx.opts.seed))
    server.start()
    env = {**os.environ, "PYTHONPATH": str(harness.ROOT)}

    def crawl(log: str) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "scrapy", "crawl", "maghress", "-a", f"base_url={server.base_url}"]
        for k, v in {**harness.common_settings(), "NEWSAGG_DATA_DIR": str(data), "LOG_FILE": str(work / log)}.items():
            cmd += ["-s", f"{k}={v}"]
        cmd += ["-s", f"NEWSAGG_CHECKPOINT_ITEMS={checkpoint}"]
        return subprocess.Popen(cmd, cwd=harness.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    try:
        first = crawl("first.log")
        while sum(1 for _, t in list(server.request_log) if _article(t)) < n // 2:
            if first.poll() is not None:
                break
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed = list(server.request_log)
        read_before = _read_listings(data)
        published = sum(
            json.loads(m.read_text())["items_written"] for m in (data / "maghress").glob("maghress-*/*.manifest.json")
        )
        server.request_log.clear()
        t0 = time.perf_counter()
        rerun = crawl("rerun.log")
        rerun.wait()
        rerun_s = time.perf_counter() - t0
        second = list(server.request_log)
    finally:
        server.stop()
    a1 = {a for _, t in killed if (a := _article(t))}
    a2 = [a for _, t in second if (a := _article(t))]
    l1 = read_before  # listing pages the killed run read (captured); one in flight at the kill is not
    l2 = [x for _, t in second if (x := _listing(t))]
    again = len({a for a in a2 if a in a1})
    per_source = Counter(x.split("?")[0].split("/")[2] for x in set(l2) if x in l1)
    row = {
        "articles_killed_run": len(a1),
        "published_at_kill": published,
        "articles_refetched": again,
        "checkpoint": checkpoint,
        "listings_reread": sum(per_source.values()),
        "listings_reread_max_per_source": max(per_source.values(), default=0),
        "sources": len({x.split("?")[0].split("/")[2] for x in l1}),
        "rerun_requests": len(second),
        "rerun_s": round(rerun_s, 1),
        "exit": rerun.returncode,
    }
    lines = [
        f"killed after {row['articles_killed_run']:,} article pages, {row['published_at_kill']:,} records published "
        f"at the kill; the rerun ({row['rerun_s']} s, exit {row['exit']}) fetched {row['articles_refetched']:,} "
        f"article pages again (checkpoint: {checkpoint} records) and read {row['listings_reread']} listing pages "
        f"again over {row['sources']} sources (at most {row['listings_reread_max_per_source']} per source)",
    ]
    problems = [] if row["exit"] == 0 else [f"backfill kill: the rerun exited {row['exit']}"]
    return lines, row, problems


# -- state and near-duplicates at scale ---------------------------------------------


def _random_signature(rng: random.Random) -> bytes:
    import struct

    from newsagg.minhash import _SIG_FMT, _VERSION, NUM_HASHES

    return _VERSION + struct.pack(_SIG_FMT, *(rng.getrandbits(32) for _ in range(NUM_HASHES)))


def state_costs(ctx: Context, sizes: list[int]) -> tuple[list[str], dict]:
    from scrapy.settings import Settings

    from newsagg.minhash import band_keys
    from newsagg.state import open_state
    from newsagg.state.base import SegmentCommit

    rows = {}
    folder = Path(tempfile.mkdtemp(prefix="state-", dir=ctx.workdir))
    st = open_state(Settings({"NEWSAGG_STATE_DIR": str(folder)}), "maghress")
    rng = random.Random(7)
    stored, batch = 0, 5000
    try:
        for n in sizes:
            ctx.log(f"[backfill] synthetic state: {n:,} stored articles")
            t0 = time.perf_counter()
            while stored < n:
                for i in range(stored, min(n, stored + batch)):
                    st.claim(
                        ("maghress", f"s{i % 40}", str(i)),
                        f"fp{i}",
                        f"http://x/fr/s{i % 40}/{i}",
                        "fill",
                        signature=_random_signature(rng),
                    )
                stored = min(n, stored + batch)
                st.commit("fill", SegmentCommit(f"fill-{stored}"))
            fill_s = time.perf_counter() - t0
            probes = 2000
            keys = [("maghress", f"s{rng.randrange(40)}", str(rng.randrange(2 * n))) for _ in range(probes)]
            t0 = time.perf_counter()
            for i in range(0, probes, 100):
                st.known_keys(keys[i : i + 100])
            lookup_us = 1e6 * (time.perf_counter() - t0) / probes
            sigs = [_random_signature(rng) for _ in range(probes)]
            t0 = time.perf_counter()
            candidates = sum(len(st.band_candidates(list(band_keys(s)))) for s in sigs)
            neardup_us = 1e6 * (time.perf_counter() - t0) / probes
            t0 = time.perf_counter()
            for j in range(probes):
                st.claim_result(
                    ("maghress", "new", f"{n}-{j}"), f"new{n}-{j}", f"http://x/fr/new/{j}", "probe", signature=sigs[j]
                )
            claim_us = 1e6 * (time.perf_counter() - t0) / probes
            t0 = time.perf_counter()
            st.commit("probe", SegmentCommit(f"probe-{n}"))
            commit_us = 1e6 * (time.perf_counter() - t0) / probes
            stored += probes
            rows[n] = {
                "fill_s": round(fill_s, 1),
                "db_mb": round(sum(p.stat().st_size for p in folder.glob("maghress.sqlite3*")) / 2**20, 1),
                "lookup_us": round(lookup_us, 1),
                "claim_us": round(claim_us, 1),
                "neardup_us": round(neardup_us, 1),
                "candidates": round(candidates / probes, 2),
                "commit_us": round(commit_us, 1),
            }
    finally:
        st.close()
    header = (
        f"{'stored':>10} {'state MB':>9} {'lookup us':>10} {'claim us':>9} {'near-dup us':>11} "
        f"{'cand./art.':>10} {'commit us/art.':>14}"
    )
    lines = [header, "-" * len(header)]
    for n, r in rows.items():
        lines.append(
            f"{n:>10,} {r['db_mb']:>9.1f} {r['lookup_us']:>10.1f} {r['claim_us']:>9.1f} {r['neardup_us']:>11.1f} "
            f"{r['candidates']:>10.2f} {r['commit_us']:>14.1f}"
        )
    return lines, rows


def run(ctx: Context) -> Result:
    quick = ctx.opts.quick
    sizes = _sizes(ctx.opts.backfill_sizes, "2000,6000" if quick else "10000,100000")
    kill_n = ctx.opts.backfill_kill or (2000 if quick else 10000)
    state_sizes = _sizes(ctx.opts.backfill_state, "20000,60000" if quick else "100000,1000000")
    lines = [
        "Long dataset runs (scrapy crawl maghress, no -o; segments of "
        f"{CHECKPOINT} records; requests per stored record vs its limit, 1 + listing pages per record)",
        pin_note(),
        "",
    ]
    long_lines, long_rows, targets, problems = long_runs(ctx, sizes)
    lines += long_lines
    kill_lines, kill_row, kill_problems = kill_cost(ctx, kill_n)
    lines += ["", "A kill half-way, then the rerun", *kill_lines]
    problems += kill_problems
    state_lines, state_rows = state_costs(ctx, state_sizes)
    lines += [
        "",
        "The SQLite state at scale (synthetic rows: random signatures; costs per article; near-dup = the band-key "
        "candidates of a new signature)",
        *state_lines,
    ]
    small, large = min(state_rows), max(state_rows)
    if small != large:
        ratio = state_rows[large]["neardup_us"] / max(0.1, state_rows[small]["neardup_us"])
        lines.append(f"near-duplicate lookup {large:,} / {small:,} stored: {ratio:.2f}x")
    data = {"long": long_rows, "kill": kill_row, "state": state_rows}
    return Result("\n".join(lines), data, targets, problems)


SECTION = Section(
    "backfill",
    "Backfill: cost as the archive grows, what a kill costs",
    run,
    order=35,
    default=False,
    enabled=lambda o: o.backfill,
    add_arguments=add_arguments,
)
