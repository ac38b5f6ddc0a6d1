"""Pipeline unit tests: one concern each, drops counted by reason."""

from __future__ import annotations

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from newsagg.args import CrawlArgs
from newsagg.items import ArticleItem
from newsagg.pipelines.clean import BoilerplatePipeline
from newsagg.pipelines.dates import DatePipeline
from newsagg.pipelines.dedup import DedupPipeline
from newsagg.pipelines.validate import ValidationPipeline
from newsagg.pipelines.window import WindowPipeline
from newsagg.text import fingerprint


def stats():
    return MemoryStatsCollector(get_crawler())


def item(**kw) -> ArticleItem:
    base = dict(
        url="http://x/fr/h24info/1",
        site="maghress",
        source_slug="h24info",
        source="H24 Info",
        article_id="1",
        title="Un titre",
        body="Un corps de texte.",
        published_raw="24 - 04 - 2019",
    )
    base.update(kw)
    it = ArticleItem(**base)
    it.fingerprint = fingerprint(it.title, it.body)
    return it


def test_boilerplate_pipeline_cleans_and_measures():
    it = item(
        title="  Un   titre - Maghress ",
        body="Merci d'avoir signalé!\n\nLe fait a été signalé hier.\n\nPartager\n\n"
        "Cliquez ici pour lire l'article depuis sa source.",
    )
    out = BoilerplatePipeline().process_item(it)
    assert out.title == "Un titre"
    assert out.body == "Le fait a été signalé hier."
    assert out.word_count == 6
    assert out.fingerprint == fingerprint("Un titre", "Le fait a été signalé hier.")


@pytest.mark.parametrize(
    "site, raw, want, stat",
    [
        ("maghress", "24 - 04 - 2019", "2019-04-24", None),
        ("maghress", "10 - 03 - 2025 à 12h00", "2025-03-10T12:00:00+00:00", None),
        ("maghress", "10 - 05 - 2025 à 12h00", "2025-05-10T12:00:00+01:00", None),
        ("djazairess", "10 - 03 - 2025 à 12h00", "2025-03-10T12:00:00+01:00", None),
        ("turess", "01 - 08 - 2008 à 09h00", "2008-08-01T09:00:00+02:00", None),
        ("maghress", "24 - 04 - 2019 à 08h15 GMT", "2019-04-24T08:15:00+00:00", None),
        ("maghress", "31 - 02 - 2024", None, "impossible"),
        ("maghress", None, None, "missing"),
    ],
)
def test_date_pipeline(site, raw, want, stat):
    st = stats()
    out = DatePipeline(st).process_item(item(site=site, published_raw=raw))
    assert out.published_at == want
    counted = {k.rsplit("/", 1)[1] for k in st.get_stats() if k.startswith("newsagg/dates/")}
    assert counted == ({stat} if stat else set())


@pytest.mark.parametrize("field, reason", [("title", "invalid_no_title"), ("body", "invalid_no_body")])
def test_validation_drops_and_counts(field, reason):
    st = stats()
    with pytest.raises(DropItem):
        ValidationPipeline(st).process_item(item(**{field: None}))
    assert st.get_value(f"newsagg/items_dropped/{reason}") == 1


def test_validation_keeps_dateless_article():
    st = stats()
    it = item(published_raw=None, published_at=None)
    assert ValidationPipeline(st).process_item(it) is it
    assert not [k for k in st.get_stats() if k.startswith("newsagg/items_dropped/")]


def test_dedup_by_key_and_by_content():
    st = stats()
    p = DedupPipeline(st)
    p.process_item(item())
    with pytest.raises(DropItem):
        p.process_item(item(title="Autre", body="Autre texte."))  # same key
    with pytest.raises(DropItem):  # same text under another source/id
        p.process_item(item(url="http://x/fr/lematin/7", source_slug="lematin", article_id="7"))
    p.process_item(item(url="http://x/fr/lagazette/1", source_slug="lagazette", body="Un autre corps."))
    assert st.get_value("newsagg/items_dropped/duplicate_key") == 1
    assert st.get_value("newsagg/items_dropped/duplicate_content") == 1


def test_same_id_in_two_sources_are_two_articles():
    st = stats()
    p = DedupPipeline(st)
    first = item(url="http://x/fr/lematin/2016", source_slug="lematin", article_id="2016")
    second = item(url="http://x/fr/lagazette/2016", source_slug="lagazette", article_id="2016", body="B.")
    assert p.process_item(first) is first
    assert p.process_item(second) is second  # same id, other source: not a duplicate key
    assert not [k for k in st.get_stats() if k.startswith("newsagg/items_dropped/")]


def test_window_pipeline():
    st = stats()
    p = WindowPipeline(st, CrawlArgs.parse({"since": "2024-01-01", "until": "2024-01-31"}, "http://x"))
    assert p.process_item(item(published_at="2024-01-31T23:30:00+01:00"))
    for published, _reason in (
        ("2023-12-31", "out_of_window"),
        ("2024-02-01", "out_of_window"),
        (None, "undated_in_window"),
    ):
        with pytest.raises(DropItem):
            p.process_item(item(published_at=published))
    assert st.get_value("newsagg/items_dropped/out_of_window") == 2
    assert st.get_value("newsagg/items_dropped/undated_in_window") == 1


def test_window_pipeline_off_without_window():
    crawler = get_crawler()
    crawler.spider = None
    with pytest.raises(NotConfigured):
        WindowPipeline.from_crawler(crawler)
