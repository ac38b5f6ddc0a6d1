"""Schema 2 (``author``) and 3 (``warc_record_id``) over what older runs left
behind: incremental state written by schema-1 runs, and schema-1/2 dataset
files given to the merge."""

from __future__ import annotations

import csv
import json
import sqlite3

import pyarrow.parquet as pq
import pytest_twisted

from newsagg.distributed.merge import merge
from newsagg.items import FIELDS, SCHEMA_VERSION
from newsagg.pipelines.neardup import signature
from newsagg.replica import Corpus, FaultPlan, expected_records
from newsagg.replica.generator import served_paragraphs
from newsagg.text import fingerprint, normalize_ws
from tests.crawling import compare_with_truth, crawl_dataset, read_csv

#: The record fields of schema 1 (no ``author``).
SCHEMA_1_FIELDS = [
    "url",
    "site",
    "source_slug",
    "source",
    "article_id",
    "title",
    "published_at",
    "published_raw",
    "body",
    "original_url",
    "language",
    "word_count",
    "crawled_at",
    "fingerprint",
    "near_duplicate_of",
]

#: The SQLite state as schema-1 code created it (frozen copy: it must keep opening).
SCHEMA_1_STATE = """
CREATE TABLE stored (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, site TEXT NOT NULL, source_slug TEXT NOT NULL,
    article_id TEXT NOT NULL, fingerprint TEXT, url TEXT NOT NULL, signature BLOB, run_id TEXT NOT NULL,
    stored_at TEXT NOT NULL, UNIQUE (site, source_slug, article_id));
CREATE INDEX stored_fingerprint ON stored (fingerprint);
CREATE TABLE runs (run_id TEXT PRIMARY KEY, committed_at TEXT NOT NULL, entries INTEGER NOT NULL);
CREATE TABLE run_notes (run_id TEXT PRIMARY KEY, finish_reason TEXT, side_links TEXT NOT NULL);
"""


def schema1_body(corpus: Corpus, i: int) -> str:
    """The body a schema-1 crawl stored: the "Par" line, repeat and promo kept."""
    return "\n\n".join(normalize_ws(p) for p in served_paragraphs(corpus.article(i)))


def write_schema1_state(path, corpus: Corpus, base_url: str) -> set[tuple]:
    """Every article of *corpus* stored by a finished schema-1 run; returns the keys."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_1_STATE)
    keys = set()
    for i in range(len(corpus)):
        art = corpus.article(i)
        body = schema1_body(corpus, i)
        key = (corpus.site, art.source.slug, art.article_id)
        db.execute(
            "INSERT INTO stored (site, source_slug, article_id, fingerprint, url, signature, run_id, stored_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 'schema1', '2026-01-01T00:00:00+00:00')",
            (*key, fingerprint(art.title, body), base_url + art.path, signature(art.title, body)),
        )
        keys.add(key)
    db.execute("INSERT INTO runs VALUES ('schema1', '2026-01-01T00:00:00+00:00', ?)", (len(keys),))
    db.execute("INSERT INTO run_notes VALUES ('schema1', 'finished', '[]')")
    db.commit()
    db.close()
    return keys


@pytest_twisted.ensureDeferred
async def test_run_over_schema1_state_adds_only_new_articles(make_replica, tmp_path):
    site = make_replica(n_articles=120, seed=23)
    data = tmp_path / "data"
    (data / "state").mkdir(parents=True)
    stored = write_schema1_state(data / "state" / "maghress.sqlite3", site.corpus, site.base_url)
    # The site publishes more: a schema-2 run sees old state and new articles.
    c = site.corpus
    ed2 = Corpus(c.site, n_articles=c.n_articles, seed=c.seed, edition=2, per_page=c.per_page)
    site.server.corpus, site.server.faults = ed2, FaultPlan.default(ed2)
    site.server.reset_state()
    truth2 = expected_records(ed2, site.base_url)
    new = [t for t in truth2 if (t["site"], t["source_slug"], t["article_id"]) not in stored]
    assert len(new) >= 8

    run = await crawl_dataset("maghress", data, base_url=site.base_url)
    assert run.stats["finish_reason"] == "finished"
    assert not [i for i in run.items if (i["site"], i["source_slug"], i["article_id"]) in stored], "re-emitted"
    problems = compare_with_truth(run.items, new, [])
    assert not problems, "\n".join(problems[:30])
    assert run.stats["newsagg/skipped/already_stored"] > 0
    assert run.stats["newsagg/state/committed"] == len(new)
    assert json.loads(run.files["manifest.json"].read_text())["schema_version"] == SCHEMA_VERSION == 3
    assert pq.read_schema(run.files["parquet"]).metadata[b"newsagg.schema_version"] == b"3"
    assert list(read_csv(run.files["csv"])[0]) == FIELDS and FIELDS.index("author") == FIELDS.index("source") + 1
    assert FIELDS[-1] == "warc_record_id" and all(i["warc_record_id"] for i in run.items)
    db = sqlite3.connect(data / "state" / "maghress.sqlite3")
    assert db.execute("SELECT count(*) FROM stored").fetchone()[0] == len(stored) + len(new)
    db.close()

    # And once more: nothing new, nothing emitted.
    again = await crawl_dataset("maghress", data, base_url=site.base_url)
    assert again.items == []


def test_merge_reads_schema1_files(tmp_path):
    old = {f: None for f in SCHEMA_1_FIELDS}
    old.update(
        url="http://x/fr/lematin/1",
        site="maghress",
        source_slug="lematin",
        source="Le Matin",
        article_id="1",
        title="Un titre",
        body="Par Mhand Kasmi\n\nLe texte.",
        language="fr",
        word_count=5,
        fingerprint="a" * 40,
    )
    (tmp_path / "old.jsonl").write_text(json.dumps(old, ensure_ascii=False) + "\n", encoding="utf-8")
    with (tmp_path / "old.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, SCHEMA_1_FIELDS)
        w.writeheader()
        w.writerow(
            {
                **old,
                "url": "http://x/fr/lematin/2",
                "article_id": "2",
                "fingerprint": "b" * 40,
                "published_at": "",
                "near_duplicate_of": "",
            }
        )
    # A schema-2 record: every field but warc_record_id.
    new = {f: None for f in FIELDS if f != "warc_record_id"}
    new.update(
        url="http://x/fr/lematin/3",
        site="maghress",
        source_slug="lematin",
        article_id="3",
        author="Mhand Kasmi",
        title="Autre",
        body="Autre texte.",
        language="fr",
        word_count=2,
        fingerprint="c" * 40,
    )
    (tmp_path / "new.jsonl").write_text(json.dumps(new, ensure_ascii=False) + "\n", encoding="utf-8")
    for out in ("merged.jsonl", "merged.csv"):
        report = merge(
            [str(tmp_path / n) for n in ("old.jsonl", "old.csv", "new.jsonl")],
            str(tmp_path / "out" / out),
            neardup=False,
        )
        assert report.written == 3
    rows = [json.loads(line) for line in (tmp_path / "out" / "merged.jsonl").read_text().splitlines()]
    assert [list(r) for r in rows] == [FIELDS] * 3
    assert [r["author"] for r in rows] == [None, None, "Mhand Kasmi"]
    assert [r["warc_record_id"] for r in rows] == [None, None, None]
    assert [r["author"] for r in read_csv(tmp_path / "out" / "merged.csv")] == ["", "", "Mhand Kasmi"]
