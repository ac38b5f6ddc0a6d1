"""Rendering without a browser: the replica's JavaScript variants over real HTTP,
the "needs a browser" tests on them, and the browser configuration."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
import pytest_twisted
from scrapy.http import HtmlResponse, Request
from scrapy.utils.project import get_project_settings

from newsagg.pages.aggregator import ArticlePage, ListingPage
from newsagg.rendering import browser
from newsagg.rendering.policy import has_main_article_links, render_meta
from newsagg.replica import Corpus, FaultPlan, ReplicaServer, expected_records, js
from newsagg.replica.__main__ import main as replica_cli
from newsagg.replica.bank import AUTHOR_RECORDS
from newsagg.replica.generator import served_paragraphs
from newsagg.replica.render import render, resolve
from newsagg.text import normalize_ws

SEED, N = 3, 80


@pytest.fixture(scope="module")
def js_server():
    server = ReplicaServer(Corpus("maghress", n_articles=N, seed=SEED, js=True), faults=FaultPlan.none())
    server.start()
    yield server
    server.stop()


def get(server, path):
    with urllib.request.urlopen(server.base_url + path, timeout=10) as resp:
        body = resp.read()
        return HtmlResponse(
            server.base_url + path,
            body=body,
            headers={"Content-Type": resp.headers["Content-Type"]},
            request=Request(server.base_url + path),
        )


def js_listing_paths(corpus) -> list[str]:
    return [
        Corpus.listing_path(corpus.source(slug), p)
        for slug in js.js_sources(corpus)
        for p in range(1, corpus.listing_page_count(slug) + 1)
    ]


# --- the replica's JavaScript variants ------------------------------------------


def test_js_variants_are_off_by_default_and_change_no_record():
    plain, scripted = Corpus("maghress", n_articles=N, seed=SEED), Corpus("maghress", n_articles=N, seed=SEED, js=True)
    assert not js.js_sources(plain) and not js.js_articles(plain)
    assert expected_records(plain, "http://h") == expected_records(scripted, "http://h")
    scripted_articles = set(js.js_articles(scripted))
    assert 5 <= len(scripted_articles) <= 25  # ~15% of 80
    assert sorted(js.js_sources(scripted).values()) == ["feed", "inline"]
    # Pages that are not scripted are byte for byte the static ones.
    for i in range(len(plain)):
        if i not in scripted_articles:
            route = resolve(plain, plain.path(i))
            assert render(plain, route, "h:1") == render(scripted, route, "h:1"), plain.path(i)
    for src in plain.sources:
        route = resolve(plain, Corpus.listing_path(src, 1))
        same = render(plain, route, "h:1") == render(scripted, route, "h:1")
        assert same == (src.slug not in js.js_sources(scripted)), src.slug


def test_scripted_listings_show_no_article_link_outside_chrome(js_server):
    corpus = js_server.corpus
    chrome_only = 0
    for path in js_listing_paths(corpus):
        resp = get(js_server, path)
        slug = path.split("/")[2].split("?")[0]
        page = ListingPage(resp, js_server.base_url, slug=slug, page=1)
        assert not has_main_article_links(page), path
        assert page.next_page() is None  # the pager is scripted too
        chrome_only += bool(page.entries())  # ticker/sidebar links of the same source
    assert chrome_only, "the test replica must put same-source links in the chrome of a scripted listing"
    for src in corpus.sources:
        if src.slug not in js.js_sources(corpus):
            page = ListingPage(get(js_server, f"/fr/{src.slug}"), js_server.base_url, slug=src.slug)
            assert has_main_article_links(page), src.slug


def test_feed_json_lists_the_source_page_by_page(js_server):
    corpus = js_server.corpus
    slug = next(s for s, mode in js.js_sources(corpus).items() if mode == "feed")
    members = [corpus.path(i) for i in corpus.source_articles(slug)]
    seen = []
    for page in range(1, corpus.listing_page_count(slug) + 1):
        with urllib.request.urlopen(f"{js_server.base_url}/fr/{slug}/feed.json?page={page}", timeout=10) as resp:
            assert resp.headers["Content-Type"] == "application/json"
            data = json.loads(resp.read())
        seen += [a["url"] for a in data["articles"]]
        assert [a["title"] for a in data["articles"]] == [
            corpus.title(corpus.find(slug, u.rsplit("/", 1)[1])) for u in (a["url"] for a in data["articles"])
        ]
        assert (data["next"] is None) == (page == data["pages"])
    assert seen == members
    inline = next(s for s, mode in js.js_sources(corpus).items() if mode == "inline")
    for target in (f"/fr/{inline}/feed.json?page=1", f"/fr/{slug}/feed.json?page=99", f"/fr/{slug}/feed.json?page=x"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(js_server.base_url + target, timeout=10)
        assert err.value.code == 404, target
    assert resolve(Corpus("maghress", n_articles=N, seed=SEED), f"/fr/{slug}/feed.json?page=1").kind == "notfound"


def test_scripted_article_has_no_article_for_plain_http_and_exact_data(js_server):
    corpus = js_server.corpus
    truth = {t["url"]: t for t in expected_records(corpus, js_server.base_url)}
    for i in js.js_articles(corpus):
        resp = get(js_server, corpus.path(i))
        page = ArticlePage(
            resp,
            js_server.base_url,
            site="maghress",
            slug=corpus.source_of(i).slug,
            article_id=corpus.article(i).article_id,
            canonical_url=js_server.base_url + corpus.path(i),
        )
        assert page.extract().why_not == "no_byline", corpus.path(i)
        # What the script will insert is exactly the record.
        data = json.loads(re.search(r"window\.__ARTICLE__ = (\{.*?\});</script>", resp.text).group(1))
        rec = truth[js_server.base_url + corpus.path(i)]
        assert normalize_ws(data["title"]) == rec["title"]
        # The page's text as served ("Par" line, promo, repeat: the crawler undoes them) and its author link.
        art = corpus.article(i)
        assert data["paragraphs"] == served_paragraphs(art)
        assert "\n\n".join(normalize_ws(p) for p in art.paragraphs) == rec["body"]
        shown = (data.get("author") or {}).get("text", art.author)
        assert AUTHOR_RECORDS.get(shown, shown) in (rec["author"], "???")  # the record drops a glued date
        assert (data["source"], data["date"], data["original_url"]) == (
            rec["source"],
            rec["published_raw"],
            rec["original_url"],
        )
    static = next(i for i in range(len(corpus)) if i not in set(js.js_articles(corpus)))
    resp = get(js_server, corpus.path(static))
    page = ArticlePage(
        resp,
        js_server.base_url,
        site="maghress",
        slug=corpus.source_of(static).slug,
        article_id=corpus.article(static).article_id,
        canonical_url="x",
    )
    assert page.extract().item is not None


def test_replica_cli_js_flag(capsys):
    assert replica_cli(["info", "--articles", str(N), "--seed", str(SEED), "--js"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert sorted(info["js"]["listing_sources"].values()) == ["feed", "inline"]
    assert info["js"]["articles"] == len(js.js_articles(Corpus("maghress", n_articles=N, seed=SEED, js=True)))
    assert replica_cli(["info", "--articles", str(N), "--seed", str(SEED)]) == 0
    assert "js" not in json.loads(capsys.readouterr().out)


# --- browser configuration ----------------------------------------------------


def test_chromium_path_env_wins_over_setting(monkeypatch):
    settings = {"NEWSAGG_CHROMIUM_PATH": "/opt/chromium/chrome"}
    s = SimpleNamespace(get=settings.get)
    monkeypatch.delenv("NEWSAGG_CHROMIUM", raising=False)
    assert browser.chromium_path(s) == ("/opt/chromium/chrome", "setting NEWSAGG_CHROMIUM_PATH")
    monkeypatch.setenv("NEWSAGG_CHROMIUM", "/usr/lib/chromium/chromium")
    assert browser.chromium_path(s) == ("/usr/lib/chromium/chromium", "env NEWSAGG_CHROMIUM")
    monkeypatch.setenv("NEWSAGG_CHROMIUM", "  ")
    assert browser.chromium_path(s)[0] == "/opt/chromium/chrome"


def test_missing_executable_names_the_problem(tmp_path):
    assert browser.missing_executable(str(tmp_path / "nope")) == f"no Chromium executable at {str(tmp_path / 'nope')!r}"
    plain = tmp_path / "chromium"
    plain.write_text("#!/bin/sh\n")
    assert "not executable" in browser.missing_executable(str(plain))
    plain.chmod(0o755)
    assert browser.missing_executable(str(plain)) is None
    assert browser.missing_executable("playwright") is None
    assert browser.missing_executable("no-such-browser-anywhere") is not None


def test_settings_install_a_bounded_system_chromium():
    settings = get_project_settings()
    for scheme in ("http", "https"):
        assert settings.getdict("DOWNLOAD_HANDLERS")[scheme] == "newsagg.rendering.handler.RenderingDownloadHandler"
    assert "newsagg.rendering.middleware.RenderMiddleware" in settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert settings.get("TWISTED_REACTOR") == "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
    assert settings.get("NEWSAGG_CHROMIUM_PATH") == "/usr/bin/chromium"
    options = browser.launch_options(settings, "/usr/bin/chromium")
    assert options["executable_path"] == "/usr/bin/chromium" and options["headless"] is True
    for flag in (
        "--no-sandbox",
        "--headless",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ):
        assert flag in options["args"], flag
    assert "executable_path" not in browser.launch_options(settings, "playwright")
    assert 1 <= settings.getint("PLAYWRIGHT_MAX_CONTEXTS") <= 4
    assert 1 <= settings.getint("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT") <= 8
    assert settings.getint("NEWSAGG_RENDER_CONTEXT_PAGES") > 0
    assert settings.get("PLAYWRIGHT_ABORT_REQUEST") == "newsagg.rendering.browser.abort_heavy_request"
    for kind, blocked in (
        ("image", True),
        ("media", True),
        ("font", True),
        ("document", False),
        ("script", False),
        ("fetch", False),
        ("xhr", False),
    ):
        assert browser.abort_heavy_request(SimpleNamespace(resource_type=kind)) is blocked, kind
    for kind in ("home", "listing", "article"):
        meta = render_meta(kind, "lematin", "always", settings)
        assert meta["playwright"] is True and not meta.get("playwright_include_page")  # pages get closed


# --- the scrapy-playwright hooks the lazy handler relies on ----------------------------


def test_scrapy_playwright_hooks_we_use():
    """newsagg.rendering.handler starts Playwright lazily through these
    non-public methods of scrapy-playwright's handler (module doc there)."""
    import inspect

    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler as Parent

    for name in ("_launch", "_maybe_launch_browser", "_close", "_maybe_launch_in_thread"):
        fn = getattr(Parent, name, None)
        assert fn is not None and inspect.iscoroutinefunction(fn), name
        assert list(inspect.signature(fn).parameters) == ["self"], name
    assert list(inspect.signature(Parent.download_request).parameters)[:2] == ["self", "request"]


@pytest_twisted.ensureDeferred
async def test_engine_start_launches_nothing():
    """The hook the parent connects to engine_started is the one overridden: a
    renamed hook would start Playwright here, at every crawl's start."""
    from scrapy import signals
    from scrapy.utils.test import get_crawler

    from newsagg.rendering.handler import RenderingDownloadHandler

    crawler = get_crawler(settings_dict={"NEWSAGG_CHROMIUM_PATH": "/usr/bin/chromium"})
    handler = RenderingDownloadHandler.from_crawler(crawler)
    try:
        await as_deferred(crawler.signals.send_catch_log_async(signals.engine_started))
        assert getattr(handler, "browser_provider", None) is None and not hasattr(handler, "browser")
        assert not handler._ready
    finally:
        await as_deferred(handler.close())


def as_deferred(coro):
    """An asyncio coroutine awaited from a pytest-twisted test."""
    import asyncio

    from twisted.internet import defer

    return defer.Deferred.fromFuture(asyncio.ensure_future(coro))
