"""One site, whatever the host.

Unit tables for the alias rules (``www.``/bare twins, http/https, the
loopback aliases), then real crawls of replicas that answer on two host
forms: the home page redirects to the twin, and pages link their articles
absolutely on the other form. Records must be exact on the canonical host
(the one the redirect landed on).
"""

from __future__ import annotations

import http.client
import logging
import re
import socket

import pytest
import pytest_twisted
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from newsagg.args import ArgumentError, CrawlArgs
from newsagg.failures import PageFailed
from newsagg.middlewares.redirect import GuardedRedirectMiddleware
from newsagg.pages.aggregator import ArticlePage
from newsagg.replica import (
    Corpus,
    FaultPlan,
    ReplicaServer,
    expected_records,
    republication_groups,
)
from newsagg.replica.resolver import install, is_test_name
from newsagg.replica.server import host_of
from newsagg.spiders.maghress import MaghressSpider
from newsagg.urls import classify, host_aliases, same_site, site_root
from tests.crawling import compare_with_truth, crawl, read_jsonl

# --- alias rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    "host, aliases",
    [
        ("www.maghress.com", ("www.maghress.com", "maghress.com")),
        ("maghress.com", ("maghress.com", "www.maghress.com")),
        ("WWW.Djazairess.COM.", ("www.djazairess.com", "djazairess.com")),
        ("www.turess.test", ("www.turess.test", "turess.test")),
        ("127.0.0.1", ("127.0.0.1", "localhost", "::1")),
        ("localhost", ("localhost", "127.0.0.1", "::1")),
        ("[::1]", ("::1", "127.0.0.1", "localhost")),
        ("10.0.0.5", ("10.0.0.5",)),  # an IP has no twin
        ("intranet", ("intranet",)),  # nor a single-label name
        ("www.com", ("www.com", "www.www.com")),  # "www." alone is not a prefix to drop
    ],
)
def test_host_aliases(host, aliases):
    assert host_aliases(host) == aliases


@pytest.mark.parametrize(
    "url, base, same",
    [
        ("https://maghress.com/fr/barlamanefr/406559", "https://www.maghress.com", True),
        ("https://www.maghress.com/fr/barlamanefr/448260", "https://maghress.com", True),
        ("http://www.djazairess.com/fr/elwatan/159666", "https://djazairess.com", True),  # http = https
        ("https://www.maghress.com:443/fr/", "http://maghress.com", True),  # default ports are no port
        ("http://maghress.com:80/fr/", "https://www.maghress.com", True),
        ("http://user@maghress.com/fr/", "https://www.maghress.com", True),
        ("http://localhost:8000/fr/", "http://127.0.0.1:8000", True),
        ("http://[::1]:8000/fr/", "http://127.0.0.1:8000", True),
        ("http://[::1]:8000/fr/", "http://localhost:8000", True),
        ("http://127.0.0.1:8001/fr/", "http://127.0.0.1:8000", False),  # another port: another server
        ("http://localhost/fr/", "http://127.0.0.1:8000", False),
        ("https://www.djazairess.com/fr/elwatan/1", "https://www.maghress.com", False),  # another site
        ("https://ar.maghress.com/fr/", "https://www.maghress.com", False),  # another subdomain
        ("https://www2.maghress.com/fr/", "https://www.maghress.com", False),
        ("https://maghress.com.evil.example/fr/", "https://maghress.com", False),
        ("http://10.0.0.1:8000/fr/", "http://127.0.0.1:8000", False),
        ("ftp://www.maghress.com/fr/", "https://www.maghress.com", False),
        ("http://maghress.com:99999/fr/", "https://www.maghress.com", False),  # a bad port is no site
    ],
)
def test_same_site(url, base, same):
    assert same_site(url, base) is same


@pytest.mark.parametrize(
    "url, root",
    [
        ("HTTP://WWW.Maghress.com/fr/", "http://www.maghress.com"),
        ("https://maghress.com:443", "https://maghress.com"),
        ("http://127.0.0.1:80/fr", "http://127.0.0.1"),
        ("http://[::1]:8000/fr/x/1?y", "http://[::1]:8000"),
        ("http://user:pw@localhost:81/x", "http://localhost:81"),
    ],
)
def test_site_root(url, root):
    assert site_root(url) == root


@pytest.mark.parametrize(
    "url, base, kind, canon",
    [
        (
            "http://localhost:8000/fr/h24info/12?utm_source=x",
            "http://127.0.0.1:8000",
            "article",
            "http://127.0.0.1:8000/fr/h24info/12",
        ),
        (
            "http://[::1]:8000/fr/h24info?page=2",
            "http://localhost:8000",
            "listing",
            "http://localhost:8000/fr/h24info?page=2",
        ),
        (
            "http://maghress.com/fr/lematin/2016#c",
            "https://www.maghress.com",
            "article",
            "https://www.maghress.com/fr/lematin/2016",
        ),
        ("https://www.maghress.com/fr", "http://maghress.com", "home", "http://maghress.com/fr/"),
        (
            "https://djazairess.com/fr/lemidi/904301403",
            "https://www.djazairess.com",
            "article",
            "https://www.djazairess.com/fr/lemidi/904301403",
        ),
        ("https://ar.maghress.com/fr/lematin/1", "https://www.maghress.com", "other", None),
        ("http://localhost:8001/fr/lematin/1", "http://127.0.0.1:8000", "other", None),
    ],
)
def test_classify_any_alias_canonical_on_base(url, base, kind, canon):
    ref = classify(url, base)
    assert ref.kind == kind
    if canon:
        assert ref.url == canon


def test_arguments_accept_the_twin_host():
    a = CrawlArgs.parse(
        {
            "urls": "https://maghress.com/fr/barlamanefr/406559?utm_source=x,"
            "http://www.maghress.com/fr/barlamanefr/448260"
        },
        "https://www.maghress.com",
    )
    assert a.urls == (
        "https://www.maghress.com/fr/barlamanefr/406559",
        "https://www.maghress.com/fr/barlamanefr/448260",
    )
    assert CrawlArgs.parse({"base_url": "HTTPS://Maghress.COM:443/fr/"}, "").base_url == "https://maghress.com"
    with pytest.raises(ArgumentError, match="urls"):
        CrawlArgs.parse({"urls": "https://www.djazairess.com/fr/elwatan/1"}, "https://www.maghress.com")


def test_spider_allows_every_host_form():
    assert MaghressSpider(base_url="https://maghress.com").allowed_domains == ["maghress.com", "www.maghress.com"]
    assert MaghressSpider(base_url="http://[::1]:8000").allowed_domains == ["::1", "127.0.0.1", "localhost"]


@pytest.mark.parametrize(
    "origin, location, outcome",
    [
        ("https://www.maghress.com/fr/", "https://maghress.com/fr/", "followed"),
        ("https://maghress.com/fr/", "https://www.maghress.com/fr/", "followed"),
        ("http://maghress.com/fr/", "https://maghress.com/fr/", "followed"),
        ("http://127.0.0.1:8000/fr/", "http://localhost:8000/fr/", "followed"),
        ("http://localhost:8000/fr/lematin/12", "http://[::1]:8000/fr/lematin/12", "followed"),
        ("https://www.maghress.com/fr/", "https://www.other.example/fr/", "offsite_redirect"),
        ("http://127.0.0.1:8000/fr/", "http://127.0.0.1:9000/fr/", "offsite_redirect"),
        ("https://www.maghress.com/fr/", "https://ar.maghress.com/fr/", "offsite_redirect"),
    ],
)
def test_redirect_guard(origin, location, outcome):
    mw = GuardedRedirectMiddleware.from_crawler(get_crawler(MaghressSpider))
    request = Request(origin)
    response = HtmlResponse(origin, status=301, headers={"Location": location}, request=request)
    if outcome == "followed":
        assert mw.process_response(request, response).url == location
    else:
        with pytest.raises(PageFailed) as exc:
            mw.process_response(request, response)
        assert exc.value.reason == outcome


@pytest.mark.parametrize(
    "name, test",
    [
        ("www.maghress.test", True),
        ("MAGHRESS.TEST.", True),
        ("test", True),
        ("www.maghress.com", False),
        ("maghress.testing", False),
        ("test.example", False),
    ],
)
def test_resolver_names(name, test):
    assert is_test_name(name) is test


@pytest.mark.parametrize(
    "header, host",
    [
        ("localhost:8000", "localhost"),
        ("[::1]:8000", "::1"),
        ("[::1]", "::1"),
        ("WWW.Maghress.test:81", "www.maghress.test"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
def test_host_header(header, host):
    assert host_of(header) == host


# --- the replica on two host forms ------------------------------------------------


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


IPV6 = pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")


def _get(server: ReplicaServer, host: str, target: str) -> tuple[int, str | None, bytes]:
    conn = http.client.HTTPConnection("::1" if host == "::1" else "127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", target, headers={"Host": server.url_for(host).removeprefix("http://")})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Location"), resp.read()
    finally:
        conn.close()


@IPV6
def test_replica_twin_hosts_redirect_and_link_the_other_form():
    corpus = Corpus("maghress", n_articles=30, seed=5)
    with ReplicaServer(corpus, faults=FaultPlan.none(), ipv6=True, twin_hosts=("127.0.0.1", "localhost")) as srv:
        assert (srv.entry_url, srv.canonical_url) == (f"http://127.0.0.1:{srv.port}", f"http://localhost:{srv.port}")
        status, location, _ = _get(srv, "127.0.0.1", "/fr/?utm_source=x")
        assert (status, location) == (301, f"http://localhost:{srv.port}/fr/?utm_source=x")
        slug = corpus.sources[0].slug
        status, _, body = _get(srv, "localhost", f"/fr/{slug}")
        assert status == 200
        hrefs = re.findall(rb'href="([^"]*/fr/[a-z0-9]+/\d+[^"]*)"', body)
        assert hrefs and all(h.startswith(srv.entry_url.encode()) for h in hrefs)  # every article link
        assert _get(srv, "::1", f"/fr/{slug}")[0] == 200  # [::1] reaches the same server
        assert srv.redirects == [(f"127.0.0.1:{srv.port}", "/fr/?utm_source=x")]
        # Ground truth on the canonical host.
        assert expected_records(corpus, srv.canonical_url)[0]["url"].startswith(srv.canonical_url + "/fr/")


@pytest.fixture
def test_names():
    """``*.test`` names resolve to 127.0.0.1 for this test (newsagg.replica.resolver)."""
    from twisted.internet import reactor

    previous = install(reactor)
    yield
    reactor.installNameResolver(previous)


DIRECTIONS = [
    pytest.param("maghress", "127.0.0.1", "localhost", id="127.0.0.1->localhost"),
    pytest.param("maghress", "localhost", "127.0.0.1", id="localhost->127.0.0.1"),
    pytest.param("maghress", "127.0.0.1", "::1", id="127.0.0.1->[::1]", marks=IPV6),
    pytest.param("djazairess", "www.djazairess.test", "djazairess.test", id="www->bare"),
    pytest.param("turess", "turess.test", "www.turess.test", id="bare->www"),
]


@pytest.mark.parametrize("site, entry, canonical", DIRECTIONS)
@pytest_twisted.ensureDeferred
async def test_home_redirect_to_twin_every_record_exact(site, entry, canonical, test_names, tmp_path, caplog):
    corpus = Corpus(site, n_articles=60, seed=3)
    with ReplicaServer(corpus, ipv6=_ipv6_loopback(), twin_hosts=(entry, canonical)) as srv:
        caplog.set_level(logging.INFO, logger=site)
        result = await crawl(site, tmp_path, base_url=srv.entry_url)
        truth = expected_records(corpus, srv.canonical_url)
        problems = compare_with_truth(result.items, truth, republication_groups(corpus, srv.canonical_url))
        assert not problems, "\n".join(problems[:40])
        assert len(result.items) == len(truth) - len(corpus.republication_pairs())
        assert all(it["url"].startswith(srv.canonical_url + "/fr/") for it in result.items)
        # Only the home page (and robots.txt) went to the entry form: every
        # absolute link to it was followed on the canonical host directly.
        assert sorted(t for _h, t in srv.redirects) == ["/fr/", "/robots.txt"]
        assert result.stats["newsagg/hosts/canonical_switched"] == 1
        assert result.stats.get("newsagg/pages_failed/offsite_redirect", 0) == 0
        switches = [r for r in caplog.records if r.name == site and "Canonical host" in r.getMessage()]
        assert len(switches) == 1 and switches[0].levelno == logging.INFO
        assert srv.canonical_url in switches[0].getMessage()


@pytest_twisted.ensureDeferred
async def test_offsite_redirect_still_refused_and_counted(tmp_path):
    corpus = Corpus("maghress", n_articles=60, seed=4)
    plan = FaultPlan.for_modes(corpus, ["redirect_offsite"], per_mode=2, other_host="http://www.maghress.invalid")
    with ReplicaServer(corpus, faults=plan, twin_hosts=("localhost", "127.0.0.1")) as srv:
        result = await crawl("maghress", tmp_path, base_url=srv.entry_url)
        refused = {srv.canonical_url + k for k in plan.assigned["redirect_offsite"]}
        truth = [t for t in expected_records(corpus, srv.canonical_url) if t["url"] not in refused]
        groups = [g for g in republication_groups(corpus, srv.canonical_url) if not set(g) & refused]
        problems = compare_with_truth(result.items, truth, groups)
        assert not problems, "\n".join(problems[:40])
        assert result.stats["newsagg/pages_failed/offsite_redirect"] == 2
        assert result.stats["newsagg/hosts/canonical_switched"] == 1


@pytest_twisted.ensureDeferred
async def test_article_redirect_to_twin_is_followed(tmp_path):
    """urls= on the entry form (no home page): each article redirects to the twin
    and is kept; the given base_url stays the records' root."""
    corpus = Corpus("maghress", n_articles=30, seed=6)
    with ReplicaServer(corpus, faults=FaultPlan.none(), twin_hosts=("127.0.0.1", "localhost")) as srv:
        truth = expected_records(corpus, srv.entry_url)[:3]
        result = await crawl("maghress", tmp_path, base_url=srv.entry_url, urls=",".join(t["url"] for t in truth))
        assert not compare_with_truth(result.items, truth, [])
        assert sorted(t for _h, t in srv.redirects if t != "/robots.txt") == sorted(
            t["url"][len(srv.entry_url) :] for t in truth
        )
        assert result.stats.get("newsagg/hosts/canonical_switched", 0) == 0


def test_scrapy_crawl_cli_follows_the_twin(tmp_path):
    """As a user runs it: the bare host's home redirects to www, and every
    article comes out; ``.test`` names through the replica resolver."""
    from tests.test_cli import run_scrapy

    corpus = Corpus("maghress", n_articles=40, seed=8)
    with ReplicaServer(corpus, twin_hosts=("maghress.test", "www.maghress.test")) as srv:
        out = tmp_path / "out.jsonl"
        # A .test name is not a loopback base_url: the polite live limits apply unless lifted here.
        fast = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
        proc = run_scrapy(
            [
                "crawl",
                "maghress",
                "-a",
                f"base_url={srv.entry_url}",
                "-O",
                str(out),
                *fast,
                "-s",
                "TWISTED_DNS_RESOLVER=newsagg.replica.resolver.TestNamesResolver",
            ],
            tmp_path,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        truth = expected_records(corpus, srv.canonical_url)
        problems = compare_with_truth(read_jsonl(out), truth, republication_groups(corpus, srv.canonical_url))
        assert not problems, "\n".join(problems[:20])
        lines = [line for line in proc.stderr.splitlines() if "Canonical host" in line]
        assert len(lines) == 1 and "INFO" in lines[0] and srv.canonical_url in lines[0], lines


@pytest_twisted.ensureDeferred
async def test_resumed_jobdir_run_keeps_the_canonical_host(tmp_path):
    """A JOBDIR run stopped early, then resumed: the home request is not made
    again (the dupefilter remembers it), and the canonical root comes back from
    the spider state, so the resumed run's records are still on it."""
    corpus = Corpus("maghress", n_articles=60, seed=9)
    with ReplicaServer(corpus, faults=FaultPlan.none(), twin_hosts=("localhost", "127.0.0.1")) as srv:
        job = {"JOBDIR": str(tmp_path / "job")}
        first = await crawl("maghress", tmp_path / "run1", {**job, "CLOSESPIDER_ITEMCOUNT": 10}, base_url=srv.entry_url)
        assert first.stats["finish_reason"] == "closespider_itemcount"
        redirected = len(srv.redirects)
        second = await crawl("maghress", tmp_path / "run2", job, base_url=srv.entry_url)
        assert len(srv.redirects) == redirected  # run 2 never went to the entry form
        assert second.stats.get("newsagg/pages/home", 0) == 0 and second.items
        # Without a dataset feed there is no state between the runs: a
        # republication or near-duplicate pair split over them is kept twice /
        # not linked (not a host matter). Every record is exact all the same.
        truth = {t["url"]: {**t, "near_duplicate_of": None} for t in expected_records(corpus, srv.canonical_url)}
        for item in first.items + second.items:
            got = {k: v for k, v in item.items() if k != "crawled_at"}
            assert {**got, "near_duplicate_of": None} == truth[item["url"]], item["url"]
        seen = {item["url"] for item in first.items + second.items}
        groups = republication_groups(corpus, srv.canonical_url)
        assert set(truth) - {u for g in groups for u in g} <= seen
        assert all(set(g) & seen for g in groups)


@pytest.mark.parametrize(
    "source_hrefs, original",
    [
        # The source link block may also hold a link to the site itself, in any host form.
        (["http://localhost:8000/fr/h24info", "https://www.h24info.ma/a/1"], "https://www.h24info.ma/a/1"),
        (["http://[::1]:8000/fr/", "https://www.h24info.ma/a/1"], "https://www.h24info.ma/a/1"),
        (["/fr/h24info/12", "https://www.h24info.ma/a/1"], "https://www.h24info.ma/a/1"),
        (["https://www.h24info.ma/a/1"], "https://www.h24info.ma/a/1"),
        (["http://127.0.0.1:9000/a/1"], "http://127.0.0.1:9000/a/1"),  # another port: another site
        (["http://localhost:8000/fr/h24info/12"], None),
    ],
)
def test_original_url_is_never_a_host_form_of_the_site(source_hrefs, original):
    source_link = "Cliquez ici pour lire l'article depuis sa source."
    texts = [""] * (len(source_hrefs) - 1) + [source_link]  # e.g. a logo link before the sentence
    links = " ".join(f'<a href="{h}">{t}</a>' for h, t in zip(source_hrefs, texts, strict=False))
    html = (
        "<html><body><h1>Un titre</h1><p>Publié dans H24 Info le 24 - 04 - 2019</p>"
        f"<p>Le premier paragraphe du texte.</p><p>{links}</p></body></html>"
    )
    url = "http://127.0.0.1:8000/fr/h24info/1234567"
    page = ArticlePage(
        HtmlResponse(url, body=html.encode(), encoding="utf-8"),
        "http://127.0.0.1:8000",
        site="maghress",
        slug="h24info",
        article_id="1234567",
        canonical_url=url,
    )
    item = page.extract().item
    assert item is not None and item.original_url == original
    assert item.body == "Le premier paragraphe du texte."
