"""Parse the byline date into ``published_at`` in the site's time zone."""

from __future__ import annotations

import logging

from newsagg.dates import date_status, parse_date
from newsagg.items import ArticleItem
from newsagg.pipelines import StatsPipeline
from newsagg.sites import SITES
from newsagg.stats import PREFIX, inc

logger = logging.getLogger(__name__)


class DatePipeline(StatsPipeline):
    """Fill ``published_at`` from ``published_raw``; count missing/impossible dates.

    An article without a usable date is kept with ``published_at`` null.
    """

    def process_item(self, item: ArticleItem, spider=None) -> ArticleItem:
        site = SITES.get(item.site)
        tz = site.tz if site else "UTC"
        if not item.published_raw:
            item.published_at = None
            inc(self.stats, f"{PREFIX}/dates/missing")
            logger.info("No date in byline: %s", item.url)
            return item
        item.published_at = parse_date(item.published_raw, tz=tz)
        if item.published_at is None:
            # "impossible" (31 - 02 - 2024) vs "missing" (no date in the text)
            status = date_status(item.published_raw, tz=tz)
            inc(self.stats, f"{PREFIX}/dates/{'impossible' if status == 'impossible' else 'missing'}")
            logger.warning("No valid date in %r (%s): %s", item.published_raw, status, item.url)
        return item
