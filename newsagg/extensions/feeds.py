"""Scrapy's FeedExporter, plus per-source dataset files.

Replaces ``scrapy.extensions.feedexport.FeedExporter`` in ``EXTENSIONS``.

- ``NEWSAGG_SPLIT_BY_SOURCE``: dataset feeds (feed option ``newsagg_dataset``)
  get one file per source instead of one per run, opened when the source's
  first item arrives. The slug is validated (``SLUG_RE``) before it goes
  into a path; an item with a bad slug is counted
  (``newsagg/feeds/rejected_slug``) and left out of the per-source files.

(The dataset feeds of a Scrapyd job, next to Scrapyd's own items feed, are
added to ``FEEDS`` before the settings freeze: :mod:`newsagg.profiles`.)

Scrapy has no public API to open a feed file mid-crawl, so
:meth:`DatasetFeedExporter._open_source_slot` calls the two
``FeedExporter`` methods Scrapy itself uses for a new batch file
(``_get_uri_params``, ``_start_new_batch``), there and nowhere else.
``tests/test_exporters.py::test_feed_exporter_internals_we_use`` pins their
signatures: a Scrapy upgrade that changes them fails that test, not a crawl.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.extensions.feedexport import FeedExporter, FeedSlot, ItemFilter, apply_uri_params
from scrapy.utils.misc import load_object

from newsagg.exporters.storage import UnsafeName, safe_slug
from newsagg.stats import PREFIX, inc

logger = logging.getLogger(__name__)


class SourceFilter(ItemFilter):
    """Accepts the items of one source only (per-source dataset files)."""

    def __init__(self, feed_options: dict[str, Any] | None, slug: str):
        super().__init__(feed_options)
        self.slug = slug

    def accepts(self, item: Any) -> bool:
        return getattr(item, "source_slug", None) == self.slug and super().accepts(item)


class DatasetFeedExporter(FeedExporter):
    """FeedExporter with per-source dataset files (``NEWSAGG_SPLIT_BY_SOURCE``)."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.split = crawler.settings.getbool("NEWSAGG_SPLIT_BY_SOURCE")
        #: uri template -> {slug: slot} for per-source dataset feeds
        self._split_slots: dict[str, dict[str, Any]] = {}

    def _is_split(self, uri_template: str) -> bool:
        return self.split and bool(self.feeds[uri_template].get("newsagg_dataset"))

    def open_spider(self, spider) -> None:
        split = [uri for uri in self.feeds if self._is_split(uri)]
        for uri in split:
            self._split_slots[uri] = {}
        keep = {uri: opts for uri, opts in self.feeds.items() if uri not in split}
        all_feeds, self.feeds = self.feeds, keep
        try:
            super().open_spider(spider)
        finally:
            self.feeds = all_feeds

    def item_scraped(self, item: Any, spider) -> None:
        if self._split_slots:
            self._open_source_slots(item, spider)
        super().item_scraped(item, spider)

    def _open_source_slots(self, item: Any, spider) -> None:
        slug = getattr(item, "source_slug", None)
        if all(slug in by_slug for by_slug in self._split_slots.values()):
            return  # files open: the slug was validated when they were opened
        try:
            safe_slug(slug, "source")
        except UnsafeName as exc:
            inc(self.crawler.stats, f"{PREFIX}/feeds/rejected_slug")
            logger.error("%s: item %s left out of the per-source files", exc, getattr(item, "url", "?"))
            return
        for template, by_slug in self._split_slots.items():
            if slug not in by_slug:
                by_slug[slug] = self._open_source_slot(template, slug, spider)

    def _open_source_slot(self, template: str, slug: str, spider) -> FeedSlot:
        """A new feed file of *template* for source *slug* (the only use of Scrapy internals: module doc)."""
        opts = dict(self.feeds[template], newsagg_source=slug)
        params = self._get_uri_params(spider, None)
        params["source"] = slug
        if opts["uri_params"]:  # dataset_uri_params turns "source" into source_part
            params = load_object(opts["uri_params"])(params, spider) or params
        slot = self._start_new_batch(
            batch_id=1, uri=apply_uri_params(template, params), feed_options=opts, spider=spider, uri_template=template
        )
        slot.filter = SourceFilter(opts, slug)
        self.slots.append(slot)
        return slot
