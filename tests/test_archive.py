"""Raw captures (newsagg/archive): real crawls of the replica, real WARC files read
back with warcio; ``newsagg reextract`` after the replica is stopped."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest
import pytest_twisted
from warcio.archiveiterator import ArchiveIterator

from newsagg.archive.index import RunArchive, WarcIndex, committed_warcs
from newsagg.archive.reextract import replay_window
from newsagg.archive.writer import PAGE_KIND
from newsagg.digest import sha256_of
from newsagg.items import FIELDS
from newsagg.replica import Corpus, ReplicaServer
from newsagg.urls import classify
from tests.crawling import ROOT, compare_with_truth, crawl_dataset, read_csv, read_jsonl, scrapy_env


def records(path: Path) -> list:
    """(type, WARC headers, HTTP status+headers, raw payload) of every record."""
    out = []
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            http_headers = rec.http_headers
            out.append((rec.rec_type, dict(rec.rec_headers.headers), http_headers, rec.raw_stream.read()))
    return out


def fetch(base_url: str, target: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """The replica's answer now, raw (no decompression, no redirect)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", target)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def target_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def comparable(headers) -> set[tuple[str, str]]:
    """Header pairs that do not change between two answers (Date, Connection do)."""
    return {(k.lower(), v) for k, v in headers if k.lower() not in ("date", "connection")}


def reextract(data: Path, out: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    cmd = [sys.executable, "-m", "newsagg.cli", "reextract", "maghress", "--data-dir", str(data), "-o", str(out)]
    proc = subprocess.run([*cmd, "--json", *extra], capture_output=True, text=True, cwd=ROOT, env=scrapy_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, json.loads(proc.stdout)


@pytest_twisted.ensureDeferred
async def test_every_html_page_is_in_the_warc_raw(make_replica, tmp_path):
    site = make_replica(n_articles=80, seed=5)
    run = await crawl_dataset("maghress", tmp_path / "data", base_url=site.base_url)
    problems = compare_with_truth(run.items, site.truth, site.republication_groups)
    assert not problems, "\n".join(problems[:20])
    warc = run.files["warc.gz"]
    recs = records(warc)

    kind, info_headers, _, payload = recs[0]
    assert kind == "warcinfo" and [r[0] for r in recs[1:]].count("warcinfo") == 0
    info = payload.decode()
    for field in ("software: newsagg/", "robots: obeyed", "ROBOTSTXT_OBEY: True", "USER_AGENT:", "base-url: "):
        assert field in info, info
    assert info_headers["WARC-Filename"] == warc.name

    responses = [r for r in recs if r[0] == "response"]
    requests = [r for r in recs if r[0] == "request"]
    assert len(requests) == len(responses)
    assert {r[1]["WARC-Concurrent-To"] for r in requests} == {r[1]["WARC-Record-ID"] for r in responses}
    by_path = {}
    for _, wh, http_headers, body in responses:
        path = target_of(wh["WARC-Target-URI"])
        assert path not in by_path, f"{path} captured twice"
        by_path[path] = (wh, http_headers, body)
    assert "/robots.txt" not in by_path

    # What the crawl asked for, answered now: each 200 HTML page is in the WARC with
    # its exact bytes and headers; robots.txt and failed pages (404 ...) are not.
    asked = {t for m, t in site.server.request_log if m == "GET"}
    assert "/robots.txt" in asked
    expected, failed = set(), set()
    for target in sorted(asked - {"/robots.txt"}):
        status, headers, body = fetch(site.base_url, target)
        if status != 200:
            failed.add(target)
            continue
        expected.add(target)
        wh, http_headers, archived = by_path[target]
        assert archived == body, target
        assert http_headers.get_statuscode() == "200"
        assert comparable(http_headers.headers) == comparable(headers), target
    assert failed, "the replica serves some failing pages: their absence is checked"
    assert set(by_path) == expected
    kinds = {wh[PAGE_KIND] for wh, _, _ in by_path.values()}
    assert kinds == {"home", "listing", "article"}
    assert run.stats["newsagg/warc/responses"] == len(responses)

    # Every record points at the response it came from.
    index = WarcIndex([warc])
    ids = [it["warc_record_id"] for it in run.items]
    assert all(ids) and len(set(ids)) == len(ids)
    for item in run.items:
        cap = index.by_id(item["warc_record_id"])
        assert cap is not None and cap.kind == "article"
        assert classify(cap.url, site.base_url).url == item["url"]
        assert cap.date.replace("Z", "+00:00") == item["crawled_at"]
    assert [r["warc_record_id"] for r in run.csv_rows] == ids
    assert pq.read_table(run.files["parquet"]).column("warc_record_id").to_pylist() == ids

    # The manifest lists the WARC: sha256, records.
    manifest = json.loads(run.files["manifest.json"].read_text())
    assert manifest["schema_version"] == 3 and FIELDS[-1] == "warc_record_id"
    (entry,) = [f for f in manifest["files"] if f["format"] == "warc"]
    assert entry["name"] == warc.name
    assert entry["sha256"] == sha256_of(warc) and entry["bytes"] == warc.stat().st_size
    assert entry["records"] == len(recs) and entry["responses"] == len(responses)


@pytest_twisted.ensureDeferred
async def test_no_warc_without_dataset_feeds_or_when_off(make_replica, tmp_path):
    site = make_replica(n_articles=20, seed=2)
    run = await crawl_dataset(
        "maghress", tmp_path / "data", settings={"NEWSAGG_WARC_ENABLED": False}, base_url=site.base_url
    )
    assert "warc.gz" not in run.files and run.items
    assert all(it["warc_record_id"] is None for it in run.items)
    assert not [f for f in json.loads(run.files["manifest.json"].read_text())["files"] if f["format"] == "warc"]


def start_crawl(base_url: str, cwd: Path, slow: bool) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "scrapy.cmdline", "crawl", "maghress", "-a", f"base_url={base_url}"]
    if slow:
        cmd += ["-s", "DOWNLOAD_DELAY=0.05", "-s", "CONCURRENT_REQUESTS=2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
    log = (cwd / f"crawl-{time.monotonic_ns()}.log").open("w")
    return subprocess.Popen(cmd, cwd=cwd, env=scrapy_env(), stdout=subprocess.DEVNULL, stderr=log)


def test_killed_run_publishes_no_warc(make_replica, tmp_path):
    site = make_replica(n_articles=150, seed=31)
    data = tmp_path / "data" / "maghress"
    proc = start_crawl(site.base_url, tmp_path, slow=True)
    try:
        deadline = time.monotonic() + 180
        while len(site.server.request_log) < 60:
            assert proc.poll() is None, "the crawl ended before the signal: not mid-run"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    parts = list((data / ".staging").glob("*/*.warc.gz"))
    assert len(parts) == 1 and parts[0].stat().st_size > 0, "the killed run was capturing"
    assert not list(data.glob("maghress-*/*.warc.gz")), "a killed run's open segment is not published"

    again = start_crawl(site.base_url, tmp_path, slow=False)
    assert again.wait(300) == 0
    (warc,) = data.glob("maghress-*/*.warc.gz")
    assert not list((data / ".staging").iterdir()), "the rerun removed the killed run's leftovers"
    (manifest,) = data.glob("maghress-*/*.manifest.json")
    listed = [f["name"] for f in json.loads(manifest.read_text())["files"] if f["format"] == "warc"]
    assert listed == [warc.name]
    ids = {it["warc_record_id"] for it in read_jsonl(next(data.glob("maghress-*/*.jsonl")))}
    assert ids <= {c.record_id for c in WarcIndex([warc]).captures}


@pytest_twisted.ensureDeferred
async def test_reextract_from_the_warcs_alone(make_replica, tmp_path):
    site = make_replica(n_articles=120, seed=11)
    data = tmp_path / "data"
    first = await crawl_dataset("maghress", data, base_url=site.base_url)
    second = await crawl_dataset("maghress", data, base_url=site.base_url)  # incremental: nothing new
    assert first.items and not second.items and "warc.gz" in second.files
    stored = first.items
    site.server.stop()  # no network from here on

    out = tmp_path / "re" / "records.jsonl"
    _, summary = reextract(data, out)
    assert summary["runs"] == 2 and summary["not_archived"] == 0
    assert summary["comparison"] == {
        "records": len(stored),
        "stored": len(stored),
        "changed": 0,
        "fields": {},
        "new": [],
        "missing": [],
    }
    again = read_jsonl(out)
    problems = compare_with_truth(again, site.truth, site.republication_groups)
    assert not problems, "\n".join(problems[:20])
    assert len(again) == len(stored)
    for old, new in zip(stored, again, strict=True):  # same records, same order, field by field
        assert {f: new[f] for f in FIELDS if f != "crawled_at"} == {f: old[f] for f in FIELDS if f != "crawled_at"}
        assert new["crawled_at"] == old["crawled_at"]  # the capture's WARC-Date, both times

    # The same OUT again: replaced, not appended to (Scrapy's feeds append by default).
    _, rerun = reextract(data, out)
    assert out.read_bytes().count(b"\n") == len(stored) and rerun["comparison"]["changed"] == 0

    # Every output format.
    _, csv_summary = reextract(data, tmp_path / "re" / "records.csv")
    assert csv_summary["comparison"]["changed"] == 0
    rows = read_csv(tmp_path / "re" / "records.csv")
    assert [r["url"] for r in rows] == [r["url"] for r in stored]
    assert [r["body"] for r in rows] == [r["body"] for r in stored]
    _, pq_summary = reextract(data, tmp_path / "re" / "records.parquet")
    assert pq_summary["comparison"]["changed"] == 0
    table = pq.read_table(tmp_path / "re" / "records.parquet")
    assert table.column("url").to_pylist() == [r["url"] for r in stored]
    assert table.column("warc_record_id").to_pylist() == [r["warc_record_id"] for r in stored]

    # --release: the consolidated release of the re-extracted records equals the one built from the stored runs.
    from_warcs, from_runs = tmp_path / "R-warcs", tmp_path / "R-runs"
    reextract(data, tmp_path / "re" / "release.jsonl", "--release", str(from_warcs))
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsagg.cli",
            "dataset",
            "build",
            "maghress",
            "--data-dir",
            str(data),
            "--out",
            str(from_runs),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=scrapy_env(),
    )
    assert built.returncode == 0, built.stderr[-3000:]

    def release_records(root: Path) -> list[dict]:
        rows = pq.read_table(root / "data").to_pylist()
        return sorted(({f: r[f] for f in FIELDS} for r in rows), key=lambda r: r["url"])

    assert release_records(from_warcs) == release_records(from_runs)
    assert len(release_records(from_warcs)) == len(stored)
    assert (from_warcs / "README.md").read_text(encoding="utf-8").startswith("---")
    assert json.loads((from_warcs / "release.json").read_text())["provenance"]["source"] == "reextract"

    # A changed extraction: promo lines are kept; the summary counts what changed.
    changed_out = tmp_path / "re" / "nopromo.jsonl"
    _, changed = reextract(data, changed_out, "--set", "NEWSAGG_BODY_PROMO_PATTERNS=[]")
    new = {r["url"]: r for r in read_jsonl(changed_out)}
    differ = {f: sum(new[r["url"]][f] != r[f] for r in stored if r["url"] in new) for f in FIELDS}
    differ = {f: n for f, n in differ.items() if n and f != "crawled_at"}
    assert differ.get("body", 0) > 0 and set(differ) <= {"body", "word_count", "fingerprint", "near_duplicate_of"}
    assert changed["comparison"]["fields"] == differ
    assert changed["comparison"]["changed"] == sum(
        any(new[r["url"]][f] != r[f] for f in differ) for r in stored if r["url"] in new
    )


@pytest_twisted.ensureDeferred
async def test_direct_replay_gives_what_the_engine_gives(tmp_path):
    """DirectReplayMiddleware (archived 2xx articles straight to the callback) against the
    whole engine path (NEWSAGG_REPLAY_DIRECT=false): the same records, byte for byte and in
    order, and the same counts, over the WARC of a crawl that rendered scripted pages in
    Chromium (their browser re-fetch leaves start() for the engine) and met republications."""
    server = ReplicaServer(Corpus("maghress", n_articles=100, seed=7, js=True))
    server.start()
    try:
        data = tmp_path / "data"
        run = await crawl_dataset("maghress", data, base_url=server.base_url)
    finally:
        server.stop()
    index = WarcIndex([run.files["warc.gz"]])
    static = [c for c in index.captures if c.kind == "article" and not c.rendered]
    rendered = [c for c in index.captures if c.kind == "article" and c.rendered]
    assert rendered and len(static) > 90, "scripted articles were rendered, and captured both ways"
    assert run.stats.get("newsagg/items_dropped/duplicate_content"), "dedup order matters in this WARC"

    direct_out, engine_out = tmp_path / "direct.jsonl", tmp_path / "engine.jsonl"
    _, direct = reextract(data, direct_out)
    _, engine = reextract(data, engine_out, "--set", "NEWSAGG_REPLAY_DIRECT=false")
    rendered_urls = {c.requested_url or c.url for c in rendered}
    static_order = [u for u in dict.fromkeys(c.requested_url or c.url for c in static)]
    written = [r["url"] for r in read_jsonl(direct_out)]
    assert written == [u for u in static_order if u in set(written)], "direct: capture order, rendered pages in place"
    assert rendered_urls & set(written)
    # The same records; only where the engine's scheduler puts a rendered page's record may differ.
    by_url = {r["url"]: r for r in read_jsonl(engine_out)}
    assert sorted(read_jsonl(direct_out), key=lambda r: r["url"]) == sorted(run.items, key=lambda r: r["url"])
    assert {r["url"]: r for r in read_jsonl(direct_out)} == by_url
    assert direct["comparison"] == engine["comparison"] and direct["comparison"]["changed"] == 0
    assert direct["pages"] == engine["pages"] == len(static) + len(rendered)
    for part in ("items_dropped", "pages_failed", "pages_parsed", "dates", "other"):
        assert direct["crawl"][part] == engine["crawl"][part], part


def test_direct_replay_refusals_go_to_the_errback(tmp_path):
    """Pages the content guard refuses on replay (a WARC written by hand: one article, one PDF
    and one page of binary garbage, as a stricter extraction or a foreign WARC may hold) fail
    through the spider's errback, counted by reason, on both paths; the article is extracted."""
    from newsagg.archive.writer import WarcFile
    from newsagg.replica.render import render, resolve
    from newsagg.replica.truth import expected_records

    base = "http://127.0.0.1:9"  # never contacted
    corpus = Corpus("maghress", n_articles=12, seed=2)
    page = render(corpus, resolve(corpus, corpus.path(0)), base.split("//")[1])
    site_dir = tmp_path / "data" / "maghress"
    site_dir.mkdir(parents=True)
    warc = WarcFile(site_dir / "maghress-20250101T000000Z-0000aaaa.warc.gz")
    warc.open({"base-url": base})
    good = base + corpus.path(0)
    warc.write_page(good, (200, "HTTP/1.1", [("Content-Type", page.content_type)], page.body), [], kind="article")
    pdf, junk = base + corpus.path(1), base + corpus.path(2)
    warc.write_page(pdf, (200, "HTTP/1.1", [("Content-Type", "application/pdf")], b"%PDF-1.4"), [], kind="article")
    html = [("Content-Type", "text/html; charset=utf-8")]
    warc.write_page(junk, (200, "HTTP/1.1", html, bytes(range(32)) * 64), [], kind="article")
    warc.close()
    manifest = {"started_at": "2025-01-01T00:00:00+00:00", "arguments": {}}
    manifest["files"] = [{"format": "warc", "name": warc.path.name, "sha256": sha256_of(warc.path)}]
    (site_dir / "maghress-20250101T000000Z-0000aaaa.manifest.json").write_text(json.dumps(manifest))

    outs = {}
    for direct in ("true", "false"):
        out = tmp_path / f"{direct}.jsonl"
        _, summary = reextract(tmp_path / "data", out, "--set", f"NEWSAGG_REPLAY_DIRECT={direct}")
        assert summary["crawl"]["pages_failed"] == {"garbage": 1, "not_html": 1}, direct
        assert summary["pages"] == 3 and summary["comparison"]["new"] == [good]
        outs[direct] = read_jsonl(out)
    assert outs["true"] == outs["false"]
    (record,) = outs["true"]
    truth = next(t for t in expected_records(corpus, base) if t["url"] == good)
    assert {f: record[f] for f in ("url", "title", "body", "published_at")} == {
        f: truth[f] for f in ("url", "title", "body", "published_at")
    }


@pytest_twisted.ensureDeferred
async def test_reextract_keeps_the_runs_window(make_replica, tmp_path):
    """A run crawled with since=... dropped its out-of-window articles: the replay drops them
    again (the manifest's arguments), so they do not come back as new records."""
    site = make_replica(n_articles=80, seed=4)
    days = sorted(t["published_at"] for t in site.truth if t["published_at"])
    since = days[len(days) // 3]
    data = tmp_path / "data"
    run = await crawl_dataset("maghress", data, base_url=site.base_url, since=since)
    dropped = run.stats.get("newsagg/items_dropped/out_of_window", 0)
    assert dropped and run.items and all(r["published_at"] >= since for r in run.items)
    site.server.stop()
    _, summary = reextract(data, tmp_path / "re.jsonl")
    assert summary["comparison"]["new"] == [] and summary["comparison"]["missing"] == []
    assert summary["comparison"]["changed"] == 0 and summary["problems"] == []
    assert summary["crawl"]["items_dropped"]["out_of_window"] == dropped


def test_replay_window_of_runs(tmp_path):
    def runs(*windows):
        return [
            RunArchive(
                tmp_path / f"{i}.manifest.json", {"arguments": {"since": s, "until": u}}, tmp_path / f"{i}.warc.gz"
            )
            for i, (s, u) in enumerate(windows)
        ]

    assert replay_window(runs((None, None), (None, None))) == ({}, [])
    assert replay_window(runs(("2024-01-01", None), ("2024-01-01", None))) == ({"since": "2024-01-01"}, [])
    assert replay_window(runs(("2024-01-01", "2024-12-31"))) == ({"since": "2024-01-01", "until": "2024-12-31"}, [])
    assert replay_window([RunArchive(tmp_path / "m", {}, tmp_path / "w")]) == ({}, [])  # an old manifest
    window, problems = replay_window(runs(("2024-01-01", None), (None, None)))
    assert window == {} and problems == [
        "the runs were crawled with different since/until windows "
        "(since=2024-01-01 until=none; since=none until=none): none applied"
    ]


def test_scrapy_internals_the_direct_replay_uses():
    """ARCHITECTURE "Dependency internals": DirectReplayMiddleware.downloader_middlewares reads the
    engine's ``downloader.middleware`` and calls its ``download_async(download_func, request)``."""
    import inspect

    from scrapy.core.downloader import Downloader
    from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(settings_dict={"DOWNLOADER_MIDDLEWARES_BASE": {}})
    downloader = Downloader(crawler)
    assert isinstance(downloader.middleware, DownloaderMiddlewareManager), "Downloader.middleware"
    params = list(inspect.signature(DownloaderMiddlewareManager.download_async).parameters)
    assert params == ["self", "download_func", "request"], "DownloaderMiddlewareManager.download_async"


def test_reextract_refuses_bad_input(tmp_path):
    base = [sys.executable, "-m", "newsagg.cli", "reextract"]

    def run(*args):
        return subprocess.run([*base, *args], capture_output=True, text=True, cwd=ROOT, env=scrapy_env())

    empty = run("maghress", "--data-dir", str(tmp_path), "-o", str(tmp_path / "x.jsonl"))
    assert empty.returncode == 1 and "no committed run of maghress with a WARC" in empty.stderr
    bad_out = run("maghress", "--data-dir", str(tmp_path), "-o", str(tmp_path / "x.xml"))
    assert bad_out.returncode == 2 and ".jsonl, .csv or .parquet" in bad_out.stderr
    bad_site = run("nowhere", "--data-dir", str(tmp_path), "-o", str(tmp_path / "x.jsonl"))
    assert bad_site.returncode == 2 and "unknown site" in bad_site.stderr
    helped = run("--help")
    assert helped.returncode == 0 and "reextract" in helped.stdout


@pytest_twisted.ensureDeferred
async def test_a_warc_that_fails_its_sha256_is_left_out(make_replica, tmp_path):
    site = make_replica(n_articles=20, seed=3)
    run = await crawl_dataset("maghress", tmp_path / "data", base_url=site.base_url)
    runs, problems = committed_warcs(tmp_path / "data" / "maghress")
    assert [r.warc for r in runs] == [run.files["warc.gz"]] and not problems
    with run.files["warc.gz"].open("r+b") as fh:  # one byte flipped on disk
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 0xFF]))
    runs, problems = committed_warcs(tmp_path / "data" / "maghress")
    assert runs == [] and problems == [
        f"{run.files['manifest.json'].name}: {run.files['warc.gz'].name} does not match its sha256: left out"
    ]
    refused = subprocess.run(
        [sys.executable, "-m", "newsagg.cli", "reextract", "maghress", "--data-dir", str(tmp_path / "data")]
        + ["-o", str(tmp_path / "x.jsonl")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=scrapy_env(),
    )
    assert refused.returncode == 1 and "does not match its sha256" in refused.stderr


def _gzip_members(data: bytes) -> int:
    """How many gzip members *data* holds (one per WARC record, as readers expect)."""
    import zlib

    members = 0
    while data:
        d = zlib.decompressobj(zlib.MAX_WBITS + 16)
        d.decompress(data)
        data = d.unused_data
        members += 1
    return members


@pytest.mark.parametrize("level", [1, 6, 9])
def test_warc_gzip_level_one_member_per_record(tmp_path, level):
    """The gzip level changes the compression, never the records: every
    record is its own gzip member and reads back with warcio byte for byte."""
    from newsagg.archive.writer import WarcFile

    body = ("<html><body><p>Publié dans Le Matin le 01 - 12 - 2026</p>" + "é texte " * 2000 + "</body></html>").encode()
    warc = WarcFile(tmp_path / "x.warc.gz", gzip_level=level)
    warc.open({"software": "test"})
    ids = [
        warc.write_page(
            f"http://127.0.0.1:1/fr/lematin/{n}", (200, "HTTP/1.1", [("Content-Type", "text/html")], body), []
        )
        for n in range(3)
    ]
    warc.close()
    data = warc.path.read_bytes()
    assert _gzip_members(data) == warc.records == 7  # warcinfo + 3 x (response, request)
    with warc.path.open("rb") as fh:
        records = [
            (r.rec_type, r.rec_headers.get_header("WARC-Record-ID"), r.content_stream().read())
            for r in ArchiveIterator(fh)
        ]
    assert [t for t, _, _ in records] == ["warcinfo"] + ["response", "request"] * 3
    assert [i for t, i, _ in records if t == "response"] == ids
    assert all(b == body for t, _, b in records if t == "response")
