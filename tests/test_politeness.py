"""Politeness and scope: live defaults, robots.txt, one host only, no listening port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import pytest_twisted
from scrapy.crawler import Crawler
from scrapy.utils.project import get_project_settings

from newsagg.replica import FaultPlan
from newsagg.replica.faults import foreign_source_link
from newsagg.spiders.maghress import MaghressSpider
from newsagg.stats import PAGES_FAILED
from tests.crawling import compare_with_truth, crawl

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = re.compile(r"^/fr/([a-z0-9]+)/(\d+)$")


def crawler_as_scrapy_crawl_builds_it(*cmdline: tuple[str, object], **spider_args) -> Crawler:
    """Project settings, ``-s`` overrides, then the spider's from_crawler on
    settings not yet frozen: what ``scrapy crawl`` does before the crawl starts."""
    settings = get_project_settings()
    for key, value in cmdline:
        settings.set(key, value, priority="cmdline")
    crawler = Crawler(MaghressSpider, settings)
    assert not crawler.settings.frozen
    crawler.spider = MaghressSpider.from_crawler(crawler, **spider_args)
    return crawler


def test_live_site_gets_the_polite_defaults():
    s = crawler_as_scrapy_crawl_builds_it().settings
    assert s.getbool("ROBOTSTXT_OBEY") is True
    assert s.getbool("AUTOTHROTTLE_ENABLED") is True
    assert s.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") == 1.5
    assert s.getfloat("AUTOTHROTTLE_START_DELAY") == 1.0
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert s.getfloat("DOWNLOAD_DELAY") == 1.0
    assert s.getint("DOWNLOAD_TIMEOUT") == 30
    assert re.fullmatch(r"newsagg/\S+ \(.*\+https?://\S+\)", s.get("USER_AGENT")), s.get("USER_AGENT")
    assert s.getbool("TELNETCONSOLE_ENABLED") is False and s.getbool("REMOTE_CONTROL_ENABLED") is False
    assert s.getint("RETRY_TIMES") == 3 and 429 in s.getlist("RETRY_HTTP_CODES")
    assert s.getfloat("NEWSAGG_RETRY_AFTER_MAX") > 0


def test_loopback_lifts_the_limits_but_still_obeys_robots():
    s = crawler_as_scrapy_crawl_builds_it(base_url="http://127.0.0.1:8000").settings
    assert s.getbool("AUTOTHROTTLE_ENABLED") is False and s.getfloat("DOWNLOAD_DELAY") == 0
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 32
    assert s.getbool("ROBOTSTXT_OBEY") is True
    # -s wins over the profile, and NEWSAGG_LOCAL_FULL_SPEED=0 keeps the polite one.
    s = crawler_as_scrapy_crawl_builds_it(("DOWNLOAD_DELAY", 0.5), base_url="http://127.0.0.1:8000").settings
    assert s.getfloat("DOWNLOAD_DELAY") == 0.5
    s = crawler_as_scrapy_crawl_builds_it(
        ("NEWSAGG_LOCAL_FULL_SPEED", False), base_url="http://localhost:8000"
    ).settings
    assert s.getbool("AUTOTHROTTLE_ENABLED") is True and s.getfloat("DOWNLOAD_DELAY") == 1.0


def _truth_without(r, lost: set[str]) -> tuple[list[dict], list[list[str]]]:
    """Ground truth once *lost* URLs can no longer be crawled: a republication
    group then keeps its other member."""
    return (
        [t for t in r.truth if t["url"] not in lost],
        [[u for u in g if u not in lost] for g in r.republication_groups if set(g) - lost],
    )


@pytest_twisted.ensureDeferred
async def test_robots_disallowed_paths_are_never_requested(make_replica, tmp_path):
    probe = make_replica(n_articles=60, seed=21, faults=FaultPlan.none())
    src = next(s for s in probe.corpus.sources if s.pagination == "query")  # /fr/<slug>/ = its articles only
    plan = FaultPlan(robots_disallow=[f"/fr/{src.slug}/"]).add("/robots.txt", "robots_extra", times=None)
    r = make_replica(n_articles=60, seed=21, faults=plan)
    result = await crawl("maghress", tmp_path, base_url=r.base_url)
    paths = [t for _, t in r.server.request_log]
    assert paths[0] == "/robots.txt"
    assert not [p for p in paths if p.startswith(f"/fr/{src.slug}/")]
    assert f"/fr/{src.slug}" in paths  # its listing is allowed, and was crawled
    blocked = {t["url"] for t in r.truth if t["source_slug"] == src.slug}
    dead = [p for p in r.corpus.dead_paths if p.startswith(f"/fr/{src.slug}/")]  # 404 links, blocked first
    assert blocked
    assert len(blocked) <= result.stats[f"{PAGES_FAILED}/robots_txt"] <= len(blocked) + len(dead)
    truth, groups = _truth_without(r, blocked)
    problems = compare_with_truth(result.items, truth, groups)
    assert not problems, "\n".join(problems[:20])


@pytest_twisted.ensureDeferred
async def test_no_request_leaves_the_configured_host(make_replica, tmp_path):
    """Links, source links and redirects to another host: it gets zero requests."""
    other = make_replica(n_articles=12, seed=2, faults=FaultPlan.none())  # "another host" (another port)
    probe = make_replica(n_articles=60, seed=22, faults=FaultPlan.none())
    plan = FaultPlan.for_modes(probe.corpus, ["redirect_offsite"], per_mode=2, other_host=other.base_url)
    redirected = plan.assigned["redirect_offsite"]
    with_links = [probe.corpus.path(i) for i in range(len(probe.corpus)) if probe.corpus.path(i) not in redirected][::4]
    for key in ["/fr/", *with_links, f"/fr/{probe.corpus.sources[0].slug}"]:
        plan.add(key, "foreign_links", times=None)
    r = make_replica(n_articles=60, seed=22, faults=plan)
    result = await crawl("maghress", tmp_path, base_url=r.base_url)

    assert other.server.request_log == []
    assert result.stats["downloader/request_count"] == len(r.server.request_log)
    assert result.stats[f"{PAGES_FAILED}/offsite_redirect"] == 2
    lost = {r.base_url + k for k in redirected}
    truth, groups = _truth_without(r, lost)
    for t in truth:  # the source links now point to the other host: recorded, never fetched
        key = t["url"][len(r.base_url) :]
        if key in with_links and t["original_url"]:
            t["original_url"] = foreign_source_link(other.base_url, key)
    problems = compare_with_truth(result.items, truth, groups)
    assert not problems, "\n".join(problems[:20])
    assert any(i["original_url"].startswith(other.base_url) for i in result.items if i["original_url"])


def _listening_ports(pid: int) -> set[tuple[str, int]]:
    try:
        conns = psutil.Process(pid).net_connections(kind="inet")
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return set()
    return {(c.laddr.ip, c.laddr.port) for c in conns if c.status == psutil.CONN_LISTEN}


@pytest.mark.parametrize("remote_control", [False, True], ids=["defaults", "control-RemoteControl-on"])
def test_scrapy_crawl_opens_no_listening_port(remote_control, make_replica, tmp_path):
    """REMOTE_CONTROL_ENABLED = TELNETCONSOLE_ENABLED = False: a crawl listens on
    nothing. The control run (RemoteControl switched on) shows the probe sees a port."""
    r = make_replica(n_articles=20, seed=23, faults=FaultPlan.none())
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        SCRAPY_SETTINGS_MODULE="newsagg.settings",
        HOME=str(tmp_path),
    )  # RemoteControl's job file
    cmd = [
        sys.executable,
        "-m",
        "scrapy.cmdline",
        "crawl",
        "maghress",
        "-a",
        f"base_url={r.base_url}",
        "-O",
        str(tmp_path / "out.jsonl"),
        "-s",
        "DOWNLOAD_DELAY=0.1",
        "-s",
        "CONCURRENT_REQUESTS=1",
    ]
    if remote_control:
        cmd += ["-s", "REMOTE_CONTROL_ENABLED=True"]
    log = (tmp_path / "crawl.log").open("w")
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    listening: set = set()
    samples = 0
    try:
        while proc.poll() is None:
            if r.server.request_log:  # the crawl is under way
                listening |= _listening_ports(proc.pid)
                samples += 1
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    text = (tmp_path / "crawl.log").read_text()
    assert proc.returncode == 0, text[-3000:]
    assert samples >= 10, "the crawl ended before it could be observed"
    enabled = text[text.index("Enabled extensions:") : text.index("]", text.index("Enabled extensions:"))]
    assert "TelnetConsole" not in enabled
    if remote_control:
        assert listening and "RemoteControl" in enabled
    else:
        assert listening == set(), listening
        assert "RemoteControl" not in enabled
