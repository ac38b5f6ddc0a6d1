"""The two middlewares at the edges of a captured crawl.

:class:`RawResponseMiddleware` (downloader, 990) keeps each response as it came
off the wire in ``request.meta`` for the publisher's WARC (off when no WARC is
written); :class:`WarcStampMiddleware` (spider, always on) copies the page's
WARC-Record-ID and WARC-Date into its item's ``warc_record_id`` and
``crawled_at``. docs/ARCHITECTURE.md "Raw captures".
"""

from __future__ import annotations

from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from newsagg.config import setting
from newsagg.profiles import is_dataset_run

#: request.meta keys: the wire response (status, protocol, headers, body) ...
RAW_META = "newsagg_warc_raw"
#: ... the WARC-Record-ID of the page (set when captured, or when replayed) ...
RECORD_ID_META = "newsagg_warc_id"
#: ... and the capture's WARC-Date (the record's crawled_at).
CAPTURED_AT_META = "newsagg_warc_date"


def captures_warc(crawler) -> bool:
    """Whether this crawl writes WARCs: a dataset run with ``NEWSAGG_WARC_ENABLED``."""
    return is_dataset_run(crawler) and setting(crawler.settings, "NEWSAGG_WARC_ENABLED", "getbool")


class RawResponseMiddleware:
    """Downloader middleware: the response's wire form into ``request.meta`` (module doc)."""

    @classmethod
    def from_crawler(cls, crawler):
        if not captures_warc(crawler):
            raise NotConfigured  # silently: no WARC this run

        return cls()

    def process_response(self, request: Request, response: Response) -> Response:
        # A retried or redirected response is replaced by the next one: only
        # the final one is written (the publisher, at response_received).
        request.meta[RAW_META] = (
            response.status,
            response.protocol or "HTTP/1.1",
            [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs],
            response.body,
        )
        return response


class WarcStampMiddleware(BaseSpiderMiddleware):
    """Spider middleware: ``warc_record_id`` and ``crawled_at`` of captured pages on items."""

    def get_processed_item(self, item, response):
        return stamp(item, getattr(response, "meta", None) if response is not None else None)


def stamp(item, meta: dict | None):
    """*item* with the WARC-Record-ID and WARC-Date of the page whose ``meta`` this is."""
    record_id = meta.get(RECORD_ID_META) if meta else None
    if record_id and hasattr(item, "warc_record_id"):
        item.warc_record_id = record_id
        captured = meta.get(CAPTURED_AT_META)
        if captured:
            item.crawled_at = captured
    return item
