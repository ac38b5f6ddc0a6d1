"""Peer: newsagg's link following, each article extracted with trafilatura.

What a user would otherwise pick: trafilatura's default extraction (fallback
extractors on) with metadata (title, date, site name), one dict per article
page, written to the feed given with ``-O``.

    scrapy runspider benchmarks/spiders/peer.py -a base_url=http://127.0.0.1:PORT -O peer.jsonl
"""

from __future__ import annotations

import trafilatura

from benchmarks.spiders.follow import FollowSpider


class PeerSpider(FollowSpider):
    name = "bench_peer"

    def extract(self, response):
        ref = response.meta["bench_ref"]
        doc = trafilatura.bare_extraction(response.text, url=response.url, with_metadata=True, include_comments=False)
        if doc is None:
            self.crawler.stats.inc_value("bench/peer/no_extraction")
            return None
        return {
            "url": ref.url,
            "source_slug": ref.slug,
            "article_id": ref.article_id,
            "title": doc.title,
            "published_at": doc.date,
            "source": doc.sitename,
            "body": doc.text,
        }
