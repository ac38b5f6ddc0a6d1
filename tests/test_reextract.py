"""``newsagg reextract`` (newsagg/archive): real crawls of the replica into one data dir,
then the replay from the WARCs alone, offline (the replicas stopped), as a user runs it
(``python -m newsagg.cli reextract ...``), compared with what the crawls stored, field by
field, ``crawled_at`` and ``warc_record_id`` included."""

from __future__ import annotations

import gzip
import http.server
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest_twisted
from warcio.archiveiterator import ArchiveIterator

from newsagg.archive.index import RunArchive, committed_warcs
from newsagg.archive.reextract import replay_window
from newsagg.archive.writer import PAGE_KIND, RENDERED, WarcFile
from newsagg.digest import sha256_of
from newsagg.items import FIELDS
from newsagg.layout import manifest_paths
from newsagg.replica import Corpus, ReplicaServer, expected_records
from newsagg.replica.faults import FaultPlan
from newsagg.replica.render import render, resolve
from tests.crawling import ROOT, compare_with_truth, crawl_dataset, published_records, read_csv, read_jsonl, scrapy_env
from tests.test_hosts import _ipv6_loopback

PAGES = Path(__file__).parent / "pages"


def reextract(data: Path, out: Path | None, *extra: str, jobs: int = 1, status: int = 0) -> tuple[str, dict]:
    """``newsagg reextract maghress`` as a user runs it: (stderr, the --json result)."""
    cmd = [sys.executable, "-m", "newsagg.cli", "reextract", "maghress", "--data-dir", str(data), "-j", str(jobs)]
    cmd += ["-o", str(out)] if out is not None else []
    proc = subprocess.run([*cmd, "--json", *extra], capture_output=True, text=True, cwd=ROOT, env=scrapy_env())
    assert proc.returncode == status, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc.stderr, json.loads(proc.stdout)


def archives(data: Path, run=None) -> list[tuple[Path, dict, Path]]:
    """(manifest, its content, its WARC) of every committed segment (of *run*, a crawl's result,
    when given), whatever the layout."""
    out = []
    for manifest in manifest_paths(data / "maghress", "maghress"):
        content = json.loads(manifest.read_text())
        if run is not None and content["run_id"] != run.stats["newsagg/run/id"]:
            continue
        for entry in content["files"]:
            if entry["format"] == "warc":
                out.append((manifest, content, manifest.parent / entry["name"]))
    return out


def recommit(manifest: Path, content: dict, warc: Path) -> None:
    """The manifest lists *warc* as it is now (a WARC committed damaged)."""
    for entry in content["files"]:
        if entry["format"] == "warc":
            entry["sha256"], entry["bytes"] = sha256_of(warc), warc.stat().st_size
    manifest.write_text(json.dumps(content))


def same_records(got: list[dict], want: list[dict]) -> None:
    """Equal record by record, in order, every field."""
    assert [r["url"] for r in got] == [r["url"] for r in want]
    for new, old in zip(got, want, strict=True):
        assert {f: new[f] for f in FIELDS} == {f: old[f] for f in FIELDS}, old["url"]


def no_difference(summary: dict, n: int) -> None:
    assert summary["comparison"] == {
        "records": n,
        "stored": n,
        "changed": 0,
        "fields": {},
        "new": [],
        "missing": [],
    }


def members(warc: Path) -> list[tuple[int, int, str, dict]]:
    """(offset, length, record type, WARC headers) of every record (one gzip member each)."""
    out = []
    with warc.open("rb") as fh:
        records = ArchiveIterator(fh)
        for rec in records:
            headers = dict(rec.rec_headers.headers)
            rec.raw_stream.read()
            out.append((records.get_record_offset(), records.get_record_length(), rec.rec_type, headers))
    return out


# -- the reference run ------------------------------------------------------------------


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
    assert summary["runs"] == 2 and len(summary["warcs"]) == 2 and summary["left_out"] == []
    no_difference(summary, len(stored))
    again = read_jsonl(out)
    assert not compare_with_truth(again, site.truth, site.republication_groups)
    same_records(again, stored)  # crawled_at: the capture's WARC-Date, both times
    assert summary["crawl"]["items_dropped"] == {
        k.rsplit("/", 1)[1]: v for k, v in first.stats.items() if k.startswith("newsagg/items_dropped/")
    }

    # The same OUT again: replaced, not appended to.
    _, rerun = reextract(data, out)
    assert out.read_bytes().count(b"\n") == len(stored) and rerun["comparison"]["changed"] == 0

    # Every output format, written as the crawl's feeds write them.
    reextract(data, tmp_path / "re" / "records.csv")
    assert read_csv(tmp_path / "re" / "records.csv") == first.csv_rows
    reextract(data, tmp_path / "re" / "records.parquet")
    stored_parquet = pa.concat_tables([pq.read_table(p) for seg in first.segments for p in seg.glob("*.parquet")])
    assert pq.read_table(tmp_path / "re" / "records.parquet").equals(stored_parquet)

    # --release alone: the release of the re-extracted records equals the one built from the stored runs.
    from_warcs, from_runs = tmp_path / "R-warcs", tmp_path / "R-runs"
    _, released = reextract(data, None, "--release", str(from_warcs))
    assert released["release"] == str(from_warcs) and released["output"] is None
    built = subprocess.run(
        [sys.executable, "-m", "newsagg.cli", "dataset", "build", "maghress", "--data-dir", str(data)]
        + ["--out", str(from_runs)],
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

    # A changed extraction: promo lines are kept; the result counts what changed, per field.
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

    # The default console output: a short result naming the paths.
    plain = subprocess.run(
        [sys.executable, "-m", "newsagg.cli", "reextract", "maghress", "--data-dir", str(data), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=scrapy_env(),
    )
    assert plain.returncode == 0 and plain.stderr == ""
    lines = plain.stdout.splitlines()
    assert str(out) in lines[0] and f"{len(stored)} record(s)" in lines[0] and len(lines) <= 4, plain.stdout
    assert "0 changed, 0 new, 0 missing" in plain.stdout


# -- every archive replays: hosts, ports, switches, segments, damage --------------------------


@pytest_twisted.ensureDeferred
async def test_three_runs_on_three_base_urls_reextract_exactly(tmp_path):
    """Three nightly runs of one site, each a real crawl into one data dir, each on its own
    port and host form (127.0.0.1, localhost, [::1]): the replay gives back every record
    each run stored, on its own base URL, in run order, on one core and on several."""
    data, runs = tmp_path / "data", []
    hosts = ["127.0.0.1", "localhost", "::1" if _ipv6_loopback() else "127.0.0.1"]
    for edition, host in enumerate(hosts, start=1):
        corpus = Corpus("maghress", n_articles=80, seed=21, edition=edition)
        with ReplicaServer(corpus, ipv6=host == "::1") as srv:
            base = srv.url_for(host)
            run = await crawl_dataset("maghress", data, base_url=base)
            assert run.items and all(r["url"].startswith(base + "/fr/") for r in run.items)
            runs.append(run)
    stored = [r for run in runs for r in run.items]
    assert len({r["url"].split("/fr/")[0] for r in stored}) == 3, "three base URLs"

    out1, out2 = tmp_path / "j1.jsonl", tmp_path / "j2.jsonl"
    _, summary = reextract(data, out1, jobs=1)
    reextract(data, out2, jobs=2)
    assert summary["runs"] == 3 and summary["left_out"] == []
    no_difference(summary, len(stored))
    same_records(read_jsonl(out1), stored)
    assert out1.read_bytes() == out2.read_bytes()


@pytest_twisted.ensureDeferred
async def test_canonical_host_switch_in_the_middle_of_the_archive(tmp_path):
    """Run 1 on 127.0.0.1; from run 2 on, the home page redirects to the twin host
    (localhost), which becomes the canonical one mid-run: the replay gives every record
    on the host it was stored on."""
    data, runs = tmp_path / "data", []
    for edition, twins in enumerate([None, ("127.0.0.1", "localhost"), ("127.0.0.1", "localhost")], start=1):
        corpus = Corpus("maghress", n_articles=80, seed=22, edition=edition)
        with ReplicaServer(corpus, twin_hosts=twins) as srv:
            run = await crawl_dataset("maghress", data, base_url=srv.entry_url)
            assert run.stats.get("newsagg/hosts/canonical_switched", 0) == (1 if twins else 0)
            assert run.items and all(r["url"].startswith(srv.canonical_url + "/fr/") for r in run.items)
            runs.append(run)
    stored = [r for run in runs for r in run.items]
    out = tmp_path / "out.jsonl"
    _, summary = reextract(data, out, jobs=2)
    no_difference(summary, len(stored))
    same_records(read_jsonl(out), stored)


def _article_page(corpus: Corpus, n: int, root: str) -> tuple[int, str, list[tuple[str, str]], bytes]:
    page = render(corpus, resolve(corpus, corpus.path(n)), root.split("//", 1)[1])
    return (200, "HTTP/1.1", [("Content-Type", page.content_type)], page.body)


def _write_archive(site_dir: Path, stamp: str, pages: list[tuple], base: str, started: str) -> Path:
    """A committed flat run written by hand: (url, raw answer, WARC headers) per page."""
    name = f"maghress-{stamp}-0000aaaa"
    site_dir.mkdir(parents=True, exist_ok=True)
    warc = WarcFile(site_dir / f"{name}.warc.gz")
    warc.open({"base-url": base})
    for url, raw, extra in pages:
        warc.write_page(url, raw, [], kind="article", **extra)
    warc.close()
    manifest = {"started_at": started, "arguments": {}}
    manifest["files"] = [{"format": "warc", "name": warc.path.name, "sha256": sha256_of(warc.path)}]
    (site_dir / f"{name}.manifest.json").write_text(json.dumps(manifest))
    return warc.path


def test_any_host_form_scheme_or_port(tmp_path):
    """Captures on https and http, www. and bare hosts, loopback names and ports, one redirected
    from the bare host to www.: each record is on the root its page was requested from."""
    corpus = Corpus("maghress", n_articles=30, seed=4)
    paired = {p for pair in corpus.republication_pairs() + corpus.near_duplicate_pairs() for p in pair}
    numbers = [n for n in range(len(corpus)) if corpus.path(n) not in paired][:6]
    roots = [
        "https://www.maghress.com",
        "https://maghress.com",
        "http://www.maghress.com",
        "http://127.0.0.1:8001",
        "http://localhost:8002",
        "http://[::1]:8003",
    ]
    pages = [
        (root + corpus.path(n), _article_page(corpus, n, root), {}) for n, root in zip(numbers, roots, strict=True)
    ]
    # Requested on the bare host, answered on www. (a redirect): the record keeps the requested root.
    n = next(i for i in range(len(corpus)) if corpus.path(i) not in paired and i not in numbers)
    pages.append(
        (
            "https://www.maghress.com" + corpus.path(n),
            _article_page(corpus, n, "https://www.maghress.com"),
            {"requested_url": "https://maghress.com" + corpus.path(n)},
        )
    )
    _write_archive(tmp_path / "data" / "maghress", "20250101T000000Z", pages, roots[0], "2025-01-01T00:00:00+00:00")
    out = tmp_path / "out.jsonl"
    _, summary = reextract(tmp_path / "data", out)
    got = read_jsonl(out)
    assert summary["comparison"]["records"] == len(pages) == len(got)
    for record, root in zip(got, [*roots, "https://maghress.com"], strict=True):
        truth = {t["url"]: t for t in expected_records(corpus, root)}[record["url"]]
        assert {f: record[f] for f in ("url", "title", "body", "published_at", "source", "author")} == {
            f: truth[f] for f in ("url", "title", "body", "published_at", "source", "author")
        }


@pytest_twisted.ensureDeferred
async def test_segments_of_interrupted_runs_replay_in_order(tmp_path):
    """Two runs published as segments (a checkpoint every 15 records: republications and
    near-duplicates resolve across them); the first lost its last segment (killed before
    publishing it); a segment still in staging is never read. The replay gives the records
    of every published segment, in order, whatever the number of jobs."""
    data, site = tmp_path / "data", tmp_path / "data" / "maghress"
    checkpoints = {"NEWSAGG_CHECKPOINT_ITEMS": 15}
    runs = []
    for edition in (1, 2):
        with ReplicaServer(Corpus("maghress", n_articles=120, seed=23, edition=edition)) as srv:
            runs.append(await crawl_dataset("maghress", data, checkpoints, base_url=srv.base_url))
            if len(runs) == 1:  # interrupted: its last segments with records never published
                assert len(runs[0].segments) >= 3
                last = max(i for i, seg in enumerate(runs[0].segments) if list(seg.glob("*.jsonl")))
                assert last >= 1
                lost = runs[0].segments[last:]
                for seg in lost:
                    shutil.rmtree(seg)
    assert runs[1].items
    decoy = site / ".staging" / "maghress-20990101T000000Z-0000dead-0001"
    shutil.copytree(runs[1].segments[0], decoy)
    for path in decoy.iterdir():
        if path.name.endswith(".warc.gz"):
            path.write_bytes(b"not a WARC")
    stored = published_records(site)
    assert len(stored) < len(runs[0].items) + len(runs[1].items)

    outs = []
    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}.jsonl"
        _, summary = reextract(data, out, jobs=jobs)
        assert summary["runs"] == 2 and summary["left_out"] == []
        assert len(summary["warcs"]) == len(runs[0].segments) - len(lost) + len(runs[1].segments)
        no_difference(summary, len(stored))
        outs.append(out.read_bytes())
    same_records([json.loads(line) for line in outs[0].splitlines()], stored)
    assert outs[0] == outs[1]


@pytest_twisted.ensureDeferred
async def test_a_damaged_warc_is_left_out_and_named(tmp_path):
    """Run 2's WARC damaged on disk (a byte flipped, cut in a gzip member, garbage: its
    sha256 no longer matches), or committed damaged (the manifest's sha256 matches: found
    while reading, the replay starts over without it): left out, named, exit status 1,
    the other run's records exactly; never a traceback."""
    data = tmp_path / "data"
    runs = []
    for edition in (1, 2):
        with ReplicaServer(Corpus("maghress", n_articles=80, seed=24, edition=edition)) as srv:
            runs.append(await crawl_dataset("maghress", data, base_url=srv.base_url))
    assert runs[1].items
    pristine = tmp_path / "pristine"
    shutil.copytree(data, pristine)

    def flip(warc: Path) -> None:
        raw = bytearray(warc.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        warc.write_bytes(bytes(raw))

    def cut(warc: Path) -> None:  # in the middle of a response record's gzip member
        offset, length, _, _ = [m for m in members(warc) if m[2] == "response"][-3]
        warc.write_bytes(warc.read_bytes()[: offset + length // 2])

    def cut_tail(warc: Path) -> None:  # in the last record (a request record): the pages are whole
        warc.write_bytes(warc.read_bytes()[:-7])

    def garbage(warc: Path) -> None:
        warc.write_bytes(bytes((i * 7919) % 251 for i in range(warc.stat().st_size)))

    def inner_garbage(warc: Path) -> None:  # a gzip member of a response that does not inflate
        offset, length, _, _ = [m for m in members(warc) if m[2] == "response"][5]
        raw = bytearray(warc.read_bytes())
        raw[offset + 40 : offset + length - 40] = bytes(length - 80)
        warc.write_bytes(bytes(raw))

    cases = [
        (flip, False, 1, "does not match its sha256"),
        (cut, False, 1, "does not match its sha256"),
        (garbage, False, 1, "does not match its sha256"),
        (cut, True, 1, "damaged at byte"),
        (cut, True, 2, "damaged at byte"),
        (cut_tail, True, 2, "the last gzip member is cut short"),
        (garbage, True, 1, "damaged at byte 0"),
        (garbage, True, 2, "damaged at byte 0"),
        (inner_garbage, True, 2, "damaged at byte"),
    ]
    for damage, committed, jobs, why in cases:
        shutil.rmtree(data)
        shutil.copytree(pristine, data)
        ((manifest, content, warc),) = archives(data, runs[1])
        damage(warc)
        if committed:
            recommit(manifest, content, warc)
        out = tmp_path / "out.jsonl"
        _, summary = reextract(data, out, jobs=jobs, status=1)
        case = f"{damage.__name__}, committed={committed}, jobs={jobs}"
        assert len(summary["left_out"]) == 1, case
        assert warc.name in summary["left_out"][0] and why in summary["left_out"][0], (case, summary["left_out"])
        assert summary["warcs"] == [w.name for _, _, w in archives(data, runs[0])], case
        same_records(read_jsonl(out), runs[0].items)


# -- the records are the crawl's ----------------------------------------------------------------

LARGE_FAULTS = [
    "status_500_once",
    "status_503_twice",
    "reset_once",
    "truncated_once",
    "not_html",
    "garbage",
    "wrong_charset",
    "deep_nesting",
    "unclosed_html",
    "redirect_loop",
]


@pytest_twisted.ensureDeferred
async def test_a_large_archive_gives_the_crawls_records_whatever_the_jobs(tmp_path):
    """A few thousand articles with the replica's faults, charsets, republications and
    near-duplicates: the replay's records are the crawl's, field by field and in order,
    and the output is the same bytes on one core and on several."""
    corpus = Corpus("maghress", n_articles=2500, seed=25)
    plan = FaultPlan.for_modes(corpus, LARGE_FAULTS, per_mode=3)
    with ReplicaServer(corpus, faults=plan) as srv:
        run = await crawl_dataset("maghress", tmp_path / "data", base_url=srv.base_url)
    assert len(run.items) > 2300
    for stat in (
        "charset/mixed",
        "charset/fixed",
        "html/flattened",
        "near_duplicates",
        "items_dropped/duplicate_content",
    ):
        assert run.stats.get(f"newsagg/{stat}"), stat

    outs = {}
    for jobs in (1, 2, 3):
        out = tmp_path / f"j{jobs}.jsonl"
        _, summary = reextract(tmp_path / "data", out, jobs=jobs)
        no_difference(summary, len(run.items))
        outs[jobs] = out.read_bytes()
    assert outs[1] == outs[2] == outs[3]
    same_records(read_jsonl(tmp_path / "j1.jsonl"), run.items)
    assert outs[1] == b"".join(p.read_bytes() for seg in run.segments for p in sorted(seg.glob("*.jsonl")))
    reextract(tmp_path / "data", tmp_path / "j1.csv", jobs=1)
    reextract(tmp_path / "data", tmp_path / "j2.csv", jobs=2)
    assert (tmp_path / "j1.csv").read_bytes() == (tmp_path / "j2.csv").read_bytes()


@pytest_twisted.ensureDeferred
async def test_rendered_captures_give_the_crawls_records(tmp_path):
    """Scripted pages a crawl fetched again in Chromium: the record comes from the rendered
    capture, at its place, on one core and on several. Without the rendered captures,
    those pages count as needs_render."""
    server = ReplicaServer(Corpus("maghress", n_articles=100, seed=7, js=True))
    server.start()
    try:
        data = tmp_path / "data"
        run = await crawl_dataset("maghress", data, base_url=server.base_url)
    finally:
        server.stop()
    ((manifest, content, warc),) = archives(data)
    recs = members(warc)
    rendered = [r for r in recs if r[2] == "response" and r[3].get(RENDERED) == "true"]
    assert rendered and run.stats.get("newsagg/rendered/article_no_anchors")
    assert run.stats.get("newsagg/items_dropped/duplicate_content"), "dedup order matters in this WARC"
    ids = {r["warc_record_id"] for r in run.items}
    from_browser = [r for r in rendered if r[3]["WARC-Record-ID"] in ids]
    assert from_browser, "records that came from the browser"

    for jobs in (1, 2):
        out = tmp_path / f"j{jobs}.jsonl"
        _, summary = reextract(data, out, jobs=jobs)
        no_difference(summary, len(run.items))
        same_records(read_jsonl(out), run.items)
        assert summary["crawl"]["items_dropped"] == {
            k.rsplit("/", 1)[1]: v for k, v in run.stats.items() if k.startswith("newsagg/items_dropped/")
        }

    # The same archive without its rendered captures (and their request records).
    gone = {r[3]["WARC-Record-ID"] for r in rendered}
    raw = warc.read_bytes()
    keep = [r for r in recs if r[3].get("WARC-Record-ID") not in gone and r[3].get("WARC-Concurrent-To") not in gone]
    warc.write_bytes(b"".join(raw[o : o + n] for o, n, _, _ in keep))
    recommit(manifest, content, warc)
    out = tmp_path / "plain.jsonl"
    _, summary = reextract(data, out, jobs=2)
    lost = {r["url"] for r in run.items if r["warc_record_id"] in gone}
    same_records(read_jsonl(out), [r for r in run.items if r["url"] not in lost])
    articles = [r for r in rendered if r[3].get(PAGE_KIND) == "article"]
    assert summary["crawl"]["pages_failed"].get("needs_render") == len(articles) >= len(lost)


class _Pages(http.server.BaseHTTPRequestHandler):
    """Saved pages at article URLs (``pages``: path -> bytes); robots.txt is a 404."""

    pages: dict[str, bytes] = {}

    def do_GET(self):
        body = self.pages.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass


@pytest_twisted.ensureDeferred
async def test_every_saved_test_page_gives_the_crawls_record(tmp_path):
    """tests/pages/*.html served over real HTTP, crawled (``urls=``), then replayed: the same
    records (or the same failures), field by field."""
    saved = sorted(PAGES.glob("*.html"))
    _Pages.pages = {f"/fr/lematin/{1000 + i}": p.read_bytes() for i, p in enumerate(saved)}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        urls = ",".join(base + path for path in _Pages.pages)
        run = await crawl_dataset("maghress", tmp_path / "data", base_url=base, urls=urls, render="never")
    finally:
        server.shutdown()
        server.server_close()
    assert run.items
    out = tmp_path / "out.jsonl"
    _, summary = reextract(tmp_path / "data", out)
    no_difference(summary, len(run.items))
    same_records(read_jsonl(out), run.items)
    failed = {k.rsplit("/", 1)[1]: v for k, v in run.stats.items() if k.startswith("newsagg/pages_failed/")}
    assert summary["crawl"]["pages_failed"] == {k: v for k, v in failed.items() if k != "http_404"}


def test_pages_the_middlewares_refuse_are_counted(tmp_path):
    """A WARC written by hand (an article, a PDF, binary garbage, an error page, a gzip body):
    the refused pages are counted by reason, the article and the compressed one extracted."""
    base = "http://127.0.0.1:9"  # never contacted
    corpus = Corpus("maghress", n_articles=12, seed=2)
    html = [("Content-Type", "text/html; charset=utf-8")]
    good, zipped = base + corpus.path(0), base + corpus.path(3)
    status, protocol, headers, body = _article_page(corpus, 3, base)
    pages = [
        (good, _article_page(corpus, 0, base), {}),
        (base + corpus.path(1), (200, "HTTP/1.1", [("Content-Type", "application/pdf")], b"%PDF-1.4"), {}),
        (base + corpus.path(2), (200, "HTTP/1.1", html, bytes(range(32)) * 64), {}),
        (zipped, (status, protocol, [*headers, ("Content-Encoding", "gzip")], gzip.compress(body)), {}),
        (base + corpus.path(4), (404, "HTTP/1.1", html, b"<html>gone</html>"), {}),
    ]
    _write_archive(tmp_path / "data" / "maghress", "20250101T000000Z", pages, base, "2025-01-01T00:00:00+00:00")
    out = tmp_path / "out.jsonl"
    _, summary = reextract(tmp_path / "data", out)
    assert summary["crawl"]["pages_failed"] == {"garbage": 1, "not_html": 1, "http_404": 1}
    assert summary["pages"] == 5 and summary["comparison"]["new"] == sorted([good, zipped])
    truth = {t["url"]: t for t in expected_records(corpus, base)}
    for record in read_jsonl(out):
        assert {f: record[f] for f in ("url", "title", "body", "published_at")} == {
            f: truth[record["url"]][f] for f in ("url", "title", "body", "published_at")
        }


def test_a_span_that_loses_the_thread_is_read_again_whole(tmp_path):
    """Stored (gzip level 0) pages whose bodies hold what looks like a WARC record's gzip
    member: the worker that starts its span there finds a false record start; the replay
    notices (it is not where the span before stopped) and reads the rest of the WARC as
    one span. Same records as on one core."""
    corpus = Corpus("maghress", n_articles=40, seed=5)
    site_dir = tmp_path / "data" / "maghress"
    base = "http://127.0.0.1:9"
    fake = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n\r\n", compresslevel=1)
    site_dir.mkdir(parents=True)
    warc = WarcFile(site_dir / "maghress-20250101T000000Z-0000aaaa.warc.gz", gzip_level=0)
    warc.open({"base-url": base})
    for n in range(30):
        status, protocol, headers, body = _article_page(corpus, n, base)
        # In a comment near the end: no text of the page, and too few control bytes to look binary.
        body = body.replace(b"</body>", b"<!-- " + fake * 20 + b" --></body>")
        warc.write_page(base + corpus.path(n), (status, protocol, headers, body), [], kind="article")
    warc.close()
    assert warc.path.stat().st_size > 1 << 20
    manifest = {"started_at": "2025-01-01T00:00:00+00:00", "arguments": {}}
    manifest["files"] = [{"format": "warc", "name": warc.path.name, "sha256": sha256_of(warc.path)}]
    (site_dir / "maghress-20250101T000000Z-0000aaaa.manifest.json").write_text(json.dumps(manifest))
    one, two = tmp_path / "j1.jsonl", tmp_path / "j2.jsonl"
    _, summary = reextract(tmp_path / "data", one, jobs=1)
    stderr, _ = reextract(tmp_path / "data", two, "-v", jobs=2)
    assert summary["comparison"]["records"] > 20
    assert one.read_bytes() == two.read_bytes()
    assert "read as one span" in stderr


# -- the window, bad input --------------------------------------------------------------------


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
    _, summary = reextract(data, tmp_path / "re.jsonl", jobs=2)
    no_difference(summary, len(run.items))
    assert summary["warnings"] == []
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


def test_committed_warcs_order_and_problems(tmp_path):
    """Segments by (run start, segment number), flat runs as one segment; a missing WARC,
    a WARC whose sha256 does not match and an unreadable manifest are named."""
    site = tmp_path / "maghress"

    def publish(stem: str, data: dict, folder: bool = True, body: bytes = b"warc") -> Path:
        where = site / stem if folder else site
        where.mkdir(parents=True, exist_ok=True)
        (where / f"{stem}.warc.gz").write_bytes(body)
        files = [{"format": "warc", "name": f"{stem}.warc.gz", "sha256": sha256_of(where / f"{stem}.warc.gz")}]
        (where / f"{stem}.manifest.json").write_text(json.dumps({**data, "files": files}))
        return where / f"{stem}.warc.gz"

    late = {"started_at": "2025-01-02T00:00:00+00:00", "run_id": "b"}
    a2 = publish(
        "maghress-20250101T000000Z-aaaaaaaa-0002", {"started_at": "2025-01-01T00:00:00+00:00", "segment": {"number": 2}}
    )
    a1 = publish(
        "maghress-20250101T000000Z-aaaaaaaa-0001", {"started_at": "2025-01-01T00:00:00+00:00", "segment": {"number": 1}}
    )
    flat = publish("maghress-20241231T000000Z-cccccccc", {"started_at": "2024-12-31T00:00:00+00:00"}, folder=False)
    b1 = publish("maghress-20250102T000000Z-bbbbbbbb-0001", {**late, "segment": {"number": 1}})
    bad = publish("maghress-20250103T000000Z-dddddddd-0001", {"started_at": "2025-01-03T00:00:00+00:00"})
    bad.write_bytes(b"changed")
    gone = publish("maghress-20250104T000000Z-eeeeeeee-0001", {"started_at": "2025-01-04T00:00:00+00:00"})
    gone.unlink()
    (site / "maghress-20250105T000000Z-ffffffff.manifest.json").write_text("{not json")
    publish(".staging", {"started_at": "2025-01-06T00:00:00+00:00"})
    runs, problems = committed_warcs(site, "maghress")
    assert [r.warc for r in runs] == [flat, a1, a2, b1]
    assert runs[3].run == "b" and runs[1].run == runs[2].run
    assert [p.split(":")[0] for p in problems] == [
        bad.name.replace(".warc.gz", ".manifest.json"),
        gone.name.replace(".warc.gz", ".manifest.json"),
        "maghress-20250105T000000Z-ffffffff.manifest.json",
    ]
    assert "does not match its sha256" in problems[0] and "is missing" in problems[1] and "unreadable" in problems[2]


def test_reextract_refuses_bad_input(tmp_path):
    base = [sys.executable, "-m", "newsagg.cli", "reextract"]

    def run(*args):
        return subprocess.run([*base, *args], capture_output=True, text=True, cwd=ROOT, env=scrapy_env())

    for args, message in [
        (("maghress", "--data-dir", str(tmp_path), "-o", str(tmp_path / "x.jsonl")), "no committed run of maghress"),
        (("maghress", "--data-dir", str(tmp_path), "-o", str(tmp_path / "x.xml")), ".jsonl, .csv or .parquet"),
        (("nowhere", "--data-dir", str(tmp_path), "-o", str(tmp_path / "x.jsonl")), "unknown site"),
        (("maghress", "--data-dir", str(tmp_path)), "give -o OUT and/or --release R"),
        (("maghress", "--data-dir", str(tmp_path), "-o", str(tmp_path / "x.jsonl"), "-j", "0"), "--jobs 0"),
        (("maghress", "--data-dir", str(tmp_path), "-o", str(tmp_path / "x.jsonl"), "-s", "X=1"), "NEWSAGG_NAME=VALUE"),
    ]:
        proc = run(*args)
        assert proc.returncode == 2 and proc.stdout == "", args
        assert proc.stderr.count("\n") == 1 and message in proc.stderr, (args, proc.stderr)
    helped = run("--help")
    assert helped.returncode == 0 and "--jobs" in helped.stdout
