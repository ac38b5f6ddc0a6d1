"""French (Maghreb press) date strings -> ISO 8601. Pure: no I/O, no global state beyond caches.

``parse_date`` gives ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SS±HH:MM`` (or None);
``parse_datetime_parts`` the same as a structured value; ``date_status`` tells
"no date" from "an impossible date"; ``to_date``; ``DATEPARSER_SETTINGS`` (the
fallback's, for the benchmark). A fast regex path reads dates and adjacent
times (never the digits of a name), impossible or out-of-range dates give None,
and only text with a French month or relative word reaches dateparser. The
rules: docs/ARCHITECTURE.md "Dates".
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DATEPARSER_SETTINGS",
    "DateParts",
    "date_status",
    "parse_date",
    "parse_datetime_parts",
    "to_date",
]

DEFAULT_TZ = "Africa/Casablanca"
MIN_YEAR = 1900
# Beyond this the fallback is not worth its cost (dateparser is ~1 ms per call
# and grows with the text); callers pass bylines or short listing fragments.
_FALLBACK_MAX_CHARS = 200

# --------------------------------------------------------------------------- #
# Normalization
# --------------------------------------------------------------------------- #
# The text is only lower-cased (and NFC-composed when needed): a full accent
# folding pass costs more than all the matching, so the patterns below accept
# accented and unaccented spellings instead (_acc), and every Unicode space
# (\s), dash (_D) and apostrophe (_Q).

_D = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # dashes, for [...] classes
_Q = "['\u2019\u2018\u201b`\u00b4\u02bc\u2032]"  # apostrophes
_L = r"[^\W\d_]"  # any letter
_NOT_LETTER_AFTER = rf"(?!{_L})"
_NOT_LETTER_BEFORE = rf"(?<!{_L})"

_ACCENTS = {"a": "aàâä", "c": "cç", "e": "eéèêë", "i": "iîï", "o": "oôö", "u": "uûùü"}
_FOLD = str.maketrans({c: base for base, group in _ACCENTS.items() for c in group[1:]})


def _acc(word: str) -> str:
    """Regex for an unaccented word that also matches its accented spellings."""
    return "".join(f"[{_ACCENTS[c]}]" if c in _ACCENTS else re.escape(c) for c in word)


# Source names that contain a date word: removed before anything else, or
# "Publié dans Aujourd'hui le Maroc le ..." would read as today's date.
_SOURCE_NAMES_WITH_DATE_WORDS = re.compile(rf"{_acc('aujourd')}\s*(?:{_Q}\s*)?hui\s+le\s+maroc")


def _normalize(text: str) -> str:
    s = text.lower()
    if not s.isascii() and not unicodedata.is_normalized("NFC", s):
        s = unicodedata.normalize("NFC", s)  # "e" + combining acute -> "é"
    if "aujourd" in s:
        s = _SOURCE_NAMES_WITH_DATE_WORDS.sub(" ", s)
    return s


# --------------------------------------------------------------------------- #
# Vocabulary and regexes (applied to lower-cased text)
# --------------------------------------------------------------------------- #

_MONTHS: dict[str, int] = {  # unaccented keys; lookups fold the match first
    "janvier": 1,
    "janv": 1,
    "jan": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "mar": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juill": 7,
    "juil": 7,
    "jul": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}
_MONTH_RE = "|".join(_acc(k) for k in sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_RE = (
    r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    rf"|lun|mar|mer|jeu|ven|sam|dim){_NOT_LETTER_AFTER}\.?"
)
_ORDINAL = rf"(?:{_acc('ere')}|{_acc('eme')}|er|re|e|\u1d49\u02b3|\u1d49){_NOT_LETTER_AFTER}"


def _time_re(p: str) -> str:
    """A time of day: "10h30", "10 h 30", "10h", "10 heures", "10:30",
    "10:30:15(.123)", then an optional explicit zone. Group names start with p.

    A bare numeric offset must touch the time ("14:05+01:00"), so that
    "14:05 - 18 décembre" is not read as UTC-18. Optional parts are written as
    "\\s*(?:X\\s*)?", never "\\s*X?\\s*": the latter backtracks quadratically
    on long runs of spaces."""
    return (
        rf"(?P<{p}H>\d{{1,2}})(?:"
        rf"\s*(?:heures?|h)(?:\s*(?P<{p}Mh>\d{{2}}))?(?:\s*(?:mn|min))?(?![^\W_])"
        rf"|\s*:\s*(?P<{p}Mc>\d{{2}})(?:\s*:\s*(?P<{p}S>\d{{2}})(?:[.,]\d+)?)?(?![\d:])"
        r")(?:"
        rf"\s*(?:\(\s*)?(?P<{p}zn>gmt|utc|z|cest|cet|west|wet){_NOT_LETTER_AFTER}"
        rf"(?:\s*(?P<{p}zs>[+\-\u2212])(?P<{p}zh>\d{{1,2}})(?::?(?P<{p}zm>\d{{2}}))?(?!\d))?\)?"
        rf"|\s?(?P<{p}bs>[+\-\u2212])(?P<{p}bh>\d{{2}}):?(?P<{p}bm>\d{{2}})(?!\d)"
        r")?"
    )


# What may stand between a date and the time after it: "... 2019 à 08h15",
# "..., 10:30", "2024-12-18T14:05:00Z".
_AFTER_LINK = rf"(?:t(?=\d)|[\s,;|({_D}]*(?:(?:{_acc('a')}|vers|{_acc('des')})\s*)?)"

# Every absolute date starts with a number, so the pattern starts with one: it
# lets the regex engine skip non-digits quickly. What a look-behind would do
# (not inside a longer number or number chain) and the digit counts of each
# form are checked in _find_absolute, which is far cheaper than alternation.
#   numeric:  "24 - 04 - 2019", "24/04/19", "24.04.2019", "2019-04-24" (same
#             separator twice; not followed by a further "-<digit>" group)
#   textual:  "18 décembre 2024", "1er mars", "1 er mars", "18 déc. 2024"
# then, optionally, the time after it (one regex call for a whole byline).
_ABSOLUTE = re.compile(
    r"(?P<a>\d{1,4})(?:"
    rf"\s*(?P<sep>[{_D}/.])\s*(?P<b>\d{{1,2}})\s*(?P=sep)\s*(?P<c>\d{{1,4}})"
    r"(?!\d)(?!\s*(?P=sep)\s*\d)"
    rf"|(?:\s*{_ORDINAL})?[\s./{_D}]*(?P<tm>{_MONTH_RE}){_NOT_LETTER_AFTER}\.?"
    rf"(?:[\s,./{_D}]*(?P<ty>\d{{4}})(?!\d))?"
    rf")(?:{_AFTER_LINK}{_time_re('t')})?"
)
# Time before the date: "10h30, 24/04/2019", "14:05 - mercredi 18 décembre 2024".
_TIME_BEFORE = re.compile(rf"{_time_re('t')}[\s,;|{_D}]*(?:le\s+)?(?:{_WEEKDAY_RE}[\s,]*)?(?:le\s+)?\Z")
_BEFORE_WINDOW = 64  # chars of text before a date searched for a time
_NUMBER_CHARS = ":.,"  # an hour right after one of these is a number's tail

_FIXED_ZONES = {"gmt": 0, "utc": 0, "z": 0, "wet": 0, "cet": 60, "west": 60, "cest": 120}

# Relative forms, tried only when the text holds no absolute date.
_RELATIVE = re.compile(
    rf"{_NOT_LETTER_BEFORE}(?:"
    r"il\s+y\s+a\s+(?P<n>\d{1,9}|une?)\s*"
    rf"(?P<unit>{_acc('secondes')}|{_acc('seconde')}|secs?|s|minutes?|mins?|mn|heures?|hrs?|h"
    rf"|jours?|j|semaines?|sem|mois|{_acc('annees')}|{_acc('annee')}|ans?){_NOT_LETTER_AFTER}"
    r"(?:\s*(?:et\s+)?(?P<n2>\d{1,2})\s*(?:minutes?|mins?|mn)?(?![^\W_]))?"
    rf"|(?P<day>avant[\s{_D}]*hier|hier|{_acc('aujourd')}\s*(?:{_Q}\s*)?hui){_NOT_LETTER_AFTER}"
    rf"|(?P<inst>{_acc('a')}\s+l\s*(?:{_Q}\s*)?instant){_NOT_LETTER_AFTER}"
    rf")(?:{_AFTER_LINK}{_time_re('t')})?"  # "hier à 14h05"
)
_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "seconde": 1,
    "secondes": 1,
    "mn": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "heure": 3600,
    "heures": 3600,
}
_UNIT_DAYS = {"j": 1, "jour": 1, "jours": 1, "sem": 7, "semaine": 7, "semaines": 7}
_UNIT_MONTHS = {"mois": 1, "an": 12, "ans": 12, "annee": 12, "annees": 12}

# Gate for the dateparser fallback: a month word or a relative-date word.
_FALLBACK_GATE = re.compile(
    rf"{_NOT_LETTER_BEFORE}(?:(?:{_MONTH_RE}|hier|{_acc('aujourd')}){_NOT_LETTER_AFTER}|il\s+y\s+a{_NOT_LETTER_AFTER})"
)
# Tokens mixing letters and digits ("2m", "h24", "le360") are names, not dates;
# dateparser would read "2M" as "two months ago". Times/ordinals are kept.
_ALNUM_TOKEN = re.compile(rf"(?<![^\W_])(?:{_L}+\d\w*|\d+{_L}\w*)(?![^\W_])")
_KEEP_ALNUM = re.compile(rf"\d{{1,2}}h(?:\d{{2}})?|\d{{1,2}}{_ORDINAL}|\d{{1,2}}(?:mn|min)")


# --------------------------------------------------------------------------- #
# Result type
# --------------------------------------------------------------------------- #


class DateParts(NamedTuple):
    """A parsed date: ``time``/``utcoffset`` are None for a date without time."""

    date: date
    time: time | None = None
    utcoffset: timedelta | None = None
    source: Literal["fast", "dateparser"] = "fast"

    @property
    def value(self) -> date | datetime:
        """``datetime.date``, or an aware ``datetime`` with a fixed offset."""
        if self.time is None:
            return self.date
        tzinfo = timezone(self.utcoffset or timedelta(0))
        return datetime.combine(self.date, self.time, tzinfo)

    def isoformat(self) -> str:
        """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SS±HH:MM``."""
        if self.time is None:
            return self.date.isoformat()
        off = self.utcoffset or _ZERO
        text = _OFFSET_TEXT.get(off)
        if text is None:
            text = _OFFSET_TEXT[off] = _format_offset(off)
        return f"{self.date.isoformat()}T{self.time.isoformat('seconds')}{text}"


class _Impossible:
    """Sentinel: the text holds a date-like string that is no valid date."""


_IMPOSSIBLE = _Impossible()


_ZERO = timedelta(0)
_OFFSET_TEXT: dict[timedelta, str] = {}  # a handful of distinct offsets in practice


def _format_offset(off: timedelta) -> str:
    # ISO 8601 offsets have minutes at most; pre-1914 local mean times in the
    # tz database have seconds (Casablanca -00:30:20), so round to the minute.
    minutes = round(off.total_seconds() / 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #

_ZONE_CACHE: dict[str, ZoneInfo] = {}


def _zone(tz: str) -> ZoneInfo:
    zi = _ZONE_CACHE.get(tz)
    if zi is None:
        try:
            zi = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            # A bad tz is a configuration error, not bad input text: fail loudly.
            raise ValueError(f"unknown time zone {tz!r}") from exc
        _ZONE_CACHE[tz] = zi
    return zi


def _local_now(zi: ZoneInfo, now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(zi)
    if now.tzinfo is None:
        return now.replace(tzinfo=zi)  # naive: already local wall time in tz
    return now if now.tzinfo is zi else now.astimezone(zi)


def _in_range(d: date, now: datetime) -> bool:
    if d.year < MIN_YEAR:
        return False
    if d.year <= now.year:
        return True
    today = now.date()
    try:
        limit = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year + 1, day=28)
    return d <= limit


def _explicit_offset(
    zn: str | None, zs: str | None, zh: str | None, zm: str | None, bs: str | None, bh: str | None, bm: str | None
) -> timedelta | _Impossible | None:
    """Offset of the zone captured by _time_re, None if none, _IMPOSSIBLE if invalid."""
    if zn is not None:  # GMT, UTC, Z, CET... optionally GMT+1, UTC+01:00
        minutes = _FIXED_ZONES[zn]
        if zs is not None:
            hh, mm = int(zh), int(zm or 0)  # type: ignore[arg-type]
            if hh > 14 or mm > 59:
                return _IMPOSSIBLE
            minutes += (hh * 60 + mm) * (1 if zs == "+" else -1)
        return timedelta(minutes=minutes)
    if bs is not None:  # +01:00, +0100
        hh, mm = int(bh), int(bm)  # type: ignore[arg-type]
        if hh > 14 or mm > 59:
            return _IMPOSSIBLE
        return timedelta(minutes=(hh * 60 + mm) * (1 if bs == "+" else -1))
    return None


def _time_before(s: str, start: int) -> re.Match[str] | None:
    """A time just before the date starting at s[start]."""
    pos = max(0, start - _BEFORE_WINDOW)
    window = s[pos:start]
    if "h" not in window and ":" not in window:
        return None  # every time form has one: skip the regex (most bylines)
    while pos < start:
        m = _TIME_BEFORE.search(s, pos, start)
        if m is None:
            return None
        h = m.start()
        if not h or (s[h - 1] not in _NUMBER_CHARS and not s[h - 1].isalnum()):
            return m
        pos = h + 1  # the hour was the tail of a number or name: look further right
    return None


_N_TIME_GROUPS = 11  # groups of _time_re; the last ones of every regex using it


def _with_time(
    d: date, m: re.Match[str], s: str, zi: ZoneInfo, groups: tuple[Any, ...] | None = None
) -> DateParts | _Impossible:
    """Attach to date d (matched by m, whose groups() may be passed) the time
    adjacent to it, if any: the one after it (matched by m itself), else the one
    just before it."""
    g = (groups or m.groups())[-_N_TIME_GROUPS:]
    if g[0] is None:
        tm = _time_before(s, m.start())
        if tm is None:
            return DateParts(d)
        g = tm.groups()[-_N_TIME_GROUPS:]
    h, mh, mc, sec, zn, zs, zh, zm, bs, bh, bm = g
    hh, mm, ss = int(h), int(mh or mc or 0), int(sec or 0)
    if hh > 23 or mm > 59 or ss > 59:
        return _IMPOSSIBLE
    t = time(hh, mm, ss)
    off = _explicit_offset(zn, zs, zh, zm, bs, bh, bm)
    if off is None:
        # Local wall time: the offset the tz database gives for it (fold=0 in
        # repeated/skipped hours, i.e. the offset in force before the change).
        off = zi.utcoffset(datetime(d.year, d.month, d.day, hh, mm, ss))
    elif off is _IMPOSSIBLE:
        return _IMPOSSIBLE
    return DateParts(d, t, off)  # type: ignore[arg-type]


def _two_digit_year(y: str) -> int:
    v = int(y)
    if len(y) == 2:
        return v + (2000 if v < 70 else 1900)
    return v


def _minus_months(d: date, months: int) -> date | None:
    y, m = divmod(d.year * 12 + (d.month - 1) - months, 12)
    if y < 1:
        return None
    # "il y a 1 mois" on 31 March is the last day of February: relative forms
    # are approximate by nature (absolute dates are never clamped).
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


# --------------------------------------------------------------------------- #
# Fast path
# --------------------------------------------------------------------------- #


def _find_absolute(s: str) -> tuple[re.Match[str], tuple[Any, ...]] | None:
    """Leftmost absolute date whose numbers stand alone and fit one of the forms."""
    pos = 0
    while True:
        m = _ABSOLUTE.search(s, pos)
        if m is None:
            return None
        st = m.start()
        pos = st + 1
        if st:
            # Not inside a number ("12019") or a name ("H24", "Le360"), nor the
            # tail of a decimal ("3,24") or of a number chain ("1.24").
            prev = s[st - 1]
            if prev.isalnum() or prev == "," or (prev in "/." and st > 1 and s[st - 2].isdecimal()):
                continue
        g = m.groups()
        la = len(g[0])
        if g[4] is not None:  # month name: the day has 1-2 digits
            if la <= 2:
                return m, g
        elif (la == 4 and len(g[3]) <= 2) or (la <= 2 and len(g[3]) in (2, 4)):
            return m, g  # Y-M-D, or D-M-Y with a 2- or 4-digit year


def _parse_absolute(
    m: re.Match[str], g: tuple[Any, ...], s: str, zi: ZoneInfo, now: datetime
) -> DateParts | _Impossible:
    a, _sep, b, c, month_word, ty = g[:6]
    if month_word is not None:
        mo, dd = _MONTHS[month_word.translate(_FOLD)], int(a)
        if ty is not None:
            y = int(ty)
        else:
            # No year: this year, unless that day is still to come -> last year.
            y = now.year if (mo, dd) <= (now.month, now.day) else now.year - 1
    elif len(a) == 4:  # year first: 2019-04-24, 2019/04/24
        y, mo, dd = int(a), int(b), int(c)
    else:  # day first: 24 - 04 - 2019, 24/04/19
        y, mo, dd = _two_digit_year(c), int(b), int(a)
    try:
        d = date(y, mo, dd)
    except ValueError:
        return _IMPOSSIBLE
    if (y > now.year or y < MIN_YEAR) and not _in_range(d, now):
        return _IMPOSSIBLE
    return _with_time(d, m, s, zi, g)


def _parse_relative(m: re.Match[str], s: str, zi: ZoneInfo, now: datetime) -> DateParts | _Impossible:
    if m.group("inst") is not None:  # "à l'instant"
        return DateParts(now.date(), now.time().replace(microsecond=0, tzinfo=None), now.utcoffset())
    day = m.group("day")
    if day is not None:
        back = 2 if day.startswith("avant") else 1 if day == "hier" else 0  # aujourd'hui
        d = now.date() - timedelta(days=back)
        return _with_time(d, m, s, zi)
    raw_n, unit = m.group("n"), m.group("unit").translate(_FOLD)
    n = 1 if raw_n in ("un", "une") else int(raw_n)
    try:
        if unit in _UNIT_SECONDS:
            secs = n * _UNIT_SECONDS[unit]
            if m.group("n2") is not None and _UNIT_SECONDS[unit] == 3600:
                secs += int(m.group("n2")) * 60
            # Elapsed time is physical time: subtract in UTC, show in local time.
            then = (now.astimezone(UTC) - timedelta(seconds=secs)).astimezone(zi)
            if not _in_range(then.date(), now):
                return _IMPOSSIBLE
            return DateParts(then.date(), then.time().replace(microsecond=0, tzinfo=None), then.utcoffset())
        if unit in _UNIT_DAYS:
            d: date | None = now.date() - timedelta(days=n * _UNIT_DAYS[unit])
        else:
            d = _minus_months(now.date(), n * _UNIT_MONTHS[unit])
    except (OverflowError, ValueError):
        return _IMPOSSIBLE
    if d is None or not _in_range(d, now):
        return _IMPOSSIBLE
    return _with_time(d, m, s, zi)


# --------------------------------------------------------------------------- #
# dateparser fallback
# --------------------------------------------------------------------------- #

DATEPARSER_SETTINGS: dict[str, Any] = {
    "DATE_ORDER": "DMY",  # Maghreb bylines are day-first
    "PREFER_DAY_OF_MONTH": "first",  # never invent "today's" day of month
    "PREFER_DATES_FROM": "past",  # year-less dates are past news
    "RETURN_TIME_AS_PERIOD": True,  # period == "time" iff a time was given
    "REQUIRE_PARTS": ["day", "month"],  # a month or a year alone is no date
    "STRICT_PARSING": False,  # year-less and relative dates are allowed
    # No "timestamp"/"no-spaces-time"/"custom-formats": they turn bare digits
    # into dates.
    "PARSERS": ["relative-time", "absolute-time"],
    "IGNORE_SURROUNDING_TEXT": True,
    # TIMEZONE / RETURN_AS_TIMEZONE_AWARE stay at their defaults on purpose: a
    # naive result is the wall time as written, an aware one keeps the zone
    # written in the text (any other TIMEZONE converts it away).
}


# dateparser's public API has no per-call "now": RELATIVE_BASE is a setting
# of the parser. One parser per base, built on first use (~15 µs, against
# ~0.5 ms per parse); the base changes at most once a second (now without
# microseconds), and a crawl passes one fixed now.
@lru_cache(maxsize=16)
def _dateparser(relative_base: datetime) -> Any:
    from dateparser.date import DateDataParser  # heavy import: only when needed

    return DateDataParser(languages=["fr"], settings={**DATEPARSER_SETTINGS, "RELATIVE_BASE": relative_base})


def _scrub_for_dateparser(s: str) -> str:
    return _ALNUM_TOKEN.sub(lambda m: m.group(0) if _KEEP_ALNUM.fullmatch(m.group(0)) else " ", s)


def _parse_fallback(s: str, zi: ZoneInfo, now: datetime) -> DateParts | _Impossible | None:
    if len(s) > _FALLBACK_MAX_CHARS or not _FALLBACK_GATE.search(s):
        return None
    text = _scrub_for_dateparser(s)
    # Outside the try: a bad setting (SettingValidationError) must fail loudly.
    parser = _dateparser(now.replace(tzinfo=None, microsecond=0))  # local wall time, as the text's
    try:
        res = parser.get_date_data(text)
    except (ValueError, OverflowError):
        # What dateparser raises on text it cannot make a date of (out-of-range
        # numbers). Anything else is a bug or an API change: it propagates.
        return None
    dt = res.date_obj if res is not None else None
    if dt is None or res.period not in ("day", "time"):
        return None
    parts = getattr(res, "parts", None)
    if parts is not None and not {"day", "month"} <= set(parts):
        return None
    d = dt.date()
    if not _in_range(d, now):
        return _IMPOSSIBLE
    if res.period != "time":
        return DateParts(d, source="dateparser")
    t = dt.time().replace(microsecond=0, tzinfo=None)
    off = dt.utcoffset() if dt.tzinfo is not None else zi.utcoffset(datetime.combine(d, t))
    return DateParts(d, t, off, "dateparser")


# --------------------------------------------------------------------------- #
# Public API
# --------------------------------------------------------------------------- #


def _parse(text: object, tz: str, now: datetime | None) -> DateParts | _Impossible | None:
    zi = _zone(tz)
    if not isinstance(text, str) or not text:
        return None
    s = _normalize(text)
    found = _find_absolute(s)
    if found is not None:
        return _parse_absolute(found[0], found[1], s, zi, _local_now(zi, now))
    local_now = _local_now(zi, now)
    m = _RELATIVE.search(s)
    if m is not None:
        return _parse_relative(m, s, zi, local_now)
    return _parse_fallback(s, zi, local_now)


def parse_datetime_parts(text: str | None, tz: str = DEFAULT_TZ, now: datetime | None = None) -> DateParts | None:
    """Parse like :func:`parse_date` but return a :class:`DateParts` (or None)."""
    res = _parse(text, tz, now)
    return res if isinstance(res, DateParts) else None


def date_status(
    text: str | None, tz: str = DEFAULT_TZ, now: datetime | None = None
) -> Literal["ok", "missing", "impossible"]:
    """``"ok"`` if :func:`parse_date` finds a date; ``"impossible"`` if the text
    holds a date-like string that is invalid or out of range (31 February, hour
    25, year 1850); ``"missing"`` if there is no date in it at all."""
    res = _parse(text, tz, now)
    if isinstance(res, DateParts):
        return "ok"
    return "impossible" if res is _IMPOSSIBLE else "missing"


def parse_date(text: str | None, tz: str = DEFAULT_TZ, now: datetime | None = None) -> str | None:
    """Parse a French date/date-time found in ``text`` into ISO 8601.

    Returns ``YYYY-MM-DD`` when the text gives only a date (a date is not
    midnight), ``YYYY-MM-DDTHH:MM:SS±HH:MM`` when it gives a time, or None.

    - Day-first numeric dates (``24 - 04 - 2019``, ``24/04/19``), year-first when
      the first number has four digits, French month names and abbreviations,
      with or without accents, any case. Surrounding words are ignored; the
      first date in the text wins, relative forms only count when it has none.
    - A time counts only next to the date (``à 08h15`` after it, ``10h30,``
      before it); a time alone, a bare number or a name such as ``2M`` or
      ``Médias 24`` is no date.
    - A time is local to ``tz`` (an IANA zone) and gets the offset the tz
      database gives for that local date-time (Morocco is UTC+0 during
      Ramadan). An explicit zone in the text (``GMT``, ``UTC``, ``Z``,
      ``+01:00``, ``GMT+1``) wins and is kept in the output.
    - Relative forms (``il y a 3 heures``, ``hier à 14h05``) and year-less
      dates are resolved against ``now`` (default: the current time; a naive
      ``now`` is local time in ``tz``). A year-less date after ``now`` is last
      year's.
    - Impossible dates/times and years before 1900 or more than a year after
      ``now`` give None, never a neighbouring date. Never raises on a ``str``
      ``text``; raises ValueError for an unknown ``tz``.
    """
    res = _parse(text, tz, now)
    return res.isoformat() if isinstance(res, DateParts) else None


def to_date(iso: str | None) -> date | None:
    """The calendar date of a :func:`parse_date` result, as written (local date,
    no conversion to UTC): ``"2024-12-18T00:30:00+01:00"`` -> ``date(2024, 12, 18)``.

    None gives None; a string that does not start with ``YYYY-MM-DD`` raises
    ValueError.
    """
    if iso is None:
        return None
    return date.fromisoformat(iso[:10])
