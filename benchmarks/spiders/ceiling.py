"""Ceiling: newsagg's link following with no extraction (what Scrapy itself does here).

scrapy runspider benchmarks/spiders/ceiling.py -a base_url=http://127.0.0.1:PORT
"""

from benchmarks.spiders.follow import FollowSpider


class CeilingSpider(FollowSpider):
    name = "bench_ceiling"
