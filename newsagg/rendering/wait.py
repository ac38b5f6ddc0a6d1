"""Waiting in the browser until the content a page is fetched for is there.

Scripts insert listings and article bodies after the page has loaded, so a
rendered page is taken when its *content* is present: the byline anchor for an
article, an article link outside page chrome for a listing (the same tests the
plain-HTTP side uses). A page whose content never comes (a 404 page, a page
that is no article) must not hold a browser tab for the whole timeout, so the
wait also ends shortly after the network went idle.
"""

from __future__ import annotations

import asyncio

from newsagg.pages.blocks import _CHROME_WORDS, CHROME_TAGS
from newsagg.text import AD_LABELS

from .playwright_api import PlaywrightError, PlaywrightTimeout

FOUND, MISSING, TIMEOUT = "found", "missing", "timeout"
#: Milliseconds the wait goes on after the network went idle without the content.
IDLE_GRACE_MS = 1000

# Byline anchor in the visible text (innerText skips scripts holding the data).
ARTICLE_READY = r"""() => /Publi[ée]e?\s+dans\s+\S/i.test(document.body ? document.body.innerText : "")"""

# An article link of the listing's source outside page chrome (ticker, sidebar).
LISTING_READY = r"""([slug, tags, words]) => {
  const article = new RegExp("/fr/" + slug + "/\\d+(?:[?#]|$)");
  const chrome = new RegExp(words, "i");
  const inChrome = (el) => {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      if (tags.includes(e.tagName.toLowerCase())) return true;
      const attrs = [e.getAttribute("class"), e.getAttribute("id"), e.getAttribute("role")].filter(Boolean).join(" ");
      if (attrs.trim() && chrome.test(attrs)) return true;
    }
    return false;
  };
  return Array.from(document.querySelectorAll("a[href]"))
    .some((a) => article.test(a.getAttribute("href")) && !inChrome(a));
}"""


def listing_arg(slug: str) -> list:
    """The argument of :data:`LISTING_READY` (the Python side's chrome hints)."""
    return [slug, sorted(CHROME_TAGS), _CHROME_WORDS.pattern]


async def wait_for_content(
    page, expression: str, arg=None, timeout_ms: float = 15000, grace_ms: float = IDLE_GRACE_MS, polling_ms: float = 100
) -> str:
    """Wait until *expression* is truthy in *page* (a scrapy-playwright ``PageMethod``).

    Returns ``found``; ``missing`` when the network went idle and the content
    had not come *grace_ms* later (or the page went away); ``timeout`` after
    *timeout_ms*. Never raises for a page without the content: the spider
    judges the page as it is.
    """
    try:  # fast path: static pages (render=always) have their content at once
        if await page.evaluate(expression, arg):
            return FOUND
    except PlaywrightError:
        pass
    found = asyncio.ensure_future(page.wait_for_function(expression, arg=arg, timeout=timeout_ms, polling=polling_ms))
    idle = asyncio.ensure_future(page.wait_for_load_state("networkidle", timeout=timeout_ms))
    try:
        done, _ = await asyncio.wait({found, idle}, return_when=asyncio.FIRST_COMPLETED)
        if found not in done:  # network idle without the content: timers may still insert it
            await asyncio.wait({found}, timeout=grace_ms / 1000)
        if not found.done():
            return MISSING
        exc = found.exception()
        if exc is None:
            return FOUND
        return TIMEOUT if isinstance(exc, PlaywrightTimeout) else MISSING
    finally:
        for task in (found, idle):
            task.cancel()
        await asyncio.gather(found, idle, return_exceptions=True)


# Ad slots filled by scripts ("Publicité" written by document.write, ...): the
# plain HTML never shows them, so a rendered page drops them to give the same
# record as the static page. Only elements whose whole text is such a label go.
_AD_LABELS = tuple(label.lower() for label in AD_LABELS)  # the script compares lower-cased text
_REMOVE_AD_SLOTS = """(labels) => {
  let removed = 0;
  for (const el of Array.from(document.body ? document.body.querySelectorAll("*") : [])) {
    if (el.children.length || !el.isConnected) continue;
    const text = (el.textContent || "").trim().toLowerCase();
    if (text && labels.includes(text)) { el.remove(); removed++; }
  }
  return removed;
}"""


async def remove_ad_slots(page) -> int:
    """Remove script-inserted ad placeholders (a scrapy-playwright ``PageMethod``); returns how many."""
    try:
        return await page.evaluate(_REMOVE_AD_SLOTS, list(_AD_LABELS))
    except PlaywrightError:  # best effort: the page went away or navigated
        return 0
