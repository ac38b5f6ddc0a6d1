"""End-to-end, authors and bodies: turess and djazairess replicas,
whose pages carry author links and ``Par`` lines, author pages, doubled
bodies, promo lines and (turess) the older ``Tweet Share … Suivant`` layout.
Every record equals the ground truth field by field, author included."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet import defer

from newsagg.extensions.summary import format_summary
from newsagg.stats import summarize
from tests.crawling import compare_with_truth, crawl

SITES = ("turess", "djazairess")


@pytest.fixture(scope="module", params=SITES)
def site_crawl(request, make_replica_module, tmp_path_factory):
    replica = make_replica_module(site=request.param, n_articles=160, seed=11)
    out = tmp_path_factory.mktemp(f"content-{request.param}")
    result = pytest_twisted.blockon(defer.ensureDeferred(crawl(request.param, out, base_url=replica.base_url)))
    return request.param, replica, result


def test_every_record_exact_author_included(site_crawl):
    _site, replica, result = site_crawl
    problems = compare_with_truth(result.items, replica.truth, replica.republication_groups)
    assert not problems, "\n".join(problems[:40])
    expected = len(replica.truth) - sum(len(g) - 1 for g in replica.republication_groups)
    assert len(result.items) == expected


def test_the_cases_are_there_and_counted(site_crawl):
    site, replica, result = site_crawl
    corpus, stats = replica.corpus, result.stats
    arts = [corpus.article(i) for i in range(len(corpus))]
    kept = {i["url"] for i in result.items}
    base = replica.base_url
    # The replica plants every case (else the exact comparison above proves little).
    forms = {a.author_form for a in arts}
    assert forms >= {"link", "after", "par", "par+link", "none"}
    assert any(a.author is None and a.author_slug for a in arts), "a junk author link"
    assert any(a.doubled for a in arts) and any(a.promo for a in arts) and any(a.promo_glued for a in arts)
    if site == "turess":
        assert any(a.layout == "old" and a.next_path for a in arts)
    # Counted where it was met (kept articles only: a republication may be dropped later).
    doubled = [a for a in arts if a.doubled and base + a.path in kept]
    assert stats.get("newsagg/body/doubled", 0) >= len(doubled) > 0
    promos = [a for a in arts if a.promo and base + a.path in kept]
    assert stats.get("newsagg/body/promo_removed", 0) >= len(promos) > 0
    assert (
        stats.get("newsagg/author/par_line", 0)
        >= len([a for a in arts if a.author_form == "par" and base + a.path in kept])
        > 0
    )
    assert stats.get("newsagg/author/link", 0) > 0
    # The summary prints them.
    text = format_summary(summarize(stats))
    for key in ("body/doubled", "body/promo_removed", "skipped/author_page", "author/par_line"):
        assert key in text


def test_author_pages_never_requested(site_crawl):
    _site, replica, result = site_crawl
    paths = [p for _, p in replica.server.request_log]
    assert not [p for p in paths if p.startswith("/fr/author")]
    # Met (home "Nos auteurs", bylines, listings) and counted once each.
    assert result.stats.get("newsagg/skipped/author_page", 0) >= 5
    assert not result.stats.get("newsagg/pages/listing/author")
