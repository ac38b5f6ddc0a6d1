"""Scrapy's FeedExporter, plus the dataset's needs.

Replaces ``scrapy.extensions.feedexport.FeedExporter`` in ``EXTENSIONS``:

- Under Scrapyd (a ``_job`` argument) Scrapyd sets ``FEEDS`` to its own items
  file (rotated after ``jobs_to_keep`` jobs), so ``NEWSAGG_DEFAULT_FEEDS`` would
  never apply. With ``NEWSAGG_SCRAPYD_DATASET`` (default on) the dataset feeds
  are added next to Scrapyd's: the research dataset always lands in
  ``NEWSAGG_DATA_DIR``.
- ``NEWSAGG_SPLIT_BY_SOURCE``: dataset feeds (feed option ``newsagg_dataset``)
  get one file per source instead of one per run, opened when the source's
  first item arrives. The slug is validated (``SLUG_RE``) before it goes
  into a path; an item with a bad slug is counted
  (``newsagg/feeds/rejected_slug``) and left out of the per-source files.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import NotConfigured
from scrapy.extensions.feedexport import FeedExporter, ItemFilter, apply_uri_params
from scrapy.utils.conf import feed_complete_default_values_from_settings
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


def is_scrapyd_job(crawler) -> bool:
    """True when Scrapyd launched this crawl (it passes ``-a _job=...``)."""
    args = getattr(crawler.spider, "args", None)
    return bool(getattr(args, "job", None))


class DatasetFeedExporter(FeedExporter):
    """FeedExporter with dataset feeds under Scrapyd and per-source splitting."""

    def __init__(self, crawler):
        settings = crawler.settings
        extra = {}
        if settings.getbool("NEWSAGG_SCRAPYD_DATASET", True) and is_scrapyd_job(crawler):
            extra = {uri: opts for uri, opts in settings.getdict("NEWSAGG_DEFAULT_FEEDS").items()
                     if uri not in settings.getdict("FEEDS")}
        try:
            super().__init__(crawler)
        except NotConfigured:
            if not extra:
                raise
            self._init_empty(crawler)
        for uri, opts in extra.items():
            self.feeds[uri] = feed_complete_default_values_from_settings(opts, settings, uri)
            self.filters[uri] = self._load_filter(opts)
            if not (self._storage_supported(uri, self.feeds[uri]) and self._exporter_supported(self.feeds[uri]["format"])):
                raise NotConfigured(f"bad dataset feed {uri}")
        if extra:
            logger.info("Scrapyd job: dataset feeds added next to Scrapyd's items feed: %s", ", ".join(extra))
        self.split = settings.getbool("NEWSAGG_SPLIT_BY_SOURCE")
        #: uri template -> {slug: slot} for per-source dataset feeds
        self._split_slots: dict[str, dict[str, Any]] = {}

    def _init_empty(self, crawler) -> None:
        """FeedExporter.__init__ without FEEDS (it raises NotConfigured then)."""
        self.crawler, self.settings = crawler, crawler.settings
        self.feeds, self.slots, self.filters, self._pending_close_tasks = {}, [], {}, []
        self.storages = self._load_components("FEED_STORAGES")
        self.exporters = self._load_components("FEED_EXPORTERS")

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
        try:
            safe_slug(slug, "source")
        except UnsafeName as exc:
            inc(self.crawler.stats, f"{PREFIX}/feeds/rejected_slug")
            logger.error("%s: item %s left out of the per-source files", exc, getattr(item, "url", "?"))
            return
        for template, by_slug in self._split_slots.items():
            if slug in by_slug:
                continue
            opts = dict(self.feeds[template], newsagg_source=slug)
            params = self._get_uri_params(spider, None)
            params["source"] = slug
            if opts["uri_params"]:  # dataset_uri_params turns "source" into source_part
                params = load_object(opts["uri_params"])(params, spider) or params
            uri = apply_uri_params(template, params)
            slot = self._start_new_batch(batch_id=1, uri=uri, feed_options=opts, spider=spider, uri_template=template)
            slot.filter = SourceFilter(opts, slug)
            by_slug[slug] = slot
            self.slots.append(slot)
