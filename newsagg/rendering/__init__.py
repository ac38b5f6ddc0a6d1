"""Rendering JavaScript pages in Chromium, only where needed (spider argument ``render``).

``policy`` (which page goes through the browser), ``middleware``
(``render=always``), ``handler`` (the lazy scrapy-playwright handler),
``browser`` (path, launch options, blocked resources), ``wait`` (the content in
the page). docs/ARCHITECTURE.md "Rendering".
"""

from __future__ import annotations

#: Pages a spider fetches (``meta["newsagg_kind"]``) that may go through the browser.
RENDERED_KINDS = ("home", "listing", "article")
#: Stats: pages rendered, by why (listing_no_links, article_no_anchors, always).
RENDERED = "newsagg/rendered"


class RenderUnavailable(Exception):
    """No usable browser: the page that needed one is counted as ``render_unavailable``."""
