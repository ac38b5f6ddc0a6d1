"""Micro-benchmark: ``newsagg.dates.parse_date`` vs a tuned, reused dateparser.

Run: ``python -m benchmarks.bench_dates``. Two corpora:

- bylines: ``Publié dans <Source> le DD - MM - YYYY`` with and without ``à HHhMM``;
- the full table of tests/test_dates.py (``CASES``: text, tz, expected).

For each: µs per call for both parsers, the speed ratio, and agreement (how many
of the expected results each gets exactly right). dateparser runs with the very
settings of parse_date's fallback (``DATEPARSER_SETTINGS``), one parser per time
zone built before timing, with ``RELATIVE_BASE`` = the table's ``NOW``; its
result is turned into the same ISO form (a date unless its period is "time").
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from newsagg.dates import DATEPARSER_SETTINGS, parse_date

Case = tuple[Any, str, Any]  # (text, tz, expected ISO or None)

BYLINE_SOURCES = ["H24 Info", "Le Matin", "L'Opinion", "Libération", "Médias 24", "Le360", "2M", "Al Bayane"]


def _load_table() -> tuple[list[Case], datetime]:
    try:
        mod = importlib.import_module("tests.test_dates")
    except ImportError:  # run from elsewhere: load the file next to this package
        path = Path(__file__).resolve().parent.parent / "tests" / "test_dates.py"
        spec = importlib.util.spec_from_file_location("_test_dates_table", path)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    return list(mod.CASES), mod.NOW


def _bylines(tz: str = "Africa/Casablanca") -> list[Case]:
    """Byline forms, each source with a date and with a date and time; the
    expected offset comes straight from the tz database."""
    cases: list[Case] = []
    for i, src in enumerate(BYLINE_SOURCES):
        y, m, d = 2016 + i % 9, 1 + (i * 5) % 12, 1 + (i * 3) % 28
        hh, mm = 6 + i, (i * 7) % 60
        cases.append((f"Publié dans {src} le {d:02d} - {m:02d} - {y}", tz, f"{y}-{m:02d}-{d:02d}"))
        cases.append(
            (
                f"Publié dans {src} le {d:02d} - {m:02d} - {y} à {hh:02d}h{mm:02d}",
                tz,
                datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(tz)).isoformat(),
            )
        )
    return cases


class _DateparserRunner:
    """A tuned dateparser, one reused ``DateDataParser`` per time zone."""

    def __init__(self, now: datetime, tzs: set[str]):
        from dateparser.date import DateDataParser

        self.parsers = {}
        for tz in tzs:
            settings = dict(DATEPARSER_SETTINGS)
            settings["RELATIVE_BASE"] = now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
            self.parsers[tz] = DateDataParser(languages=["fr"], settings=settings)

    def __call__(self, text: Any, tz: str) -> str | None:
        try:
            res = self.parsers[tz].get_date_data(text)
        except Exception:
            return None
        dt = res.date_obj
        if dt is None:
            return None
        if res.period != "time":
            return dt.date().isoformat()
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=ZoneInfo(tz))
        return dt.replace(microsecond=0).isoformat()


def _measure(
    fn: Callable[[Any, str], str | None], cases: list[Case], min_seconds: float, repeats: int = 3
) -> tuple[float, int]:
    """(best µs per call over `repeats` runs, number of exact agreements)."""
    agree = sum(fn(text, tz) == exp for text, tz, exp in cases)
    # Calibrate the loop count so that one run lasts about min_seconds.
    loops = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(loops):
            for text, tz, _exp in cases:
                fn(text, tz)
        elapsed = time.perf_counter() - t0
        if elapsed >= min_seconds or loops >= 1_000_000:
            break
        loops *= 2 if elapsed == 0 else max(2, min(10, int(min_seconds / elapsed) + 1))
    best = elapsed
    for _ in range(repeats - 1):
        t0 = time.perf_counter()
        for _ in range(loops):
            for text, tz, _exp in cases:
                fn(text, tz)
        best = min(best, time.perf_counter() - t0)
    return best / (loops * len(cases)) * 1e6, agree


def run(out: TextIO = sys.stdout, min_seconds: float = 0.3) -> dict[str, dict[str, float]]:
    """Run the benchmark, print a plain-text table to ``out``, return the numbers:
    ``{corpus: {rows, parse_date_us, dateparser_us, ratio, parse_date_ok, dateparser_ok}}``."""
    import dateparser

    table, now = _load_table()
    corpora = {"bylines": _bylines(), "test table": table}
    dp = _DateparserRunner(now, {tz for cases in corpora.values() for _t, tz, _e in cases})

    def ours(text: Any, tz: str) -> str | None:
        return parse_date(text, tz=tz, now=now)

    dp("Publié dans Le Matin le 18 décembre 2024", "Africa/Casablanca")  # load its data once
    ours("décembre 18, 2024", "Africa/Casablanca")  # and build the fallback parser

    results: dict[str, dict[str, float]] = {}
    for name, cases in corpora.items():
        us_ours, ok_ours = _measure(ours, cases, min_seconds)
        us_dp, ok_dp = _measure(dp, cases, min_seconds)
        results[name] = {
            "rows": len(cases),
            "parse_date_us": round(us_ours, 2),
            "dateparser_us": round(us_dp, 1),
            "ratio": round(us_dp / us_ours, 1),
            "parse_date_ok": ok_ours,
            "dateparser_ok": ok_dp,
        }

    header = (
        f"{'corpus':<12} {'rows':>5} {'parse_date µs':>14} {'dateparser µs':>14} "
        f"{'ratio':>8} {'parse_date ok':>14} {'dateparser ok':>14}"
    )
    print(
        f"parse_date vs dateparser {dateparser.__version__} "
        "(one reused DateDataParser per tz, languages=['fr'], parse_date's fallback settings)",
        file=out,
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for name, r in results.items():
        rows = int(r["rows"])
        print(
            f"{name:<12} {rows:>5} {r['parse_date_us']:>14.2f} {r['dateparser_us']:>14.1f} "
            f"{r['ratio']:>7.0f}x {int(r['parse_date_ok']):>8}/{rows:<5} "
            f"{int(r['dateparser_ok']):>8}/{rows:<5}",
            file=out,
        )
    return results


if __name__ == "__main__":
    run()
