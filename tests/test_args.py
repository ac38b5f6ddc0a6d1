"""Spider arguments arrive as strings and are validated in one place."""

from __future__ import annotations

import datetime as dt

import pytest

from newsagg.args import ArgumentError, CrawlArgs
from newsagg.spiders.maghress import MaghressSpider

LIVE = "https://www.maghress.com"


def test_defaults_are_the_live_site():
    a = CrawlArgs.parse({}, LIVE)
    assert (a.base_url, a.sources, a.max_pages, a.since, a.until, a.urls, a.render, a.full) == (
        LIVE,
        None,
        None,
        None,
        None,
        (),
        "auto",
        False,
    )


def test_all_arguments_typed():
    a = CrawlArgs.parse(
        {
            "base_url": "http://127.0.0.1:8000/fr/",
            "sources": "h24info, LeMatin,h24info",
            "max_pages": "3",
            "since": "2024-01-01",
            "until": "2024-12-31",
            "render": "NEVER",
            "full": "1",
            "_job": "abc",
            "urls": "/fr/h24info/12?utm_source=x,http://127.0.0.1:8000/fr/lematin/2016#c",
        },
        LIVE,
    )
    assert a.base_url == "http://127.0.0.1:8000"
    assert a.sources == ("h24info", "lematin")
    assert a.max_pages == 3 and a.full is True and a.render == "never" and a.job == "abc"
    assert (a.since, a.until) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert a.urls == ("http://127.0.0.1:8000/fr/h24info/12", "http://127.0.0.1:8000/fr/lematin/2016")


@pytest.mark.parametrize(
    "raw, needle",
    [
        ({"max_pages": "0"}, "max_pages"),
        ({"max_pages": "two"}, "max_pages"),
        ({"since": "24/04/2019"}, "since"),
        ({"since": "2024-02-01", "until": "2024-01-01"}, "after until"),
        ({"base_url": "ftp://x"}, "base_url"),
        ({"base_url": "http://127.0.0.1:8000/ar/"}, "base_url"),
        ({"base_url": "http://127.0.0.1:99999"}, "base_url"),
        ({"sources": "h24-info"}, "sources"),
        ({"render": "sometimes"}, "render"),
        ({"full": "maybe"}, "full"),
        ({"urls": "https://www.h24info.ma/x"}, "urls"),
        ({"urls": "/fr/contact"}, "urls"),
        ({"max_page": "2"}, "unknown spider argument"),
    ],
)
def test_bad_values_have_clear_errors(raw, needle):
    with pytest.raises(ArgumentError, match=needle):
        CrawlArgs.parse(raw, LIVE)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-13-01", "since='2024-13-01': there is no month 13 (01 to 12)"),
        ("2024-00-10", "since='2024-00-10': there is no month 00 (01 to 12)"),
        ("2024-04-31", "since='2024-04-31': 2024-04 has no day 31 (01 to 30)"),
        ("2023-02-29", "since='2023-02-29': 2023-02 has no day 29 (01 to 28)"),
        ("2024-02-30", "since='2024-02-30': 2024-02 has no day 30 (01 to 29)"),
        ("2024-01-00", "since='2024-01-00': 2024-01 has no day 00 (01 to 31)"),
        ("0000-01-01", "since='0000-01-01': there is no year 0000"),
        ("24/04/2019", "since='24/04/2019': expected a date as YYYY-MM-DD"),
        ("2024-1-5", "since='2024-1-5': expected a date as YYYY-MM-DD"),
        ("20240105", "since='20240105': expected a date as YYYY-MM-DD"),
        ("٢٠٢٤-01-05", "since='٢٠٢٤-01-05': expected a date as YYYY-MM-DD"),  # Arabic-Indic digits
    ],
)
def test_a_bad_date_says_what_is_wrong_in_it(value, message):
    with pytest.raises(ArgumentError) as exc:
        CrawlArgs.parse({"since": value}, LIVE)
    assert str(exc.value) == message


@pytest.mark.parametrize("value", ["2024-02-29", "2000-02-29", "1999-12-31", " 2024-01-05 "])
def test_real_dates_pass(value):
    assert CrawlArgs.parse({"until": value}, LIVE).until == dt.date.fromisoformat(value.strip())


def test_spider_validates_and_accepts_scrapyd_job():
    spider = MaghressSpider(base_url="http://127.0.0.1:8000", _job="0f1e", max_pages="2")
    assert spider.args.job == "0f1e" and spider.args.max_pages == 2
    assert spider.allowed_domains == ["127.0.0.1", "localhost", "::1"]  # the loopback aliases
    assert MaghressSpider().allowed_domains == ["www.maghress.com", "maghress.com"]  # the twin hosts
    with pytest.raises(ArgumentError):
        MaghressSpider(max_pages="-1")


def test_window():
    a = CrawlArgs.parse({"since": "2024-01-01", "until": "2024-01-31"}, LIVE)
    assert a.in_window(dt.date(2024, 1, 15)) and not a.in_window(dt.date(2023, 12, 31))
    assert a.in_window(None)
