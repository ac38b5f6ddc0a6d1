"""Re-extraction over WARC records: ``newsagg reextract`` vs trafilatura vs a parse-only floor.

The records are the dataset run's capture (its ``.warc.gz``, when the tree
writes WARCs: ``NEWSAGG_WARC_ENABLED``); otherwise one written here with
warcio from every page of a replica of ``--articles`` articles
(:func:`benchmarks.warcs.write_replica_warc`). Each contender runs as its own
process pinned to one CPU, ``--runs`` rounds in alternating order, medians:

- reextract: ``newsagg reextract maghress --data-dir D -o OUT`` (page objects +
  pipelines over the WARC through an in-process Scrapy crawl); "pending" while
  the command is missing from this tree;
- trafilatura: ``bare_extraction(with_metadata=True)`` on every article record
  (``python -m benchmarks.warcs trafilatura``);
- parse: the HTML parser alone on every record (Scrapy ``HtmlResponse`` decoding
  + lxml tree; ``python -m benchmarks.warcs parse``), the floor of any extractor.

Times are process wall seconds (start-up included: what a user waits for);
the throughput unit is article records per second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import CRAWLER_CPU, count_records, dataset_files, median, pin_note, pin_process, replica_pages
from benchmarks.registry import Context, Result, Section, Target

TRAFILATURA_FACTOR = 10.0  # reextract >= 10 x trafilatura's articles/s
FLOOR_FACTOR = 3.0  # reextract within 3 x of the parse-only floor


def reextract_available() -> bool:
    """Whether this tree's ``newsagg`` command has a ``reextract`` subcommand."""
    proc = subprocess.run(
        [sys.executable, "-m", "newsagg.cli", "reextract", "--help"],
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode == 0


def _measure(cmd: list[str], out_dir: Path) -> dict:
    """Run *cmd* pinned to the crawler CPU; wall and CPU seconds, exit status, its stdout."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "command.txt").write_text(" ".join(cmd) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(harness.ROOT), os.environ.get("PYTHONPATH")]))}
    t0 = time.perf_counter()
    with open(out_dir / "stdout.log", "wb") as out, open(out_dir / "stderr.log", "wb") as err:
        proc = subprocess.Popen(cmd, cwd=harness.ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        pin_process(proc.pid, CRAWLER_CPU)
        _pid, status, usage = os.wait4(proc.pid, 0)
    return {
        "returncode": os.waitstatus_to_exitcode(status),
        "wall_s": time.perf_counter() - t0,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "stdout": (out_dir / "stdout.log").read_text(encoding="utf-8", errors="replace"),
    }


def _worker(mode: str, warcs: list[Path], out_dir: Path) -> dict:
    run = _measure([sys.executable, "-m", "benchmarks.warcs", mode, *map(str, warcs)], out_dir)
    lines = [ln for ln in run["stdout"].splitlines() if ln.startswith("{")]
    run.update(json.loads(lines[-1]) if lines else {})
    return run


def _reextract(data_dir: Path, out_dir: Path, articles: int) -> dict:
    out = out_dir / "records.jsonl"
    cmd = [sys.executable, "-m", "newsagg.cli", "reextract", "maghress", "--data-dir", str(data_dir), "-o", str(out)]
    run = _measure(cmd, out_dir)
    found = [out] if out.is_file() else sorted(out.rglob("*.jsonl")) if out.is_dir() else []
    run["outputs"] = sum(count_records(p) for p in found)
    run["articles"] = articles
    return run


def add_arguments(parser) -> None:
    g = parser.add_argument_group("reextract section")
    g.add_argument(
        "--trafilatura-runs",
        type=int,
        default=None,
        help="rounds of trafilatura (default: --runs): the reextract section's contender and the crawl "
        "section's peer, each ~7-10x the time of newsagg's run",
    )


def run(ctx: Context) -> Result:
    opts = ctx.opts
    n, rounds = opts.articles, opts.runs
    peer_rounds = max(1, min(rounds, opts.trafilatura_runs or rounds))
    base = ctx.workdir / f"reextract-{n}"
    problems: list[str] = []
    notes: list[str] = []
    dataset = ctx.shared.get("dataset_run")
    warcs = dataset_files(dataset.out_dir, ".warc.gz") if dataset is not None else []
    data_dir = dataset.out_dir / "data" if warcs else None
    if warcs:
        source = f"the dataset run's WARC ({', '.join(p.name for p in warcs)}), {dataset.pages} pages"
    else:
        from benchmarks.warcs import write_replica_warc

        path = base / "replica.warc.gz"
        ctx.log(f"[reextract] writing a WARC of the {n}-article replica's pages with warcio")
        with ctx.replica(n) as rep:
            count = write_replica_warc(replica_pages(rep), path)
        warcs = [path]
        source = (
            f"a WARC written with warcio from every page of the replica ({count} response records, "
            + ("the dataset run wrote none" if dataset is not None else "no dataset run in this benchmark")
            + ")"
        )
    size_mb = sum(p.stat().st_size for p in warcs) / harness.MB
    available = reextract_available()
    has_reextract = data_dir is not None and available
    contenders = (["reextract"] if has_reextract else []) + ["trafilatura", "parse"]
    ctx.log(f"[reextract] {rounds} round(s) of {', '.join(contenders)} over {size_mb:.1f} MB of WARC")
    runs: dict[str, list[dict]] = {c: [] for c in contenders}
    articles = None
    for r in range(rounds):
        order = contenders if r % 2 == 0 else list(reversed(contenders))
        for name in order:
            if name == "trafilatura" and r >= peer_rounds:
                continue
            out_dir = base / f"{name}-{r + 1}"
            if name == "reextract":
                res = _reextract(data_dir, out_dir, articles or n)
            else:
                res = _worker(name, warcs, out_dir)
                articles = res.get("articles", articles)
            runs[name].append(res)
            ctx.log(
                f"  {name:<12} {res.get('outputs', 0):>7} outputs {res['wall_s']:8.1f} s  CPU {res['cpu_s']:7.1f} s"
                + ("" if res["returncode"] == 0 else f"  FAILED (exit {res['returncode']}, see {out_dir})")
            )
            if res["returncode"] != 0:
                problems.append(f"reextract section: {name} exit {res['returncode']} (log: {out_dir / 'stderr.log'})")
    articles = articles or n
    if runs.get("trafilatura") and median(x.get("outputs", 0) for x in runs["trafilatura"]) < 0.9 * articles:
        problems.append(f"trafilatura extracted fewer than 90% of {articles} article records")
    if runs.get("reextract"):
        got = median(x["outputs"] for x in runs["reextract"])
        expected = dataset.items if dataset is not None else None
        if expected is not None and got != expected:
            problems.append(f"reextract wrote {got:.0f} records, the dataset run {expected}")
        notes.append(f"reextract records: {got:.0f} (the dataset run wrote {expected})")

    def med(c: str, key: str) -> float:
        return median(x.get(key, float("nan")) for x in runs[c])

    header = f"{'contender':<12} {'records':>8} {'articles':>8} {'outputs':>8} {'wall s':>8} {'articles/s':>10} {'CPU s':>8} {'art./CPU s':>10}"
    lines = [
        f"Re-extraction: {source}; {size_mb:.1f} MB; median of {rounds} round(s), order alternating"
        + (f" (trafilatura: {peer_rounds} round(s))" if peer_rounds != rounds else ""),
        "reextract = newsagg reextract maghress --data-dir D -o OUT (page objects + pipelines over the WARC); "
        "trafilatura = bare_extraction(with_metadata) per article record; parse = Scrapy HtmlResponse decoding + "
        "lxml tree per record, nothing extracted (the floor); wall s = process start to exit",
        pin_note(),
        "",
        header,
        "-" * len(header),
    ]
    data: dict = {"articles": articles, "rounds": rounds, "warc_mb": round(size_mb, 1), "median": {}}
    for c in contenders:
        rate = articles / med(c, "wall_s")
        cpu_rate = articles / med(c, "cpu_s")
        recs = med(c, "records") if c != "reextract" else med("parse", "records")  # the same WARC records
        lines.append(
            f"{c:<12} {recs:>8.0f} {articles:>8} {med(c, 'outputs'):>8.0f} {med(c, 'wall_s'):>8.1f} "
            f"{rate:>10.1f} {med(c, 'cpu_s'):>8.1f} {cpu_rate:>10.1f}"
        )
        data["median"][c] = {"wall_s": round(med(c, "wall_s"), 3), "cpu_s": round(med(c, "cpu_s"), 3)}
    targets: list[Target] = []
    lines.append("")
    if has_reextract:
        vs_traf = med("trafilatura", "wall_s") / med("reextract", "wall_s")
        vs_floor = med("reextract", "wall_s") / med("parse", "wall_s")
        cpu_traf = med("trafilatura", "cpu_s") / med("reextract", "cpu_s")
        cpu_floor = med("reextract", "cpu_s") / med("parse", "cpu_s")
        lines += [
            f"reextract/trafilatura articles/s {vs_traf:6.2f}  target >= {TRAFILATURA_FACTOR:.0f};"
            f"  per CPU second: {cpu_traf:.2f}",
            f"reextract time / parse floor     {vs_floor:6.2f}  target <= {FLOOR_FACTOR:.0f};"
            f"  per CPU second: {cpu_floor:.2f}",
        ]
        data["ratios"] = {"reextract/trafilatura": round(vs_traf, 3), "reextract/parse time": round(vs_floor, 3)}
        targets += [
            Target(
                f"reextract >= {TRAFILATURA_FACTOR:g} x trafilatura articles/s",
                f"{vs_traf:.2f}",
                f">= {TRAFILATURA_FACTOR:.0f}",
                vs_traf >= TRAFILATURA_FACTOR,
            ),
            Target(
                f"reextract within {FLOOR_FACTOR:g} x of the parse-only floor",
                f"{vs_floor:.2f}x",
                f"<= {FLOOR_FACTOR:.0f}x",
                vs_floor <= FLOOR_FACTOR,
            ),
        ]
    else:
        why = "no `newsagg reextract` command on this tree" if not available else "no dataset run WARC to re-extract"
        lines.append(f"reextract: pending: reextract not available ({why})")
        floor_vs_traf = med("trafilatura", "wall_s") / med("parse", "wall_s")
        lines.append(f"trafilatura time / parse floor: {floor_vs_traf:.2f}x (what 'within 3x of the floor' leaves)")
    lines += notes
    return Result("\n".join(lines), data, targets, problems, notes)


SECTION = Section(
    "reextract",
    "Re-extraction over WARC records: reextract vs trafilatura vs parse floor",
    run,
    order=15,
    add_arguments=add_arguments,
)
