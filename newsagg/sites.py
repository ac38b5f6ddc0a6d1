"""The aggregator family: one entry per site sharing the page template."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Site:
    key: str
    root: str  # live site root, no trailing slash
    country: str
    tz: str  # IANA zone of the site's country (byline times are local)


SITES: dict[str, Site] = {
    "maghress": Site("maghress", "https://www.maghress.com", "Morocco", "Africa/Casablanca"),
    "djazairess": Site("djazairess", "https://www.djazairess.com", "Algeria", "Africa/Algiers"),
    "turess": Site("turess", "https://www.turess.com", "Tunisia", "Africa/Tunis"),
}
