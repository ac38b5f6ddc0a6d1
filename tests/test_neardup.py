"""Near-duplicates: every planted rewrite is linked, no two distinct articles are.

Measured on replicas of a few hundred articles (three sites) and on the
default fixture, feeding the ground-truth records through the real pipeline
in crawl-like random orders, and once through a real crawl over HTTP.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
import pytest_twisted
from hypothesis import given
from hypothesis import strategies as st
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from newsagg.items import ArticleItem
from newsagg.minhash import similarity
from newsagg.pipelines.neardup import MinHashIndex, NearDupPipeline, item_signature
from newsagg.replica import Corpus, expected_records, near_duplicate_pairs, republication_groups
from newsagg.replica.truth import align_links
from newsagg.spiders.maghress import MaghressSpider
from newsagg.state import open_state
from newsagg.state.base import SegmentCommit
from tests.crawling import compare_with_truth, crawl, open_publisher, project_settings

BASE = "http://replica.test"


def pipeline(**settings) -> NearDupPipeline:
    return NearDupPipeline.from_crawler(get_crawler(settings_dict=project_settings(**settings)))


def crawlable(corpus: Corpus) -> list[ArticleItem]:
    """Truth records as items (one per republication group, as the dedup keeps), link cleared."""
    later_copies = {g[1] for g in republication_groups(corpus, BASE)}
    return [
        ArticleItem(**dict(t, near_duplicate_of=None))
        for t in expected_records(corpus, BASE)
        if t["url"] not in later_copies
    ]


def links_after(items: list[ArticleItem], order_seed: int, **settings) -> set[tuple[str, str]]:
    items = list(items)
    random.Random(order_seed).shuffle(items)
    pipe = pipeline(**settings)
    out = set()
    for it in items:
        it = ArticleItem(**{**it.__dict__, "near_duplicate_of": None})
        pipe.process_item(it)
        if it.near_duplicate_of:
            out.add((it.near_duplicate_of, it.url))
    return out


@pytest.mark.parametrize("site,n,seed", [("maghress", 400, 3), ("djazairess", 300, 8), ("turess", 300, 5)])
def test_planted_pairs_found_and_nothing_else(site, n, seed):
    corpus = Corpus(site, n_articles=n, seed=seed)
    planted = {frozenset(p) for p in near_duplicate_pairs(corpus, BASE)}
    assert len(planted) >= 4
    items = crawlable(corpus)
    for order in range(2):
        links = links_after(items, order)
        assert {frozenset(link) for link in links} == planted, f"order {order}"
        assert len(links) == len(planted), "each pair linked once, in one direction"


def test_default_fixture_pairs(replica):
    planted = {frozenset(p) for p in near_duplicate_pairs(replica.corpus, replica.base_url)}
    later_copies = {g[1] for g in replica.republication_groups}
    items = [ArticleItem(**dict(t, near_duplicate_of=None)) for t in replica.truth if t["url"] not in later_copies]
    for order in range(2):
        assert {frozenset(link) for link in links_after(items, order)} == planted


def test_planted_rewrites_score_far_from_distinct_articles():
    corpus = Corpus("maghress", n_articles=300, seed=21)
    by_url = {i.url: i for i in crawlable(corpus)}
    sigs = {u: item_signature(i) for u, i in by_url.items()}
    pairs = near_duplicate_pairs(corpus, BASE)
    assert min(similarity(sigs[a], sigs[b]) for a, b in pairs) >= 0.7
    urls = sorted(sigs)
    rng = random.Random(1)
    distinct = [(a, b) for a, b in (rng.sample(urls, 2) for _ in range(3000)) if {a, b} not in map(set, pairs)]
    assert max(similarity(sigs[a], sigs[b]) for a, b in distinct) < 0.4


def test_threshold_is_a_setting():
    corpus = Corpus("maghress", n_articles=200, seed=3)
    items = crawlable(corpus)
    assert links_after(items, 0, NEWSAGG_NEARDUP_THRESHOLD=0.5)
    assert not links_after(items, 0, NEWSAGG_NEARDUP_THRESHOLD=1.0)
    with pytest.raises(ValueError):
        pipeline(NEWSAGG_NEARDUP_THRESHOLD=0)


def test_bulk_load_keeps_answers():
    """The bulk path (signatures of earlier runs) indexes as one-by-one adds do."""
    corpus = Corpus("turess", n_articles=120, seed=2)
    items = crawlable(corpus)
    a, b = MinHashIndex(0.5), MinHashIndex(0.5)
    for it in items:
        a.add(item_signature(it), it.url)
    b.add_many((item_signature(it), it.url) for it in items)
    for it in items:
        found = a.query(item_signature(it))
        assert found == b.query(item_signature(it)) and found[1] == 1.0
        assert found[0] == it.url or {found[0], it.url} in map(set, near_duplicate_pairs(corpus, BASE))


def test_links_reach_back_to_earlier_runs(tmp_path):
    """An article stored by an earlier run is found through the state's band keys."""
    corpus = Corpus("maghress", n_articles=200, seed=3)
    by_url = {i.url: i for i in crawlable(corpus)}
    earlier, later = near_duplicate_pairs(corpus, BASE)[0]
    state = open_state(Settings({"NEWSAGG_STATE_DIR": str(tmp_path)}), "maghress")
    old = by_url[earlier]
    state.claim(old.key, old.fingerprint, old.url, "run1", signature=item_signature(old))
    state.commit("run1", SegmentCommit("seg1"))
    state.close()
    new = ArticleItem(**{**by_url[later].__dict__, "near_duplicate_of": None})
    # The next runs: the real publisher opens the state; full=1 stands alone.
    for full, expected in (("0", earlier), ("1", None)):
        crawler = get_crawler(
            MaghressSpider,
            project_settings(NEWSAGG_STATE_DIR=str(tmp_path), NEWSAGG_DATA_DIR=str(tmp_path / "data")),
        )
        crawler.spider = MaghressSpider.from_crawler(crawler, full=full)
        publisher = open_publisher(crawler, f"run-full{full}")
        try:
            assert publisher.backend is not None and publisher.full is (full == "1")
            new.near_duplicate_of = None
            assert NearDupPipeline.from_crawler(crawler).process_item(new).near_duplicate_of == expected
        finally:
            publisher._timer.stop()
            publisher.engine_stopped()


def test_align_links_accepts_either_direction_only_for_planted_pairs():
    truth = [
        {"url": "a", "near_duplicate_of": None},
        {"url": "b", "near_duplicate_of": "a"},
        {"url": "c", "near_duplicate_of": None},
    ]
    reversed_ = [
        {"url": "a", "near_duplicate_of": "b"},
        {"url": "b", "near_duplicate_of": None},
        {"url": "c", "near_duplicate_of": None},
    ]
    assert align_links(reversed_, truth) == truth
    wrong = [
        {"url": "a", "near_duplicate_of": "c"},
        {"url": "b", "near_duplicate_of": None},
        {"url": "c", "near_duplicate_of": None},
    ]
    assert align_links(wrong, truth) == wrong  # and so a comparison fails


@pytest_twisted.ensureDeferred
async def test_real_crawl_links_exactly_the_planted_pairs(make_replica, tmp_path):
    site = make_replica(n_articles=300, seed=19)
    result = await crawl("maghress", tmp_path, base_url=site.base_url)
    problems = compare_with_truth(result.items, site.truth, site.republication_groups)
    assert not problems, "\n".join(problems[:30])
    links = {frozenset((i["url"], i["near_duplicate_of"])) for i in result.items if i["near_duplicate_of"]}
    assert links == {frozenset(p) for p in near_duplicate_pairs(site.corpus, site.base_url)}
    assert result.stats["newsagg/near_duplicates"] == len(links) >= 5


def test_an_item_dropped_later_leaves_the_index():
    """A copy annotated here but dropped by a later pipeline (e.g. a republication
    another worker holds) must not become the target of a link."""
    from scrapy import signals
    from scrapy.exceptions import DropItem

    corpus = Corpus("maghress", n_articles=200, seed=3)
    by_url = {i.url: i for i in crawlable(corpus)}
    earlier, later = near_duplicate_pairs(corpus, BASE)[0]
    pipe = pipeline()
    first = ArticleItem(**{**by_url[earlier].__dict__, "near_duplicate_of": None})
    pipe.process_item(first)
    pipe.crawler.signals.send_catch_log(
        signals.item_dropped, item=first, response=None, exception=DropItem("claimed_elsewhere"), spider=None
    )
    second = ArticleItem(**{**by_url[later].__dict__, "near_duplicate_of": None})
    assert pipe.process_item(second).near_duplicate_of is None
    pipe.crawler.signals.send_catch_log(signals.item_scraped, item=second, response=None, spider=None)
    third = ArticleItem(**{**by_url[earlier].__dict__, "near_duplicate_of": None})
    assert pipe.process_item(third).near_duplicate_of == later, "a written item stays indexed"
    assert len(pipe.index) == 2
    assert not pipe.stats.get_value("newsagg/near_duplicates"), "counted when written, not when annotated"
    pipe.crawler.signals.send_catch_log(
        signals.item_dropped, item=third, response=None, exception=DropItem("claimed_elsewhere"), spider=None
    )
    assert not pipe.stats.get_value("newsagg/near_duplicates") and len(pipe.index) == 1


def _reference_signature(title, body):
    """signature, plainly: a set of unsigned shingle hashes, a loop over all 64 bins."""
    import hashlib
    import struct

    from newsagg.minhash import _GOLDEN, _NO_VALUE, _SIG_FMT, _VERSION, NUM_HASHES, SHINGLE
    from newsagg.text import normalize_for_fingerprint

    words = normalize_for_fingerprint(title, body).split()
    if not words:
        return None
    wh = [int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(), "little") for w in words]
    m64 = (1 << 64) - 1
    if len(wh) <= SHINGLE:
        hashes = {hash(tuple(wh)) & m64}
    else:
        hashes = {hash(t) & m64 for t in zip(*(wh[i:] for i in range(SHINGLE)), strict=False)}
    mins = [_NO_VALUE] * NUM_HASHES
    for h in hashes:
        b, v = h >> 58, h & 0xFFFFFFFF
        mins[b] = min(mins[b], v)
    if _NO_VALUE in mins:
        filled = [i for i, v in enumerate(mins) if v != _NO_VALUE]
        for i in range(NUM_HASHES):
            if mins[i] == _NO_VALUE:
                j = next((f for f in filled if f > i), filled[0])
                mins[i] = (mins[j] + ((j - i) % NUM_HASHES) * _GOLDEN) & 0xFFFFFFFF
    return _VERSION + struct.pack(_SIG_FMT, *mins)


@given(
    st.text(max_size=30),
    st.lists(
        st.sampled_from(["le", "la", "un", "de", "Maroc", "Rabat", "a", "été", "dit", "2024", "l'État"]), max_size=80
    ),
)
def test_signature_equals_the_plain_version(title, words):
    from newsagg.minhash import signature

    body = " ".join(words)
    assert signature.__wrapped__(title, body) == _reference_signature(title, body)


def test_signature_of_real_articles_equals_the_plain_version():
    from newsagg.minhash import signature

    for it in crawlable(Corpus("djazairess", n_articles=150, seed=4)):
        assert signature.__wrapped__(it.title, it.body) == _reference_signature(it.title, it.body)


def test_key_filter_never_hides_a_candidate():
    """The in-memory band-key filter only skips lookups that SQLite would answer with nothing."""
    corpus = Corpus("maghress", n_articles=200, seed=9)
    items = crawlable(corpus)
    sigs = [(item_signature(it), it.url) for it in items]
    index = MinHashIndex(0.5)
    plain = MinHashIndex(0.5)
    plain._filter = bytearray(b"\xff" * len(plain._filter))  # every bit set: every lookup goes to SQLite
    for n, (sig, url) in enumerate(sigs):
        assert sorted(index.candidates(sig)) == sorted(plain.candidates(sig))
        assert index.query(sig) == plain.query(sig)
        entry, other = index.add(sig, url), plain.add(sig, url)
        if n % 7 == 0:  # forgotten entries leave their bits set: lookups still agree
            index.remove(entry)
            plain.remove(other)
    assert len(index) == len(plain)


def _reference_query(index: MinHashIndex, sig: bytes):
    """MinHashIndex.query written plainly: similarity() per candidate."""
    best = None
    for i, url, other in index.candidates(sig):
        sim = similarity(sig, other)
        if sim >= index.threshold and (best is None or (sim, -i) > (best[0], -best[1])):
            best = (sim, i, url)
    return None if best is None else (best[2], best[0])


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8])
def test_query_equals_the_per_candidate_version(threshold):
    """The vectorised check picks what similarity() per candidate picks: same URL, same score, ties earliest."""
    # Unrelated replica articles share (almost) no shingle, as real news: after
    # each pair of neighbours comes a splice of their paragraphs, so that
    # candidates come at every similarity.
    items = []
    for k, it in enumerate(crawlable(Corpus("maghress", n_articles=400, seed=13))):
        if items:
            mine, theirs = (items[-1].body or "").split("\n\n"), (it.body or "").split("\n\n")
            cut = 1 + k % max(1, len(mine) - 1)
            items += [it, dataclasses.replace(it, url=it.url + "/splice", body="\n\n".join(mine[:cut] + theirs[cut:]))]
        else:
            items.append(it)
    index = MinHashIndex(threshold)
    asked = matched = 0
    for it in items:
        sig = item_signature(it)
        rows = index.candidates(sig)
        assert len({r[0] for r in rows}) == len(rows), "each candidate once"
        asked += bool(rows)
        got = index.query(sig)
        assert got == _reference_query(index, sig)
        matched += got is not None
        index.add(sig, it.url)
        index.add(sig, it.url + "#twin")  # equal scores: the earliest entry must win
    assert asked > 100 and matched > 0, (asked, matched)
