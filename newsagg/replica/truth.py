"""Ground truth: the records a perfect crawl of a replica yields.

Computed from the corpus (never by parsing the served HTML), with the same
text rules as the crawler's record: whitespace collapsed, paragraphs joined by
a blank line. ``word_count`` and ``fingerprint`` are computed here, from
their documented definitions (docs/ARCHITECTURE.md "The record"), not with the
crawler's :mod:`newsagg.text`: a regression there shows up as a mismatch in
every end-to-end comparison.
"""

from __future__ import annotations

import hashlib
import unicodedata
import weakref

from newsagg.items import FIELDS
from newsagg.text import normalize_ws

from . import bank
from .generator import Corpus

#: Record fields that are facts of the crawl, not of the page: no ground truth
#: can know them, so comparisons with the truth leave them out.
CRAWL_FACTS = ("crawled_at", "warc_record_id")

_JOINERS = "'\u2019-"  # join two words into one: "aujourd'hui", "Jong-un"


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _words(text: str) -> list[str]:
    """Runs of letters/digits/underscores; an apostrophe or hyphen between two
    such characters joins them into one word. A plain scan, no regex."""
    words: list[str] = []
    cur: list[str] = []
    for i, c in enumerate(text):
        if _is_word_char(c) or (c in _JOINERS and cur and i + 1 < len(text) and _is_word_char(text[i + 1])):
            cur.append(c)
        elif cur:
            words.append("".join(cur))
            cur = []
    if cur:
        words.append("".join(cur))
    return words


def truth_word_count(body: str | None) -> int:
    """Number of words of the body (see :func:`_words`)."""
    return len(_words(body or ""))


def truth_fingerprint(title: str | None, body: str | None) -> str:
    """SHA-1 hex of the words of title + body, folded (NFKD, accents dropped,
    curly apostrophe and backtick as ``'``, case-folded), joined by one space."""
    text = f"{title or ''}\n{body or ''}".replace("\u2019", "'").replace("`", "'")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    return hashlib.sha1(" ".join(_words(text)).encode("utf-8")).hexdigest()


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
        # The name as the page shows it (link text or "Par" line) without a date glued
        # to it; null for a junk link or none.
        "author": bank.AUTHOR_RECORDS.get(art.author, art.author) if art.author else None,
        "article_id": art.article_id,
        "title": title,
        "published_at": art.published_at,
        "published_raw": art.published_raw,
        "body": body,
        "original_url": art.original_url,
        "language": art.language,  # as written (the byline stays French on every page)
        "word_count": truth_word_count(body),
        "fingerprint": truth_fingerprint(title, body),
        # The later article of a planted rewrite points to the earlier one
        # (a crawl may link a pair the other way round: newsagg.pipelines.neardup.align_links).
        "near_duplicate_of": f"{base_url.rstrip('/')}{earlier}" if earlier else None,
        # A fact of the crawl, not of the page: null as a crawl without a WARC
        # writes it (tests check a dataset run's ids against its WARC).
        "warc_record_id": None,
    }
    return {k: rec[k] for k in TRUTH_FIELDS}


_REWRITES: weakref.WeakKeyDictionary[Corpus, dict[str, str]] = weakref.WeakKeyDictionary()


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


def align_links(items: list[dict], truth: list[dict]) -> list[dict]:
    """Copies of *items* with near-duplicate links turned to the ground truth's
    direction where the crawl linked a planted pair the other way round
    (earlier -> later, because the later one was written first). A link the
    truth does not know is left as it is (and so still fails a comparison)."""
    pairs = {(t["near_duplicate_of"], t["url"]) for t in truth if t.get("near_duplicate_of")}
    by_url = {it["url"]: it for it in items}
    out = {it["url"]: dict(it) for it in items}
    for earlier, later in pairs:
        a, b = by_url.get(earlier), by_url.get(later)
        if a and b and a.get("near_duplicate_of") == later and not b.get("near_duplicate_of"):
            out[earlier]["near_duplicate_of"] = None
            out[later]["near_duplicate_of"] = earlier
    return [out[it["url"]] for it in items]
