"""URL rules of the aggregator template: canonical forms and page kinds.

Only ``/fr/`` pages of the configured host are ever requested. Articles are
``/fr/<slug>/<digits>``; listings ``/fr/<slug>`` with pagination as
``?page=N`` or ``/page/N``; anything else under ``/fr/`` is not an article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SLUG_RE = re.compile(r"^[a-z0-9]+$")
_ARTICLE_PATH = re.compile(r"^/fr/([a-z0-9]+)/(\d+)/?$")
_LISTING_PATH = re.compile(r"^/fr/([a-z0-9]+)(?:/page/(\d+))?/?$")
_HOME_PATH = re.compile(r"^/fr/?$")
# Author pages list teasers of one writer: neither a source nor an article.
_AUTHOR_PATH = re.compile(r"^/fr/author(?:/.*)?$", re.I)
# Path segments under /fr/ that are sections, never source slugs.
RESERVED = frozenset(
    {"contact", "recherche", "search", "tag", "tags", "print", "rss", "page", "apropos", "about",
     "mentions", "login", "register", "archives", "video", "videos", "photos", "static", "assets", "author"}
)


@dataclass(frozen=True)
class PageRef:
    """What a URL points at: ``kind`` is home, listing, article, author or other."""

    kind: str
    url: str  # canonical URL
    slug: str | None = None
    article_id: str | None = None
    page: int = 1


def classify(url: str, base_url: str) -> PageRef:
    """Classify an absolute URL of the configured site and canonicalise it.

    Articles lose query and fragment; listings keep only a numeric ``page``
    query parameter; anything off-host or outside ``/fr/`` is ``other``.
    """
    parts = urlsplit(url)
    base = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != base.netloc.lower():
        return PageRef("other", url)
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    root = f"{base.scheme}://{base.netloc}"
    if _HOME_PATH.match(path):
        return PageRef("home", f"{root}/fr/")
    if _AUTHOR_PATH.match(path):  # never requested (counted as skipped by the spider)
        return PageRef("author", urlunsplit((parts.scheme, parts.netloc, path, "", "")))
    m = _ARTICLE_PATH.match(path)
    if m and m.group(1) not in RESERVED:
        slug, aid = m.group(1), m.group(2)
        return PageRef("article", f"{root}/fr/{slug}/{aid}", slug, aid)
    m = _LISTING_PATH.match(path)
    if m and m.group(1) not in RESERVED:
        slug = m.group(1)
        page = int(m.group(2)) if m.group(2) else 1
        query = dict(parse_qsl(parts.query))
        if m.group(2):  # /fr/<slug>/page/N
            canon = f"{root}/fr/{slug}/page/{page}" if page > 1 else f"{root}/fr/{slug}"
        else:
            qpage = query.get("page", "")
            page = int(qpage) if qpage.isdigit() else 1
            canon = f"{root}/fr/{slug}" + (f"?{urlencode({'page': page})}" if page > 1 else "")
        return PageRef("listing", canon, slug, None, page)
    return PageRef("other", urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")))


def listing_url(base_url: str, slug: str) -> str:
    """The first page of a source listing."""
    return f"{base_url.rstrip('/')}/fr/{slug}"
