"""Articles per day per source, the coverage gaps, and ``coverage.png``.

A source *usually publishes* when it has at least one article on at least
:data:`USUAL_SHARE` of the days of its span (its first to its last publication
day, both included: its daily median is then at least one article, the
threshold of the health check's "regular" source) and at least
:data:`MIN_ACTIVE_DAYS` such days (fewer say nothing about a habit). A
*coverage gap* is a day of the span of such a source with no article: the
source was silent, or the crawl missed it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

USUAL_SHARE = 0.5
MIN_ACTIVE_DAYS = 7


def daily_counts(slugs: list[str], dates: list[dt.date | None]) -> dict[str, Counter]:
    """Articles per publication day per source (records without a date are not counted)."""
    out: dict[str, Counter] = {}
    for slug, day in zip(slugs, dates, strict=True):
        out.setdefault(slug, Counter())
        if day is not None:
            out[slug][day] += 1
    return out


def _span(days: Counter) -> list[dt.date]:
    first, last = min(days), max(days)
    return [first + dt.timedelta(n) for n in range((last - first).days + 1)]


def usually_publishes(days: Counter) -> bool:
    """True when the source's days with an article make a habit (module doc)."""
    if len(days) < MIN_ACTIVE_DAYS:
        return False
    return len(days) >= USUAL_SHARE * len(_span(days))


def gaps(daily: dict[str, Counter]) -> dict[str, list[dt.date]]:
    """The coverage gaps of each source that usually publishes (others: absent)."""
    return {
        slug: [d for d in _span(days) if not days[d]] for slug, days in sorted(daily.items()) if usually_publishes(days)
    }


def ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) ranges."""
    out: list[list[dt.date]] = []
    for d in sorted(days):
        if out and d - out[-1][1] == dt.timedelta(1):
            out[-1][1] = d
        else:
            out.append([d, d])
    return [(a, b) for a, b in out]


def plot(daily: dict[str, Counter], labels: dict[str, str], path: Path, title: str) -> None:
    """``coverage.png``: a heat map of articles per day (one row per source),
    gap days red, days outside a source's span grey; totals per day above."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    slugs = sorted(daily)
    dated = [d for c in daily.values() for d in c]
    if not dated:
        fig, ax = plt.subplots(figsize=(8, 2))
        ax.axis("off")
        ax.text(0.5, 0.5, f"{title}\nno dated article", ha="center", va="center")
        fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
        plt.close(fig)
        return
    first, last = min(dated), max(dated)
    n_days = (last - first).days + 1
    counts = np.zeros((len(slugs), n_days))
    outside = np.zeros((len(slugs), n_days), dtype=bool)
    gap = np.zeros((len(slugs), n_days), dtype=bool)
    found = gaps(daily)
    for row, slug in enumerate(slugs):
        days = daily[slug]
        for d, n in days.items():
            counts[row, (d - first).days] = n
        if days:
            lo, hi = (min(days) - first).days, (max(days) - first).days
            outside[row, :lo] = outside[row, hi + 1 :] = True
        else:
            outside[row, :] = True
        for d in found.get(slug, []):
            gap[row, (d - first).days] = True

    width = min(24.0, max(9.0, n_days / 12))
    fig, (top, ax) = plt.subplots(
        2,
        1,
        sharex=True,
        figsize=(width, 2.4 + 0.32 * len(slugs)),
        gridspec_kw={"height_ratios": [1.2, max(1.0, 0.32 * len(slugs))]},
        layout="constrained",
    )
    x = np.arange(n_days)
    top.bar(x, counts.sum(axis=0), width=1.0, color="#4C72B0")
    top.set_ylabel("articles/day")
    top.set_title(title)
    shown = np.ma.masked_where(counts == 0, counts)
    cmap = plt.get_cmap("viridis").copy()
    ax.imshow(outside, aspect="auto", cmap=ListedColormap(["white", "#DDDDDD"]), interpolation="nearest")
    ax.imshow(np.ma.masked_where(~gap, gap), aspect="auto", cmap=ListedColormap(["#D62728"]), interpolation="nearest")
    im = ax.imshow(shown, aspect="auto", cmap=cmap, interpolation="nearest", vmin=1)
    ax.set_yticks(range(len(slugs)), [labels.get(s) or s for s in slugs], fontsize=8)
    step = max(1, n_days // 12)
    ticks = list(range(0, n_days, step))
    ax.set_xticks(ticks, [(first + dt.timedelta(t)).isoformat() for t in ticks], rotation=45, ha="right", fontsize=8)
    ax.set_xlim(-0.5, n_days - 0.5)
    from matplotlib.ticker import MaxNLocator

    fig.colorbar(im, ax=ax, label="articles", shrink=0.8, pad=0.01, ticks=MaxNLocator(integer=True))
    ax.legend(
        handles=[
            Patch(color="#D62728", label="gap (usual source, no article)"),
            Patch(color="#DDDDDD", label="outside the source's span"),
        ],
        loc="upper left",
        bbox_to_anchor=(0, -0.25 if len(slugs) > 3 else -0.6),
        ncol=2,
        fontsize=8,
        frameon=False,
    )
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
