"""Deterministic corpus of one replica site.

Only light metadata lives in memory (compact ``array`` columns: source, id,
local publication minute, flags); an article's text is derived on demand from
``random.Random(f"{seed}:{site}:{index}")``, so 100,000 articles cost a few MB
and about a second. Indices are chronological (0 = oldest); a later edition
appends newer articles after the existing ones and never changes them.
"""

from __future__ import annotations

import math
import random
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from newsagg.sites import SITES

from . import bank, prose

# Date kinds of the byline.
DATE_ONLY, DATE_TIME, DATE_ZONED, DATE_NONE, DATE_IMPOSSIBLE = range(5)
DATE_KINDS = ("date", "datetime", "zoned", "none", "impossible")
VARIANTS = ("semantic", "legacy", "bare")
ENCODINGS = ("utf-8", "windows-1252")
#: Where the charset is declared: HTTP header only, <meta> only, or both.
DECLARATIONS = ("header", "meta", "both")

#: How a page shows its author: not at all, a link inside the byline, a link
#: right after the byline (``| Name``), a ``Par <Name>`` first body line, or both.
AUTHOR_NONE, AUTHOR_LINK, AUTHOR_AFTER, AUTHOR_PAR, AUTHOR_PAR_LINK = "none", "link", "after", "par", "par+link"


@dataclass(frozen=True)
class Extras:
    """Per-article draws of authors and page shapes (own RNG stream: other columns are untouched)."""

    author: str | None
    author_slug: str | None
    author_form: str
    doubled: bool
    promo: str | None
    promo_glued: bool
    layout: str


#: Where an ad block stands in a body: ``<div id="ads">`` with ad-server links
#: (what a French filter list hides on djazairess), or a bare run of ad links.
AD_BLOCK, AD_LINKS = "block", "links"


@dataclass(frozen=True)
class Shapes:
    """Per-article fidelity-round-3 draws (own RNG stream: other columns are untouched)."""

    language: str  # "fr", or "en"/"es" (English and Spanish editions under /fr/, French byline)
    ad: str | None  # AD_BLOCK, AD_LINKS or None
    ad_at: int  # a draw: the ad stands before served paragraph 1 + ad_at % (served - 1) (ad_position)
    split: bool  # legacy markup: the body in two span.articlecontent, the ad between


_EPOCH = datetime(2000, 1, 1)  # local minutes are counted from here
_ED1_START, _ED1_END = datetime(2022, 7, 1), datetime(2025, 7, 1)
_RAMADAN = datetime(2025, 3, 10, 12, 0)  # Morocco is UTC+0 during Ramadan 2025
_ZONES = (("GMT", UTC), ("UTC", UTC), ("+01:00", timezone(timedelta(hours=1))))


def _minutes(dt: datetime) -> int:
    return int((dt - _EPOCH).total_seconds() // 60)


@dataclass(frozen=True)
class Source:
    """A newspaper aggregated by the site."""

    index: int
    name: str  # byline name, e.g. "Le Matin"
    slug: str  # lower-case ASCII letters/digits
    domain: str  # the newspaper's own host (original_url)
    pagination: str  # "query" (/fr/slug?page=N) or "path" (/fr/slug/page/N)
    nav: str  # pagination links: "next+numbers", "numbers", "suivante", "numbers+suivante"


@dataclass(frozen=True)
class Article:
    """Everything the replica knows about one article (text already final)."""

    index: int
    source: Source
    article_id: str
    title: str
    paragraphs: tuple[str, ...]
    published_raw: str | None  # byline text after "le " (None when no date)
    published_at: str | None  # ISO 8601 (None when no date or impossible)
    original_url: str | None
    variant: str  # one of VARIANTS
    encoding: str  # one of ENCODINGS
    declaration: str  # one of DECLARATIONS
    edition: int
    # Drawn by :meth:`Corpus.extras`: the record's author and what the page
    # adds to the text (a "Par" line, a repeat, a promo line, old layout).
    author: str | None = None
    author_slug: str | None = None  # /fr/author/<slug> as linked (percent-encoded)
    author_form: str = AUTHOR_NONE  # AUTHOR_NONE, AUTHOR_LINK, AUTHOR_AFTER, AUTHOR_PAR or AUTHOR_PAR_LINK
    doubled: bool = False  # the whole text served twice in a row
    promo: str | None = None  # newspaper promo line served after the text
    promo_glued: bool = False  # ... inside the last paragraph rather than on its own
    layout: str = ""  # "old": the older turess layout (Tweet Share widgets, Suivant link)
    next_path: str | None = None  # the old layout's "Suivant" link (next article of the source)
    # Fidelity round 3 (:meth:`Corpus.shapes`): language, ad inside the body, split body.
    language: str = "fr"
    ad: str | None = None
    ad_at: int = 0
    split: bool = False
    thumb: str = ""  # the thumbnail's URL, on another host (never fetched)

    @property
    def path(self) -> str:
        return f"/fr/{self.source.slug}/{self.article_id}"

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)


class Corpus:
    """One site's articles for a seed and an edition.

    ``Corpus("maghress", n_articles=240, seed=1, edition=2)`` is the same site
    as edition 1 "later": the 240 articles unchanged at the same URLs, plus
    ``max(8, 5%)`` newer ones per extra edition. ``heavy=True`` (default)
    serves pages of live weight (30-50 KB), ``False`` the older ~7 KB ones;
    the records are the same.
    """

    def __init__(
        self,
        site: str = "maghress",
        n_articles: int = 240,
        seed: int = 1,
        edition: int = 1,
        per_page: int = 10,
        js: bool = False,
        js_rate: float = 0.15,
        heavy: bool = True,
        thumb_root: str | None = None,
    ):
        if site not in SITES:
            raise ValueError(f"unknown site {site!r}; one of {sorted(SITES)}")
        if n_articles < 12:
            raise ValueError("n_articles must be at least 12")
        if edition < 1 or per_page < 1:
            raise ValueError("edition and per_page must be >= 1")
        self.site, self.n_articles, self.seed, self.edition, self.per_page = site, n_articles, seed, edition, per_page
        # JavaScript variants (replica/js.py): off by default, so pages and truths stay as they were.
        if not 0.0 <= js_rate <= 1.0:
            raise ValueError("js_rate must be between 0 and 1")
        self.js, self.js_rate = js, js_rate
        # Pages of live weight (chrome.py): a ~50-headline ticker, big inline
        # scripts and styles, more sidebars; tens of KB instead of ~7.
        self.heavy = heavy
        #: Thumbnails' host (live: ``images2.<site>``); a test points it at a server that must get nothing.
        self.thumb_root = (thumb_root or f"http://images2.{SITES[site].domain}").rstrip("/")
        self.site_name = bank.SITE_NAMES[site]
        self.tz = ZoneInfo(SITES[site].tz)
        self._key = f"{seed}:{site}"
        rng = random.Random(f"{self._key}:meta")
        self.sources = self._make_sources()
        # Columns: source index, article id, local publication minute, flags
        # (date kind | variant<<3 | encoding<<5 | declaration<<6 | has_url<<8).
        self._src: array
        self._ids: array
        self._ts: array
        self._flags: array
        self._generate_edition1(rng)
        self.edition_sizes = [n_articles]
        for ed in range(2, edition + 1):
            self._generate_extra(ed)
        self._by_source: list[array] = [array("L") for _ in self.sources]
        for i, s in enumerate(self._src):
            self._by_source[s].append(i)
        self._slug_index = {s.slug: s for s in self.sources}
        self._origin: dict[int, tuple[int, str]] = {}  # later copy -> (original, "rep"|"near")
        self._rep_pairs, self._near_pairs = self._make_pairs()
        self.dead_paths = self._make_dead_paths()
        self.error_once_paths = self._make_error_once()
        self._other_charset = self._make_other_charset()
        self._content = lru_cache(maxsize=1024)(self._content_uncached)
        self._title = lru_cache(maxsize=8192)(self._title_uncached)
        self.article = lru_cache(maxsize=2048)(self._article_uncached)
        self.extras = lru_cache(maxsize=8192)(self._extras_uncached)
        self.shapes = lru_cache(maxsize=8192)(self._shapes_uncached)
        self._forced_shapes = self._make_forced_shapes()

    # --- generation ---------------------------------------------------------

    def _make_sources(self) -> list[Source]:
        n = self.n_articles
        count = 7 if n <= 300 else min(30, 7 + int(4 * math.log2(n / 300)))
        navs = ("next+numbers", "numbers", "suivante", "numbers+suivante")
        # Pagination shape alternates; link style is decorrelated from it so
        # both shapes meet every link style.
        return [
            Source(i, name, slug, domain, "query" if i % 2 == 0 else "path", navs[(i // 2 + i) % 4])
            for i, (name, slug, domain) in enumerate(bank.SOURCES[self.site][:count])
        ]

    def _generate_edition1(self, rng: random.Random) -> None:
        n, S = self.n_articles, len(self.sources)
        start, span = _minutes(_ED1_START), (_ED1_END - _ED1_START).days
        weights = [rng.choice((1, 2, 2, 3, 4, 6)) for _ in range(S)]
        cum = list(_accumulate(weights))
        cum_scaled = [c * 65536 // cum[-1] for c in cum]
        # One 96-bit draw per article, sliced into fields: 10x faster than
        # separate randrange() calls, which matters at 100k articles.
        draws = [rng.getrandbits(96) for _ in range(n)]
        ts = array("l", sorted(start + (b & 0xFFFFF) % span * 1440 + 360 + (b >> 20 & 0x7FF) % 1050 for b in draws))
        ramadan_idx = -1
        if self.site == "maghress":
            ramadan = _minutes(_RAMADAN)
            ramadan_idx = bisect_left(ts, ramadan)
            ramadan_idx = min(ramadan_idx, n - 1)
            ts[ramadan_idx] = ramadan  # ts[idx-1] < ramadan <= ts[idx+1]: order is kept
        src = array("B", (bisect_right(cum_scaled, b >> 31 & 0xFFFF) for b in draws))
        flags = array("H", (_flags_from_bits(b >> 47) for b in draws))
        del draws
        # Every source gets a few articles, so every listing exists and paginates.
        counts, minimum = [0] * S, min(4, n // S)
        for s in src:
            counts[s] += 1
        for s in range(S):
            while counts[s] < minimum:
                k = rng.randrange(n)
                if counts[src[k]] > minimum:
                    counts[src[k]] -= 1
                    src[k] = s
                    counts[s] += 1
        # Guarantee the rare cases even in small corpora (never on the Ramadan article).
        forced = rng.sample([i for i in range(min(n, 5000)) if i != ramadan_idx], 11)
        for i, k in zip(
            forced[:6], (DATE_NONE, DATE_NONE, DATE_IMPOSSIBLE, DATE_IMPOSSIBLE, DATE_ZONED, DATE_ZONED), strict=False
        ):
            flags[i] = flags[i] & ~7 | k
        for i, (v, e, d) in zip(forced[6:], ((0, 1, 0), (1, 1, 1), (2, 1, 2), (2, 0, 0), (1, 0, 1)), strict=False):
            flags[i] = flags[i] & 0x100 | v << 3 | e << 5 | d << 6 | flags[i] & 7
        flags[forced[0]] &= 0xFF  # one article without original_url
        if ramadan_idx >= 0:
            flags[ramadan_idx] = flags[ramadan_idx] & ~7 | DATE_TIME
        # Per-source id counters. Sources 1 and 6 (lematin and lagazette on
        # maghress) start at the same id: /fr/lematin/N and /fr/lagazette/N
        # are two different articles.
        bases = [rng.randrange(1000, 3_000_000) for _ in range(S)]
        bases[6 % S] = bases[1]
        # Some sources count in 9 digits (live: /fr/lemidi/904301403).
        for s in range(3, S, 7):
            bases[s] += 900_000_000
        self._source_base = bases[:]
        last = [0] * S
        steps = rng.getrandbits(8 * n).to_bytes(n, "little") if n else b""
        ids = array("L", [0]) * n
        for i in range(n):
            s = src[i]
            last[s] = last[s] + 1 + steps[i] % 40 if last[s] else bases[s]
            ids[i] = last[s]
        self._src, self._ids, self._ts, self._flags = src, ids, ts, flags
        self._last_ids = last

    def _generate_extra(self, edition: int) -> None:
        rng = random.Random(f"{self._key}:ed{edition}")
        m = max(8, math.ceil(0.05 * self.n_articles))
        t0 = self._ts[-1] + 60
        S = len(self.sources)
        for k, t in enumerate(sorted(t0 + rng.randrange(10 * 1440) for _ in range(m))):
            s = k % S if k < 3 else rng.randrange(S)  # spread over several sources
            self._last_ids[s] += rng.randint(1, 40)
            self._src.append(s)
            self._ids.append(self._last_ids[s])
            self._ts.append(t)
            self._flags.append(_flags_from_bits(rng.getrandbits(40)))
        self.edition_sizes.append(len(self._ts))

    def _make_pairs(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Republished (identical) and rewritten (near-duplicate) pairs, edition 1 only."""
        n = self.n_articles
        rng = random.Random(f"{self._key}:pairs")
        n_rep = 1 if n < 100 else 2 if n < 400 else n // 200
        n_near = max(2, n // 60)
        used: set[int] = set()
        out: list[list[tuple[int, int]]] = [[], []]
        for kind, want in (("rep", n_rep), ("near", n_near)):
            bucket = out[0 if kind == "rep" else 1]
            tries = 0
            while len(bucket) < want and tries < want * 200:
                tries += 1
                i = rng.randrange(n - 1)
                j = min(n - 1, i + rng.randint(1, 60))
                if i in used or j in used or self._src[i] == self._src[j]:
                    continue
                if self._ts[j] // 1440 == self._ts[i] // 1440:
                    continue  # a republication comes out on another day
                used.update((i, j))
                bucket.append((i, j))
                self._origin[j] = (i, kind)
        self._paired = used
        return out[0], out[1]

    def _make_dead_paths(self) -> list[str]:
        """Article-shaped URLs that 404 (ids below every id the source ever had)."""
        rng = random.Random(f"{self._key}:dead")
        out = []
        for _ in range(max(3, self.n_articles // 200)):
            s = rng.randrange(len(self.sources))
            out.append(f"/fr/{self.sources[s].slug}/{self._source_base[s] - rng.randint(1, 999)}")
        return list(dict.fromkeys(out))

    def _make_error_once(self) -> list[str]:
        """Two article pages and one listing page that answer 500 on their first request."""
        rng = random.Random(f"{self._key}:faults")
        pool = [i for i in range(self.n_articles) if i not in self._paired]
        paths = [self.path(i) for i in rng.sample(pool, 2)]
        src = self.sources[rng.randrange(len(self.sources))]
        pages = self.listing_page_count(src.slug, edition=1)
        paths.append(self.listing_path(src, rng.randint(2, pages) if pages > 1 else 1))
        return paths

    def _make_other_charset(self) -> frozenset[int]:
        """Articles with one paragraph in the other charset (~3%, at least 2 per page charset)."""
        rng = random.Random(f"{self._key}:charset")
        n = self.n_articles
        picked = set(rng.sample(range(n), n * 3 // 100))
        pool = rng.sample(range(min(n, 2000)), min(n, 2000))
        for enc in (0, 1):  # a few of each direction even in small corpora
            picked.update([i for i in pool if self._flags[i] >> 5 & 1 == enc][:2])
        return frozenset(picked)

    # --- lookups ------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._ts)

    def source(self, slug: str) -> Source | None:
        """The source with this slug, or None."""
        return self._slug_index.get(slug)

    def source_of(self, i: int) -> Source:
        return self.sources[self._src[i]]

    def path(self, i: int) -> str:
        """``/fr/<slug>/<id>`` of article *i*."""
        return f"/fr/{self.sources[self._src[i]].slug}/{self._ids[i]}"

    def find(self, slug: str, article_id: str) -> int | None:
        """Index of the article ``/fr/<slug>/<id>``, or None (ids grow with time per source)."""
        src = self._slug_index.get(slug)
        if src is None or not article_id.isdigit() or len(article_id) > 10:
            return None
        members, aid = self._by_source[src.index], int(article_id)
        lo, hi = 0, len(members)
        while lo < hi:  # bisect on ids through the index column
            mid = (lo + hi) // 2
            if self._ids[members[mid]] < aid:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(members) and self._ids[members[lo]] == aid and str(aid) == article_id:
            return members[lo]
        return None

    def edition_of(self, i: int) -> int:
        """The edition in which article *i* first appeared."""
        return bisect_left(self.edition_sizes, i + 1) + 1

    def snapshot_size(self, edition: int) -> int:
        """Number of articles the site had in *edition*."""
        return self.edition_sizes[min(edition, len(self.edition_sizes)) - 1]

    def latest(self, k: int, edition: int | None = None) -> list[int]:
        """The *k* newest article indices of *edition* (default: this one), newest first."""
        n = self.snapshot_size(edition or self.edition)
        return list(range(n - 1, max(-1, n - 1 - k), -1))

    def source_articles(self, slug: str, edition: int | None = None) -> list[int]:
        """Indices of a source's articles, newest first."""
        members = self._by_source[self._slug_index[slug].index]
        k = bisect_left(members, self.snapshot_size(edition or self.edition))
        return members[k - 1 :: -1].tolist() if k else []

    def listing_page_count(self, slug: str, edition: int | None = None) -> int:
        """Number of listing pages of a source (at least 1)."""
        members = self._by_source[self._slug_index[slug].index]
        count = bisect_left(members, self.snapshot_size(edition or self.edition))
        return max(1, math.ceil(count / self.per_page))

    @staticmethod
    def listing_path(src: Source, page: int) -> str:
        """Canonical path of listing page *page* (page 1 is ``/fr/<slug>``)."""
        if page == 1:
            return f"/fr/{src.slug}"
        return f"/fr/{src.slug}?page={page}" if src.pagination == "query" else f"/fr/{src.slug}/page/{page}"

    def local_datetime(self, i: int) -> datetime:
        return _EPOCH + timedelta(minutes=self._ts[i])

    def flags(self, i: int) -> dict:
        """Light per-article flags (no text generated)."""
        f = self._flags[i]
        return {
            "date_kind": DATE_KINDS[f & 7],
            "variant": VARIANTS[f >> 3 & 3],
            "encoding": ENCODINGS[f >> 5 & 1],
            "declaration": DECLARATIONS[f >> 6 & 3],
            "has_original_url": bool(f >> 8 & 1),
        }

    def other_charset_paragraph(self, i: int) -> int | None:
        """Index of the paragraph of article *i* served in the other charset (a
        windows-1252 paragraph in a UTF-8 page, or UTF-8 bytes in a
        windows-1252 page), or None. Only a paragraph with non-ASCII letters
        qualifies: the page then really mixes two charsets."""
        if i not in self._other_charset:
            return None
        for k, para in enumerate(self.article(i).paragraphs):
            if not para.encode("cp1252", "ignore").isascii():  # a letter both charsets have
                return k
        return None

    def republication_pairs(self) -> list[tuple[str, str]]:
        """(earlier path, later path) of exact republications (same title and body)."""
        return [(self.path(i), self.path(j)) for i, j in self._rep_pairs]

    def near_duplicate_pairs(self) -> list[tuple[str, str]]:
        """(earlier path, later path): the later is a slight rewrite by another newspaper."""
        return [(self.path(i), self.path(j)) for i, j in self._near_pairs]

    # --- content ------------------------------------------------------------

    def title(self, i: int) -> str:
        """Title of article *i* (cheap: the body is not generated unless needed)."""
        return self._title(i)

    def _title_uncached(self, i: int) -> str:
        if i in self._origin:
            return self._content(i)[0]
        return self._start(i)[0]

    def _start(self, i: int) -> tuple[str, bool, random.Random]:
        """First draws of an article's RNG: title, then apostrophe style (so titles come alone)."""
        rng = random.Random(f"{self._key}:{i}")
        language = self.shapes(i).language
        title = prose.make_title(rng, self.site) if language == "fr" else prose.make_title_in(language, rng, self.site)
        typographic = rng.random() < 0.4
        return (bank.typographic_apostrophes(title) if typographic else title), typographic, rng

    def _content_uncached(self, i: int) -> tuple[str, tuple[tuple[str, ...], ...]]:
        origin = self._origin.get(i)
        if origin is not None and origin[1] == "rep":
            return self._content(origin[0])
        if origin is not None:
            return _rewrite(self._content(origin[0]), random.Random(f"{self._key}:{i}"), self.site)
        title, typographic, rng = self._start(i)
        language = self.shapes(i).language
        paras = prose.make_body(rng, self.site) if language == "fr" else prose.make_body_in(language, rng, self.site)
        if typographic:
            paras = [[bank.typographic_apostrophes(s) for s in p] for p in paras]
        return title, tuple(tuple(p) for p in paras)

    def _extras_uncached(self, i: int) -> Extras:
        """Author, repeat, promo and layout of article *i*: drawn from their own
        RNG, so the other columns and texts stay as they were (cheap: no text)."""
        rng = random.Random(f"{self._key}:{i}:extras")
        src = self.source_of(i)
        r = rng.random()
        form = (
            AUTHOR_LINK
            if r < 0.2
            else AUTHOR_AFTER
            if r < 0.32
            else AUTHOR_PAR
            if r < 0.44
            else AUTHOR_PAR_LINK
            if r < 0.48
            else AUTHOR_NONE
        )
        name = slug = None
        if form != AUTHOR_NONE:
            pool = bank.AUTHORS if form not in (AUTHOR_PAR, AUTHOR_PAR_LINK) else bank.AUTHORS_NAMED
            name, slug = rng.choice(pool)
        doubled = rng.random() < (0.5 if src.slug == "lemidi" else 0.04)
        promo = bank.PROMOS.get((self.site, src.index))
        glued = False
        if promo is not None:
            if rng.random() < 0.75:
                promo = promo.format(source=src.name)
                glued = rng.random() < 0.3
            else:
                promo = None
        layout = "old" if self.site == "turess" and rng.random() < 0.25 else ""
        return Extras(name, slug, form, doubled, promo, glued, layout)

    def _shapes_uncached(self, i: int) -> Shapes:
        """Language, ad and split body of article *i*: their own RNG stream (cheap: no text).

        English (~2%) and Spanish (~1%) articles are never one of a republished
        or rewritten pair; every corpus has a few of each shape (:meth:`_make_forced_shapes`).
        """
        rng = random.Random(f"{self._key}:{i}:shapes")
        r = rng.random()
        language = "en" if r < 0.02 else "es" if r < 0.03 else "fr"
        r = rng.random()
        ad = AD_BLOCK if r < 0.05 else AD_LINKS if r < 0.07 else None
        forced = self._forced_shapes.get(i)
        if forced is not None:
            language, ad = forced
        if i in self._paired:
            language = "fr"
        split = ad is not None and self.flags(i)["variant"] == "legacy" and self.extras(i).layout == ""
        return Shapes(language, ad, rng.randint(1, 1_000_000), split)

    def _make_forced_shapes(self) -> dict[int, tuple[str, str | None]]:
        """Articles that get a shape whatever their draw, so even a small corpus
        has English and Spanish articles and ads (in each markup, split legacy bodies)."""
        rng = random.Random(f"{self._key}:shapes")
        n = self.n_articles
        pool = [i for i in range(min(n, 2000)) if i not in self._paired and i not in self._origin]
        legacy = [i for i in pool if self.flags(i)["variant"] == "legacy"]
        picks = rng.sample(pool, min(len(pool), 6))
        out: dict[int, tuple[str, str | None]] = {}
        for i, shape in zip(
            picks,
            (("en", None), ("en", AD_BLOCK), ("es", None), ("fr", AD_BLOCK), ("fr", AD_LINKS), ("es", AD_LINKS)),
            strict=False,
        ):
            out[i] = shape
        legacy = [i for i in legacy if i not in out]
        for i, ad in zip(rng.sample(legacy, min(2, len(legacy))), (AD_BLOCK, AD_LINKS), strict=False):
            out[i] = ("fr", ad)
        return out

    def next_article(self, i: int) -> int | None:
        """The next article of *i*'s source in *i*'s own edition (old layout's "Suivant")."""
        members = self._by_source[self._src[i]]
        k = bisect_left(members, i) + 1
        if k < len(members) and members[k] < self.snapshot_size(self.edition_of(i)):
            return members[k]
        return None

    def _article_uncached(self, i: int) -> Article:
        title, paras = self._content(i)
        f = self.flags(i)
        ex = self.extras(i)
        nxt = self.next_article(i) if ex.layout == "old" else None
        src = self.source_of(i)
        dt = self.local_datetime(i)
        raw, at = self._date_fields(i, dt, f["date_kind"])
        url_rng = random.Random(f"{self._key}:{i}:url")
        original = _original_url(src, title, dt, url_rng) if f["has_original_url"] else None
        sh = self.shapes(i)
        paragraphs = tuple(" ".join(p) for p in paras)
        return Article(
            index=i,
            source=src,
            article_id=str(self._ids[i]),
            title=title,
            paragraphs=paragraphs,
            published_raw=raw,
            published_at=at,
            original_url=original,
            variant=f["variant"],
            encoding=f["encoding"],
            declaration=f["declaration"],
            edition=self.edition_of(i),
            author=ex.author,
            author_slug=ex.author_slug,
            author_form=ex.author_form,
            doubled=ex.doubled,
            promo=ex.promo,
            promo_glued=ex.promo_glued,
            layout=ex.layout,
            next_path=self.path(nxt) if nxt is not None else None,
            language=sh.language,
            ad=sh.ad,
            ad_at=sh.ad_at,
            split=sh.split,
            thumb=f"{self.thumb_root}/{src.slug}/{self._ids[i]}/thumb",
        )

    def _date_fields(self, i: int, dt: datetime, kind: str) -> tuple[str | None, str | None]:
        """published_raw and published_at, computed from the true datetime with zoneinfo."""
        if kind == "none":
            return None, None
        if kind == "impossible":
            month = (4, 6, 9, 11, 2)[i % 5]
            day = 30 if month == 2 and i % 2 else 31
            return f"{day:02d} - {month:02d} - {dt.year}", None
        if kind == "date":
            return _byline_date(dt), dt.date().isoformat()
        aware = dt.replace(tzinfo=self.tz)
        if kind == "datetime":
            return _byline_date(dt, time=True), aware.isoformat()
        label, zone = _ZONES[i % len(_ZONES)]
        shown = aware.astimezone(zone)
        return f"{_byline_date(shown, time=True)} {label}", shown.isoformat()

    def info(self) -> dict:
        """Counts for the CLI's ``info`` command and for reports."""
        counts: dict[str, dict[str, int]] = {"variants": {}, "encodings": {}, "date_kinds": {}}
        no_url = 0
        extras = {"authors": {}, "doubled": 0, "promo": 0, "old_layout": 0, "languages": {}, "ads": {}, "split": 0}
        for i in range(len(self)):
            sh = self.shapes(i)
            extras["languages"][sh.language] = extras["languages"].get(sh.language, 0) + 1
            if sh.ad:
                extras["ads"][sh.ad] = extras["ads"].get(sh.ad, 0) + 1
            extras["split"] += sh.split
            ex = self.extras(i)
            extras["authors"][ex.author_form] = extras["authors"].get(ex.author_form, 0) + 1
            extras["doubled"] += ex.doubled
            extras["promo"] += ex.promo is not None
            extras["old_layout"] += ex.layout == "old"
            f = self.flags(i)
            counts["variants"][f["variant"]] = counts["variants"].get(f["variant"], 0) + 1
            enc = f"{f['encoding']} ({f['declaration']})"
            counts["encodings"][enc] = counts["encodings"].get(enc, 0) + 1
            counts["date_kinds"][f["date_kind"]] = counts["date_kinds"].get(f["date_kind"], 0) + 1
            no_url += not f["has_original_url"]
        listing_pages = sum(self.listing_page_count(s.slug) for s in self.sources)
        return {
            "site": self.site,
            "seed": self.seed,
            "edition": self.edition,
            "articles": len(self),
            "sources": len(self.sources),
            "listing_pages": listing_pages,
            "pagination": {s.slug: f"{s.pagination}/{s.nav}" for s in self.sources},
            **counts,
            "without_original_url": no_url,
            "republication_pairs": len(self._rep_pairs),
            "near_duplicate_pairs": len(self._near_pairs),
            "dead_links": len(self.dead_paths),
            "error_once": list(self.error_once_paths),
            **extras,
        }


def _flags_from_bits(b: int) -> int:
    """Pack date kind, variant, encoding, declaration, has_url from random bits."""
    r = (b & 0x3FF) / 1024
    kind = (
        DATE_TIME
        if r < 0.25
        else DATE_ZONED
        if r < 0.27
        else DATE_NONE
        if r < 0.29
        else DATE_IMPOSSIBLE
        if r < 0.30
        else DATE_ONLY
    )
    r = (b >> 10 & 0xFF) / 256
    variant = 0 if r < 0.4 else 1 if r < 0.75 else 2
    enc = 1 if (b >> 18 & 0xFF) < 38 else 0  # ~15% windows-1252
    decl = (b >> 26 & 0xFF) % 3
    has_url = 1 if (b >> 34 & 0xFF) < 230 else 0  # ~90%
    return kind | variant << 3 | enc << 5 | decl << 6 | has_url << 8


def _byline_date(dt: datetime, time: bool = False) -> str:
    """``24 - 04 - 2019`` or ``24 - 04 - 2019 à 08h15``."""
    text = f"{dt.day:02d} - {dt.month:02d} - {dt.year}"
    return f"{text} à {dt.hour:02d}h{dt.minute:02d}" if time else text


def _accumulate(values):
    total = 0
    for v in values:
        total += v
        yield total


def _rewrite(content, rng: random.Random, site: str):
    """Another newspaper's slight rewrite: a title word swapped and/or a sentence added/removed."""
    title, paras = content
    paras = [list(p) for p in paras]
    words = title.split(" ")
    swappable = [k for k, w in enumerate(words) if w.lower() in bank.TITLE_SYNONYMS]
    changed_title = False
    if swappable and rng.random() < 0.7:
        k = rng.choice(swappable)
        words[k] = bank.TITLE_SYNONYMS[words[k].lower()]
        title, changed_title = " ".join(words), True
    long_paras = [k for k, p in enumerate(paras) if len(p) > 1]
    if long_paras and (rng.random() < 0.5 or not changed_title):
        del paras[rng.choice(long_paras)][rng.randrange(2)]
    elif not changed_title or rng.random() < 0.5:
        paras[-1].append(prose.make_sentence(rng, site))
    return title, tuple(tuple(p) for p in paras)


def _original_url(src: Source, title: str, dt: datetime, rng: random.Random) -> str:
    """A plausible URL on the newspaper's own site (some with a query string)."""
    slug, n = bank.ascii_slug(title), rng.randint(10_000, 999_999)
    shape = src.index % 4
    if shape == 0:
        return f"https://{src.domain}/actu/{slug}/"
    if shape == 1:
        return f"https://{src.domain}/{dt:%Y/%m/%d}/{slug}-{n}.html"
    if shape == 2:
        return f"https://{src.domain}/index.php?option=com_content&view=article&id={n}&catid=3"
    return f"http://{src.domain}/article/{n}/{slug}"


def ad_position(art: Article, served: int) -> int | None:
    """Index of the served paragraph the article's ad stands before (text on both
    sides of it), or None (no ad, or a one-paragraph page)."""
    if art.ad is None or served < 2:
        return None
    return 1 + art.ad_at % (served - 1)


def served_paragraphs(art: Article) -> list[str]:
    """The paragraphs an article page shows: the text plus what the page adds
    around it (``Par <Name>`` first, a promo line last, the whole served twice).
    The ground truth is ``art.paragraphs``: the crawler must undo all of this."""
    paras = list(art.paragraphs)
    if art.promo:
        if art.promo_glued:
            paras[-1] = f"{paras[-1]} {art.promo}"
        else:
            paras.append(art.promo)
    if art.author_form in (AUTHOR_PAR, AUTHOR_PAR_LINK):
        paras.insert(0, f"Par {art.author}")
    return paras * 2 if art.doubled else paras
