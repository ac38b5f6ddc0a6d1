"""The incremental-state backend interface.

A backend remembers, per site, which articles earlier runs stored (key, content
fingerprint, near-duplicate signature). Lookups see stored entries only;
:meth:`StateBackend.claim_result` is the one atomic check-and-set that also
sees live runs' claims; :meth:`StateBackend.commit` makes one segment's claims
stored, atomically with its record. docs/ARCHITECTURE.md "Incremental state".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.utils.misc import load_object

from newsagg.config import setting
from newsagg.state.keys import Key

__all__ = ["Key", "SegmentCommit", "StateBackend", "StateError", "StateLocked", "open_state", "state_dir"]

#: Outcomes of :meth:`StateBackend.claim_result`.
CLAIMED = "claimed"  # reserved for the run
STORED = "stored"  # key or content stored by a committed run
OWN_KEY = "own_key"  # this run already claimed the key
OWN_CONTENT = "own_content"  # this run already claimed the content (a republication)
OTHER_RUN = "other_run"  # another run holds the key or the content
RUN_DEAD = "run_dead"  # this run was presumed dead and its work recovered: it claims nothing more

#: NEWSAGG_STATE_BACKEND value -> class path.
BACKENDS = {
    "sqlite": "newsagg.state.sqlite.SQLiteState",
    "redis": "newsagg.state.redis.RedisState",
}


class StateError(RuntimeError):
    """The state cannot be used for this run."""


class StateLocked(StateError):
    """Another run holds this site's state exclusively (the SQLite backend's
    per-site lock). The run must stop without touching the state."""


class StateBackend(ABC):
    """One site's crawl state. Not thread-safe; one instance per run.

    Subclasses take the crawler settings in ``__init__`` and do no I/O before
    :meth:`open`.
    """

    #: The NEWSAGG_STATE_BACKEND name.
    name: str = ""
    #: True when an open backend excludes every other run of the site (a lock):
    #: then any other run's leftovers (claims, staged segments) are dead.
    exclusive: bool = False

    def __init__(self, settings):
        self.settings = settings
        self.site: str | None = None

    @abstractmethod
    def open(self, site: str) -> None:
        """Open (create) the state of *site*.

        Raises :class:`StateLocked` when another run owns it exclusively. A
        backend that can tell that earlier runs are dead (SQLite: it holds the
        site lock) drops their uncommitted claims here.
        """

    @abstractmethod
    def known_keys(self, keys: Iterable[Key]) -> set[Key]:
        """The subset of *keys* stored by earlier runs (batched lookup)."""

    def is_known(self, key: Key) -> bool:
        """True when *key* was stored by an earlier (committed) run."""
        return key in self.known_keys([key])

    @abstractmethod
    def fingerprint_owner(self, fingerprint: str) -> str | None:
        """URL of a stored article with this content fingerprint, else None."""

    def claim(
        self,
        key: Key,
        fingerprint: str,
        url: str,
        run_id: str,
        *,
        signature: bytes | None = None,
        refresh: bool = False,
    ) -> bool:
        """Atomically reserve *key* and *fingerprint* for *run_id*
        (:meth:`claim_result` is ``CLAIMED``).

        Returns False when the key or the fingerprint is already stored or
        claimed by any run (this one included). With ``refresh=True`` (a
        ``full=1`` re-crawl) stored entries do not block: only claims of other
        live runs do, and the commit overwrites the stored entry. *signature*
        (opaque bytes from :mod:`newsagg.pipelines.neardup`) is stored with the
        entry for the near-duplicate lookups of later runs.
        """
        return self.claim_result(key, fingerprint, url, run_id, signature=signature, refresh=refresh) == CLAIMED

    @abstractmethod
    def claim_result(
        self,
        key: Key,
        fingerprint: str,
        url: str,
        run_id: str,
        *,
        signature: bytes | None = None,
        refresh: bool = False,
    ) -> str:
        """:meth:`claim`, saying why it failed: ``CLAIMED`` or one of ``STORED``
        (stored by a committed run), ``OWN_KEY`` / ``OWN_CONTENT`` (claimed by
        *run_id* itself), ``OTHER_RUN`` (claimed by another live run),
        ``RUN_DEAD``. The key is checked before the content."""

    def alias(self, key: Key, fingerprint: str, url: str, run_id: str) -> None:  # noqa: B027 - optional, no-op default
        """Remember that *key* republishes content that is stored (or claimed
        by *run_id*) under another key, so later runs need not fetch it: after
        the run's commit ``is_known(key)`` is True; ``fingerprint_owner`` still
        names the original. Optional: the default forgets it (the republication
        is then fetched, and dropped, again by later runs)."""

    @abstractmethod
    def commit(self, run_id: str, segment: SegmentCommit) -> int:
        """Mark every claim of *run_id* stored and record *segment* as committed,
        in one atomic step; returns the number of entries committed. Called only
        once the segment's files are complete in its staging directory, at a
        moment when every claim of the run is in them. Raises
        :class:`StateError` (nothing stored) when the run may not commit: the
        Redis backend's run that was presumed dead and recovered."""

    @abstractmethod
    def is_committed(self, segment: str) -> bool:
        """True once the commit of the segment named *segment* completed (recovery)."""

    @abstractmethod
    def release(self, run_id: str) -> int:
        """Drop the uncommitted claims of *run_id* (failed or dead run)."""

    @abstractmethod
    def abandon_if_dead(self, run_id: str) -> bool:
        """Recovery of a segment *run_id* left in staging: True when the run is
        over and can never commit any more (its claims are released), False
        while it may still be alive. An exclusive backend knows every other run
        is dead; the Redis one asks the run's lease and marks a dead run
        ``reaped`` in the same atomic step, so it cannot commit afterwards.
        Check :meth:`is_committed` again after a True: the run may have
        committed just before."""

    @abstractmethod
    def stored_signatures(self) -> Iterator[tuple[bytes, str]]:
        """``(signature, url)`` of stored articles that have one, oldest first."""

    @abstractmethod
    def close(self) -> None:
        """Release locks and connections. Idempotent."""

    def count(self) -> int:
        """Number of stored entries (diagnostics, tests). Optional."""
        raise NotImplementedError

    def frontier(self):
        """The run's walk cursors and pending links (:class:`newsagg.state.frontier.Frontier`),
        kept across runs so an interrupted backfill resumes; None when the
        backend keeps none (the Redis backend: workers share the Redis frontier)."""
        return None


@dataclass
class SegmentCommit:
    """The state's side of one published segment (:meth:`StateBackend.commit`)."""

    #: The segment's name (its stem): :meth:`StateBackend.is_committed` asks by it.
    name: str
    #: The run's last segment.
    final: bool = False
    #: How the run ended (final segment only).
    finish_reason: str | None = None
    #: ``(source_slug, article_id, published_at)`` of the segment's dated records (publication history).
    history: list[tuple[str, str, str]] = field(default_factory=list)


def state_dir(settings) -> Path:
    """``NEWSAGG_STATE_DIR``; when unset, ``<NEWSAGG_DATA_DIR>/state``: the SQLite
    databases and their locks live there."""
    configured = setting(settings, "NEWSAGG_STATE_DIR")
    return Path(configured) if configured else Path(setting(settings, "NEWSAGG_DATA_DIR")) / "state"


def backend_class(name: str) -> type[StateBackend]:
    """The backend class registered under *name*."""
    try:
        path = BACKENDS[name]
    except KeyError:
        raise StateError(f"NEWSAGG_STATE_BACKEND={name!r}: expected one of {', '.join(BACKENDS)}") from None
    return load_object(path)


def open_state(settings, site: str) -> StateBackend:
    """Build the backend named by ``NEWSAGG_STATE_BACKEND`` and open *site* with it (may raise :class:`StateLocked`)."""
    backend = backend_class(setting(settings, "NEWSAGG_STATE_BACKEND"))(settings)
    backend.open(site)
    return backend
