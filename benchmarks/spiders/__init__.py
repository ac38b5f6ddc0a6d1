"""Reference spiders for the crawl benchmark, run with ``scrapy runspider <file>``.

``ceiling.py`` follows the links newsagg follows and extracts nothing;
``peer.py`` follows the same links and extracts each article with trafilatura.
Both share :class:`benchmarks.spiders.follow.FollowSpider`.
"""
