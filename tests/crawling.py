"""Helpers to run real crawls in-process (pytest-twisted, asyncio reactor) and read feeds back."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from newsagg.exporters.csv import unescape_cell
from newsagg.extensions.publish import DatasetPublisher
from newsagg.items import FIELDS
from newsagg.layout import manifest_paths
from newsagg.replica.truth import CRAWL_FACTS, align_links
from newsagg.run import RunIdentity, run_context, run_tag
from newsagg.spiders.djazairess import DjazairessSpider
from newsagg.spiders.maghress import MaghressSpider
from newsagg.spiders.turess import TuressSpider

SPIDERS = {"maghress": MaghressSpider, "djazairess": DjazairessSpider, "turess": TuressSpider}


ROOT = Path(__file__).resolve().parents[1]


def scrapy_env() -> dict:
    """The environment of a ``scrapy`` subprocess run on this checkout (its newsagg, its settings)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["SCRAPY_SETTINGS_MODULE"] = "newsagg.settings"
    return env


def newsagg(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``newsagg ARGS`` in a subprocess on this checkout, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "newsagg.cli", *args],
        cwd=cwd,
        env=scrapy_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass
class CrawlResult:
    items: list[dict]
    csv_rows: list[dict]
    stats: dict
    #: A dataset run: its last segment's files by suffix (csv, jsonl, parquet, warc.gz, manifest.json).
    files: dict[str, Path] = field(default_factory=dict)
    #: A dataset run: its published segment directories, in order.
    segments: list[Path] = field(default_factory=list)


def project_settings(**overrides) -> dict:
    """The project's settings as a dict, with overrides (quiet logs for tests)."""
    project = get_project_settings()
    # Only what settings.py sets (copying Scrapy's defaults would re-set
    # deprecated ones and warn).
    settings = {k: v for k, v in project.copy_to_dict().items() if project.getpriority(k) >= 20}
    # get_crawler freezes settings before the spider's from_crawler can apply
    # the loopback profile (newsagg.profiles), so apply it here.
    settings.update(settings["NEWSAGG_LOCAL_SETTINGS"])
    settings.update({"LOG_LEVEL": "WARNING"})
    settings.update(overrides)
    return settings


async def crawl(site: str, out_dir: Path, settings: dict | None = None, **args) -> CrawlResult:
    """Crawl with the real spider; feeds go to out_dir/items.{jsonl,csv}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jsonl, csvf = out_dir / "items.jsonl", out_dir / "items.csv"
    feeds = {str(jsonl): {"format": "jsonlines"}, str(csvf): {"format": "csv"}}
    crawler = get_crawler(SPIDERS[site], project_settings(FEEDS=feeds, **(settings or {})))
    await crawler.crawl(**args)
    return CrawlResult(
        read_jsonl(jsonl), read_csv(csvf), dict(crawler.stats.get_stats()), {"jsonl": jsonl, "csv": csvf}
    )


async def crawl_dataset(site: str, data_dir: Path, settings: dict | None = None, **args) -> CrawlResult:
    """Crawl like a scheduled run (no FEEDS: a dataset run) into *data_dir*/<site>/,
    with incremental state in *data_dir*/state. ``items``/``csv_rows`` hold every
    record of the run's published segments, in order; ``files`` the last segment's."""
    crawler = get_crawler(SPIDERS[site], project_settings(NEWSAGG_DATA_DIR=str(data_dir), **(settings or {})))
    await crawler.crawl(**args)
    stats = dict(crawler.stats.get_stats())
    segments = run_segments(data_dir / site, stats["newsagg/run/id"])
    items, rows, files = [], [], {}
    for segment in segments:
        files = {p.name.split(".", 1)[1]: p for p in segment.iterdir() if not p.name.startswith(".")}
        items += read_jsonl(files["jsonl"]) if "jsonl" in files else []
        rows += read_csv(files["csv"]) if "csv" in files else []
    return CrawlResult(items, rows, stats, files, segments)


def run_segments(site_dir: Path, run_id: str) -> list[Path]:
    """The published segment directories of run *run_id*, in order."""
    tag = run_tag(run_id)
    return [m.parent for m in manifest_paths(site_dir) if m.parent != site_dir and m.parent.name.split("-")[-2] == tag]


def published_records(site_dir: Path) -> list[dict]:
    """Every record of every published segment (and flat run) under *site_dir*, in publication order."""
    out = []
    manifests = sorted(
        manifest_paths(site_dir),
        key=lambda m: (json.loads(m.read_text())["started_at"], m.name),
    )
    for manifest in manifests:
        for entry in json.loads(manifest.read_text())["files"]:
            if entry["format"] == "jsonlines":
                out += read_jsonl(manifest.parent / entry["name"])
    return out


def open_publisher(
    crawler, run_id: str, started: dt.datetime = dt.datetime(2025, 1, 1, tzinfo=dt.UTC), open_spider: bool = True
) -> DatasetPublisher:
    """The crawler's real :class:`DatasetPublisher` for run *run_id*, as a crawl has it
    after ``spider_opened`` (state opened, staging recovered, gate and frontier set)
    when *open_spider*. ``crawler.spider`` must exist (``get_crawler`` builds the
    extensions before any spider)."""
    ctx = run_context(crawler)
    ctx.identity = RunIdentity.for_spider(crawler.spider, crawler.settings, run_id=run_id, started=started)
    publisher = crawler.get_extension(DatasetPublisher)
    if open_spider:
        publisher.spider_opened(crawler.spider)
    return publisher


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == FIELDS, reader.fieldnames
        # Undo the formula neutralisation (newsagg.exporters.csv): exact round trip.
        return [{k: unescape_cell(v) for k, v in row.items()} for row in reader]


def compare_with_truth(items: list[dict], truth: list[dict], groups: list[list[str]]) -> list[str]:
    """Every problem found, field by field (empty list: exact).

    Each truth record must appear exactly once, except that of each
    republication group exactly one member (any) appears. A planted
    near-duplicate pair must be linked exactly once, in either direction
    (the one written later points to the other: see ``align_links``).
    """
    items = align_links(items, truth)
    problems = []
    by_url = {}
    for it in items:
        if it["url"] in by_url:
            problems.append(f"duplicate item {it['url']}")
        by_url[it["url"]] = it
    expected = {t["url"]: t for t in truth}
    grouped = {u for g in groups for u in g}
    for url, item in by_url.items():
        if url not in expected:
            problems.append(f"unexpected item {url}")
            continue
        for f in FIELDS:
            if f in CRAWL_FACTS:  # the WARC tests check warc_record_id and crawled_at
                continue
            if item.get(f) != expected[url].get(f):
                problems.append(f"{url} {f}: got {item.get(f)!r} want {expected[url].get(f)!r}")
    for url in expected:
        if url not in grouped and url not in by_url:
            problems.append(f"missing item {url}")
    for g in groups:
        present = [u for u in g if u in by_url]
        if len(present) != 1:
            problems.append(f"republication group {g}: {len(present)} kept, want 1")
    return problems
