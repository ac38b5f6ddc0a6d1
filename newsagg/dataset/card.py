"""The dataset card, ``R/README.md``: Hugging Face dataset-card YAML front
matter, then what the release is, how it was collected, its schema, counts,
coverage gaps, versions, loading recipes, limitations and a licence note.

Everything in it is computed from the release's records and the runs it was
built from, never from the build's clock, so the same release gives the same
card (incremental and fresh builds compare byte for byte).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from importlib import metadata

import newsagg
from newsagg.dataset import coverage
from newsagg.items import FIELDS, SCHEMA_VERSION
from newsagg.sites import SITES

#: What each field means (README "The record"); a field missing here reads "(undocumented)".
FIELD_DOCS = {
    "url": "canonical article URL on the aggregator (no query, no fragment)",
    "site": "the aggregator: `maghress` / `djazairess` / `turess`",
    "source_slug": "the newspaper's slug on the aggregator, e.g. `h24info`",
    "source": "newspaper name from the byline, e.g. `H24 Info`",
    "author": "the writer as the page names them, or null (schema 2; null in records of schema-1 runs)",
    "article_id": "the numeric id from the URL, as a string; (site, source_slug, article_id) is the key",
    "title": "the article title only",
    "published_at": "`YYYY-MM-DD` (date only) or `YYYY-MM-DDTHH:MM:SS±HH:MM` (time given, local offset); null when absent or impossible",
    "published_raw": "the byline's date text as found, or null",
    "body": "article text, paragraphs separated by one blank line, boilerplate removed",
    "original_url": "the newspaper's own URL behind the aggregator page (recorded, never fetched)",
    "language": "`fr`",
    "word_count": "words in body (int32)",
    "crawled_at": "when the page was fetched (timestamp, UTC)",
    "fingerprint": "SHA-1 of the normalised title + body (exact-republication key)",
    "near_duplicate_of": "URL of an earlier near-identical article, or null",
    "warc_record_id": "WARC-Record-ID of the response the record came from (schema 3)",
}
TYPED_DOCS = {
    "published_date": "`date32`: the local calendar date of `published_at` (null without a date)",
    "published_ts": "`timestamp[ms, UTC]`: `published_at` as an instant, only when the byline gave a time",
    "year": "partition column (directory `data/year=YYYY`), `0` for records without a publication date",
}

#: The settings that shape what was fetched and what the records hold (their hash is in the card).
SETTINGS_THAT_MATTER = [
    "USER_AGENT",
    "ROBOTSTXT_OBEY",
    "DOWNLOAD_DELAY",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "AUTOTHROTTLE_ENABLED",
    "AUTOTHROTTLE_START_DELAY",
    "AUTOTHROTTLE_MAX_DELAY",
    "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "NEWSAGG_FALLBACK_ENCODING",
    "NEWSAGG_MAX_TAG_RUN",
    "NEWSAGG_BODY_PROMO_PATTERNS",
    "NEWSAGG_NEARDUP_ENABLED",
    "NEWSAGG_NEARDUP_THRESHOLD",
    "NEWSAGG_STATE_KNOWN_PAGES",
    "NEWSAGG_SPLIT_BY_SOURCE",
]
POLITENESS = SETTINGS_THAT_MATTER[:9]
PACKAGES = ["Scrapy", "parsel", "lxml", "dateparser", "pyarrow", "matplotlib"]


def settings_facts(settings) -> tuple[dict, str]:
    """The settings that matter (values as JSON) and the SHA-256 of their canonical JSON."""
    values = {name: settings.get(name) for name in SETTINGS_THAT_MATTER}
    values = json.loads(json.dumps(values, default=str))
    digest = hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return values, digest


def _versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def size_category(n: int) -> str:
    """Hugging Face ``size_categories`` value for *n* records."""
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return label
    return "1M<n<10M" if n < 10_000_000 else "n>10M"


def _q(value) -> str:
    """A YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def front_matter(site: str, n_records: int) -> str:
    """The Hugging Face dataset-card YAML block (between ``---`` lines)."""
    name = SITES[site].name if site in SITES else site
    return "\n".join(
        [
            "---",
            "license: other  # to be filled in: see 'Licence and terms of use'",
            f"license_name: {_q('unknown')}",
            "language:",
            "- fr",
            "multilinguality: monolingual",
            "task_categories:",
            "- text-classification",
            "- text-generation",
            "tags:",
            "- news",
            "- maghreb",
            f"- {site}",
            "size_categories:",
            f"- {size_category(n_records)}",
            f"pretty_name: {_q(f'{name} (French section): articles')}",
            "configs:",
            "- config_name: default",
            "  data_files:",
            "  - split: train",
            f"    path: {_q('data/year=*/*.parquet')}",
            "---",
            "",
        ]
    )


def _table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def render(facts: dict) -> str:
    """The card's text. *facts*: see :func:`newsagg.dataset.release.card_facts`."""
    site = facts["site"]
    info = SITES.get(site)
    n = facts["records"]
    lines = [front_matter(site, n)]
    title = f"{info.name} (French section): articles" if info else site
    lines += [f"# {title}", ""]
    lines += [
        "## What it is",
        "",
        f"{n} news articles in French from the French section of the press aggregator "
        f"{info.root if info else site}, each with its newspaper (source), title, body text, "
        "publication date and the URL of the original article. One record per article: "
        "an article republished by another newspaper with the same title and body is kept once, "
        "a rewrite is kept and linked (`near_duplicate_of`). "
        f"Built by newsagg {newsagg.__version__} from {facts['provenance_text']}.",
        "",
        "## How it was collected",
        "",
    ]
    if info:
        lines.append(
            f"- Site: {info.name}, {info.root}/fr (country: {info.country}; byline times are local, "
            f"time zone {info.tz})."
        )
    sources = facts["sources"]
    lines.append(
        f"- Sources: {len(sources)} newspapers as the aggregator lists them: "
        + ", ".join(f"{label} (`{slug}`)" for slug, label in sources)
        + "."
    )
    lines.append(
        f"- Period: articles published {facts['first_date'] or 'n/a'} to {facts['last_date'] or 'n/a'}; "
        f"pages fetched {facts['first_crawl'] or 'n/a'} to {facts['last_crawl'] or 'n/a'} (UTC)."
    )
    lines.append(
        "- How: the site's listing pages, newest first, then each article page, with Scrapy; "
        "nightly incremental runs fetch only articles not stored before. Pages were only read, "
        "never submitted to; the newspapers' own sites were never fetched."
    )
    pol = facts["settings"]
    lines.append(
        "- Politeness (project settings of this build; runs against a local replica lift them): "
        + ", ".join(f"`{k}` = {_q(pol[k])}" for k in POLITENESS)
        + "."
    )
    if facts["runs"]:
        lines += ["", "Runs included (release order; first stored wins on duplicates):", ""]
        lines += _table(
            ["run", "started (UTC)", "finished (UTC)", "finish reason", "records kept"],
            [
                [f"`{r['name']}`", r["started_at"], r["finished_at"], r["finish_reason"], r["kept"]]
                for r in facts["runs"]
            ],
        )
    if facts["refused"]:
        lines += ["", "Runs refused (failed verification, left out):", ""]
        lines += [f"- `{r['run']}`: {r['reason']}" for r in facts["refused"]]
    dropped = facts["dropped"]
    if dropped:
        lines += ["", "Records left out while consolidating: " + ", ".join(f"{k}: {v}" for k, v in dropped.items())]

    lines += ["", "## Schema", "", f"Record schema version {SCHEMA_VERSION}. Parquet columns, in order:", ""]
    lines += _table(
        ["column", "meaning"],
        [[f"`{f}`", FIELD_DOCS.get(f, "(undocumented)")] for f in FIELDS]
        + [[f"`{f}`", doc] for f, doc in TYPED_DOCS.items()],
    )

    lines += ["", "## Counts", "", "Articles per source and publication year (`undated`: no publication date):", ""]
    years = facts["years"]
    header = ["source", *[str(y) if y is not None else "undated" for y in years], "total"]
    rows = []
    per = facts["per_source_year"]
    for slug, label in sources:
        cells = [per.get(slug, {}).get(y, 0) for y in years]
        rows.append([f"{label} (`{slug}`)", *cells, sum(cells)])
    totals = [sum(per.get(s, {}).get(y, 0) for s, _ in sources) for y in years]
    rows.append(["**all**", *totals, sum(totals)])
    lines += _table(header, rows)
    lines += [
        "",
        f"First publication date: {facts['first_date'] or 'n/a'}. Last publication date: {facts['last_date'] or 'n/a'}.",
        f"Records without a publication date: {facts['undated']}.",
    ]

    lines += [
        "",
        "## Coverage gaps",
        "",
        f"A source *usually publishes* when it has at least one article on at least {coverage.USUAL_SHARE:.0%} "
        "of the days from its first to its last publication day (its daily median is then at least one "
        f"article) and on at least {coverage.MIN_ACTIVE_DAYS} days. A gap is a day in that span on which such a "
        "source has no article: the newspaper was silent, or the aggregator or the crawl missed it. "
        "`coverage.png` shows articles per day per source, gap days in red.",
        "",
    ]
    gaps = facts["gaps"]
    if not gaps:
        lines.append("No source usually publishes by this definition: no gap to report.")
    else:
        rows = []
        for slug, days in gaps.items():
            spans = coverage.ranges(days)
            text = ", ".join(a.isoformat() if a == b else f"{a.isoformat()} to {b.isoformat()}" for a, b in spans)
            rows.append([f"`{slug}`", len(days), text or "none"])
        lines += _table(["source", "gap days", "days"], rows)
    silent = [slug for slug, _ in sources if slug not in gaps]
    if silent:
        lines += ["", "Not judged (do not usually publish): " + ", ".join(f"`{s}`" for s in silent) + "."]

    lines += ["", "## Versions", ""]
    lines.append(f"- Crawler: newsagg {newsagg.__version__}, record schema {SCHEMA_VERSION}.")
    lines.append("- Packages: " + ", ".join(f"{k} {v}" for k, v in facts["versions"].items()) + ".")
    lines.append(
        f"- Settings hash: `sha256:{facts['settings_hash']}` over the canonical JSON of "
        + ", ".join(f"`{k}`" for k in SETTINGS_THAT_MATTER)
        + "."
    )

    lines += [
        "",
        "## Loading",
        "",
        "```python",
        "import pandas as pd",
        'df = pd.read_parquet("RELEASE_DIR/data")  # year comes from the directories',
        "",
        "import duckdb",
        "duckdb.sql(\"SELECT source_slug, count(*) FROM read_parquet('RELEASE_DIR/data/year=*/*.parquet', "
        'hive_partitioning = true) GROUP BY 1").show()',
        "",
        "from datasets import load_dataset",
        'ds = load_dataset("RELEASE_DIR", split="train")  # the configs above; no year column: use published_date',
        '# or: load_dataset("parquet", data_dir="RELEASE_DIR/data", split="train")',
        "```",
        "",
        "## Known limitations",
        "",
        "- Only what the aggregator shows: its copy of each article (possibly shortened), its source list, "
        "its listing order; an article the aggregator never listed, or dropped before the first run, is absent.",
        "- `published_at` is the byline date: date-only for many articles, null when missing or impossible "
        "(those records are in `data/year=0`).",
        "- Exact republications are kept once (the first stored); near-duplicates are linked by MinHash "
        "similarity of title and body, an estimate that can miss or over-link.",
        "- Boilerplate removal is heuristic (share widgets, `Par` lines, promo patterns); residue may remain.",
        "- Politeness values above are this installation's settings; the runs' own settings are not recorded per run.",
        "- A run is taken whole or not at all; a refused run's articles are missing unless a later run fetched them.",
        "",
        "## Licence and terms of use",
        "",
        "TO BE FILLED IN before any distribution. The articles belong to their newspapers and the pages "
        "to the aggregator; their rights are not ours to grant, and this card grants none. State here the "
        "terms under which this copy is held and may be used (e.g. text and data mining for research under "
        "the applicable exception), and whom to contact for removal.",
        "",
    ]
    return "\n".join(lines)


def facts_from(
    site: str,
    slugs: list[str],
    labels: dict[str, str],
    dates: list[dt.date | None],
    crawled: list[dt.datetime | None],
    settings,
) -> dict:
    """The computed parts of the card's facts (counts, dates, gaps, versions)."""
    per: dict[str, Counter] = {}
    for slug, day in zip(slugs, dates, strict=True):
        per.setdefault(slug, Counter())[day.year if day else None] += 1
    years = sorted({y for c in per.values() for y in c if y is not None})
    if any(None in c for c in per.values()):
        years.append(None)
    dated = [d for d in dates if d is not None]
    times = [t for t in crawled if t is not None]
    values, digest = settings_facts(settings)
    return {
        "site": site,
        "records": len(slugs),
        "sources": [(s, labels.get(s) or s) for s in sorted(per)],
        "years": years,
        "per_source_year": {s: dict(c) for s, c in per.items()},
        "first_date": min(dated).isoformat() if dated else None,
        "last_date": max(dated).isoformat() if dated else None,
        "undated": len(dates) - len(dated),
        "first_crawl": min(times).isoformat() if times else None,
        "last_crawl": max(times).isoformat() if times else None,
        "gaps": coverage.gaps(coverage.daily_counts(slugs, dates)),
        "settings": values,
        "settings_hash": digest,
        "versions": _versions(),
    }
