"""The replica in a process of its own (``python -m newsagg.replica serve``):
for the demo and the benchmarks, which must not share the crawler's GIL."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def start(
    site: str = "maghress",
    articles: int = 240,
    seed: int = 1,
    *extra: str,
    cwd: Path | None = None,
    startup_timeout: float = 120.0,
) -> tuple[subprocess.Popen, str]:
    """Start ``serve`` with *extra* options (``--no-faults``, ``--js``, ...) and wait
    for its ``READY <base_url>`` line; returns the process and the base URL."""
    cmd = [sys.executable, "-m", "newsagg.replica", "serve", "--site", site, "--articles", str(articles)]
    cmd += ["--seed", str(seed), "--port", "0", *extra]
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, text=True)
    timer = threading.Timer(startup_timeout, proc.kill)  # a replica that never says READY
    timer.start()
    try:
        line = proc.stdout.readline().strip() if proc.stdout else ""
    finally:
        timer.cancel()
    if not line.startswith("READY "):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"replica did not start ({' '.join(cmd)}): {line!r}")
    return proc, line.split(" ", 1)[1]


def stop(proc: subprocess.Popen) -> None:
    """Terminate the replica process (killed after 10 s)."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def serving(*args, **kwargs) -> Iterator[tuple[subprocess.Popen, str]]:
    """:func:`start` ... :func:`stop` around a block."""
    proc, url = start(*args, **kwargs)
    try:
        yield proc, url
    finally:
        stop(proc)
