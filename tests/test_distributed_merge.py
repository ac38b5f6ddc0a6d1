"""`python -m newsagg.distributed merge`: the workers' files -> one dataset, each article once."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsagg.distributed.merge import MergeError, merge
from newsagg.items import FIELDS
from newsagg.replica import Corpus, expected_records, republication_groups
from tests.crawling import compare_with_truth, read_csv, read_jsonl

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8998"


@pytest.fixture(scope="module")
def corpus_truth():
    corpus = Corpus("maghress", n_articles=120, seed=5)
    truth = expected_records(corpus, BASE)
    groups = republication_groups(corpus, BASE)
    assert any(t["near_duplicate_of"] for t in truth), "the replica plants near-duplicates"
    return truth, groups


def as_crawled(rec: dict, **changes) -> dict:
    out = {f: rec.get(f) for f in FIELDS}
    out["crawled_at"] = "2026-01-01T00:00:00+00:00"
    out.update(changes)
    return out


def write_jsonl(path: Path, records: list[dict], tail: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        fh.write(tail)
    return path


def test_split_dataset_merges_to_truth_with_cross_worker_near_duplicates(corpus_truth, tmp_path):
    """Three workers' files, every near-duplicate link lost (pairs split across
    workers): the merge yields the ground truth, links included."""
    truth, groups = corpus_truth
    second = {g[1] for g in groups}
    records = [as_crawled(t, near_duplicate_of=None) for t in truth if t["url"] not in second]
    for w in range(3):
        write_jsonl(tmp_path / f"w{w}" / "maghress_worker" / f"maghress-{w}.jsonl", records[w::3])
    report = merge([str(tmp_path / f"w{w}") for w in range(3)], str(tmp_path / "merged.jsonl"))
    items = read_jsonl(tmp_path / "merged.jsonl")
    assert compare_with_truth(items, truth, groups) == []
    assert report.written == len(records) and report.dropped == {}
    assert report.linked == sum(1 for t in truth if t["near_duplicate_of"])


def test_duplicates_across_workers_are_dropped(corpus_truth, tmp_path):
    truth, groups = corpus_truth
    a, b = truth[0], truth[1]
    group = groups[0]
    first, republished = (next(t for t in truth if t["url"] == u) for u in group)
    write_jsonl(tmp_path / "w1.jsonl", [as_crawled(a), as_crawled(first)])
    # Worker 2: the same key again (a zombie's copy), a republication, a new article, and
    # the line a SIGKILL cut in half.
    write_jsonl(
        tmp_path / "w2.jsonl",
        [as_crawled(a, crawled_at="2026-02-02T00:00:00+00:00"), as_crawled(republished), as_crawled(b)],
        tail='{"url": "http://x/fr/a/1", "ti',
    )
    report = merge([str(tmp_path / "w1.jsonl"), str(tmp_path / "w2.jsonl")], str(tmp_path / "m.jsonl"), neardup=False)
    items = read_jsonl(tmp_path / "m.jsonl")
    assert [i["url"] for i in items] == [a["url"], first["url"], b["url"]]
    assert items[0]["crawled_at"] == "2026-01-01T00:00:00+00:00", "the first copy wins"
    assert report.dropped == {"duplicate_key": 1, "duplicate_content": 1, "unreadable_line": 1}
    assert report.per_input == {str(tmp_path / "w1.jsonl"): 2, str(tmp_path / "w2.jsonl"): 1}


def test_csv_output_reads_back(corpus_truth, tmp_path):
    truth, _ = corpus_truth
    recs = [as_crawled(t) for t in truth[:20]]
    write_jsonl(tmp_path / "in" / "x.jsonl", recs)
    merge([str(tmp_path / "in")], str(tmp_path / "m.csv"), neardup=False)
    rows = read_csv(tmp_path / "m.csv")  # asserts the header is FIELDS
    assert [r["url"] for r in rows] == [r["url"] for r in recs]
    for row, rec in zip(rows, recs, strict=False):
        for f in FIELDS:
            want = "" if rec[f] is None else str(rec[f])
            assert row[f].lstrip("'") == want, f  # ' = the CSV exporter's formula guard


def test_part_files_and_csv_twins_are_not_inputs(corpus_truth, tmp_path):
    truth, _ = corpus_truth
    d = tmp_path / "w"
    write_jsonl(d / "run1.jsonl", [as_crawled(truth[0])])
    (d / "run1.csv").write_text("not read: the JSON lines twin is\n", encoding="utf-8")
    write_jsonl(d / "run2.jsonl.part", [as_crawled(truth[1])])  # a killed run's unpublished file
    report = merge([str(d)], str(tmp_path / "m.jsonl"))
    assert report.inputs == [str(d / "run1.jsonl")] and report.written == 1


def test_manifests_are_verified(corpus_truth, tmp_path):
    truth, _ = corpus_truth
    data = write_jsonl(tmp_path / "w" / "run.jsonl", [as_crawled(t) for t in truth[:3]])
    sha = hashlib.sha256(data.read_bytes()).hexdigest()
    manifest = tmp_path / "w" / "run.manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "files": [
                    {"name": "run.jsonl", "format": "jsonlines", "rows": 3, "sha256": sha},
                    {"name": "run.parquet", "format": "parquet", "rows": 3},
                ]
            }
        )
    )
    assert merge([str(manifest)], str(tmp_path / "m1.jsonl")).written == 3
    assert merge([str(tmp_path / "w")], str(tmp_path / "m2.jsonl")).written == 3
    with data.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(as_crawled(truth[5])) + "\n")
    for arg in (manifest, tmp_path / "w"):  # given, or found beside the data in a directory
        with pytest.raises(MergeError, match="sha256"):
            merge([str(arg)], str(tmp_path / "m3.jsonl"))
    assert not (tmp_path / "m3.jsonl").exists() and not list(tmp_path.glob(".m3*")), "no output, no leftover"


def test_merge_cli(corpus_truth, tmp_path):
    truth, _ = corpus_truth
    write_jsonl(tmp_path / "a" / "x.jsonl", [as_crawled(t) for t in truth[:4]])
    write_jsonl(tmp_path / "b" / "y.jsonl", [as_crawled(t) for t in truth[2:6]])
    cmd = [
        sys.executable,
        "-m",
        "newsagg.distributed",
        "merge",
        str(tmp_path / "a"),
        str(tmp_path / "b"),
        "-o",
        str(tmp_path / "out" / "merged.jsonl"),
    ]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["records_written"] == 6 and report["dropped"] == {"duplicate_key": 2}
    assert len(read_jsonl(tmp_path / "out" / "merged.jsonl")) == 6
    missing = subprocess.run(
        cmd[:4] + [str(tmp_path / "nope"), "-o", str(tmp_path / "m.jsonl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and "no such file" in missing.stderr
