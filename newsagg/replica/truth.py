"""Ground truth: the records a perfect crawl of a replica yields.

Computed from the corpus (never by parsing the served HTML), with the same
text rules as the crawler's record: whitespace collapsed, paragraphs joined by
a blank line, ``word_count``/``fingerprint`` from :mod:`newsagg.text`.
"""

from __future__ import annotations

import weakref

from newsagg.items import FIELDS
from newsagg.text import fingerprint, normalize_ws, word_count

from .generator import Corpus

#: Fields of a truth record: every record field but the crawl time.
TRUTH_FIELDS = [f for f in FIELDS if f != "crawled_at"]


def record(corpus: Corpus, i: int, base_url: str) -> dict:
    """The expected record of article *i*."""
    art = corpus.article(i)
    title = normalize_ws(art.title)
    body = "\n\n".join(normalize_ws(p) for p in art.paragraphs)
    earlier = _rewritten_from(corpus).get(art.path)
    rec = {
        "url": f"{base_url.rstrip('/')}{art.path}",
        "site": corpus.site,
        "source_slug": art.source.slug,
        "source": art.source.name,
        # The name as the page shows it (link text or "Par" line); null for a junk link or none.
        "author": art.author,
        "article_id": art.article_id,
        "title": title,
        "published_at": art.published_at,
        "published_raw": art.published_raw,
        "body": body,
        "original_url": art.original_url,
        "language": "fr",
        "word_count": word_count(body),
        "fingerprint": fingerprint(title, body),
        # The later article of a planted rewrite points to the earlier one
        # (a crawl may link a pair the other way round: newsagg.pipelines.neardup.align_links).
        "near_duplicate_of": f"{base_url.rstrip('/')}{earlier}" if earlier else None,
    }
    return {k: rec[k] for k in TRUTH_FIELDS}


_REWRITES: "weakref.WeakKeyDictionary[Corpus, dict[str, str]]" = weakref.WeakKeyDictionary()


def _rewritten_from(corpus: Corpus) -> dict[str, str]:
    """later path -> earlier path of the planted near-duplicate pairs (cached per corpus)."""
    found = _REWRITES.get(corpus)
    if found is None:
        found = _REWRITES[corpus] = {later: earlier for earlier, later in corpus.near_duplicate_pairs()}
    return found


def expected_records(corpus: Corpus, base_url: str) -> list[dict]:
    """One record per article page reachable from the home page (all of them; 404 links are not articles).

    Oldest first. Both members of a republication group are listed here: a
    crawl keeps only the first one it sees (see :func:`republication_groups`).
    """
    return [record(corpus, i, base_url) for i in range(len(corpus))]


def republication_groups(corpus: Corpus, base_url: str) -> list[list[str]]:
    """URLs of articles sharing title and body; a perfect crawl keeps exactly one per group."""
    base = base_url.rstrip("/")
    return [[base + a, base + b] for a, b in corpus.republication_pairs()]


def near_duplicate_pairs(corpus: Corpus, base_url: str) -> list[tuple[str, str]]:
    """(earlier URL, later URL) of slight rewrites (distinct fingerprints)."""
    base = base_url.rstrip("/")
    return [(base + a, base + b) for a, b in corpus.near_duplicate_pairs()]
