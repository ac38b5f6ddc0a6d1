"""The incremental state: the backend that stores which articles earlier runs
published (see :mod:`newsagg.state.base`), and the spider's gate on it
(:mod:`newsagg.state.gate`). The run's commit protocol is
:mod:`newsagg.extensions.commit`."""

from newsagg.state.base import BACKENDS, Key, StateBackend, StateError, StateLocked, open_state, state_dir

__all__ = ["BACKENDS", "Key", "StateBackend", "StateError", "StateLocked", "open_state", "state_dir"]
