"""Spider arguments: parsed and validated in one place.

Arguments arrive as strings (``scrapy crawl -a key=value``; Scrapyd adds
``_job`` and friends). ``CrawlArgs.parse`` turns them into typed values or
raises :class:`ArgumentError` with a message naming the argument and the fix.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit

from newsagg.urls import SLUG_RE, classify, site_root

RENDER_MODES = ("auto", "always", "never")
#: Words read as a boolean, in spider arguments and string settings (lower-cased, stripped).
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "none", ""})
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class ArgumentError(ValueError):
    """A spider argument has a bad value."""


@dataclass(frozen=True)
class CrawlArgs:
    """Typed spider arguments (see README "Spider arguments")."""

    base_url: str
    sources: tuple[str, ...] | None = None
    max_pages: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    urls: tuple[str, ...] = ()
    render: str = "auto"
    full: bool = False
    job: str | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: dict, default_base_url: str) -> CrawlArgs:
        """Validate the raw ``-a`` arguments (all strings) and type them."""
        raw = {k: v for k, v in raw.items() if v is not None}
        known = {f.name for f in fields(cls)} - {"job", "extra"}
        extra = {k: v for k, v in raw.items() if k.startswith("_") and k != "_job"}
        unknown = sorted(k for k in raw if k not in known and not k.startswith("_"))
        if unknown:
            raise ArgumentError(f"unknown spider argument(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        base_url = _base_url(str(raw.get("base_url") or default_base_url))
        since = _date(raw, "since")
        until = _date(raw, "until")
        if since and until and since > until:
            raise ArgumentError(f"since={since} is after until={until}")
        return cls(
            base_url=base_url,
            sources=_sources(raw.get("sources")),
            max_pages=_positive_int(raw, "max_pages"),
            since=since,
            until=until,
            urls=_urls(raw.get("urls"), base_url),
            render=_choice(raw, "render", RENDER_MODES, "auto"),
            full=_bool(raw, "full"),
            job=raw.get("_job"),
            extra=extra,
        )

    def wants_source(self, slug: str | None) -> bool:
        """True when articles of *slug* are in scope of this crawl."""
        return self.sources is None or slug in self.sources

    def in_window(self, day: dt.date | None) -> bool:
        """True when a publication date is inside [since, until] (no date: in)."""
        if day is None:
            return True
        if self.since and day < self.since:
            return False
        return not (self.until and day > self.until)


def _base_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ArgumentError(f"base_url={value!r}: expected http(s)://host[:port], e.g. http://127.0.0.1:8000")
    path = parts.path.rstrip("/")
    if path not in ("", "/fr"):
        raise ArgumentError(f"base_url={value!r}: give the site root (no path other than /fr)")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ArgumentError(f"base_url={value!r}: {exc}") from None
    return site_root(value)  # hosts are case-insensitive: one spelling for canonical URLs


def _sources(value: str | None) -> tuple[str, ...] | None:
    if value is None or not str(value).strip():
        return None
    slugs = tuple(dict.fromkeys(s.strip().lower() for s in str(value).split(",") if s.strip()))
    bad = [s for s in slugs if not SLUG_RE.match(s)]
    if bad:
        raise ArgumentError(f"sources: bad slug(s) {bad}: slugs are lower-case ASCII letters/digits")
    return slugs


def _positive_int(raw: dict, name: str) -> int | None:
    value = raw.get(name)
    if value is None or str(value).strip() == "":
        return None
    try:
        n = int(str(value).strip())
    except ValueError:
        raise ArgumentError(f"{name}={value!r}: expected a whole number >= 1") from None
    if n < 1:
        raise ArgumentError(f"{name}={value!r}: expected a whole number >= 1")
    return n


def _date(raw: dict, name: str) -> dt.date | None:
    value = raw.get(name)
    if value is None or str(value).strip() == "":
        return None
    m = _ISO_DATE.fullmatch(str(value).strip())
    if not m:
        raise ArgumentError(f"{name}={value!r}: expected a date as YYYY-MM-DD")
    year, month, day = (int(g) for g in m.groups())
    if year < 1:
        raise ArgumentError(f"{name}={value!r}: there is no year 0000")
    if not 1 <= month <= 12:
        raise ArgumentError(f"{name}={value!r}: there is no month {month:02d} (01 to 12)")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise ArgumentError(f"{name}={value!r}: {year:04d}-{month:02d} has no day {day:02d} (01 to {last})")
    return dt.date(year, month, day)


def _choice(raw: dict, name: str, choices: tuple[str, ...], default: str) -> str:
    value = str(raw.get(name, default)).strip().lower() or default
    if value not in choices:
        raise ArgumentError(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def _bool(raw: dict, name: str) -> bool:
    value = str(raw.get(name, "")).strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ArgumentError(f"{name}={value!r}: expected 1/0, true/false, yes/no")


def _urls(value: str | None, base_url: str) -> tuple[str, ...]:
    if value is None or not str(value).strip():
        return ()
    out = []
    for u in (s.strip() for s in str(value).split(",")):
        if not u:
            continue
        if u.startswith("/"):
            u = base_url + u
        ref = classify(u, base_url)  # any host form of the site; canonical on base_url
        if ref.kind != "article":
            raise ArgumentError(
                f"urls: {u!r} is not an article URL of {base_url} (expected {base_url}/fr/<slug>/<digits>)"
            )
        out.append(ref.url)
    return tuple(dict.fromkeys(out))
