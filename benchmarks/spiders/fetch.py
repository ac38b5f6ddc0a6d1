"""Ceiling, as a floor of cost: Scrapy fetching exactly the replica's pages, parsing nothing.

The page list (home, every listing page, every article: ``kind url`` lines)
comes from the replica's ground truth (:func:`benchmarks.harness.replica_pages`),
so no response is parsed, not even for links: what is left is Scrapy's own
price of downloading these pages (scheduler, downloader, middlewares, stats).

    scrapy runspider benchmarks/spiders/fetch.py -a urls=pages.txt
"""

from __future__ import annotations

import scrapy

from newsagg.spiders.base import PRIORITY_ARTICLE, PRIORITY_HOME, PRIORITY_LISTING

_PRIORITY = {"home": PRIORITY_HOME, "listing": PRIORITY_LISTING, "article": PRIORITY_ARTICLE}


class FetchSpider(scrapy.Spider):
    """Requests every URL of ``-a urls=FILE`` once; counts responses by kind."""

    name = "bench_fetch"
    # Bare: none of the project's pipelines or extensions.
    custom_settings = {"ITEM_PIPELINES": {}, "EXTENSIONS": {}}

    def __init__(self, urls: str = "", *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not urls:
            raise ValueError("urls is required (-a urls=FILE of 'kind url' lines)")
        self.urls_file = urls

    async def start(self):
        with open(self.urls_file, encoding="utf-8") as fh:
            for line in fh:
                kind, _, url = line.strip().partition(" ")
                if url:
                    yield scrapy.Request(
                        url, callback=self.parse, priority=_PRIORITY.get(kind, 0), cb_kwargs={"kind": kind}
                    )

    def parse(self, response, kind: str = ""):
        self.crawler.stats.inc_value(f"bench/pages/{kind}")
        return None
