"""The aggregator family: one entry per site sharing the page template.

The one list of the sites: spiders, the title cleaning (:data:`SITE_NAMES`),
the command lines and the replica all take the sites from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Site:
    key: str
    name: str  # how the site names itself (the <title> suffix: "Titre - Maghress")
    root: str  # live site root, no trailing slash
    country: str
    tz: str  # IANA zone of the site's country (byline times are local)

    @property
    def domain(self) -> str:
        """``maghress.com``: the root's host without ``www.``."""
        host = self.root.split("://", 1)[-1]
        return host[4:] if host.startswith("www.") else host


SITES: dict[str, Site] = {
    "maghress": Site("maghress", "Maghress", "https://www.maghress.com", "Morocco", "Africa/Casablanca"),
    "djazairess": Site("djazairess", "Djazairess", "https://www.djazairess.com", "Algeria", "Africa/Algiers"),
    "turess": Site("turess", "Turess", "https://www.turess.com", "Tunisia", "Africa/Tunis"),
}

#: Site names and domains a title may end with (" - Maghress", " | turess.com"):
#: stripped from titles, names first.
SITE_NAMES: tuple[str, ...] = tuple(s.name for s in SITES.values()) + tuple(s.domain for s in SITES.values())
