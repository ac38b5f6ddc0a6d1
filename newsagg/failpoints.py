"""Named points where a test stops a crawl to kill it there (``NEWSAGG_FAILPOINTS``).

With ``NEWSAGG_FAILPOINTS=commit@3,rename`` in the environment, a process that
reaches a named point (the 3rd time for ``commit``, the first for ``rename``)
writes ``<NEWSAGG_FAILPOINTS_DIR>/<name>`` and sleeps until it is killed: the
kill tests send a real SIGKILL at a moment they choose. Unset (always, outside
tests), :func:`reached` returns at once.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path


def _parse(spec: str) -> dict[str, int]:
    points = {}
    for part in filter(None, spec.split(",")):
        name, _, nth = part.partition("@")
        points[name] = int(nth or 1)
    return points


_POINTS = _parse(os.environ.get("NEWSAGG_FAILPOINTS", ""))
_hits: Counter[str] = Counter()


def reached(name: str) -> None:
    """Stop here for good when the environment names this point and hit (module doc)."""
    if name not in _POINTS:
        return
    _hits[name] += 1
    if _hits[name] != _POINTS[name]:
        return
    Path(os.environ.get("NEWSAGG_FAILPOINTS_DIR", ".")).joinpath(name).write_text(str(os.getpid()))
    while True:
        time.sleep(1)
