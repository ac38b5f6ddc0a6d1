"""The health checks as pure functions (stats, settings values, history in;
a :class:`~newsagg.monitoring.health.Check` out), and their fixed constants.

The Spidermon monitors (:mod:`newsagg.monitoring.monitors`) call them, tests
call them directly. The stats they read are counted by the crawl
(``newsagg/links/new_articles``, ``newsagg/articles/no_record``, ...).
docs/ARCHITECTURE.md "Health checks".
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping

from newsagg.failures import DEAD_LINK_REASONS, lost_article, site_broken
from newsagg.monitoring.health import Check
from newsagg.stats import ITEMS_DROPPED, PAGES, PAGES_FAILED, PREFIX

#: The share checks judge runs of at least this many pages/records (fewer: noise, they pass).
MIN_SAMPLE = 50
#: A *regular* source: its median daily articles over this many days (before its last article)...
REGULAR_WINDOW_DAYS = 30
#: ...is at least this.
REGULAR_MIN_DAILY = 1.0
#: The article count of a run is compared with this many recent committed runs...
RUN_HISTORY = 10
#: ...once there are at least this many.
RUN_MIN_HISTORY = 3

NEW_ARTICLE_LINKS = f"{PREFIX}/links/new_articles"
NO_RECORD = f"{PREFIX}/articles/no_record"
START_PAGE_FAILED = f"{PREFIX}/start_page/failed"
WITHOUT_DATE = f"{PREFIX}/health/written_without_date"


def _under(stats: Mapping, prefix: str) -> dict[str, int]:
    return {k[len(prefix) + 1 :]: v for k, v in stats.items() if k.startswith(prefix + "/") and isinstance(v, int)}


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _judged(whole: int, min_sample: int) -> str:
    """Shares of a few pages are noise (a small run, the replica's planted rare
    cases): below *min_sample* a share check passes, saying so."""
    return "" if whole >= min_sample else f"; too few to judge (< {min_sample})"


def no_record(stats: Mapping, threshold: float, min_sample: int = 0) -> Check:
    """Share of article pages requested that gave no record for a reason of their
    own (no article found, needs or failed render, not HTML, garbage, too large,
    refused, 4xx but dead links ...) above *threshold* (judged from *min_sample* pages).
    The message names the page failures behind it."""
    asked, empty = stats.get(NEW_ARTICLE_LINKS, 0), stats.get(NO_RECORD, 0)
    share = _share(empty, asked)
    few = _judged(asked, min_sample)
    ok = share <= threshold or bool(few)
    own = {k: v for k, v in _under(stats, PAGES_FAILED).items() if lost_article(k)}
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(own.items(), key=lambda kv: (-kv[1], kv[0])))
    return Check(
        "pages_no_record",
        ok,
        share,
        threshold,
        f"{empty} of {asked} article page(s) gave no record"
        + (f" (pages failed: {reasons})" if reasons else "")
        + few
        + ("" if ok else " (markup changed? pages need a browser? pages not served as HTML?)"),
    )


def failed_pages(stats: Mapping, threshold: float, min_sample: int = 0) -> Check:
    """Share of pages failed for a broken-site reason above *threshold* (judged
    from *min_sample* pages), or the start page failed."""
    failed = _under(stats, PAGES_FAILED)
    broken = {k: v for k, v in failed.items() if site_broken(k)}
    pages = sum(_under(stats, PAGES).values()) + sum(failed.values())
    share = _share(sum(broken.values()), pages)
    start = stats.get(START_PAGE_FAILED)
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(broken.items(), key=lambda kv: -kv[1])) or "none"
    few = _judged(pages, min_sample)
    message = f"{sum(broken.values())} of {pages} page(s) failed ({reasons})" + few
    if start:
        message = f"the start page failed ({start}); " + message
    return Check("failed_pages", (share <= threshold or bool(few)) and not start, share, threshold, message)


def missing_dates(stats: Mapping, threshold: float, min_sample: int = 0) -> Check:
    """Share of written records without ``published_at`` above *threshold* (judged from *min_sample* records)."""
    written, undated = stats.get("item_scraped_count", 0), stats.get(WITHOUT_DATE, 0)
    share = _share(undated, written)
    few = _judged(written, min_sample)
    return Check(
        "missing_dates",
        share <= threshold or bool(few),
        share,
        threshold,
        f"{undated} of {written} record(s) without published_at" + few,
    )


#: Why a new article link may rightly give no record: a dead link, or a record
#: dropped for a reason that is not a fault (a republication, out of the window ...).
_EXPECTED_EMPTY_FAILS = DEAD_LINK_REASONS
_EXPECTED_EMPTY_DROPS = ("duplicate_content", "duplicate_key", "already_stored", "out_of_window", "claimed_elsewhere")


def new_links_no_records(stats: Mapping) -> Check:
    """The run requested article links it did not know, and wrote nothing
    (links that were dead or gave an expected drop do not count)."""
    asked, written = stats.get(NEW_ARTICLE_LINKS, 0), stats.get("item_scraped_count", 0)
    expected = sum(stats.get(f"{PAGES_FAILED}/{r}", 0) for r in _EXPECTED_EMPTY_FAILS) + sum(
        stats.get(f"{ITEMS_DROPPED}/{r}", 0) for r in _EXPECTED_EMPTY_DROPS
    )
    new = max(0, asked - expected)
    ok = not (new and not written)
    return Check(
        "new_links_no_records",
        ok,
        written,
        1 if new else 0,
        f"{asked} new article link(s) ({expected} dead or expected drops), {written} record(s) written",
    )


def silent_sources(
    days: Mapping[str, Mapping[dt.date, int]],
    *,
    silent_days: int,
    window_days: int,
    min_daily: float,
    max_chance: float = 1.0,
    sources: Iterable[str] | None = None,
) -> tuple[Check, list[dict]]:
    """Sources that published regularly and then stopped.

    *days*: per source, articles per publication day (stored + this run).
    "Now" is the site's newest publication day (the site's own clock: a
    backfill of an old archive is judged against itself; a whole site gone
    quiet is the other checks' business). A source is *regular* when the
    median of its daily counts over the *window_days* ending at its last
    article is at least *min_daily*; it is *silent* when that last article is
    *silent_days* or more before "now", and a silence that long is unlikely
    by chance: at most *max_chance*, the share of days without an article in
    its window (from its first article on) to the power of the silent days.
    A source that missed a day in three is not flagged after three quiet days
    (0.33**3 = 4 %: of 30 such sources, one a night), one that never missed a
    day is. Returns the check and, per source,
    ``{"source", "last_day", "silent_days", "median_daily", "chance", "flagged"}``.
    """
    wanted = set(sources) if sources is not None else None
    newest = max((d for per in days.values() for d in per), default=None)
    rows, flagged = [], []
    for slug in sorted(days):
        per = days[slug]
        if not per or (wanted is not None and slug not in wanted):
            continue
        last = max(per)
        window = [per.get(last - dt.timedelta(days=i), 0) for i in range(window_days)]
        median = statistics.median(window)
        quiet = (newest - last).days
        known = window[: (last - min(per)).days + 1]  # its days since its first article
        chance = (known.count(0) / len(known)) ** quiet
        bad = median >= min_daily and quiet >= silent_days and chance <= max_chance
        rows.append(
            {
                "source": slug,
                "last_day": last.isoformat(),
                "silent_days": quiet,
                "median_daily": median,
                "chance": chance,
                "flagged": bad,
            }
        )
        if bad:
            flagged.append(f"{slug} (silent {quiet} d, median {median:g}/day before, chance {chance:.2g})")
    if newest is None:
        return Check("silent_sources", True, 0, 0, "no publication history yet"), rows
    message = (
        ("silent: " + ", ".join(flagged))
        if flagged
        else f"{len(rows)} source(s), none of the regular ones silent for {silent_days}+ days"
    )
    return Check("silent_sources", not flagged, len(flagged), 0, message), rows


def run_count(count: int, history: list[int], *, min_ratio: float, min_runs: int) -> Check:
    """This run's article count far below the median of the site's recent runs
    (below *min_ratio* of it, given at least *min_runs* earlier runs)."""
    if len(history) < min_runs:
        return Check(
            "run_article_count",
            True,
            count,
            None,
            f"{len(history)} earlier run(s) in the state, {min_runs} needed to compare",
        )
    median = statistics.median(history)
    floor = math.ceil(min_ratio * median)  # counts are whole: count >= ratio*median
    ok = count >= floor
    return Check(
        "run_article_count",
        ok,
        count,
        floor,
        f"{count} article(s) this run, median of the last {len(history)} run(s) {median:g}",
    )
