"""Research-grade files: spreadsheet-safe CSV, UTF-8 JSONL, typed Parquet, and
file names that page content cannot steer."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import pytest_twisted
import scrapy
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from newsagg.exporters.csv import FORMULA_CHARS, SafeCsvItemExporter, neutralize_cell, unescape_cell
from newsagg.exporters.parquet import ParquetItemExporter, parquet_schema
from newsagg.items import FIELDS, SCHEMA_VERSION, ArticleItem
from newsagg.run import UnsafeName, dataset_stem, run_context, run_tag, safe_slug
from tests.crawling import SPIDERS, project_settings

TRICKY = [
    '=HYPERLINK("http://evil","x")',
    "+33 1 23",
    "-5 %",
    "@SUM(A1)",
    "\tTab",
    "\rCR",
    "'=already",
    "''+twice",
    "'plain quote",
    "normal",
    "",
    "ligne 1\nligne 2",
    'des "guillemets", et, virgules',
    "é ü ‘’ «»",
]


def item(i: int, **kw) -> ArticleItem:
    base = dict(
        url=f"http://x/fr/h24info/{i}",
        site="maghress",
        source_slug="h24info",
        source="H24 Info",
        article_id=str(i),
        title=f"Titre {i}",
        published_at="2024-03-10T08:15:00+01:00",
        published_raw="10 - 03 - 2024 à 08h15",
        body="Un.\n\nDeux.",
        original_url=None,
        word_count=2,
        crawled_at="2025-01-01T00:00:00+00:00",
        fingerprint=f"fp{i}",
    )
    base.update(kw)
    return ArticleItem(**base)


def export(cls, items, fields=FIELDS, **settings) -> bytes:
    crawler = get_crawler(settings_dict={"FEED_EXPORT_ENCODING": "utf-8", **settings})
    buf = io.BytesIO()
    exporter = build_from_crawler(cls, crawler, buf, fields_to_export=fields, encoding="utf-8")
    exporter.start_exporting()
    for it in items:
        exporter.export_item(it)
    exporter.finish_exporting()
    return buf.getvalue()


# --- CSV ----------------------------------------------------------------------------


def test_formula_rule_is_one_apostrophe_and_reversible():
    for text in TRICKY:
        out = neutralize_cell(text)
        starts_formula = text.lstrip("'").startswith(FORMULA_CHARS)
        assert out == ("'" + text if starts_formula else text)
        assert unescape_cell(out) == text
    assert neutralize_cell(-5) == -5 and neutralize_cell(None) is None  # only text


def test_csv_neutralises_and_reads_back_with_csv_and_arrow():
    items = [item(i, title=t, body=t or None, source=t) for i, t in enumerate(TRICKY)]
    raw = export(SafeCsvItemExporter, items)
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert list(rows[0]) == FIELDS
    for it, row in zip(items, rows, strict=False):
        for f in FIELDS:
            want = "" if getattr(it, f) is None else str(getattr(it, f))
            assert unescape_cell(row[f]) == want, (f, row[f])
            # What a spreadsheet sees: never a formula.
            assert not row[f].startswith(FORMULA_CHARS), (f, row[f])
    # Arrow (the engine pandas can use) reads the same cells, newlines and quotes included.
    table = pacsv.read_csv(
        io.BytesIO(raw),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types={f: "string" for f in FIELDS}, strings_can_be_null=False),
    )
    assert table.column("title").to_pylist() == [r["title"] for r in rows]


def test_csv_bom_header_only_and_switch_off():
    raw = export(SafeCsvItemExporter, [], NEWSAGG_CSV_BOM=True)
    assert raw.decode("utf-8") == "\ufeff" + ",".join(FIELDS) + "\r\n", "an empty run: BOM + header"
    raw = export(SafeCsvItemExporter, [item(1, title="=1+1")], NEWSAGG_CSV_NEUTRALIZE=False)
    assert next(iter(csv.DictReader(io.StringIO(raw.decode(), newline=""))))["title"] == "=1+1"


@pytest.mark.parametrize("fields", [None, {"url": "URL", "title": "Titre"}], ids=["autodetected", "renamed"])
def test_csv_header_once_whatever_the_fields(fields):
    crawler = get_crawler(settings_dict={"FEED_EXPORT_ENCODING": "utf-8"})
    buf = io.BytesIO()
    exporter = build_from_crawler(SafeCsvItemExporter, crawler, buf, fields_to_export=fields, encoding="utf-8")
    exporter.start_exporting()
    for i in (1, 2):
        exporter.export_item(item(i, title=f"-{i}"))
    exporter.finish_exporting()
    rows = list(csv.reader(io.StringIO(buf.getvalue().decode("utf-8"), newline="")))
    assert rows[0] == (FIELDS if fields is None else ["URL", "Titre"])
    assert len(rows) == 3 and [r[rows[0].index("Titre" if fields else "title")] for r in rows[1:]] == ["'-1", "'-2"]


@pytest.mark.parametrize("neutralize", [True, False])
def test_csv_fast_rows_equal_scrapys_generic_rows(neutralize):
    """SafeCsvItemExporter's ArticleItem shortcut writes what Scrapy's generic path writes (a dict item)."""
    import dataclasses

    cells = ['=HYPERLINK("x")', "+33", "'-5", "ligne 1\nligne 2", 'des "guillemets", et', "é «»", "", None]
    items = [item(n, title=c, body=c, source=c, author=c, word_count=n) for n, c in enumerate(cells)]
    listed = item(99)
    listed.title, listed.near_duplicate_of = ["a", "=b"], ("x", "y")  # lists are joined, then neutralised
    items.append(listed)
    for fields in (FIELDS, ["title", "url", "word_count"]):
        rows = [dataclasses.asdict(it) for it in items]
        fast = export(SafeCsvItemExporter, items, fields, NEWSAGG_CSV_NEUTRALIZE=neutralize)
        assert fast == export(SafeCsvItemExporter, rows, fields, NEWSAGG_CSV_NEUTRALIZE=neutralize)


def test_csv_is_the_registered_exporter():
    exporters = get_crawler(settings_dict=project_settings()).settings.getwithbase("FEED_EXPORTERS")
    assert exporters["csv"] == "newsagg.exporters.csv.SafeCsvItemExporter"
    assert exporters["parquet"] == "newsagg.exporters.parquet.ParquetItemExporter"


# --- JSONL and Parquet from a real crawl ---------------------------------------------


@pytest_twisted.ensureDeferred
async def test_jsonl_is_utf8_unescaped_and_parquet_typed(make_replica, tmp_path):
    site = make_replica(n_articles=40, seed=4)
    pq_path = tmp_path / "out.parquet"
    feeds = {
        str(tmp_path / "out.jsonl"): {"format": "jsonlines"},
        str(pq_path): {"format": "parquet", "item_export_kwargs": {"row_group_size": 7}},
    }
    crawler = get_crawler(SPIDERS["maghress"], project_settings(FEEDS=feeds))
    await crawler.crawl(base_url=site.base_url)
    raw = (tmp_path / "out.jsonl").read_bytes()
    assert "é".encode() in raw and b"\\u00" not in raw, "UTF-8, not \\u escapes"
    lines = raw.decode("utf-8").splitlines()
    items = [json.loads(line) for line in lines]
    assert all(list(i) == FIELDS for i in items) and len(items) > 20

    pf = pq.ParquetFile(pq_path)
    assert pf.num_row_groups == -(-len(items) // 7), "row groups of row_group_size rows"
    assert pf.schema_arrow.metadata[b"newsagg.schema_version"] == str(SCHEMA_VERSION).encode()
    table = pf.read()
    assert table.schema.equals(parquet_schema(), check_metadata=False)
    assert str(table.schema.field("word_count").type) == "int32"
    rows = {r["url"]: r for r in table.to_pylist()}
    for it in items:
        row = rows[it["url"]]
        for f in FIELDS:
            if f == "crawled_at":
                assert row[f].isoformat() == it[f]
            else:
                assert row[f] == it[f], f
        at = it["published_at"]
        assert row["published_date"] == (None if at is None else dt.date.fromisoformat(at[:10]))
        if at and "T" in at:
            assert row["published_ts"] == dt.datetime.fromisoformat(at)
        else:
            assert row["published_ts"] is None, "no invented midnight"
    assert any(r["published_ts"] for r in rows.values()) and any(
        r["published_date"] and not r["published_ts"] for r in rows.values()
    )


def test_parquet_memory_is_bounded_by_row_groups(tmp_path):
    with (tmp_path / "x.parquet").open("wb") as fh:
        exporter = ParquetItemExporter(fh, row_group_size=5, fields_to_export=FIELDS)
        exporter.start_exporting()
        for i in range(12):
            exporter.export_item(item(i))
            assert exporter._rows < 5  # written as soon as a group is full
        exporter.finish_exporting()
    assert pq.ParquetFile(tmp_path / "x.parquet").metadata.num_rows == 12


# --- names: validated slugs only ---------------------------------------------------------


_EDGE_PUBLISHED = [
    None,
    "",
    "2024-02-29",
    "1900-01-01T12:00:00-00:30",
    "2024-12-18T00:30:00+01:00",
    "2024-12-18T00:30:00",
    "pas une date",
    "2024-13-01",
    "0001-01-01",
    "9999-12-31T23:59:59+14:00",
]
_EDGE_CRAWLED = [None, "2026-01-01T00:00:00", "2026-01-01T00:00:00Z", "1969-12-31T23:59:59.999+00:00"]


def test_parquet_feed_rows_equal_the_release_conversion():
    """The feed's JSON-lines path (no Python-object conversion) gives exactly the
    table the release builds with ``append_row`` + ``Table.from_pydict``, on edge
    values: dates before 1970 or at year 9999, naive or odd instants, long text,
    quotes, control characters."""
    import pyarrow as pa

    from newsagg.exporters.parquet import append_row

    base = {f: f"{f} é" for f in FIELDS} | {"word_count": 3, "crawled_at": "2026-01-01T00:00:00+00:00"}
    recs = [base | {"published_at": p} for p in _EDGE_PUBLISHED] + [base | {"crawled_at": c} for c in _EDGE_CRAWLED]
    recs.append(base | {"word_count": None, "title": "x" * 2_000_000, "author": 'q " \\ \n \t \x00 😀', "body": None})
    buf = io.BytesIO()
    exporter = ParquetItemExporter(buf, row_group_size=4, fields_to_export=FIELDS)
    exporter.start_exporting()
    for rec in recs:
        exporter.export_item(rec)
    exporter.finish_exporting()
    cols = {f.name: [] for f in parquet_schema(FIELDS)}
    for rec in recs:
        append_row(cols, rec.get, FIELDS)
    expected = pa.Table.from_pydict(cols, schema=parquet_schema(FIELDS))
    got = pq.read_table(io.BytesIO(buf.getvalue()))
    assert got.schema.equals(expected.schema, check_metadata=True)
    assert got.equals(expected)


def test_parquet_feed_does_not_import_pandas(tmp_path):
    """A crawl process writing Parquet does not pay pandas' ~40 MB (pyarrow imports
    it on its first Python-object conversion)."""
    import subprocess
    import sys

    code = (
        "import sys, io\n"
        "from newsagg.exporters.parquet import ParquetItemExporter\n"
        "from newsagg.items import FIELDS\n"
        "e = ParquetItemExporter(io.BytesIO(), row_group_size=2, fields_to_export=FIELDS)\n"
        "e.start_exporting()\n"
        "[e.export_item({'url': str(i), 'published_at': '2024-01-01', 'word_count': 1}) for i in range(5)]\n"
        "e.finish_exporting()\n"
        "assert 'pandas' not in sys.modules, 'pandas imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


@pytest.mark.parametrize("bad", ["../../etc", "..", "a/b", "H24", "", "x y", "lematin\x00", "lematin\n", None, 3])
def test_bad_slugs_never_reach_a_name(bad):
    with pytest.raises(UnsafeName):
        safe_slug(bad)
    with pytest.raises(UnsafeName):
        dataset_stem("maghress", "20250101T000000Z", "abcdef12", "" if bad is None else bad)
    with pytest.raises(UnsafeName):
        dataset_stem(bad, "20250101T000000Z", "abcdef12")


def test_run_tag_is_safe_for_any_job_id():
    assert run_tag("6487ec79947edab326d6db28a2d86511") == "6487ec79"  # Scrapyd's uuid1 hex
    for job in ["../../etc/passwd", "a/b", "x" * 300, "ÉTÉ"]:
        tag = run_tag(job)
        assert len(tag) == 8 and tag.isalnum() and tag.islower()


def test_segment_names_refuse_a_crafted_source(tmp_path):
    from newsagg.spiders.maghress import MaghressSpider

    crawler = get_crawler(
        MaghressSpider, {"NEWSAGG_DATA_DIR": str(tmp_path), "EXTENSIONS": {"newsagg.run.RunContext": 0}}
    )  # the run's identity
    crawler.spider = MaghressSpider.from_crawler(crawler)
    run = run_context(crawler).identity
    assert run.stem("h24info", segment=3) == f"maghress-h24info-{run.stamp}-{run.tag}-0003"
    for bad in ("../../etc", "H24", ""):
        with pytest.raises(UnsafeName):
            run.stem(bad, segment=1)
    for bad in (0, -1, "1", 10**8):
        with pytest.raises(UnsafeName):
            run.stem(segment=bad)


class EvilSpider(scrapy.Spider):
    """Yields items as if a page had declared a path as its source slug."""

    name = "maghress"
    site = "maghress"

    async def start(self):
        yield item(1, source_slug="../../etc", url="http://x/fr/evil/1", fingerprint="e1")
        yield item(2, fingerprint="ok2")


@pytest.mark.parametrize("pipelines", ["project", "none"])
@pytest_twisted.ensureDeferred
async def test_malicious_slug_from_a_page_is_dropped_or_rejected(tmp_path, pipelines):
    settings = project_settings(NEWSAGG_DATA_DIR=str(tmp_path), NEWSAGG_SPLIT_BY_SOURCE=True)
    if pipelines == "none":  # the exporter's own check, behind the pipeline's
        settings["ITEM_PIPELINES"] = {}
    crawler = get_crawler(EvilSpider, settings)
    await crawler.crawl()
    stats = crawler.stats.get_stats()
    if pipelines == "project":
        assert stats["newsagg/items_dropped/invalid_slug"] == 1
    else:
        assert stats["newsagg/feeds/rejected_slug"] == 1
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert all(p.startswith(("maghress/maghress-", "state/")) for p in written), written
    data = [p.rsplit("/", 1)[1] for p in written if p.endswith((".csv", ".jsonl", ".parquet"))]
    assert data and all(name.startswith("maghress-h24info-") for name in data), data
    assert not [p for p in written if "etc" in p or p.endswith(".part")]
    assert not (Path(tmp_path).parent / "etc").exists()
    rows = [json.loads(line) for p in (tmp_path / "maghress").rglob("*.jsonl") for line in p.read_text().splitlines()]
    assert [r["source_slug"] for r in rows] == ["h24info"]


# --- which runs are dataset runs -------------------------------------------------------------


@pytest.mark.parametrize(
    "feeds, job, dataset",
    [
        ({}, None, True),  # scrapy crawl maghress
        ({"out.jsonl": {"format": "jsonlines"}}, None, False),  # -O out.jsonl: a one-off file
        ({"file:///var/lib/scrapyd/items/newsagg/maghress/j1.jl": {"format": "jsonlines"}}, "j1", True),  # Scrapyd
    ],
)
def test_dataset_runs_are_plain_crawls_and_scrapyd_jobs(feeds, job, dataset):
    from newsagg.profiles import is_dataset_run
    from newsagg.spiders.maghress import MaghressSpider

    crawler = get_crawler(MaghressSpider, project_settings(FEEDS=feeds))
    crawler.spider = MaghressSpider.from_crawler(crawler, **({"_job": job} if job else {}))
    assert is_dataset_run(crawler) is dataset
