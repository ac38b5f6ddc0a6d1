"""Items floor: the ceiling plus Scrapy's own price of writing one record per article.

Follows the same links as the ceiling, extracts nothing, and yields a fixed
record (the article's URL and keys, other fields empty) per article page
through as many do-nothing item pipelines as newsagg has into CSV + JSONL
feeds. The gap between this and the ceiling is what any spider pays Scrapy
to emit items (pipeline chain, item_scraped signal, two exporters), before
extracting anything; newsagg's own work is the gap between this and newsagg.

    scrapy runspider benchmarks/spiders/items.py -a base_url=http://127.0.0.1:PORT -O items.csv -O items.jsonl
"""

from __future__ import annotations

from scrapy.utils.project import get_project_settings

from benchmarks.spiders.follow import FollowSpider
from newsagg.items import FIELDS


class NoOpPipeline:
    """An item pipeline that does nothing (Scrapy's per-pipeline overhead)."""

    def process_item(self, item, spider=None):
        return item


# As many as newsagg has, each a distinct class: Scrapy keys pipelines by class path.
_COUNT = len(get_project_settings().getdict("ITEM_PIPELINES")) or 1
for _i in range(_COUNT):
    globals()[f"NoOp{_i}"] = type(f"NoOp{_i}", (NoOpPipeline,), {})
PIPELINES = {f"benchmarks.spiders.items.NoOp{i}": 100 + i for i in range(_COUNT)}


class ItemsSpider(FollowSpider):
    name = "bench_items"
    custom_settings = {"ITEM_PIPELINES": PIPELINES, "EXTENSIONS": {}, "FEED_EXPORT_FIELDS": list(FIELDS)}

    def extract(self, response):
        ref = response.meta["bench_ref"]
        record = dict.fromkeys(FIELDS)
        record.update(url=ref.url, site="maghress", source_slug=ref.slug, article_id=ref.article_id)
        return record
