"""Smoke test of ``python -m benchmarks``: a tiny replica, one round, every table row.

No timing assertions (speed lives in benchmarks/RESULTS.md): the runner must
start the replica and the four crawlers (fetch-only ceiling, items floor,
dataset run, peer), pass its own sanity checks (page and item counts, the
dataset run's records vs the ground truth, its CSV + JSONL + Parquet files)
and print every row, and the re-extraction section must run over WARC records.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_runner_prints_every_row(tmp_path):
    results = tmp_path / "RESULTS.md"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks",
        "--articles",
        "40",
        "--runs",
        "1",
        "--sections",
        "crawl,reextract,dates,rss",
        "--rss-scaling",
        "--rss-sizes",
        "40,60",
        "--dates-seconds",
        "0.01",
        "--results",
        str(results),
        "--workdir",
        str(tmp_path / "work"),
        "--no-pin",  # pinned to one CPU, a loaded test machine could starve the run
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    out = proc.stdout
    assert proc.returncode == 0, out[-4000:] + proc.stderr[-4000:]

    # crawl: one row per crawler (pages, article pages, items, ...), 40 article pages each
    assert re.search(r"^ceiling\s+\d+\s+40\s+0\s", out, re.M), out
    assert re.search(r"^items\s+\d+\s+40\s+40\s", out, re.M), out
    assert re.search(r"^dataset\s+\d+\s+40\s+39\s", out, re.M), out
    assert re.search(r"^peer\s+\d+\s+40\s+40\s", out, re.M), out
    pages = {m[1]: int(m[2]) for m in re.finditer(r"^(ceiling|items|dataset|peer)\s+(\d+)\s", out, re.M)}
    assert len(pages) == 4 and len(set(pages.values())) == 1 and pages["dataset"] > 40, pages
    assert re.search(r"^dataset/ceiling pages/s\s+\d+\.\d\d", out, re.M), out
    assert re.search(r"^dataset/peer articles/s\s+\d+\.\d\d", out, re.M), out
    assert "newsagg vs ground truth: 39/39 records exact" in out  # 40 articles, one republication
    warc = "NEWSAGG_WARC_ENABLED" in (ROOT / "newsagg" / "settings.py").read_text(encoding="utf-8")
    assert ("WARC ON" if warc else "WARC off") in out and "not pinned (--no-pin" in out
    # reextract on one and two cores, trafilatura and the parse floor over the same WARC records
    assert re.search(r"^trafilatura\s+(\d+)\s+40\s+40\s", out, re.M), out
    assert re.search(r"^parse\s+(\d+)\s+40\s+\1\s", out, re.M), out  # one tree per record
    assert re.search(r"^reextract j1\s+\d+\s+40\s+39\s+1\s", out, re.M), out
    assert re.search(r"^reextract j2\s+\d+\s+40\s+39\s+2\s", out, re.M), out
    assert "--jobs 1 and 2 outputs identical" in out, out
    # dates: both corpora
    assert re.search(r"^bylines\s+\d+\s", out, re.M) and re.search(r"^test table\s+\d+\s", out, re.M), out
    # rss: both sizes (40 reused from the crawl section)
    assert re.search(r"^\s+40\s+1\s+\d+", out, re.M) and re.search(r"^\s+60\s+1\s+\d+", out, re.M), out
    assert re.search(r"peak RSS 60 / 40: \d+\.\d\dx", out), out
    # every target reported, and RESULTS.md got one block per section with the command
    assert len(re.findall(r"^\s+\[\s*(met|MISSED)\]", out, re.M)) == 8, out
    md = results.read_text(encoding="utf-8")
    for name in ("crawl", "reextract", "dates", "rss"):
        assert f"<!-- section:{name} -->" in md and f"<!-- /section:{name} -->" in md
    assert md.count("Command: `python -m benchmarks --articles 40") == 4


def test_neardup_micro_benchmark_prints_every_mark(tmp_path):
    """``python -m benchmarks.bench_neardup``: one row per mark, over a JSONL and over the replica."""
    from newsagg.replica import Corpus, expected_records

    records = tmp_path / "records.jsonl"
    truth = expected_records(Corpus("maghress", n_articles=120, seed=2), "http://127.0.0.1:1")
    records.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in truth), encoding="utf-8")
    for args in ([str(records)], ["--articles", "120"]):
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_neardup", *args, "--marks", "50,100"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        rows = [ln.split() for ln in proc.stdout.splitlines() if re.match(r"^\s+\d", ln)]
        assert [r[0] for r in rows] == ["50", "100"], proc.stdout
        assert all(float(r[1]) >= 0 and float(r[2].replace(",", "")) > 0 for r in rows), proc.stdout


def test_language_micro_benchmark_prints_every_candidate():
    """``python -m benchmarks.bench_language``: a row per candidate (installed or not), newsagg's included."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_language", "--repeats", "1", "--articles", "12"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    from benchmarks.bench_language import CANDIDATES, TEXTS

    rows = {
        ln.split()[0]: ln.split()[1:] for ln in proc.stdout.splitlines() if ln.split()[:1] in ([n] for n in CANDIDATES)
    }
    assert set(rows) == set(CANDIDATES), proc.stdout
    newsagg = rows["newsagg"]  # fr en es ar title body mixed all µs/text µs/article load
    assert len(newsagg) == 11 and sum(map(int, newsagg[:4])) == sum(map(int, newsagg[4:7])) > 0.9 * len(TEXTS)
    assert rows["py3langid"] != ["(not", "installed)"]  # pinned in requirements.txt
