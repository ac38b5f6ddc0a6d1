"""Re-extraction over WARC records: ``newsagg reextract`` on one and two cores vs trafilatura vs a parse-only floor.

The archive is the dataset run's (its data folder: manifest, ``.warc.gz``):
the crawl section's first one when it ran, else one crawled here (``scrapy
crawl maghress`` with no -o/-O over a replica of ``--articles`` articles).
Each contender runs as its own process, ``--runs`` rounds in alternating
order, medians:

- reextract j1: ``newsagg reextract maghress --data-dir D -o OUT --jobs 1``,
  pinned to one CPU;
- reextract j2: the same with ``--jobs 2``, on both CPUs (the main process
  and its two workers);
- trafilatura: ``bare_extraction(with_metadata=True)`` on every article record
  (``python -m benchmarks.warcs trafilatura``), one CPU;
- parse: the HTML parser alone on every record (Scrapy ``HtmlResponse`` decoding
  + lxml tree; ``python -m benchmarks.warcs parse``), one CPU: the floor of any extractor.

Times are process wall seconds (start-up and output included: what a user
waits for); the throughput unit is article records per second. Checks: every
process exits 0, the two reextract outputs are the same bytes and hold the
dataset run's records.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import CRAWLER_CPU, count_records, dataset_files, median, pin_note, pin_process
from benchmarks.registry import Context, Result, Section, Target

TRAFILATURA_FACTOR = 10.0  # reextract --jobs 1 >= 10 x trafilatura's articles/s
JOBS_FACTOR = 1.7  # reextract --jobs 2 >= 1.7 x --jobs 1


def _measure(cmd: list[str], out_dir: Path, cpus: int = 1) -> dict:
    """Run *cmd* on *cpus* CPUs (the crawler CPU for one, every CPU for more); wall and
    CPU seconds (its children included), exit status, its stdout."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "command.txt").write_text(" ".join(cmd) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(harness.ROOT), os.environ.get("PYTHONPATH")]))}
    load = os.getloadavg()[0]  # other jobs on the machine take CPUs from a run: shown per round
    t0 = time.perf_counter()
    with open(out_dir / "stdout.log", "wb") as out, open(out_dir / "stderr.log", "wb") as err:
        proc = subprocess.Popen(cmd, cwd=harness.ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        if cpus == 1:
            pin_process(proc.pid, CRAWLER_CPU)
        _pid, status, usage = os.wait4(proc.pid, 0)
    return {
        "returncode": os.waitstatus_to_exitcode(status),
        "wall_s": time.perf_counter() - t0,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "load": load,
        "stdout": (out_dir / "stdout.log").read_text(encoding="utf-8", errors="replace"),
    }


def _worker(mode: str, warcs: list[Path], out_dir: Path) -> dict:
    run = _measure([sys.executable, "-m", "benchmarks.warcs", mode, *map(str, warcs)], out_dir)
    lines = [ln for ln in run["stdout"].splitlines() if ln.startswith("{")]
    run.update(json.loads(lines[-1]) if lines else {})
    return run


def _reextract(data_dir: Path, out_dir: Path, jobs: int) -> dict:
    out = out_dir / "records.jsonl"
    cmd = [sys.executable, "-m", "newsagg.cli", "reextract", "maghress", "--data-dir", str(data_dir)]
    run = _measure([*cmd, "-o", str(out), "--jobs", str(jobs)], out_dir, cpus=jobs)
    run["outputs"] = count_records(out) if out.is_file() else 0
    run["output"] = out
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


def _archive(ctx: Context, n: int):
    """The dataset run whose data folder is re-extracted: the crawl section's, else one crawled here."""
    dataset = ctx.shared.get("dataset_run")
    if dataset is not None and dataset_files(dataset.out_dir, ".warc.gz"):
        return dataset, "the crawl section's dataset run"
    ctx.log(f"[reextract] crawling a {n}-article replica into a data folder (the archive)")
    with ctx.replica(n) as rep:
        dataset = ctx.crawl("dataset", rep, f"reextract-{n}/archive")
    return dataset, "a dataset run of this section"


def run(ctx: Context) -> Result:
    opts = ctx.opts
    n, rounds = opts.articles, opts.runs
    peer_rounds = max(1, min(rounds, opts.trafilatura_runs or rounds))
    base = ctx.workdir / f"reextract-{n}"
    problems: list[str] = []
    dataset, origin = _archive(ctx, n)
    warcs = dataset_files(dataset.out_dir, ".warc.gz")
    if not dataset.ok or not warcs:
        return Result("Re-extraction: no archive (the dataset run failed or wrote no WARC)", problems=["no archive"])
    data_dir = dataset.out_dir / "data"
    size_mb = sum(p.stat().st_size for p in warcs) / harness.MB
    contenders = ["reextract j1", "reextract j2", "trafilatura", "parse"]
    ctx.log(f"[reextract] {rounds} round(s) of {', '.join(contenders)} over {size_mb:.1f} MB of WARC")
    runs: dict[str, list[dict]] = {c: [] for c in contenders}
    articles = None
    for r in range(rounds):
        order = contenders if r % 2 == 0 else list(reversed(contenders))
        for name in order:
            if name == "trafilatura" and r >= peer_rounds:
                continue
            out_dir = base / f"{name.replace(' ', '-')}-{r + 1}"
            if name.startswith("reextract"):
                res = _reextract(data_dir, out_dir, jobs=int(name[-1]))
            else:
                res = _worker(name, warcs, out_dir)
                articles = res.get("articles", articles)
            runs[name].append(res)
            ctx.log(
                f"  {name:<13} {res.get('outputs', 0):>7} outputs {res['wall_s']:8.1f} s  CPU {res['cpu_s']:7.1f} s"
                + ("" if res["returncode"] == 0 else f"  FAILED (exit {res['returncode']}, see {out_dir})")
            )
            if res["returncode"] != 0:
                problems.append(f"reextract section: {name} exit {res['returncode']} (log: {out_dir / 'stderr.log'})")
    articles = articles or n
    if median(x.get("outputs", 0) for x in runs["trafilatura"]) < 0.9 * articles:
        problems.append(f"trafilatura extracted fewer than 90% of {articles} article records")
    outputs = {
        x["output"].read_bytes() for c in ("reextract j1", "reextract j2") for x in runs[c] if x["returncode"] == 0
    }
    if len(outputs) != 1:
        problems.append("reextract: the outputs of --jobs 1 and --jobs 2 differ")
    got = median(x["outputs"] for x in runs["reextract j1"])
    if got != dataset.items:
        problems.append(f"reextract wrote {got:.0f} records, the dataset run {dataset.items}")

    def med(c: str, key: str) -> float:
        return median(x.get(key, float("nan")) for x in runs[c])

    header = (
        f"{'contender':<13} {'records':>8} {'articles':>8} {'outputs':>8} {'CPUs':>4} {'wall s':>8} "
        f"{'articles/s':>10} {'CPU s':>8} {'art./CPU s':>10}"
    )
    lines = [
        f"Re-extraction: {origin} ({', '.join(p.name for p in warcs)}, {dataset.pages} pages); {size_mb:.1f} MB; "
        f"median of {rounds} round(s), order alternating"
        + (f" (trafilatura: {peer_rounds} round(s))" if peer_rounds != rounds else ""),
        "reextract jN = newsagg reextract maghress --data-dir D -o OUT --jobs N (page objects + pipelines over the "
        "WARC, capture order; N worker processes); trafilatura = bare_extraction(with_metadata) per article record; "
        "parse = Scrapy HtmlResponse decoding + lxml tree per record, nothing extracted (the floor); "
        "wall s = process start to exit; CPU s = the process and its workers",
        pin_note() + "; reextract j2: both CPUs",
        "",
        header,
        "-" * len(header),
    ]
    data: dict = {"articles": articles, "rounds": rounds, "warc_mb": round(size_mb, 1), "median": {}}
    for c in contenders:
        recs = med("parse", "records") if c.startswith("reextract") else med(c, "records")  # the same WARC records
        lines.append(
            f"{c:<13} {recs:>8.0f} {articles:>8} {med(c, 'outputs'):>8.0f} {2 if c.endswith('j2') else 1:>4} "
            f"{med(c, 'wall_s'):>8.1f} {articles / med(c, 'wall_s'):>10.1f} {med(c, 'cpu_s'):>8.1f} "
            f"{articles / med(c, 'cpu_s'):>10.1f}"
        )
        data["median"][c] = {"wall_s": round(med(c, "wall_s"), 3), "cpu_s": round(med(c, "cpu_s"), 3)}
    vs_traf = med("trafilatura", "wall_s") / med("reextract j1", "wall_s")
    cpu_traf = med("trafilatura", "cpu_s") / med("reextract j1", "cpu_s")
    # j1 and j2 run back to back in each round: their ratio per round compares them under the
    # same load from other jobs; the target takes the median of those ratios.
    pairs = list(zip(runs["reextract j1"], runs["reextract j2"], strict=False))
    per_round = [a["wall_s"] / b["wall_s"] for a, b in pairs]
    j2 = median(per_round)
    j2_medians = med("reextract j1", "wall_s") / med("reextract j2", "wall_s")
    added = med("reextract j2", "cpu_s") / med("reextract j1", "cpu_s")
    floor = med("reextract j1", "wall_s") / med("parse", "wall_s")
    lines += [
        "",
        f"reextract j1 / trafilatura articles/s  {vs_traf:6.2f}  target >= {TRAFILATURA_FACTOR:.0f};  per CPU second: {cpu_traf:.2f}",
        f"reextract j2 / j1 articles/s           {j2:6.2f}  target >= {JOBS_FACTOR} (median of the rounds: "
        + ", ".join(f"{x:.2f} at load {b['load']:.1f}" for x, (_, b) in zip(per_round, pairs, strict=True))
        + f"; of the medians: {j2_medians:.2f}); CPU seconds j2 / j1: {added:.2f}",
        "(load: the machine's 1-minute load average as j2 started: other jobs take CPUs from a run)",
        f"reextract j1 time / parse floor        {floor:6.2f}  (j2: {med('reextract j2', 'wall_s') / med('parse', 'wall_s'):.2f}; "
        f"per CPU second: {med('reextract j1', 'cpu_s') / med('parse', 'cpu_s'):.2f})",
        f"reextract records: {got:.0f} (the dataset run wrote {dataset.items}); --jobs 1 and 2 outputs "
        + ("identical" if len(outputs) == 1 else "DIFFER"),
    ]
    data["ratios"] = {
        "reextract j1/trafilatura": round(vs_traf, 3),
        "reextract j2/j1": round(j2, 3),
        "reextract j2/j1 per round": [round(x, 3) for x in per_round],
        "reextract j2/j1 CPU": round(added, 3),
        "reextract j1/parse time": round(floor, 3),
    }
    targets = [
        Target(
            f"reextract --jobs 1 >= {TRAFILATURA_FACTOR:g} x trafilatura articles/s",
            f"{vs_traf:.2f}",
            f">= {TRAFILATURA_FACTOR:.0f}",
            vs_traf >= TRAFILATURA_FACTOR,
        ),
        Target(
            f"reextract --jobs 2 >= {JOBS_FACTOR} x --jobs 1 (median of the rounds)",
            f"{j2:.2f}",
            f">= {JOBS_FACTOR}",
            j2 >= JOBS_FACTOR,
        ),
    ]
    return Result("\n".join(lines), data, targets, problems, [])


SECTION = Section(
    "reextract",
    "Re-extraction over WARC records: reextract --jobs 1 and 2 vs trafilatura vs parse floor",
    run,
    order=15,
    add_arguments=add_arguments,
)
