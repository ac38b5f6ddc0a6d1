"""Persistent crawl state for incremental runs (see :mod:`newsagg.state.base`)."""

from newsagg.state.base import BACKENDS, Key, StateBackend, StateError, StateLocked, open_state

__all__ = ["BACKENDS", "Key", "StateBackend", "StateError", "StateLocked", "open_state"]
