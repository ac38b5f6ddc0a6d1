"""The incremental state: the backend that stores which articles earlier runs
published (see :mod:`newsagg.state.base`), the spider's gate on it
(:mod:`newsagg.state.gate`) and the frontier of walks and pending links
(:mod:`newsagg.state.frontier`). The publishing protocol is
:mod:`newsagg.extensions.publish`."""

from newsagg.state.base import BACKENDS, Key, StateBackend, StateError, StateLocked, open_state, state_dir

__all__ = ["BACKENDS", "Key", "StateBackend", "StateError", "StateLocked", "open_state", "state_dir"]
