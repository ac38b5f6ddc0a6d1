"""The spider's side of rendering: which pages go through the browser.

``render=auto``: a listing page without article links of its source whose
markup suggests scripted content, or an article page without the byline
anchor, is fetched again through Chromium; ``always``: every page
(middleware.py); ``never``: such pages count as ``needs_render``.
docs/ARCHITECTURE.md "Rendering".
"""

from __future__ import annotations

import logging
import re

from scrapy import Request
from scrapy.http import Response

from newsagg.pages.aggregator import ListingPage
from newsagg.pages.blocks import _is_chrome
from newsagg.stats import fail_key, inc

from . import RenderUnavailable
from .playwright_api import PageMethod, PlaywrightError, PlaywrightTimeout
from .wait import ARTICLE_READY, LISTING_READY, listing_arg, remove_ad_slots, wait_for_content

logger = logging.getLogger(__name__)

NEEDS_RENDER = "needs_render"


def render_meta(kind: str, slug: str | None, why: str, settings) -> dict:
    """Request meta sending a page through Chromium, waiting for its content."""
    meta = {
        "playwright": True,
        "newsagg_render": why,
        # The content wait below decides when the page is ready.
        "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
        "playwright_page_init_callback": "newsagg.rendering.browser.repair_mixed_documents",
    }
    wait = {"timeout_ms": settings.getfloat("NEWSAGG_RENDER_WAIT_TIMEOUT") * 1000}
    methods = []
    if kind == "article":
        methods.append(PageMethod(wait_for_content, ARTICLE_READY, **wait))
    elif kind == "listing" and slug:
        methods.append(PageMethod(wait_for_content, LISTING_READY, listing_arg(slug), **wait))
    methods.append(PageMethod(remove_ad_slots))
    meta["playwright_page_methods"] = methods
    return meta


def wait_result(meta: dict) -> str | None:
    """What the content wait of a rendered request found (``wait.FOUND`` ...), if it ran."""
    for method in meta.get("playwright_page_methods") or ():
        if isinstance(method, PageMethod) and method.method is wait_for_content:
            return method.result
    return None


# Script code that builds the page or loads its data (not analytics, ads set-up or cookie banners).
_BUILDS_CONTENT = re.compile(
    r"\bfetch\s*\(|XMLHttpRequest|\$\.(?:ajax|get|getJSON|load)\b|\.innerHTML\s*[+]?=|appendChild\s*\("
    r"|insertAdjacentHTML|document\.write|\.replaceChildren\s*\(|\b(?:window\.)?__[A-Z][A-Z0-9_]*__\s*="
)
_DATA_TYPES = frozenset({"application/json"})
_LETTER = re.compile(r"[^\W\d_]")


def suggests_scripted_content(page: ListingPage) -> bool:
    """True when the page's body, outside page chrome, holds a script that builds
    content or loads data (``fetch``, ``XMLHttpRequest``, ``appendChild``,
    ``innerHTML``, ``document.write``, a ``window.__DATA__ =`` blob, a JSON data
    block), or a ``<noscript>`` notice with words: what a scripted page looks
    like before its script runs. Scripts in ``<head>`` and chrome (analytics,
    ads, consent) do not count."""
    for el in page.root.iter("script", "noscript"):
        if el.tag == "noscript":
            found = _LETTER.search("".join(el.itertext())) is not None
        else:
            found = (el.get("type") or "").strip().lower() in _DATA_TYPES or (
                not el.get("src") and _BUILDS_CONTENT.search(el.text or "") is not None
            )
        if found and not _in_head_or_chrome(el):
            return True
    return False


def _in_head_or_chrome(el) -> bool:
    parent = el.getparent()
    while parent is not None:
        if parent.tag == "head" or _is_chrome(parent):
            return True
        parent = parent.getparent()
    return False


def has_main_article_links(page: ListingPage) -> bool:
    """True when the listing shows an article of its source outside page chrome.

    The ticker and "les plus lus" sidebar link articles of any source, so a
    scripted listing still has a few same-source links in its static chrome.
    """
    if not page.entries():
        return False
    # entries() has classified every link already: reuse those refs and elements.
    for link in page.links():
        ref = link.ref
        if ref.kind != "article" or ref.slug != page.slug:
            continue
        el = link.element
        while el is not None and not _is_chrome(el):
            el = el.getparent()
        if el is None:
            return True
    return False


class RenderPolicy:
    """Decides, per page, whether the spider fetches it again through the browser."""

    def __init__(self, spider, mode: str):
        self.spider = spider
        self.mode = mode

    @property
    def _stats(self):
        crawler = getattr(self.spider, "crawler", None)
        return crawler.stats if crawler is not None else None

    def listing(self, response: Response, page: ListingPage) -> Request | str | None:
        """For a parsed listing: a browser request, ``needs_render`` (count it), or None
        (fine, or an empty listing without signs of scripted content: nothing to render)."""
        if has_main_article_links(page) or not suggests_scripted_content(page):
            return None
        return self._rerender(response, "listing_no_links")

    def article(self, response: Response, why_not: str) -> Request | str:
        """For an article page without an article: a browser request, or the reason to count."""
        if why_not == "no_byline":
            outcome = self._rerender(response, "article_no_anchors")
            if outcome is not None:
                return outcome
        return f"no_article_{why_not}"

    def _rerender(self, response: Response, why: str) -> Request | str | None:
        if response.meta.get("newsagg_render") or self.mode == "always":
            return None  # it came through the browser already: judged as it is
        if self.mode == "never":
            logger.info("Not rendered (render=never, %s): %s", why, response.url)
            return NEEDS_RENDER
        request = response.request
        meta = {k: v for k, v in request.meta.items() if k.startswith("newsagg_")}
        meta.update(
            render_meta(
                meta.get("newsagg_kind", ""),
                getattr(meta.get("newsagg_ref"), "slug", None),
                why,
                self.spider.crawler.settings,
            )
        )
        logger.debug("Rendering %s (%s)", response.url, why)
        # Same URL again: dont_filter, or the dupefilter drops it.
        return request.replace(url=response.url, meta=meta, dont_filter=True)

    def on_error(self, failure) -> bool:
        """Count a failed browser fetch (``render_unavailable/_timeout/_error``); False: not ours."""
        request = getattr(failure, "request", None)
        if request is None or not request.meta.get("newsagg_render"):
            return False
        exc = failure.value
        if isinstance(exc, RenderUnavailable):
            reason = "render_unavailable"  # the handler logged the one error naming the fix
            logger.info("Not rendered (no browser): %s", request.url)
        elif isinstance(exc, PlaywrightTimeout):
            reason = "render_timeout"
        elif isinstance(exc, PlaywrightError):
            reason = "render_error"
        else:
            return False  # HTTP errors, robots.txt ...: the spider's usual reasons
        inc(self._stats, fail_key(reason))
        if reason != "render_unavailable":
            logger.warning("Render failed [%s] %s: %s", reason, request.url, str(exc).splitlines()[0])
        return True
