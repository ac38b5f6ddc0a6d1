"""Rendering JavaScript pages in Chromium, only where needed (spider argument ``render``).

- ``policy.RenderPolicy``: the spider's side: which page is fetched again
  through the browser (``auto``), and how render failures are counted.
- ``middleware.RenderMiddleware``: ``render=always``, and the
  ``newsagg/rendered/<why>`` stats.
- ``handler.RenderingDownloadHandler``: scrapy-playwright's download handler,
  started lazily (no Playwright driver, no Chromium until a page needs one),
  with the browser path from ``NEWSAGG_CHROMIUM`` / ``NEWSAGG_CHROMIUM_PATH``,
  one clear error when there is no browser, and recycled browser contexts.
- ``browser``: path, launch options, blocked resource types.
- ``wait``: waiting for the content (byline, listing links) in the page.

Settings: ``NEWSAGG_RENDER_*``, ``NEWSAGG_CHROMIUM_PATH`` and ``PLAYWRIGHT_*``
in newsagg/settings.py.
"""

from __future__ import annotations

#: Pages a spider fetches (``meta["newsagg_kind"]``) that may go through the browser.
RENDERED_KINDS = ("home", "listing", "article")
#: Stats: pages rendered, by why (listing_no_links, article_no_anchors, always).
RENDERED = "newsagg/rendered"


class RenderUnavailable(Exception):
    """No usable browser: the page that needed one is counted as ``render_unavailable``."""
