"""Incremental runs in-process: the real spider, pipelines and dataset feeds
against a real replica, run after run on one data directory."""

from __future__ import annotations

import json

import pytest_twisted
from scrapy.settings import Settings

from newsagg.exporters.parquet import ParquetItemExporter
from newsagg.replica import Corpus, FaultPlan, expected_records
from newsagg.state import open_state
from tests.crawling import compare_with_truth, crawl_dataset, project_settings


def swap_edition(handle, edition: int):
    """The same site later, on the same port (the server serves the new corpus)."""
    c = handle.corpus
    new = Corpus(c.site, n_articles=c.n_articles, seed=c.seed, edition=edition, per_page=c.per_page)
    handle.server.corpus, handle.server.faults = new, FaultPlan.default(new)
    handle.server.reset_state()
    return new


@pytest_twisted.ensureDeferred
async def test_runs_add_only_what_is_new_and_full_refreshes(make_replica, tmp_path):
    site = make_replica(n_articles=120, seed=17)
    data = tmp_path / "data"

    first = await crawl_dataset("maghress", data, base_url=site.base_url)
    problems = compare_with_truth(first.items, site.truth, site.republication_groups)
    assert not problems, "\n".join(problems[:30])
    assert first.stats["newsagg/state/committed"] == len(first.items)
    pages = [site.corpus.listing_page_count(s.slug) for s in site.corpus.sources]
    n_sources = len(pages)

    # No news: listings page 1 only (each holds only stored articles), no article page.
    quiet = await crawl_dataset("maghress", data, base_url=site.base_url)
    assert quiet.items == [] and quiet.csv_rows == []
    assert quiet.stats["newsagg/listings/stopped_known"] == sum(p > 1 for p in pages)
    assert quiet.stats["newsagg/pages/listing"] == n_sources
    assert quiet.stats.get("newsagg/pages/article", 0) <= 2  # at most dead links: the republications are known
    assert quiet.stats["newsagg/skipped/already_stored"] > 0
    # No record, no empty data file: the run is recorded by its manifest (and the WARC of its listings).
    assert sorted(quiet.files) == ["manifest.json", "warc.gz"]
    assert json.loads(quiet.files["manifest.json"].read_text())["items_written"] == 0

    # The site publishes: exactly the new articles.
    ed2 = swap_edition(site, 2)
    truth2 = expected_records(ed2, site.base_url)
    new = [t for t in truth2 if t["url"] not in {r["url"] for r in site.truth}]
    later = await crawl_dataset("maghress", data, base_url=site.base_url)
    problems = compare_with_truth(later.items, new, [])
    assert not problems, "\n".join(problems[:30])
    assert len(later.items) == len(new) >= 8

    # full=1: everything again, nothing skipped, the state refreshed (not grown).
    state = open_state(Settings({"NEWSAGG_STATE_DIR": str(data / "state")}), "maghress")
    known = state.count()
    state.close()
    full = await crawl_dataset("maghress", data, base_url=site.base_url, full="1")
    problems = compare_with_truth(full.items, truth2, site.republication_groups)
    assert not problems, "\n".join(problems[:30])
    assert "newsagg/skipped/already_stored" not in full.stats
    assert "newsagg/listings/stopped_known" not in full.stats
    assert json.loads(full.files["manifest.json"].read_text())["state"]["full"] is True
    state = open_state(Settings({"NEWSAGG_STATE_DIR": str(data / "state")}), "maghress")
    try:
        assert state.count() == known
    finally:
        state.close()


@pytest_twisted.ensureDeferred
async def test_second_run_of_a_site_stops_with_state_locked(make_replica, tmp_path):
    site = make_replica(n_articles=30, seed=2)
    data = tmp_path / "data"
    holder = open_state(Settings({"NEWSAGG_STATE_DIR": str(data / "state")}), "maghress")  # "the running one"
    try:
        result = await crawl_dataset("maghress", data, base_url=site.base_url)
    finally:
        holder.close()
    assert result.stats["finish_reason"] == "state_locked"
    assert result.stats.get("item_scraped_count", 0) == 0
    assert result.stats.get("downloader/request_count", 0) == 0
    assert not result.files and not (data / "maghress").exists(), "nothing left behind"
    # The lock is free again: a normal run works.
    again = await crawl_dataset("maghress", data, base_url=site.base_url)
    assert again.stats["finish_reason"] == "finished" and again.items


@pytest_twisted.ensureDeferred
async def test_split_by_source_names_files_by_source(make_replica, tmp_path):
    site = make_replica(n_articles=40, seed=9)
    data = tmp_path / "data"
    result = await crawl_dataset("maghress", data, {"NEWSAGG_SPLIT_BY_SOURCE": True}, base_url=site.base_url)
    manifest = json.loads(result.files["manifest.json"].read_text())
    jsonl = [f for f in manifest["files"] if f["format"] == "jsonlines"]
    assert {f["source"] for f in jsonl} == {t["source_slug"] for t in site.truth}
    items = []
    (segment,) = result.segments
    for f in jsonl:
        assert f["name"].startswith(f"maghress-{f['source']}-") and f["name"].endswith("-0001.jsonl")
        assert "/" not in f["name"]
        rows = [json.loads(line) for line in (segment / f["name"]).read_text().splitlines()]
        assert {r["source_slug"] for r in rows} == {f["source"]} and len(rows) == f["rows"]
        items += rows
    problems = compare_with_truth(items, site.truth, site.republication_groups)
    assert not problems, "\n".join(problems[:30])
    assert sum(manifest["per_source"].values()) == len(items) == manifest["items_written"]


class BrokenExporter(ParquetItemExporter):
    """A data file that fails while closing (disk full, a bug...)."""

    def finish_exporting(self):
        raise OSError(28, "No space left on device (simulated)")


@pytest_twisted.ensureDeferred
async def test_a_failed_file_commits_nothing(make_replica, tmp_path):
    site = make_replica(n_articles=30, seed=6)
    data = tmp_path / "data"
    exporters = dict(project_settings()["FEED_EXPORTERS"], parquet="tests.test_state_crawl.BrokenExporter")
    failed = await crawl_dataset("maghress", data, {"FEED_EXPORTERS": exporters}, base_url=site.base_url)
    assert failed.stats.get("item_scraped_count", 0) > 0
    assert failed.stats["newsagg/segments/failed"] == 1 and "newsagg/state/committed" not in failed.stats
    assert not failed.files and not [p for p in data.rglob("*") if p.suffix in (".part", ".csv", ".jsonl")]
    # Nothing was marked stored: the next run emits every article.
    again = await crawl_dataset("maghress", data, base_url=site.base_url)
    problems = compare_with_truth(again.items, site.truth, site.republication_groups)
    assert not problems, "\n".join(problems[:30])


@pytest_twisted.ensureDeferred
async def test_interrupted_run_hands_over_to_the_next(make_replica, tmp_path):
    """A run stopped early (here CLOSESPIDER_ITEMCOUNT, as a SIGINT would) publishes
    what it wrote and leaves its walks' cursors and pending links; the next run
    resumes them (no page 1 walk to the end again) and fetches what is left:
    together they hold the ground truth exactly once."""
    site = make_replica(n_articles=120, seed=17)
    data = tmp_path / "data"
    first = await crawl_dataset(
        "maghress", data, {"CLOSESPIDER_ITEMCOUNT": 90, "CONCURRENT_REQUESTS": 2}, base_url=site.base_url
    )
    assert first.stats["finish_reason"] == "closespider_itemcount"
    assert 90 <= len(first.items) < len(site.truth)
    state = open_state(Settings({"NEWSAGG_STATE_DIR": str(data / "state")}), "maghress")
    try:
        walks, pending = state.frontier().walks(), state.frontier().pending_entries()
    finally:
        state.close()
    assert walks and pending, "the stopped run left cursors and requested links"

    second = await crawl_dataset("maghress", data, base_url=site.base_url)
    assert second.stats["newsagg/listings/resumed"] == len(walks)
    problems = compare_with_truth(first.items + second.items, site.truth, site.republication_groups)
    assert not problems, "\n".join(problems[:30])

    quiet = await crawl_dataset("maghress", data, base_url=site.base_url)  # all walked: page 1 and stop
    assert quiet.items == [] and "newsagg/listings/resumed" not in quiet.stats
    assert quiet.stats["newsagg/listings/stopped_known"] > 0


@pytest_twisted.ensureDeferred
async def test_listing_ceiling_hands_the_rest_to_the_next_run(make_replica, tmp_path):
    """NEWSAGG_MAX_LISTING_PAGES bounds a run's share of each listing (counted); the
    walk keeps its cursor, the next run goes on from there and reads nothing twice."""
    site = make_replica(n_articles=200, seed=12)
    data = tmp_path / "data"
    first = await crawl_dataset("maghress", data, {"NEWSAGG_MAX_LISTING_PAGES": 2}, base_url=site.base_url)
    pages = {s.slug: site.corpus.listing_page_count(s.slug) for s in site.corpus.sources}
    long = [slug for slug, n in pages.items() if n > 2]
    assert long and first.stats["newsagg/listings/stopped_ceiling"] == len(long)
    state = open_state(Settings({"NEWSAGG_STATE_DIR": str(data / "state")}), "maghress")
    try:
        walks = {w.slug: w.next_page for w in state.frontier().walks()}
    finally:
        state.close()
    assert walks == dict.fromkeys(long, 3)
    second = await crawl_dataset("maghress", data, base_url=site.base_url)
    assert second.stats["newsagg/listings/resumed"] == len(long)
    problems = compare_with_truth(first.items + second.items, site.truth, site.republication_groups)
    assert not problems, "\n".join(problems[:30])
