"""The dataset card, ``R/README.md``: Hugging Face front matter, then how the data
was collected (per run: hosts, live site or not, fetch settings, health),
schema, counts, languages, coverage gaps, versions, recipes, limitations.

A function of the release's records and runs (no clock): the same release
gives the same card. Text from pages (source names) is escaped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
from collections import Counter
from importlib import metadata

import newsagg
from newsagg.dataset import coverage, provenance
from newsagg.items import FIELDS, SCHEMA_VERSION
from newsagg.sites import SITES

#: What each field means (docs/ARCHITECTURE.md "The record"); a field missing here reads "(undocumented)".
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
    "language": "the article's language, an ISO 639-1 code (e.g. `fr`)",
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

#: The extraction settings of the installation that builds the release (their hash is in the card);
#: what each run fetched with is its manifest's (newsagg.dataset.provenance).
SETTINGS_THAT_MATTER = [
    "NEWSAGG_BODY_PROMO_PATTERNS",
    "NEWSAGG_NEARDUP_ENABLED",
    "NEWSAGG_NEARDUP_THRESHOLD",
    "NEWSAGG_SPLIT_BY_SOURCE",
]
#: A language code the YAML front matter may list (ISO 639-1, or 639-3 where there is none).
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
#: Markdown that can appear mid-line (links, emphasis, code, tables, strike-through); HTML is escaped too.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
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


def md(text) -> str:
    """Page or run text as literal Markdown: HTML and Markdown syntax escaped, one line."""
    text = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def yaml_languages(languages: Counter) -> list[str]:
    """The language codes of the records for the YAML ``language:`` list (most records first)."""
    codes = [(n, code) for code, n in languages.items() if isinstance(code, str) and LANGUAGE_CODE.fullmatch(code)]
    return [code for n, code in sorted(codes, key=lambda nc: (-nc[0], nc[1]))]


def front_matter(site: str, n_records: int, languages: list[str] | None = None) -> str:
    """The Hugging Face dataset-card YAML block (between ``---`` lines). Without records
    there is no ``data/``: no ``configs`` then."""
    name = SITES[site].name if site in SITES else site
    languages = ["fr"] if languages is None else languages
    configs = [
        "configs:",
        "- config_name: default",
        "  data_files:",
        "  - split: train",
        f"    path: {_q('data/year=*/*.parquet')}",
    ]
    return "\n".join(
        [
            "---",
            "license: other  # to be filled in: see 'Licence and terms of use'",
            f"license_name: {_q('unknown')}",
            *(["language:", *(f"- {code}" for code in languages)] if languages else ["language: []"]),
            f"multilinguality: {'multilingual' if len(languages) > 1 else 'monolingual'}",
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
            *(configs if n_records else []),
            "---",
            "",
        ]
    )


def _table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def from_live_site(facts: dict) -> bool:
    """True when every run and every record URL is on the site's live hosts."""
    return _origin(facts)[0]


def _origin(facts: dict) -> tuple[bool, list[str]]:
    """(every page from the live site, the hosts that are not) over the runs and the records' URLs."""
    site = facts["site"]
    live = provenance.live_hosts(site)
    hosts = {h for r in facts["runs"] for h in r.get("hosts", [])} | set(facts.get("record_hosts", []))
    others = sorted(h for h in hosts if provenance.host_name(h) not in live)
    not_live = [r for r in facts["runs"] if "live" in r and not r["live"]]
    return not others and not not_live, others


def _run_status(run: dict) -> str:
    why = provenance.why_failed(run)
    if why:
        return f"**FAILED**: {md(why)}"
    if run.get("health") == "ok":
        return "ok"
    return "not checked (checkpoint)" if run.get("final") is False else "not checked"


def _runs_section(facts: dict) -> list[str]:
    """Runs included (hosts, live or not, status), their fetch settings, failed runs, refused runs."""
    lines: list[str] = []
    runs = facts["runs"]
    if runs:
        lines += ["", "Runs included (release order; first stored wins on duplicates):", ""]
        rows = []
        for r in runs:
            hosts = ", ".join(f"`{md(h)}`" for h in r.get("hosts", [])) or "not recorded"
            where = "live site" if r.get("live") else "**local replica or mirror**"
            if "live" not in r:
                where = "not recorded"
            rows.append(
                [
                    f"`{r['name']}`",
                    r["started_at"],
                    r["finished_at"],
                    r["finish_reason"],
                    f"{hosts} ({where})",
                    _run_status(r),
                    r["kept"],
                ]
            )
        lines += _table(
            ["run", "started (UTC)", "finished (UTC)", "finish reason", "fetched from", "status", "records kept"],
            rows,
        )
        groups: dict[str, list[str]] = {}
        for r in runs:
            used = r.get("fetch_settings")
            key = json.dumps(used, sort_keys=True, ensure_ascii=False) if used else ""
            groups.setdefault(key, []).append(r["name"])
        lines += ["", "Fetch settings, as each run used them (its manifest):", ""]
        for key, names in groups.items():
            values = json.loads(key) if key else None
            text = ", ".join(f"`{k}` = {md(_q(v))}" for k, v in values.items()) if values else "not recorded"
            lines.append(f"- {', '.join(f'`{n}`' for n in names)}: {text}.")
        failed = [r for r in runs if provenance.why_failed(r)]
        if failed:
            lines += ["", "Runs that failed (their records, if any, are included; they may be incomplete):", ""]
            for r in failed:
                checks = "; ".join(f"{md(c.get('name'))}: {md(c.get('message') or '')}" for c in r["failed_checks"])
                lines.append(f"- `{r['name']}`: {md(provenance.why_failed(r))}" + (f" ({checks})" if checks else ""))
    if facts["refused"]:
        lines += ["", "Runs refused (failed verification, left out):", ""]
        lines += [f"- `{r['run']}`: {md(r['reason'])}" for r in facts["refused"]]
    dropped = facts["dropped"]
    if dropped:
        lines += ["", "Records left out while consolidating: " + ", ".join(f"{md(k)}: {v}" for k, v in dropped.items())]
    return lines


def _loading(n: int) -> list[str]:
    """The loading recipes; a release without records has no ``data/`` and says so instead."""
    if not n:
        return [
            "This release holds no records, so it has no `data/` directory: there is nothing to load. "
            "See the runs above for why.",
        ]
    return [
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
    ]


def render(facts: dict) -> str:
    """The card's text. *facts*: :func:`facts_from` plus the release's runs, refused runs,
    dropped counts and ``provenance_text`` (newsagg.dataset.release)."""
    site = facts["site"]
    info = SITES.get(site)
    n = facts["records"]
    languages = facts.get("languages", Counter())
    codes = yaml_languages(languages)
    lines = [front_matter(site, n, codes)]
    title = f"{info.name} (French section): articles" if info else site
    lines += [f"# {title}", ""]
    live, others = _origin(facts)
    root = info.root if info else site
    if live:
        origin = f"from the French section of the press aggregator {root}"
    else:
        origin = (
            f"from a **local replica or mirror** of the French section of the press aggregator {root} "
            f"(fetched from {', '.join(f'`{md(h)}`' for h in others)}), **not from the live site**"
        )
    in_languages = ", ".join(f"{md(code)}: {count}" for code, count in _language_rows(languages))
    lines += [
        "## What it is",
        "",
        f"{n} news articles {origin}, each with its newspaper (source), title, body text, "
        "publication date and the URL of the original article. One record per article: "
        "an article republished by another newspaper with the same title and body is kept once, "
        "a rewrite is kept and linked (`near_duplicate_of`). "
        + (f"Languages (records): {in_languages}. " if n else "")
        + f"Built by newsagg {newsagg.__version__} from {facts['provenance_text']}.",
    ]
    failed = [r for r in facts["runs"] if provenance.why_failed(r)]
    if failed:
        lines += [
            "",
            f"**Warning: {len(failed)} of {len(facts['runs'])} run(s) failed** "
            '(fetched nothing or failed a health check): see "Runs that failed" below.',
        ]
    lines += ["", "## How it was collected", ""]
    if info:
        lines.append(
            f"- Site: {info.name}, {info.root}/fr (country: {info.country}; byline times are local, "
            f"time zone {info.tz})."
        )
    sources = facts["sources"]
    lines.append(
        f"- Sources: {len(sources)} newspapers as the aggregator lists them: "
        + ", ".join(f"{md(label)} (`{slug}`)" for slug, label in sources)
        + "."
    )
    lines.append(
        f"- Period: articles published {facts['first_date'] or 'n/a'} to {facts['last_date'] or 'n/a'}; "
        f"pages fetched {facts['first_crawl'] or 'n/a'} to {facts['last_crawl'] or 'n/a'} (UTC)."
    )
    if facts.get("record_hosts"):
        lines.append("- Record URLs are on: " + ", ".join(f"`{md(h)}`" for h in facts["record_hosts"]) + ".")
    lines.append(
        "- How: the site's listing pages, newest first, then each article page, with Scrapy; "
        "nightly incremental runs fetch only articles not stored before. Pages were only read, "
        "never submitted to; the newspapers' own sites were never fetched."
    )
    lines += _runs_section(facts)

    lines += ["", "## Schema", "", f"Record schema version {SCHEMA_VERSION}. Parquet columns, in order:", ""]
    lines += _table(
        ["column", "meaning"],
        [[f"`{f}`", FIELD_DOCS.get(f, "(undocumented)")] for f in FIELDS]
        + [[f"`{f}`", doc] for f, doc in TYPED_DOCS.items()],
    )

    lines += ["", "## Languages", "", "Records per language (the `language` field; `unknown`: none detected):", ""]
    lines += _table(["language", "records"], [[md(code), count] for code, count in _language_rows(languages)])

    lines += ["", "## Counts", "", "Articles per source and publication year (`undated`: no publication date):", ""]
    years = facts["years"]
    header = ["source", *[str(y) if y is not None else "undated" for y in years], "total"]
    rows = []
    per = facts["per_source_year"]
    for slug, label in sources:
        cells = [per.get(slug, {}).get(y, 0) for y in years]
        rows.append([f"{md(label)} (`{slug}`)", *cells, sum(cells)])
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
        f"- Settings hash of the installation that built this release: `sha256:{facts['settings_hash']}` "
        "over the canonical JSON of " + ", ".join(f"`{k}`" for k in SETTINGS_THAT_MATTER) + "."
    )

    lines += ["", "## Loading", "", *_loading(n)]
    lines += [
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
        "- Fetch settings are those each run's manifest records; a run written before manifests recorded "
        'them shows "not recorded". The extraction settings hashed above are the building installation\'s.',
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


def _language_rows(languages: Counter) -> list[tuple[str, int]]:
    """(code, records) most first; records without a language as ``unknown``, last."""
    known = [(str(c), n) for c, n in languages.items() if c]
    rows = sorted(known, key=lambda cn: (-cn[1], cn[0]))
    unknown = sum(n for c, n in languages.items() if not c)
    return rows + ([("unknown", unknown)] if unknown else [])


def facts_from(
    site: str,
    slugs: list[str],
    labels: dict[str, str],
    dates: list[dt.date | None],
    crawled: list[dt.datetime | None],
    settings,
    *,
    urls: list[str | None] | None = None,
    languages: list[str | None] | None = None,
) -> dict:
    """The computed parts of the card's facts (counts, dates, gaps, languages, record hosts, versions)."""
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
        "languages": Counter(languages or []),
        "record_hosts": provenance.record_hosts(urls or []),
        "settings": values,
        "settings_hash": digest,
        "versions": _versions(),
    }
