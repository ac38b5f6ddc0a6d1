"""The segment manifest: one JSON per segment beside its files, every number checkable."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter

import pyarrow.parquet as pq
import pytest_twisted

from newsagg.items import SCHEMA_VERSION
from newsagg.run import run_tag
from tests.crawling import crawl_dataset


def instant(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@pytest_twisted.ensureDeferred
async def test_manifest_describes_the_run_and_its_files(make_replica, tmp_path):
    site = make_replica(n_articles=60, seed=12)
    job = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # as Scrapyd passes it: -a _job=...
    result = await crawl_dataset("maghress", tmp_path / "data", base_url=site.base_url, max_pages="3", _job=job)
    path = result.files["manifest.json"]
    assert path.name == f"maghress-{path.name.split('-')[1]}-{run_tag(job)}-0001.manifest.json"
    assert path.parent.name == path.name.removesuffix(".manifest.json"), "a segment is a directory"
    m = json.loads(path.read_text(encoding="utf-8"))
    items, stats = result.items, result.stats
    assert m["manifest_version"] == 2 and m["segment"]["number"] == 1 and m["segment"]["final"]
    assert m["run"] == {"segments": 1, "items_written": len(items)}
    assert m["per_language"] == dict(sorted(Counter(i["language"] for i in items).items()))
    assert m["fetch"]["base_url"] == site.base_url and m["fetch"]["local"] is True
    assert m["fetch"]["hosts"] == [site.base_url.split("//")[1]]
    assert m["fetch"]["settings"]["CONCURRENT_REQUESTS"] == 32, "what the run used (the loopback profile)"
    assert m["fetch"]["settings"]["ROBOTSTXT_OBEY"] is True and m["fetch"]["settings"]["DOWNLOAD_DELAY"] == 0

    assert m["run_id"] == m["scrapyd_job"] == job == stats["newsagg/run/id"]
    assert (m["spider"], m["site"], m["schema_version"]) == ("maghress", "maghress", SCHEMA_VERSION)
    assert m["arguments"]["base_url"] == site.base_url and m["arguments"]["max_pages"] == 3
    assert m["arguments"]["full"] is False and "_job" not in m["arguments"]
    assert instant(m["started_at"]) <= instant(m["finished_at"])
    assert m["finish_reason"] == "finished"
    assert m["items_written"] == len(items) == stats["item_scraped_count"] > 0
    assert m["per_source"] == dict(sorted(Counter(i["source_slug"] for i in items).items()))
    assert m["items_dropped"] == {
        k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("newsagg/items_dropped/")
    }
    dated = sorted((i["published_at"] for i in items if i["published_at"]), key=instant)
    assert m["published_at"] == {"earliest": dated[0], "latest": dated[-1]}
    assert m["state"] == {"backend": "sqlite", "full": False, "marked_stored": len(items), "skipped_already_stored": 0}

    assert {f["format"] for f in m["files"]} == {"csv", "jsonlines", "parquet", "warc"}
    for f in m["files"]:
        file = path.parent / f["name"]
        data = file.read_bytes()
        assert f["sha256"] == hashlib.sha256(data).hexdigest() and f["bytes"] == len(data)
        if f["format"] == "warc":  # records, not rows: tests/test_archive.py
            continue
        rows = {
            "csv": lambda: len(result.csv_rows),
            "jsonlines": lambda: len(data.decode().splitlines()),
            "parquet": lambda: pq.ParquetFile(file).metadata.num_rows,
        }[f["format"]]()
        assert f["rows"] == rows == len(items)
        assert run_tag(job) in f["name"] and f["source"] is None
    assert not list(path.parent.glob("*.part"))
