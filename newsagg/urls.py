"""URL rules of the aggregator template: canonical forms and page kinds.

Only ``/fr/`` pages of the configured site are ever requested, and every host
form of the site is the site (twins, http/https, loopback aliases): canonical
URLs are written on the run's root. Articles are ``/fr/<slug>/<ASCII digits>``,
listings ``/fr/<slug>`` (``?page=N`` or ``/page/N``). A valid slug is at most
:data:`SLUG_MAX` characters; a longer one is still classified, so the crawl can
refuse it and count it (:func:`refusal`). docs/ARCHITECTURE.md "Hosts".
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

#: Longest valid slug: about 4x the longest live one, and short enough that every file
#: name built from it (``<site>-<slug>-<stamp>-<tag>-<NNNN>.manifest.json.part``) stays
#: far below the 255 bytes file systems allow.
SLUG_MAX = 64
SLUG_RE = re.compile(rf"\A[a-z0-9]{{1,{SLUG_MAX}}}\Z")  # \Z: no newline after it
_ARTICLE_PATH = re.compile(r"^/fr/([a-z0-9]+)/([0-9]+)/?$")
_LISTING_PATH = re.compile(r"^/fr/([a-z0-9]+)(?:/page/([0-9]+))?/?$")
_HOME_PATH = re.compile(r"^/fr/?$")
# Author pages list teasers of one writer: neither a source nor an article.
_AUTHOR_PATH = re.compile(r"^/fr/author(?:/.*)?$", re.I)
# Path segments under /fr/ that are sections, never source slugs.
RESERVED = frozenset(
    {
        "contact",
        "recherche",
        "search",
        "tag",
        "tags",
        "print",
        "rss",
        "page",
        "apropos",
        "about",
        "mentions",
        "login",
        "register",
        "archives",
        "video",
        "videos",
        "photos",
        "static",
        "assets",
        "author",
    }
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

    Any alias of the site's host is the site (:func:`same_site`); the
    canonical URL is on *base_url*'s root, whatever host form the link used.
    Articles lose query and fragment; listings keep only a numeric ``page``
    query parameter; anything off-site or outside ``/fr/`` is ``other``.
    """
    return _classify(urlsplit(url), urlsplit(base_url), url)


def _classify(parts: SplitResult, base: SplitResult, url: str | None) -> PageRef:
    """:func:`classify` of split *parts*; *url* None: the URL is ``urlunsplit(parts)``."""
    if not _on_site(parts, base):
        return PageRef("other", url if url is not None else urlunsplit(parts))
    path = parts.path or "/"
    if "//" in path:
        path = re.sub(r"/{2,}", "/", path)
    root = f"{base.scheme}://{base.netloc}"
    if _HOME_PATH.match(path):
        return PageRef("home", f"{root}/fr/")
    if _AUTHOR_PATH.match(path):  # never requested (counted as skipped by the spider)
        return PageRef("author", f"{root}{path}")  # on the canonical root: one author, one count
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
            page = int(qpage) if qpage.isascii() and qpage.isdigit() else 1
            canon = f"{root}/fr/{slug}" + (f"?{urlencode({'page': page})}" if page > 1 else "")
        return PageRef("listing", canon, slug, None, page)
    return PageRef("other", urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")))


def refusal(ref: PageRef) -> str | None:
    """Why a page of the site must not be requested although it is one: ``slug_too_long``
    (a slug beyond :data:`SLUG_MAX`, which could not become a file name), else None."""
    if ref.slug is not None and len(ref.slug) > SLUG_MAX:
        return "slug_too_long"
    return None


# An href that urljoin and urlsplit only slice: root-relative (not "//") or
# http(s) with a plain host, a path without ";" params, no characters urlsplit
# strips (and, root-relative, no dot segments: "/." is checked apart). Anything
# else takes urljoin (tests/test_urls.py checks both ways agree).
_PLAIN_HREF = re.compile(
    r"(?:(https?)://([A-Za-z0-9.:-]+))?(/(?!/)[A-Za-z0-9_~%./-]*)?(?:\?([^#\t\r\n]*))?(?:#([^\t\r\n]*))?"
)


# The commonest of them: a root-relative article link, maybe with a query or fragment.
_PLAIN_ARTICLE_HREF = re.compile(r"/fr/([a-z0-9]+)/([0-9]+)/?(?:[?#][^\t\r\n]*)?")


@lru_cache(maxsize=64)
def _join_base(base_url: str) -> tuple[str, str, SplitResult, str] | None:
    """(scheme, netloc) that urljoin takes from ``base_url + "/"``, ``urlsplit(base_url)`` and the
    canonical root; None when the fast path of :func:`classify_href` does not apply to this base."""
    try:
        joined, base = urlsplit(base_url + "/"), urlsplit(base_url)
    except ValueError:
        return None
    if joined.scheme not in _DEFAULT_PORTS or not joined.netloc:
        return None
    if (joined.scheme, joined.netloc) != (base.scheme, base.netloc):
        return None
    return joined.scheme, joined.netloc, base, f"{base.scheme}://{base.netloc}"


def classify_href(href: str, base_url: str) -> PageRef | None:
    """``classify(urljoin(base_url + "/", href), base_url)``; None when that raises ValueError.

    The hrefs of real pages are plain (``/fr/<slug>/<id>?utm_...``,
    ``http://host/fr/...``): for those the join and split are done by hand,
    the rest goes through urljoin.
    """
    jb = _join_base(base_url)
    if jb is None:
        return _classify_joined(href, base_url)
    m = _PLAIN_ARTICLE_HREF.fullmatch(href)
    if m is not None and m.group(1) not in RESERVED:  # what classify() makes of it, in short
        slug, aid = m.groups()
        return PageRef("article", f"{jb[3]}/fr/{slug}/{aid}", slug, aid)
    m = _PLAIN_HREF.fullmatch(href)
    if m is not None and (m.group(1) or m.group(3)):
        bscheme, bnetloc, base, _root = jb
        scheme, netloc, path, query, fragment = m.groups(default="")
        try:  # as classify() may (int("²") of a listing's page)
            if not scheme and "/." not in path:  # root-relative: the base's scheme and host
                return _classify(SplitResult(bscheme, bnetloc, path, query, fragment), base, None)
            if scheme:  # urljoin rebuilds an href of the base's scheme (no empty "?" or "#"), keeps another
                parts = SplitResult(scheme, netloc, path, query, fragment)
                return _classify(parts, base, None if scheme == bscheme else href)
        except ValueError:
            return None
    return _classify_joined(href, base_url)


def _classify_joined(href: str, base_url: str) -> PageRef | None:
    try:
        return classify(urljoin(base_url + "/", href), base_url)
    except ValueError:
        return None


def listing_url(base_url: str, slug: str) -> str:
    """The first page of a source listing."""
    return f"{base_url.rstrip('/')}/fr/{slug}"


# --- hosts: one site, whatever the host form ------------------------------------

#: Loopback names that are one host for the replica (same port).
LOOPBACK_ALIASES = ("127.0.0.1", "localhost", "::1")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _hostname(host: str) -> str:
    """A host name as compared: lower-case, no brackets, no trailing dot."""
    return host.strip().strip("[]").rstrip(".").lower()


def host_aliases(host: str) -> tuple[str, ...]:
    """The host names that are one site with *host* (itself first).

    ``www.x`` and ``x`` are twins; an IP literal has no twin, except that the
    loopback names (:data:`LOOPBACK_ALIASES`) are aliases of one another.
    """
    host = _hostname(host)
    if host in LOOPBACK_ALIASES:
        return (host, *(h for h in LOOPBACK_ALIASES if h != host))
    try:
        ipaddress.ip_address(host)
        return (host,)
    except ValueError:
        pass
    if host.startswith("www.") and "." in host[4:]:
        return (host, host[4:])
    if "." in host:
        return (host, f"www.{host}")
    return (host,)  # a single-label name (an intranet host): no twin


def _site_of(netloc: str, scheme: str) -> tuple[str, int | None] | None:
    """(host key, explicit port) of a URL's netloc; default ports count as none. None if unparsable."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return None
    if port == _DEFAULT_PORTS.get(scheme):
        port = None
    host = _hostname(host)
    aliases = host_aliases(host)
    return min(aliases), port  # any fixed member of the alias set names it


@lru_cache(maxsize=1024)
def _same_site(netloc: str, scheme: str, base_netloc: str, base_scheme: str) -> bool:
    a, b = _site_of(netloc, scheme), _site_of(base_netloc, base_scheme)
    return a is not None and a == b


def same_site(url: str, base_url: str) -> bool:
    """True when *url* is on the site of *base_url*: any alias of its host
    (:func:`host_aliases`), http or https, the same explicit port."""
    return _on_site(urlsplit(url), urlsplit(base_url))


def _on_site(a: SplitResult, b: SplitResult) -> bool:
    if a.scheme not in _DEFAULT_PORTS:
        return False
    netloc, base_netloc = a.netloc.lower(), b.netloc.lower()
    return netloc == base_netloc or _same_site(netloc, a.scheme, base_netloc, b.scheme or "http")


def site_root(url: str) -> str:
    """``scheme://host[:port]`` of *url*, host lower-cased, default port dropped."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    return f"{parts.scheme}://{host}" + (
        f":{port}" if port is not None and port != _DEFAULT_PORTS.get(parts.scheme) else ""
    )
