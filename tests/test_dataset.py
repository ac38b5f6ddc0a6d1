"""The consolidated release (newsagg dataset build): real nightly runs of the
real spider against the replica, the release read back with pandas, pyarrow,
DuckDB and Hugging Face ``datasets`` and compared with the ground truth."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import struct
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
import pytest_twisted
import yaml

from newsagg.cli import main as cli_main
from newsagg.dataset import card as dataset_card
from newsagg.dataset import coverage
from newsagg.dataset.provenance import run_provenance
from newsagg.dataset.release import STATE_FILE, build_release, write_release
from newsagg.dataset.writers import year_of
from newsagg.items import FIELDS
from newsagg.layout import STAGING, manifest_paths
from newsagg.replica import Corpus, expected_records, republication_groups
from tests.crawling import compare_with_truth, crawl_dataset
from tests.test_state_crawl import swap_edition


def tree(root: Path) -> dict[str, bytes]:
    """Every file under *root* by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def clean(rows: list[dict]) -> list[dict]:
    """Reader rows as records: the record fields, NaN/NA as None."""
    out = []
    for row in rows:
        rec = {}
        for f in FIELDS:
            v = row.get(f)
            rec[f] = None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else v
        rec["word_count"] = int(rec["word_count"])
        out.append(rec)
    return out


def read_pyarrow(release: Path) -> list[dict]:
    return pq.read_table(release / "data").to_pylist()


def read_pandas(release: Path) -> list[dict]:
    df = pd.read_parquet(release / "data")
    return df.astype(object).where(df.notna(), None).to_dict("records")


def read_duckdb(release: Path) -> list[dict]:
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{release}/data/year=*/*.parquet', hive_partitioning = true)")
    return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]


def read_hf(release: Path, cache: Path) -> list[dict]:
    """Through the card's ``configs`` (the release directory as a dataset repo)."""
    from datasets import load_dataset

    return load_dataset(str(release), split="train", cache_dir=str(cache)).to_list()


def read_hf_parquet(release: Path, cache: Path) -> list[dict]:
    """The packaged Parquet builder on the data directory."""
    from datasets import load_dataset

    return load_dataset("parquet", data_dir=str(release / "data"), split="train", cache_dir=str(cache)).to_list()


def card_parts(release: Path) -> tuple[dict, str]:
    text = (release / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def counts_table(body: str) -> dict[str, list[str]]:
    """The counts table of the card: row label -> cells."""
    section = body.split("## Counts", 1)[1].split("## Coverage gaps", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest_twisted.ensureDeferred
async def test_three_nightly_runs_make_one_release_read_back_exactly(make_replica, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    site = make_replica(n_articles=150, seed=29)
    data = tmp_path / "data"
    first = await crawl_dataset("maghress", data, base_url=site.base_url)
    second = await crawl_dataset("maghress", data, base_url=site.base_url)  # the next night: nothing new
    assert first.items and second.items == []
    inc = tmp_path / "inc"
    early = build_release("maghress", data, inc, csv=True, jsonl=True)
    assert early["records"] == len(first.items) and not early["incremental"] and not early["refused"]

    # The third night, on a later edition of the site.
    ed2 = swap_edition(site, 2)
    truth2 = expected_records(ed2, site.base_url)
    third = await crawl_dataset("maghress", data, base_url=site.base_url)
    seen = {t["url"] for t in site.truth}
    new = [t for t in truth2 if t["url"] not in seen]
    assert len(third.items) == len(new) > 0

    later = build_release("maghress", data, inc, csv=True, jsonl=True)
    assert later["incremental"]
    assert later["records_added"] == len(third.items) and len(later["runs_added"]) == 1
    years = sorted({year_of(r) for r in third.items}, key=lambda y: (y is None, y or 0))  # undated last
    assert later["years_written"] == [str(y or 0) for y in years]
    fresh = tmp_path / "fresh"
    whole = build_release("maghress", data, fresh, csv=True, jsonl=True)
    assert not whole["incremental"] and [r["name"] for r in whole["runs"]] == [r["name"] for r in later["runs"]]
    # Byte for byte: the writers and the card are deterministic, the rows in the same order.
    assert tree(inc) == tree(fresh)
    # Rebuilding with nothing new changes nothing.
    again = build_release("maghress", data, inc, csv=True, jsonl=True)
    assert again["incremental"] and again["records_added"] == 0 and tree(inc) == tree(fresh)
    # A year file changed behind the build's back: not built upon, the release rebuilt fresh.
    victim = next((inc / "data").glob("year=*/part-0.parquet"))
    victim.write_bytes(b"PAR1 not the file the build wrote")
    repaired = build_release("maghress", data, inc, csv=True, jsonl=True)
    assert not repaired["incremental"] and tree(inc) == tree(fresh)

    expected = site.truth + new
    n = len(first.items) + len(third.items)
    assert whole["records"] == n
    readers = {
        "pyarrow": read_pyarrow(fresh),
        "pandas": read_pandas(fresh),
        "duckdb": read_duckdb(fresh),
        "datasets": read_hf(fresh, tmp_path / "hf-cache"),
        "datasets parquet": read_hf_parquet(fresh, tmp_path / "hf-cache2"),
    }
    for name, rows in readers.items():
        assert len(rows) == n, name
        problems = compare_with_truth(clean(rows), expected, site.republication_groups)
        assert not problems, name + ":\n" + "\n".join(problems[:30])
    for row in readers["pyarrow"] + readers["duckdb"]:
        assert row["year"] == (int(row["published_at"][:4]) if row["published_at"] else 0)
        assert row["published_date"] == (
            dt.date.fromisoformat(row["published_at"][:10]) if row["published_at"] else None
        )
    flat = [json.loads(line) for line in (fresh / "maghress.jsonl").read_text(encoding="utf-8").splitlines()]
    assert not compare_with_truth(flat, expected, site.republication_groups)
    assert {r["url"]: r["crawled_at"] for r in flat} == {r["url"]: r["crawled_at"] for r in first.items + third.items}
    assert (fresh / "maghress.csv").read_text(encoding="utf-8").splitlines()[0] == ",".join(FIELDS)

    # The card: valid front matter, counts that match the records.
    front, body = card_parts(fresh)
    kept = Counter(r["language"] for r in flat)  # the replica writes English and Spanish articles too
    assert len(kept) > 1 and front["language"] == [c for c, _ in sorted(kept.items(), key=lambda cn: (-cn[1], cn[0]))]
    assert front["license"] == "other" and front["pretty_name"]
    assert front["size_categories"] == ["n<1K"]
    assert front["configs"][0]["data_files"][0]["path"] == "data/year=*/*.parquet"
    table = counts_table(body)
    header = table.pop("source")
    per_source = Counter(t["source_slug"] for t in expected if t["url"] in {r["url"] for r in flat})
    per_year = Counter(str(year_of(r)) if year_of(r) else "undated" for r in flat)
    assert table.pop("**all**")[-1] == str(n)
    assert {re.search(r"`(.+)`", k).group(1): int(v[-1]) for k, v in table.items()} == dict(per_source)
    years = header[:-1]
    totals = dict(zip(years, [sum(int(v[i]) for v in table.values()) for i in range(len(years))], strict=True))
    assert totals == dict(per_year)
    dates = sorted(r["published_at"][:10] for r in flat if r["published_at"])
    assert f"First publication date: {dates[0]}. Last publication date: {dates[-1]}." in body
    assert "Morocco" in body and "Africa/Casablanca" in body and "sha256:" in body
    for run in whole["runs"]:
        assert run["name"] in body
        assert (run["hosts"], run["live"], run["health"], run["fetched_nothing"]) == (
            [site.base_url.split("://", 1)[1]],
            False,
            "ok",
            False,
        )
    # Every page came from the loopback replica: the card says so, first thing.
    what = body.split("## What it is", 1)[1].split("##", 1)[0]
    assert "**not from the live site**" in what and site.base_url.split("://", 1)[1] in what
    assert "**local replica or mirror**" in body.split("Runs included", 1)[1].split("## Schema", 1)[0]
    # The card's own loading recipes, run as written on this release.
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-recipe"))
    recipe = body.split("```python\n", 1)[1].split("```", 1)[0].replace("RELEASE_DIR", str(fresh))
    scope: dict = {}
    exec(recipe, scope)
    assert len(scope["df"]) == len(scope["ds"]) == n
    state = json.loads((fresh / STATE_FILE).read_text())
    assert [r["kept"] for r in state["runs"]] == [len(first.items), 0, len(third.items)]

    width, height = png_size(fresh / "coverage.png")
    assert width >= 800 and height >= 300 and (fresh / "coverage.png").stat().st_size > 10_000

    # Tampered runs: one changed byte in a run's JSON lines, another run's Parquet file missing,
    # both records and CSV of the third changed. The first two are read from an intact format
    # (the same release) and named; the third is refused and named.
    bad = tmp_path / "bad"
    shutil.copytree(data, bad)
    run1, run2, run3 = (r["name"] for r in whole["runs"])
    jsonl = next((bad / "maghress").rglob(f"{run1}.jsonl"))  # a segment's directory, or flat
    raw = bytearray(jsonl.read_bytes())
    raw[100] = ord("X") if raw[100] != ord("X") else ord("Y")
    jsonl.write_bytes(bytes(raw))
    next((bad / "maghress").rglob(f"{run2}.warc.gz")).unlink()  # the second night wrote no records, only pages
    out = tmp_path / "bad-release"
    assert cli_main(["dataset", "build", "maghress", "--data-dir", str(bad), "--out", str(out)]) == 0
    state = json.loads((out / STATE_FILE).read_text())
    assert state["refused"] == [] and tree(out / "data") == tree(fresh / "data")
    damaged = {d["run"]: d for d in state["damaged"]}
    assert set(damaged) == {run1, run2} and damaged[run1]["read_from"] == "parquet"
    assert "sha256 differs" in damaged[run1]["damaged"][0] and "missing" in damaged[run2]["damaged"][0]
    for suffix in ("csv", "parquet", "jsonl"):
        path = next((bad / "maghress").rglob(f"{run3}.{suffix}"))
        path.write_bytes(path.read_bytes()[:-10])
    assert cli_main(["dataset", "build", "maghress", "--data-dir", str(bad), "--out", str(out), "--fresh"]) == 1
    state = json.loads((out / STATE_FILE).read_text())
    refused = {r["run"]: r["reason"] for r in state["refused"]}
    assert set(refused) == {run3} and "no intact format holds every record" in refused[run3]
    assert [r["name"] for r in state["runs"]] == [run1, run2] and state["records"] == len(first.items)
    _, body = card_parts(out)
    assert run3 in body.split("Runs refused", 1)[1]


def test_write_release_takes_records_of_other_schemas(tmp_path):
    """Records lacking ``author`` (schema 1) or carrying a field this version
    does not know are written with the current fields; duplicates once."""
    corpus = Corpus("turess", n_articles=40, seed=5)
    base = "http://127.0.0.1:9"
    truth = expected_records(corpus, base)
    records = []
    for i, t in enumerate(truth):
        rec = dict(t, crawled_at="2026-01-02T03:04:05+00:00")
        if i % 2:
            del rec["author"]
        else:
            rec["a_future_field"] = "x"
        records.append(rec)
    summary = write_release(records + records[:3], tmp_path / "r", site="turess", provenance={"source": "test"})
    groups = republication_groups(corpus, base)
    assert summary["dropped"]["duplicate_key"] == 3
    rows = clean(read_pyarrow(tmp_path / "r"))
    assert "a_future_field" not in pq.read_table(tmp_path / "r" / "data").column_names
    by_url = {r["url"]: r for r in rows}
    with_extra = sum(1 for i, t in enumerate(truth) if not i % 2 and t["url"] in by_url)
    assert summary["dropped"]["unknown_field/a_future_field"] == with_extra > 0
    for i, t in enumerate(truth):
        if t["url"] not in by_url:
            assert any(t["url"] in g for g in groups), t["url"]  # the later of a republication pair
            continue
        want = dict(t, author=None) if i % 2 else t
        for f in FIELDS:
            if f != "crawled_at":
                assert by_url[t["url"]][f] == want.get(f), (t["url"], f)
    provenance = json.loads((tmp_path / "r" / STATE_FILE).read_text())["provenance"]
    assert provenance == {"source": "test", "record_hosts": ["127.0.0.1:9"], "live_site": False, "failed_runs": []}
    kept = Counter(r["language"] for r in by_url.values())
    assert card_parts(tmp_path / "r")[0]["language"] == [
        c for c, _ in sorted(kept.items(), key=lambda cn: (-cn[1], cn[0]))
    ]
    png_size(tmp_path / "r" / "coverage.png")


D = dt.date(2025, 3, 1)


def days(*offsets: int) -> Counter:
    return Counter({D + dt.timedelta(o): 1 for o in offsets})


@pytest.mark.parametrize(
    ("published", "usual", "gap_offsets"),
    [
        (days(*range(10)), True, []),  # every day: usual, no gap
        (days(*range(10), *range(12, 20)), True, [10, 11]),  # two silent days inside the span
        (days(0, 1, 2, 3, 4, 5, 30), False, []),  # 7 days of 31: no habit, not judged
        (days(0, 2, 4, 6, 8, 10, 12), True, [1, 3, 5, 7, 9, 11]),  # every other day: exactly half
        (days(0, 1, 2, 3, 4, 5), False, []),  # 6 days: too few to judge
    ],
)
def test_coverage_gaps(published, usual, gap_offsets):
    assert coverage.usually_publishes(published) is usual
    found = coverage.gaps({"src": published})
    assert found.get("src", []) == [D + dt.timedelta(o) for o in gap_offsets]
    assert ("src" in found) is usual


def test_gap_ranges():
    assert coverage.ranges([D, D + dt.timedelta(1), D + dt.timedelta(3)]) == [
        (D, D + dt.timedelta(1)),
        (D + dt.timedelta(3), D + dt.timedelta(3)),
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["status", "--help"],
        ["demo", "--help"],
        ["replica", "--help"],
        ["dataset", "--help"],
        ["dataset", "build", "--help"],
        ["distributed", "--help"],
        ["distributed", "merge", "--help"],
    ],
)
def test_every_subcommand_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main(argv)
    assert exc.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_dataset_build_without_runs_says_so(tmp_path, capsys):
    (tmp_path / "data" / "maghress").mkdir(parents=True)
    argv = ["dataset", "build", "maghress", "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "r")]
    assert cli_main(argv) == 2
    assert "no verified run of maghress" in capsys.readouterr().err


def test_card_names_the_gaps_of_a_source_that_usually_publishes(tmp_path):
    """Real replica records re-dated densely: one source publishes daily but
    for two days; the card lists those days, the other source is not judged."""
    truth = expected_records(Corpus("djazairess", n_articles=80, seed=8), "http://127.0.0.1:9")
    slugs = sorted({t["source_slug"] for t in truth})
    daily_slug, other = slugs[0], slugs[1]
    records, day = [], 0
    for t in (t for t in truth if t["source_slug"] == daily_slug):
        if day in (5, 6):
            day = 7
        records.append(dict(t, published_at=(D + dt.timedelta(day)).isoformat(), crawled_at=None))
        day += 1
    assert day >= 12
    for n, t in enumerate(t for t in truth if t["source_slug"] == other):
        records.append(dict(t, published_at=(D + dt.timedelta(10 * n)).isoformat(), crawled_at=None))
    write_release(records, tmp_path / "r", site="djazairess", provenance={"source": "test"})
    _, body = card_parts(tmp_path / "r")
    gaps = body.split("## Coverage gaps", 1)[1].split("## Versions", 1)[0]
    assert f"| `{daily_slug}` | 2 | 2025-03-06 to 2025-03-07 |" in gaps
    assert "Not judged (do not usually publish): " in gaps and f"`{other}`" in gaps.split("Not judged", 1)[1]
    assert "Algeria" in body and "Africa/Algiers" in body


# --- provenance: where the runs fetched, with what, and how they went ---------------

LIVE = "https://www.maghress.com"
SETTINGS_USED = {"DOWNLOAD_DELAY": 1.0, "CONCURRENT_REQUESTS_PER_DOMAIN": 2, "AUTOTHROTTLE_ENABLED": True}


def checks(*failed: str) -> dict:
    names = ["pages_no_record", "failed_pages", "missing_dates"]
    return {
        "status": "failed" if failed else "ok",
        "checks": [
            {
                "name": n,
                "ok": n not in failed,
                "value": 1.0 if n in failed else 0.0,
                "threshold": 0.1,
                "message": f"{n} msg",
            }
            for n in names
        ],
    }


def write_run(
    data: Path, stamp: str, records: list[dict], *, base_url: str, fetch=None, health=None, responses=None
) -> str:
    """A committed run as the crawl leaves it (manifest v1 without ``fetch``, or with it):
    its JSONL, a WARC entry when *responses* is given, sha256 and sizes as the commit writes them."""
    site_dir = data / "maghress"
    site_dir.mkdir(parents=True, exist_ok=True)
    name = f"maghress-{stamp}-{stamp[-4:].lower()}"
    jsonl = site_dir / f"{name}.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    files = [{"name": jsonl.name, "format": "jsonlines", "source": None, "rows": len(records)}]
    if responses is not None:
        warc = site_dir / f"{name}.warc.gz"
        warc.write_bytes(b"warc bytes of the test")
        files.append({"name": warc.name, "format": "warc", "source": None, "records": 1, "responses": responses})
    for entry in files:
        path = site_dir / entry["name"]
        entry.update(bytes=path.stat().st_size, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    started = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC).isoformat()
    manifest = {
        "manifest_version": 2 if fetch else 1,
        "site": "maghress",
        "arguments": {"base_url": base_url},
        "started_at": started,
        "finished_at": started,
        "finish_reason": "finished",
        "items_written": len(records),
        "files": files,
        "health": health,
        **({"fetch": fetch} if fetch else {}),
    }
    (site_dir / f"{name}.manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return name


def records_on(base_url: str, n: int, seed: int) -> list[dict]:
    """*n* replica records on *base_url*, no two with the same content (a release keeps each once)."""
    truth = expected_records(Corpus("maghress", n_articles=2 * n + 12, seed=seed), base_url)
    unique = {t["fingerprint"]: t for t in reversed(truth)}
    return [dict(t, crawled_at="2025-06-01T00:00:00+00:00") for t in truth if unique[t["fingerprint"]] is t][:n]


@pytest.mark.parametrize(
    ("manifest", "want"),
    [
        # A manifest without a fetch block: the base_url argument is the host.
        (
            {"arguments": {"base_url": "http://127.0.0.1:8000"}, "health": checks()},
            {"hosts": ["127.0.0.1:8000"], "live": False, "fetch_settings": None, "health": "ok"},
        ),
        (
            {"arguments": {"base_url": "https://maghress.com"}, "health": checks()},
            {"hosts": ["maghress.com"], "live": True, "fetch_settings": None, "health": "ok"},
        ),
        # The fetch block as written: hosts, local, the settings used.
        (
            {
                "arguments": {"base_url": "http://127.0.0.1:8000"},
                "fetch": {"base_url": LIVE, "hosts": ["www.maghress.com"], "local": False, "settings": SETTINGS_USED},
            },
            {"hosts": ["www.maghress.com"], "live": True, "fetch_settings": SETTINGS_USED, "health": None},
        ),
        # A mirror named like the site but marked local, or on another host: not the live site.
        (
            {"fetch": {"base_url": LIVE, "hosts": ["www.maghress.com"], "local": True, "settings": {}}},
            {"hosts": ["www.maghress.com"], "live": False, "fetch_settings": {}, "health": None},
        ),
        (
            {"fetch": {"base_url": "https://mirror.example.org", "hosts": ["mirror.example.org"], "local": False}},
            {"hosts": ["mirror.example.org"], "live": False, "fetch_settings": None, "health": None},
        ),
    ],
)
def test_run_provenance_from_the_manifest(tmp_path, manifest, want):
    path = tmp_path / "m.manifest.json"
    path.write_text(json.dumps({"site": "maghress", "files": [], **manifest}))
    got = run_provenance(path, "maghress")
    assert {k: got[k] for k in want} == want


def test_run_that_fetched_nothing_or_failed_a_check_is_not_a_success(tmp_path):
    path = tmp_path / "m.manifest.json"
    warc = {"name": "x.warc.gz", "format": "warc", "records": 1, "responses": 0}
    path.write_text(json.dumps({"site": "maghress", "files": [warc], "health": checks("failed_pages")}))
    got = run_provenance(path, "maghress")
    assert got["fetched_nothing"] and got["health"] == "failed"
    assert got["failed_checks"] == [{"name": "failed_pages", "message": "failed_pages msg"}]
    path.write_text(json.dumps({"site": "maghress", "files": [dict(warc, responses=3)], "health": checks()}))
    assert not run_provenance(path, "maghress")["fetched_nothing"]


def test_card_and_release_say_where_each_run_fetched_and_which_failed(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "r"
    live_fetch = {"base_url": LIVE, "hosts": ["www.maghress.com"], "local": False, "settings": SETTINGS_USED}
    live = write_run(
        data,
        "20250601T000000Z",
        records_on(LIVE, 20, 41),
        base_url=LIVE,
        fetch=live_fetch,
        health=checks(),
        responses=25,
    )
    replica = write_run(
        data,
        "20250602T000000Z",
        records_on("http://127.0.0.1:8000", 20, 42),
        base_url="http://127.0.0.1:8000",
        health=checks(),
    )
    dead = write_run(
        data,
        "20250603T000000Z",
        [],
        base_url=LIVE,
        fetch=dict(live_fetch, settings={"DOWNLOAD_DELAY": 1.0}),
        health=checks("failed_pages"),
        responses=0,
    )
    assert cli_main(["dataset", "build", "maghress", "--data-dir", str(data), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == [f"release  {out}  (built; 40 record(s) added)", f"card     {out / 'README.md'}"]
    assert "records  40" in printed and "runs     3 included (3 new), 0 refused" in printed
    assert "fetched  from NOT the live site: a local replica or mirror (127.0.0.1:8000, www.maghress.com)" in printed
    assert printed[-1] == f"failed   run {dead}: fetched nothing (no page answered)"

    state = json.loads((out / STATE_FILE).read_text())
    runs = {r["name"]: r for r in state["runs"]}
    assert (runs[live]["live"], runs[live]["fetch_settings"], runs[live]["hosts"]) == (
        True,
        SETTINGS_USED,
        ["www.maghress.com"],
    )
    assert (runs[replica]["live"], runs[replica]["fetch_settings"], runs[replica]["hosts"]) == (
        False,
        None,
        ["127.0.0.1:8000"],
    )
    assert runs[dead]["fetched_nothing"] and runs[dead]["health"] == "failed"
    assert state["provenance"]["live_site"] is False and state["provenance"]["failed_runs"] == [dead]
    assert state["provenance"]["record_hosts"] == ["127.0.0.1:8000", "www.maghress.com"]

    _, body = card_parts(out)
    assert "**not from the live site**" in body.split("## How", 1)[0]
    assert "**Warning: 1 of 3 run(s) failed**" in body.split("## How", 1)[0]
    table = body.split("Runs included", 1)[1].split("Fetch settings", 1)[0]
    rows = {line.split("|")[1].strip(" `"): line for line in table.splitlines() if line.startswith("| `")}
    assert "(live site)" in rows[live] and "| ok |" in rows[live]
    assert "`127.0.0.1:8000` (**local replica or mirror**)" in rows[replica]
    assert "**FAILED**: fetched nothing" in rows[dead]
    settings = body.split("Fetch settings", 1)[1].split("Runs that failed", 1)[0]
    assert (
        f"- `{live}`: `AUTOTHROTTLE_ENABLED` = true, `CONCURRENT_REQUESTS_PER_DOMAIN` = 2, `DOWNLOAD_DELAY` = 1.0."
        in settings
    )
    assert f"- `{replica}`: not recorded." in settings and f"- `{dead}`: `DOWNLOAD_DELAY` = 1.0." in settings
    failed = body.split("Runs that failed (", 1)[1].split("## Schema", 1)[0]
    assert f"`{dead}`: fetched nothing" in failed and "failed\\_pages: failed\\_pages msg" in failed
    assert live not in failed and replica not in failed


def test_card_of_live_runs_names_the_live_site(tmp_path):
    data, out = tmp_path / "data", tmp_path / "r"
    fetch = {"base_url": LIVE, "hosts": ["www.maghress.com"], "local": False, "settings": SETTINGS_USED}
    write_run(data, "20250601T000000Z", records_on(LIVE, 15, 43), base_url=LIVE, fetch=fetch, health=checks())
    build_release("maghress", data, out)
    _, body = card_parts(out)
    what = body.split("## What it is", 1)[1].split("## How", 1)[0]
    assert "from the French section of the press aggregator https://www.maghress.com," in what
    assert "live site**" not in body and "Warning" not in what


def test_release_without_records_points_at_no_data(tmp_path):
    """Only a run that fetched nothing: the card says so and neither its YAML configs
    nor its recipes name a data/ directory that does not exist."""
    data, out = tmp_path / "data", tmp_path / "r"
    dead = write_run(data, "20250603T000000Z", [], base_url=LIVE, health=checks("failed_pages"), responses=0)
    summary = build_release("maghress", data, out)
    assert summary["records"] == 0 and not (out / "data").exists()
    front, body = card_parts(out)
    assert "configs" not in front and front["language"] == []
    assert "RELEASE_DIR" not in body and "there is nothing to load" in body
    assert body.startswith("\n# Maghress") and f"`{dead}`: fetched nothing" in body


def test_card_escapes_page_text_and_counts_languages(tmp_path):
    """A source name holding HTML and Markdown reaches the card as literal text; the YAML
    lists the records' languages (most first) and the card counts them."""
    base = "http://127.0.0.1:9"
    truth = expected_records(Corpus("turess", n_articles=40, seed=6), base)
    hostile = "<img src=x onerror=alert(1)> [click](http://evil.example) | **Lu** _x_ `c`"
    languages = ["fr"] * 20 + ["en"] * 8 + ["es"] * 5 + [None] * 2 + ["ar"] * 5
    records = []
    for t, lang in zip(truth, languages, strict=False):
        rec = dict(t, language=lang, crawled_at=None)
        if t["source_slug"] == truth[0]["source_slug"]:
            rec["source"] = hostile
        records.append(rec)
    write_release(records, tmp_path / "r", site="turess", provenance={"source": "test"})
    front, body = card_parts(tmp_path / "r")
    assert "<img" not in body and not re.search(r"(?<!\\)\[click", body) and "**Lu**" not in body
    escaped = dataset_card.md(hostile)
    assert escaped == (
        "&lt;img src=x onerror=alert(1)&gt; \\[click\\](http://evil.example) \\| \\*\\*Lu\\*\\* \\_x\\_ \\`c\\`"
    )
    assert f"{escaped} (`{truth[0]['source_slug']}`)" in body
    # The counts table keeps its columns: the | in the name is escaped.
    counts = body.split("## Counts", 1)[1].split("First publication", 1)[0]
    widths = {line.count("|") - line.count("\\|") for line in counts.splitlines() if line.startswith("|")}
    assert len(widths) == 1
    kept = Counter(r["language"] for r in read_pyarrow(tmp_path / "r"))
    assert front["language"] == [
        code for code, _ in sorted(((c, n) for c, n in kept.items() if c), key=lambda cn: (-cn[1], cn[0]))
    ]
    assert front["multilinguality"] == "multilingual"
    section = body.split("## Languages", 1)[1].split("## Counts", 1)[0]
    for code, n in kept.items():
        assert f"| {code or 'unknown'} | {n} |" in section


# --- nothing lost without a word: damaged formats, vanished manifests, unlisted files, segments -----


@pytest.fixture(scope="module")
def two_nights(make_replica_module, tmp_path_factory):
    """Two nightly runs of a replica (the second on a later edition): their data directory,
    the runs' manifests in start order, the records each run wrote."""
    from pytest_twisted import blockon
    from twisted.internet import defer

    site = make_replica_module(n_articles=90, seed=31)
    data = tmp_path_factory.mktemp("nights") / "data"
    first = blockon(defer.ensureDeferred(crawl_dataset("maghress", data, base_url=site.base_url)))
    swap_edition(site, 2)
    time.sleep(1.05 - time.time() % 1)  # run stamps count seconds: the second run starts in a later one
    second = blockon(defer.ensureDeferred(crawl_dataset("maghress", data, base_url=site.base_url)))
    assert first.items and second.items
    manifests = manifest_paths(data / "maghress", "maghress")
    assert len(manifests) == 2
    return SimpleNamespace(data=data, manifests=manifests, items=[first.items, second.items])


def _copy(nights, tmp_path) -> tuple[Path, list[Path]]:
    data = tmp_path / "data"
    shutil.copytree(nights.data, data)
    return data, [data / m.relative_to(nights.data) for m in nights.manifests]


def _files(manifest: Path) -> dict[str, Path]:
    """A run's files by format (``jsonlines``, ``csv``, ``parquet``, ``warc``)."""
    entries = json.loads(manifest.read_text())["files"]
    assert len({e["format"] for e in entries}) == len(entries)  # one file per format (not split by source)
    return {e["format"]: manifest.parent / e["name"] for e in entries}


def _damage(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x55
    path.write_bytes(bytes(raw))


def _build(capsys, data: Path, out: Path, *flags: str) -> tuple[int, str, dict | None]:
    """``newsagg dataset build``: exit status, stderr, release.json (None when absent)."""
    code = cli_main(["dataset", "build", "maghress", "--data-dir", str(data), "--out", str(out), *flags])
    err = capsys.readouterr().err
    state = json.loads((out / STATE_FILE).read_text()) if (out / STATE_FILE).exists() else None
    return code, err, state


def _name(manifest: Path) -> str:
    return manifest.name[: -len(".manifest.json")]


def _data_tree(release: Path) -> dict[str, bytes]:
    return tree(release / "data")


def test_a_damaged_format_is_read_from_an_intact_one_or_the_run_refused(two_nights, tmp_path, capsys):
    data, (m1, m2) = _copy(two_nights, tmp_path)
    code, _, clean = _build(capsys, data, tmp_path / "clean")
    assert code == 0 and clean["records"] == sum(len(i) for i in two_nights.items)
    assert clean["damaged"] == [] and clean["removed"] == [] and clean["unlisted"] == []
    run1, f1 = _name(m1), _files(m1)
    _damage(_files(m2)["warc"])  # the raw pages: no record lives there
    for broken, read_from in (("jsonlines", "parquet"), ("parquet", "csv")):
        _damage(f1[broken])
        out = tmp_path / f"without-{broken}"
        code, err, state = _build(capsys, data, out)
        assert code == 0, err
        # The same records, byte for byte, from the intact format; said in release.json and on stderr.
        assert _data_tree(out) == _data_tree(tmp_path / "clean")
        by_run = {d["run"]: d for d in state["damaged"]}
        assert by_run[run1]["read_from"] == read_from
        assert [d.split(":")[0] for d in by_run[run1]["damaged"]] == sorted(
            f1[f].name for f in ("jsonlines", "parquet", "csv") if f in ("jsonlines", broken)
        )
        assert by_run[_name(m2)]["damaged"] == [
            f"{_files(m2)['warc'].name}: sha256 differs from the manifest (file changed)"
        ]
        assert by_run[_name(m2)]["read_from"] == "jsonlines"
        assert f"run {run1} has damaged files" in err
    # No intact format left: refused, named, the release written without it (exit 1).
    _damage(f1["csv"])
    code, err, state = _build(capsys, data, tmp_path / "refused")
    assert code == 1 and f"run {run1} refused" in err
    (refusal,) = state["refused"]
    assert refusal["run"] == run1 and "no intact format holds every record" in refusal["reason"]
    assert state["records"] == len(two_nights.items[1]) and [r["name"] for r in state["runs"]] == [_name(m2)]


def test_a_vanished_manifest_stops_the_build_and_its_run_keeps_its_records(two_nights, tmp_path, capsys):
    data, (m1, m2) = _copy(two_nights, tmp_path)
    release = tmp_path / "release"
    code, _, before = _build(capsys, data, release)
    assert code == 0
    built, built_data = tree(release), _data_tree(release)
    files = _files(m1)
    m1.unlink()
    # Nothing written; every orphaned file named.
    code, err, _ = _build(capsys, data, release)
    assert code == 2 and tree(release) == built
    for path in files.values():
        assert str(path.relative_to(data)) in err
    # Told to skip them: the run the release held keeps its records, and the build says so (exit 1).
    code, err, state = _build(capsys, data, release, "--skip-unlisted")
    assert code == 1 and state["records"] == before["records"] and _data_tree(release) == built_data
    assert sorted(state["unlisted"]) == sorted(str(p.relative_to(data)) for p in files.values())
    (held,) = state["refused"]
    assert held["run"] == _name(m1) and "manifest missing" in held["reason"]
    assert f"its {len(two_nights.items[0])} record(s) are kept from the earlier release" in held["reason"]
    assert [r["name"] for r in state["runs"]] == [_name(m1), _name(m2)] and state["removed"] == []
    # A fresh build cannot keep them: they leave the release, said on stderr and in release.json (exit 1).
    code, err, state = _build(capsys, data, release, "--skip-unlisted", "--fresh")
    assert code == 1 and state["records"] == len(two_nights.items[1])
    assert state["removed"] == [{"run": _name(m1), "records": len(two_nights.items[0]), "reason": "manifest missing"}]
    assert f"its {len(two_nights.items[0])} record(s) in the earlier release are gone" in err


def test_a_released_run_damaged_later_stays_in_the_release(two_nights, tmp_path, capsys):
    """Corrupting one format of an already-released run changes nothing; corrupting all of
    them refuses the run, yet the incremental build keeps its records (exit 1, named)."""
    data, (m1, _) = _copy(two_nights, tmp_path)
    release = tmp_path / "release"
    assert _build(capsys, data, release)[0] == 0
    built = _data_tree(release)
    f1 = _files(m1)
    _damage(f1["jsonlines"])
    code, err, state = _build(capsys, data, release)
    assert code == 0 and _data_tree(release) == built and state["records_per_year"]
    assert state["damaged"] == [
        {
            "run": _name(m1),
            "damaged": [f"{f1['jsonlines'].name}: sha256 differs from the manifest (file changed)"],
            "read_from": None,
        }
    ]
    for fmt in ("parquet", "csv"):
        _damage(f1[fmt])
    code, err, state = _build(capsys, data, release)
    assert code == 1 and _data_tree(release) == built and f"run {_name(m1)} refused" in err
    (held,) = state["refused"]
    assert held["run"] == _name(m1) and "kept from the earlier release" in held["reason"]
    assert state["records"] == sum(len(i) for i in two_nights.items) and state["removed"] == []


def _as_segment(manifest: Path) -> Path:
    """Move a flat run into a segment directory of one final segment (the published layout)."""
    data = json.loads(manifest.read_text())
    if "segment" in data:
        return manifest  # already a segment
    stem = _name(manifest) + "-0001"
    seg = manifest.parent / stem
    seg.mkdir()
    for entry in data["files"]:
        suffix = entry["name"][len(_name(manifest)) :]
        (manifest.parent / entry["name"]).rename(seg / (stem + suffix))
        entry["name"] = stem + suffix
    data["segment"] = {"number": 1, "final": True, "started_at": data["started_at"], "finished_at": data["finished_at"]}
    target = seg / f"{stem}.manifest.json"
    target.write_text(json.dumps(data))
    manifest.unlink()
    return target


def test_segments_are_read_like_flat_runs(two_nights, tmp_path, capsys):
    data, manifests = _copy(two_nights, tmp_path)
    assert _build(capsys, data, tmp_path / "flat")[0] == 0
    segments = [_as_segment(m) for m in manifests]
    code, err, state = _build(capsys, data, tmp_path / "segments")
    assert code == 0, err
    assert [r["name"] for r in state["runs"]] == [_name(m) for m in segments]
    assert _data_tree(tmp_path / "segments") == _data_tree(tmp_path / "flat")
    # A staging directory is never read; a stray data file in a segment directory is named.
    staging = data / "maghress" / STAGING / "x"
    staging.mkdir(parents=True)
    (staging / "maghress-20990101T000000Z-0000aaaa-0001.jsonl").write_text("{}\n")
    stray = segments[0].parent / "notes.csv"
    stray.write_text("url\n")
    code, err, _ = _build(capsys, data, tmp_path / "segments")
    assert code == 2 and str(stray.relative_to(data)) in err and ".staging" not in err


def test_a_run_read_from_its_csv_gets_its_formula_cells_back(tmp_path, capsys):
    """CSV cells that the exporter neutralised (``'=...``) read back as written when a run's
    JSON lines are damaged and its CSV is the intact format."""
    from newsagg.dataset.records import open_writer
    from newsagg.digest import sha256_of

    truth = expected_records(Corpus("maghress", n_articles=12, seed=4), "http://127.0.0.1:9")
    records = [dict(t, crawled_at="2025-01-01T02:15:00+00:00") for t in truth[:5]]
    records[0]["title"] = '=HYPERLINK("http://evil.example","clic")'
    records[1]["body"] = "-30 % sur les prix\n\n+2 points"
    site_dir = tmp_path / "data" / "maghress"
    site_dir.mkdir(parents=True)
    stem = "maghress-20250101T021500Z-0000abcd"
    files = []
    for fmt, suffix in (("jsonlines", ".jsonl"), ("csv", ".csv")):
        path = site_dir / (stem + suffix)
        with path.open("wb") as fh:
            write, finish = open_writer(path, fh)
            for rec in records:
                write(rec)
            finish()
        files.append({"name": path.name, "format": fmt, "rows": len(records), "sha256": sha256_of(path)})
    assert "'=HYPERLINK" in (site_dir / f"{stem}.csv").read_text()
    manifest = {"site": "maghress", "started_at": "2025-01-01T02:15:00+00:00", "items_written": 5, "files": files}
    (site_dir / f"{stem}.manifest.json").write_text(json.dumps(manifest))
    _damage(site_dir / f"{stem}.jsonl")
    code, err, state = _build(capsys, tmp_path / "data", tmp_path / "r", "--jsonl")
    assert code == 0, err
    assert state["damaged"][0]["read_from"] == "csv"
    got = [json.loads(line) for line in (tmp_path / "r" / "maghress.jsonl").read_text().splitlines()]
    assert {r["url"]: (r["title"], r["body"]) for r in got} == {r["url"]: (r["title"], r["body"]) for r in records}
