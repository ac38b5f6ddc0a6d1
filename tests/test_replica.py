"""The replica site: real HTTP against a running server, and its ground truth."""

from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import sys
import tracemalloc
from collections import deque
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from newsagg.middlewares.charset import decode_mixed
from newsagg.replica import Corpus, FaultPlan, ReplicaServer, expected_records, republication_groups
from newsagg.replica.generator import served_paragraphs
from newsagg.replica.render import ROBOTS_TXT
from newsagg.text import fingerprint, normalize_ws

ARTICLE_PATH = re.compile(r"^/fr/([a-z0-9]+)/(\d+)$")


# --- helpers -------------------------------------------------------------------


def fetch(base_url: str, target: str, method: str = "GET", headers: dict | None = None):
    """(status, headers dict lower-cased, body bytes) over a fresh connection."""
    u = urlsplit(base_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def charset_of(headers: dict, body: bytes) -> str:
    m = re.search(r"charset=([\w-]+)", headers.get("content-type", ""))
    if m:
        return m[1]
    m = re.search(rb"""charset=["']?([\w-]+)""", body[:2048])
    assert m, "no charset declared anywhere"
    return m[1].decode()


def decode(body: bytes, charset: str, mixed: bool = False) -> str:
    """The page's text in its declared charset; fragment by fragment for a page
    that mixes charsets on purpose (*mixed*, or not decodable as declared)."""
    try:
        return decode_mixed(body, charset) if mixed else body.decode(charset)
    except UnicodeDecodeError:
        return decode_mixed(body, charset)


def page_text(body: bytes, charset: str, mixed: bool = False) -> str:
    """Visible text: scripts/styles dropped, entities decoded, whitespace collapsed."""
    doc = lxml.html.fromstring(decode(body, charset, mixed))
    for el in doc.xpath("//script|//style"):
        el.drop_tree()
    return normalize_ws(doc.text_content())


def get_doc(base_url: str, target: str):
    status, headers, body = fetch(base_url, target)
    if status == 500:  # a once-fault page: retry like a crawler would
        status, headers, body = fetch(base_url, target)
    assert status == 200, (target, status)
    return lxml.html.fromstring(decode(body, charset_of(headers, body))), headers, body


def legacy_paragraphs(doc) -> list[str]:
    """Every span.articlecontent in page order, split on <br> (the old public extraction rule)."""
    segs = []
    for span in doc.xpath("//span[@class='articlecontent']"):
        segs.append(span.text or "")
        for child in span:
            if child.tag == "br":
                segs.append("")
            elif isinstance(child.tag, str) and child.tag != "script":
                segs[-1] += child.text_content()
            segs[-1] += child.tail or ""
    return [p for p in (normalize_ws(s) for s in segs) if p]


def is_ad(el) -> bool:
    """An ad set into the body: div#ads, or a paragraph of sponsored links."""
    return el.get("id") == "ads" or bool(el.xpath(".//a[contains(@rel, 'sponsored')]"))


def semantic_paragraphs(doc) -> list[str]:
    art = doc.xpath("//article")[0]
    return [
        normalize_ws(el.text_content())
        for el in art
        if el.tag in ("p", "h2") and el.get("class") not in ("byline", "source") and not is_ad(el)
    ]


def crawl_links(base_url: str) -> tuple[set[str], list[str]]:
    """BFS from /fr/ over listing and article pages only; (article paths found, listing targets fetched)."""
    base = urlsplit(base_url)
    seen, queue, articles, listings = {"/fr/"}, deque(["/fr/"]), set(), []
    while queue:
        target = queue.popleft()
        doc, _, _ = get_doc(base_url, target)
        for href in doc.xpath("//a/@href"):
            u = urlsplit(urljoin(base_url + target, href))
            if u.netloc != base.netloc:
                continue
            if ARTICLE_PATH.match(u.path):
                articles.add(u.path)
                continue
            nxt = u.path + (f"?{u.query}" if u.query else "")
            is_listing = re.match(r"^/fr/[a-z0-9]+(/page/\d+)?$", u.path) and u.path.split("/")[2] not in (
                "contact",
                "recherche",
                "tag",
                "print",
            )
            if is_listing and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
                listings.append(nxt)
    return articles, listings


@pytest.fixture(scope="module")
def site(replica):
    """A private server for the shared ``replica``'s corpus: this module's requests (print pages,
    once-faults, 404s) stay out of the session server's log and fault state."""
    server = ReplicaServer(replica.corpus)
    server.start()
    try:
        yield SimpleNamespace(
            base_url=server.base_url,
            corpus=replica.corpus,
            server=server,
            truth=expected_records(replica.corpus, server.base_url),
            republication_groups=republication_groups(replica.corpus, server.base_url),
        )
    finally:
        server.stop()


def test_session_fixture(replica):
    assert replica.corpus.site == "maghress" and len(replica.corpus) == 240 and replica.corpus.seed == 7
    assert replica.base_url.startswith("http://127.0.0.1:") and replica.server.base_url == replica.base_url
    assert len(replica.truth) == 240 and all(t["url"].startswith(replica.base_url) for t in replica.truth)
    assert replica.republication_groups


# --- corpus ----------------------------------------------------------------------


def test_corpus_metadata(site):
    c = site.corpus
    assert 6 <= len(c.sources) <= 8
    assert all(re.fullmatch(r"[a-z0-9]+", s.slug) for s in c.sources)
    ids = {}
    for i in range(len(c)):
        ids.setdefault(c.path(i).rsplit("/", 1)[1], set()).add(c.source_of(i).slug)
    assert any(len(slugs) > 1 for slugs in ids.values()), "no id shared by two sources"
    truth = site.truth
    ramadan = [t for t in truth if t["published_raw"] == "10 - 03 - 2025 à 12h00"]
    assert ramadan and ramadan[0]["published_at"] == "2025-03-10T12:00:00+00:00"
    assert any(t["published_raw"] is None and t["published_at"] is None for t in truth)
    impossible = [t for t in truth if t["published_raw"] and t["published_at"] is None]
    assert impossible and all(t["published_raw"][:2] in ("30", "31") for t in impossible)
    assert any(
        t["published_raw"].endswith((" GMT", " UTC")) and t["published_at"].endswith("+00:00")
        for t in truth
        if t["published_raw"]
    )
    timed = [t for t in truth if t["published_raw"] and "à" in t["published_raw"]]
    assert 0.15 < len(timed) / len(truth) < 0.4
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\d", t["published_at"])
        for t in truth
        if t["published_raw"] and "à" not in t["published_raw"] and t["published_at"]
    )
    assert any(t["original_url"] is None for t in truth)
    assert all(t["original_url"] is None or not t["original_url"].startswith(site.base_url) for t in truth)
    assert {c.flags(i)["variant"] for i in range(len(c))} == {"semantic", "legacy", "bare"}


def test_same_seed_same_bytes(make_replica):
    a, b = make_replica(n_articles=40, seed=3), make_replica(n_articles=40, seed=3)
    host = {"Host": "replica.test:80"}
    for target in ["/fr/", a.corpus.path(5), a.corpus.path(30), f"/fr/{a.corpus.sources[1].slug}", "/robots.txt"]:
        assert fetch(a.base_url, target, headers=host)[2] == fetch(b.base_url, target, headers=host)[2]
    assert a.truth == [
        dict(
            t,
            url=t["url"].replace(b.base_url, a.base_url),
            near_duplicate_of=t["near_duplicate_of"] and t["near_duplicate_of"].replace(b.base_url, a.base_url),
        )
        for t in b.truth
    ]
    other = make_replica(n_articles=40, seed=4)
    assert fetch(other.base_url, "/fr/", headers=host)[2] != fetch(a.base_url, "/fr/", headers=host)[2]


# --- pages -----------------------------------------------------------------------


def test_every_page_has_the_chrome(site):
    c = site.corpus
    targets = ["/fr/", "/fr", f"/fr/{c.sources[0].slug}", c.path(0), c.path(100), "/fr/contact", "/fr/tag/sport"]
    for target in targets:
        status, headers, body = fetch(site.base_url, target)
        assert status == 200, target
        text = page_text(body, charset_of(headers, body))
        assert "Merci d'avoir signalé!" in text
        assert "Cette image sera automatiquement bloquée après qu'elle soit signalée par plusieurs personnes." in text
        assert "Les plus lus" in text and "Partager" in text and "WhatsApp" in text and "Tous droits réservés" in text
        assert re.search(r"\d{1,2} [a-zéû]+\.\. ", text), "ticker date prefix"
        doc = lxml.html.fromstring(decode(body, charset_of(headers, body)))
        hrefs = doc.xpath("//a/@href")
        assert "/fr/contact" in hrefs and any(h.startswith("/fr/recherche?q=") for h in hrefs)
        assert any(h == "/" for h in hrefs), "link to the Arabic section"
        assert len([h for h in hrefs if ARTICLE_PATH.match(urlsplit(h).path)]) >= 15


def test_home_links_every_source(site):
    doc, _, _ = get_doc(site.base_url, "/fr/")
    paths = {urlsplit(h).path for h in doc.xpath("//a/@href")}
    assert {f"/fr/{s.slug}" for s in site.corpus.sources} <= paths
    latest = {site.corpus.path(i) for i in site.corpus.latest(20)}
    assert latest <= paths


def test_article_page_shape(site):
    c = site.corpus
    for variant, marker in (("semantic", "<article"), ("legacy", 'class="articlecontent"'), ("bare", None)):
        i = next(i for i in range(len(c)) if c.flags(i)["variant"] == variant)
        art = c.article(i)
        _status, headers, body = fetch(site.base_url, art.path)
        html = decode(body, charset_of(headers, body))
        doc = lxml.html.fromstring(html)
        assert normalize_ws(doc.findtext(".//title")) == f"{normalize_ws(art.title)} - Maghress"
        if marker:
            assert marker in html
        else:
            assert "<article" not in html and "articletitle" not in html and "byline" not in html
        assert f"/fr/print/{art.source.slug}/{art.article_id}" in html
        assert any(
            h.startswith(("https://www.facebook.com/sharer", "https://twitter.com/")) for h in doc.xpath("//a/@href")
        )


def test_links_are_nasty(site):
    hrefs = []
    for target in ["/fr/", site.corpus.path(10), site.corpus.path(11), f"/fr/{site.corpus.sources[2].slug}"]:
        doc, _, _ = get_doc(site.base_url, target)
        hrefs += doc.xpath("//a/@href")
    assert any("utm_source=" in h for h in hrefs)
    assert any(h.endswith("#comments") for h in hrefs)
    assert any(h.startswith(site.base_url + "/fr/") for h in hrefs)
    assert any(h.startswith("/fr/tag/") for h in hrefs)
    assert any(h.startswith("/fr/print/") for h in hrefs)


def test_listing_pages_and_both_pagination_shapes(site):
    c = site.corpus
    shapes = {s.pagination for s in c.sources}
    assert shapes == {"query", "path"}
    styles = set()
    for src in c.sources:
        pages = c.listing_page_count(src.slug)
        assert pages >= 2
        doc, _, _ = get_doc(site.base_url, Corpus.listing_path(src, 2))
        entries = [urlsplit(h).path for h in doc.xpath("//ul[@class='list']/li/a/@href")]
        newest_first = c.source_articles(src.slug)
        assert [c.path(i) for i in newest_first[c.per_page : 2 * c.per_page]] == [
            p for p in entries if p in {c.path(i) for i in newest_first}
        ][: c.per_page]
        html = lxml.html.tostring(doc, encoding="unicode")
        styles.add(("rel=next" if 'rel="next"' in html else "") + ("suivante" if "Page suivante" in html else ""))
        beyond = f"/fr/{src.slug}?page={pages + 1}" if src.pagination == "query" else f"/fr/{src.slug}/page/{pages + 1}"
        assert fetch(site.base_url, beyond)[0] == 404
    assert {"rel=next", "suivante", ""} <= styles
    status, _, body = fetch(site.base_url, f"/fr/{c.sources[0].slug}")
    assert status == 200 and re.search(r"\d{1,2} (avril|mai|juin|[a-zéû]+\.?) 20\d\d|\d\d/\d\d/20\d\d", body.decode())


def test_every_article_reachable_from_home(site):
    articles, listings = crawl_links(site.base_url)
    truth_paths = {urlsplit(t["url"]).path for t in site.truth}
    assert truth_paths <= articles
    dead = articles - truth_paths
    assert dead and dead <= set(site.corpus.dead_paths)
    for path in dead:
        assert fetch(site.base_url, path)[0] == 404
    assert any("?page=" in t for t in listings) and any("/page/" in t for t in listings)


def test_other_pages_and_404s(site):
    base, c = site.base_url, site.corpus
    status, headers, body = fetch(base, "/robots.txt")
    assert (
        status == 200
        and body.decode() == ROBOTS_TXT == "User-agent: *\nDisallow: /fr/print/\nDisallow: /fr/recherche\n"
    )
    assert headers["content-type"].startswith("text/plain")
    for target in ["/fr/contact", "/fr/tag/economie", "/fr/recherche?q=maroc", f"/fr/print/{c.path(0)[4:]}"]:
        assert fetch(base, target)[0] == 200, target
    status, _, body = fetch(base, f"/{c.sources[0].slug}")
    assert status == 200 and b'lang="ar"' in body
    assert fetch(base, "/")[0] == 200
    for target in [
        "/fr/nope",
        "/fr/lematin/12x",
        "/fr/lematin/1",
        f"{c.path(0)}/",
        "/fr/a/b/c",
        "/favicon.ico",
        f"/fr/{c.sources[0].slug}?page=0",
        f"/fr/{c.sources[0].slug}?page=x",
        "/fr/print/lematin/1",
    ]:
        assert fetch(base, target)[0] == 404, target


def test_tracking_query_serves_the_same_article(site):
    path = site.corpus.path(50)
    plain = fetch(site.base_url, path)[2]
    assert fetch(site.base_url, path + "?utm_source=x&utm_medium=y")[2] == plain


def test_cp1252_pages_decode_right(site):
    c = site.corpus
    seen = set()
    for i in range(len(c)):
        f = c.flags(i)
        if f["encoding"] != "windows-1252" or f["declaration"] in seen or c.other_charset_paragraph(i) is not None:
            continue
        seen.add(f["declaration"])
        _status, headers, body = fetch(site.base_url, c.path(i))
        header_cs = re.search(r"charset=([\w-]+)", headers["content-type"])
        meta_cs = re.search(rb"""<meta[^>]*charset=["']?windows-1252""", body[:1024])
        assert bool(header_cs) == (f["declaration"] != "meta")
        assert bool(meta_cs) == (f["declaration"] != "header")
        assert charset_of(headers, body) == "windows-1252"
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        text = page_text(body, "cp1252")
        art = c.article(i)
        assert normalize_ws(art.title) in text
        assert all(normalize_ws(p) in text for p in art.paragraphs)
    assert seen == {"header", "meta", "both"}


def test_error_once_then_ok(make_replica):
    r = make_replica(n_articles=240, seed=7)
    first, second, listing = r.corpus.error_once_paths
    assert ARTICLE_PATH.match(first) and ARTICLE_PATH.match(second)
    assert fetch(r.base_url, first)[0] == 500
    assert fetch(r.base_url, first)[0] == 200
    assert fetch(r.base_url, second + "?utm_source=x")[0] == 500  # counted per page, not per URL
    assert fetch(r.base_url, second)[0] == 200
    assert fetch(r.base_url, listing)[0] == 500
    assert fetch(r.base_url, listing)[0] == 200
    r.server.reset_state()
    assert fetch(r.base_url, first)[0] == 500
    assert r.server.request_log == [("GET", first)]
    quiet = make_replica(n_articles=240, seed=7, faults=FaultPlan.none())
    assert fetch(quiet.base_url, first)[0] == 200


def test_fault_plan_is_extensible(make_replica):
    from newsagg.replica.faults import HANDLERS, register

    @register("test_503_twice")
    async def unavailable(ctx):
        return await ctx.send(503, "text/plain", b"busy")

    try:
        plan = FaultPlan().add("/fr/", "test_503_twice", times=2)
        r = make_replica(n_articles=30, faults=plan)
        assert [fetch(r.base_url, "/fr/")[0] for _ in range(3)] == [503, 503, 200]
        with pytest.raises(KeyError):
            FaultPlan().add("/fr/", "no_such_fault")
    finally:
        HANDLERS.pop("test_503_twice", None)


def test_head(site):
    path = site.corpus.path(20)
    _, get_headers, body = fetch(site.base_url, path)
    status, headers, head_body = fetch(site.base_url, path, method="HEAD")
    assert status == 200 and head_body == b""
    assert int(headers["content-length"]) == len(body) == int(get_headers["content-length"])
    assert headers["content-type"] == get_headers["content-type"]
    assert fetch(site.base_url, "/fr/nope", method="HEAD")[0] == 404
    assert fetch(site.base_url, "/fr/", method="POST")[0] == 405


def test_keep_alive_and_connection_close(site):
    u = urlsplit(site.base_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.connect()
    sock = conn.sock
    for target in ["/fr/", site.corpus.path(1), "/fr/nope", "/robots.txt"]:
        conn.request("GET", target)
        resp = conn.getresponse()
        resp.read()
        assert resp.getheader("Connection") == "keep-alive"
    assert conn.sock is sock, "connection was not reused"
    conn.close()
    with socket.create_connection((u.hostname, u.port), timeout=10) as raw:
        raw.sendall(
            b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /robots.txt HTTP/1.1\r\nHost: x\r\n"
            b"Connection: close\r\n\r\n"
        )
        data = b""
        while chunk := raw.recv(65536):  # returns b"" once the server closes
            data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 2 and data.count(b"Disallow: /fr/print/") == 2
    assert b"Connection: close" in data


def test_request_log(make_replica):
    r = make_replica(n_articles=30)
    fetch(r.base_url, "/fr/?utm_source=a")
    fetch(r.base_url, r.corpus.path(3), method="HEAD")
    assert r.server.request_log == [("GET", "/fr/?utm_source=a"), ("HEAD", r.corpus.path(3))]
    assert not [p for _, p in r.server.request_log if p.startswith("/fr/print/")]


# --- editions ----------------------------------------------------------------------


def test_edition2_extends_edition1(make_replica):
    quiet = FaultPlan.none()
    one = make_replica(n_articles=120, seed=5, faults=quiet)
    two = make_replica(n_articles=120, seed=5, edition=2, faults=quiet)
    host = {"Host": "replica.test"}
    old = {t["url"].replace(one.base_url, ""): t for t in one.truth}
    new = {t["url"].replace(two.base_url, ""): t for t in two.truth}
    assert set(old) < set(new) and len(new) - len(old) >= 8

    def rel(t, base):  # near_duplicate_of holds a URL too
        return dict(t, url=None, near_duplicate_of=t["near_duplicate_of"] and t["near_duplicate_of"].replace(base, ""))

    assert all(rel(new[p], two.base_url) == rel(old[p], one.base_url) for p in old)
    for path in list(old)[::20]:
        assert fetch(one.base_url, path, headers=host)[2] == fetch(two.base_url, path, headers=host)[2]
    added = set(new) - set(old)
    assert len({p.split("/")[2] for p in added}) >= 3
    c2 = two.corpus
    assert min(c2.local_datetime(i) for i in range(120, len(c2))) > max(c2.local_datetime(i) for i in range(120))
    doc, _, _ = get_doc(two.base_url, "/fr/")
    top = [
        p
        for p in (urlsplit(h).path for h in doc.xpath("//ul[@class='list']/li/a/@href"))
        if not p.startswith("/fr/author")
    ][:5]
    assert set(top) <= added
    assert fetch(one.base_url, "/fr/", headers=host)[2] != fetch(two.base_url, "/fr/", headers=host)[2]
    assert two.corpus.near_duplicate_pairs() == one.corpus.near_duplicate_pairs()


# --- ground truth ---------------------------------------------------------------------


def test_truth_matches_served_pages(site):
    c = site.corpus
    fields = [
        "url",
        "site",
        "source_slug",
        "source",
        "author",
        "article_id",
        "title",
        "published_at",
        "published_raw",
        "body",
        "original_url",
        "language",
        "word_count",
        "fingerprint",
        "near_duplicate_of",
        "warc_record_id",  # always null in the truth: a fact of the crawl
    ]
    for rec in site.truth:
        assert list(rec) == fields
        path = urlsplit(rec["url"]).path
        status, headers, body = fetch(site.base_url, path)
        assert status in (200, 500), path
        if status == 500:
            status, headers, body = fetch(site.base_url, path)
        cs = charset_of(headers, body)
        mixed = c.other_charset_paragraph(c.find(rec["source_slug"], rec["article_id"])) is not None
        text = page_text(body, cs, mixed)
        paras = rec["body"].split("\n\n")
        assert all(p == normalize_ws(p) and p for p in paras)
        pos = text.find(rec["title"])
        assert pos >= 0, (path, rec["title"])
        byline = f"Publié dans {rec['source']}" + (f" le {rec['published_raw']}" if rec["published_raw"] else "")
        assert byline in text, (path, byline)
        for p in paras:
            nxt = text.find(p, pos)
            assert nxt >= 0, (path, p)
            pos = nxt + len(p)
        assert "googletag" not in rec["body"] and "Publicité" not in rec["body"]
        doc = lxml.html.fromstring(decode(body, cs, mixed))
        if rec["original_url"]:
            assert rec["original_url"] in doc.xpath("//a/@href")
            assert "depuis sa source" in text
        else:
            assert "depuis sa source" not in text
        i = c.find(rec["source_slug"], rec["article_id"])
        variant = c.flags(i)["variant"]
        # What the page shows around the text ("Par" line, promo, repeat): the crawler undoes it.
        served = [normalize_ws(p) for p in served_paragraphs(c.article(i))]
        if c.article(i).layout == "old":
            pass
        elif variant == "legacy":
            assert legacy_paragraphs(doc) == served, path
        elif variant == "semantic":
            assert semantic_paragraphs(doc) == served, path
        assert rec["fingerprint"] == fingerprint(rec["title"], rec["body"])


def test_republications_and_near_duplicates(site):
    by_url = {t["url"]: t for t in site.truth}
    groups = site.republication_groups
    assert 1 <= len(groups) <= 2
    for group in groups:
        recs = [by_url[u] for u in group]
        assert len({r["fingerprint"] for r in recs}) == 1
        assert len({r["source_slug"] for r in recs}) == len(recs)
        assert len({(r["published_at"] or "")[:10] for r in recs}) == len(recs)
    in_groups = {u for g in groups for u in g}
    fps = [t["fingerprint"] for t in site.truth if t["url"] not in in_groups]
    assert len(fps) == len(set(fps)), "unexpected exact duplicates"
    pairs = site.corpus.near_duplicate_pairs()
    assert len(pairs) >= 2
    for earlier, later in pairs:
        a, b = by_url[site.base_url + earlier], by_url[site.base_url + later]
        assert a["fingerprint"] != b["fingerprint"] and a["source_slug"] != b["source_slug"]
        changed_title = a["title"] != b["title"]
        assert len(a["title"].split()) == len(b["title"].split())
        assert changed_title or abs(a["body"].count(".") - b["body"].count(".")) >= 1 or a["body"] != b["body"]
        assert c_shared_words(a["body"], b["body"]) > 0.8


def c_shared_words(x: str, y: str) -> float:
    a, b = set(x.split()), set(y.split())
    return len(a & b) / max(len(a | b), 1)


@pytest.mark.parametrize("site", ["djazairess", "turess"])
def test_other_sites(make_replica, site):
    r = make_replica(site=site, n_articles=40, seed=2)
    rec = r.truth[-1]
    doc, _, _ = get_doc(r.base_url, urlsplit(rec["url"]).path)
    assert doc.findtext(".//title").endswith(" - " + site.capitalize())
    assert {t["site"] for t in r.truth} == {site}
    timed = [
        t
        for t in r.truth
        if t["published_raw"] and t["published_raw"].endswith(tuple("0123456789")) and "à" in t["published_raw"]
    ]
    assert all(t["published_at"].endswith("+01:00") for t in timed)


# --- scale and CLI ----------------------------------------------------------------------


def test_100k_metadata_is_light():
    """100,000 articles cost "a few MB" (generator.py): metadata per article is
    a few packed bytes, texts are generated on demand and not kept."""
    tracemalloc.start()
    try:
        c = Corpus("maghress", n_articles=100_000, seed=1)
        built, _ = tracemalloc.get_traced_memory()
        for i in range(0, 100_000, 500):
            assert c.article(i).body
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert built < 12e6, f"{built / 1e6:.1f} MB held by a 100k corpus"
    assert after - built < 4e6, f"{(after - built) / 1e6:.1f} MB kept after generating 200 articles"
    assert peak < 32e6, f"peak {peak / 1e6:.1f} MB"
    assert len(c) == 100_000 and len(c.sources) == 30
    last = c.path(99_999).split("/")
    assert c.find(last[2], last[3]) == 99_999


def test_cli_serve_and_truth(tmp_path):
    cmd = [sys.executable, "-m", "newsagg.replica"]
    proc = subprocess.Popen(cmd + ["serve", "--articles", "30", "--seed", "2"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert re.fullmatch(r"READY http://127\.0\.0\.1:\d+", line), line
        base = line.split()[1]
        assert fetch(base, "/fr/")[0] == 200
        out = tmp_path / "truth.jsonl"
        subprocess.run(
            cmd + ["truth", "--articles", "30", "--seed", "2", "--base-url", base, "-o", str(out)], check=True
        )
        recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        assert recs == expected_records(Corpus("maghress", 30, 2), base)
        info = json.loads(
            subprocess.run(cmd + ["info", "--articles", "30"], check=True, capture_output=True, text=True).stdout
        )
        assert info["articles"] == 30 and set(info["variants"]) <= {"semantic", "legacy", "bare"}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
