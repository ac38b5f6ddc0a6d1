"""Raw captures (newsagg/archive): real crawls of the replica, real WARC files read
back with warcio (``newsagg reextract``: tests/test_reextract.py)."""

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

from newsagg.archive.writer import PAGE_KIND
from newsagg.digest import sha256_of
from newsagg.items import FIELDS
from newsagg.urls import classify
from tests.crawling import compare_with_truth, crawl_dataset, read_jsonl, scrapy_env


def records(path: Path) -> list:
    """(type, WARC headers, HTTP status+headers, raw payload) of every record."""
    out = []
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            http_headers = rec.http_headers
            out.append((rec.rec_type, dict(rec.rec_headers.headers), http_headers, rec.raw_stream.read()))
    return out


def captures(warc: Path) -> dict[str, tuple[str, str, str]]:
    """WARC-Record-ID -> (WARC-Target-URI, WARC-Date, page kind) of every response record."""
    return {
        h["WARC-Record-ID"]: (h["WARC-Target-URI"], h["WARC-Date"], h.get(PAGE_KIND, ""))
        for kind, h, _, _ in records(warc)
        if kind == "response"
    }


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
    index = captures(warc)
    ids = [it["warc_record_id"] for it in run.items]
    assert all(ids) and len(set(ids)) == len(ids)
    for item in run.items:
        url, date, kind = index[item["warc_record_id"]]
        assert kind == "article"
        assert classify(url, site.base_url).url == item["url"]
        assert date.replace("Z", "+00:00") == item["crawled_at"]
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
    assert ids <= set(captures(warc))


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
