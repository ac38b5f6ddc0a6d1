"""Micro-benchmark: decoding pages that mix UTF-8 and windows-1252 fragments.

Run: ``python -m benchmarks.bench_charset``. Candidates:

- ``utf8-replace``: one ``bytes.decode("utf-8", "replace")`` (what a page declared UTF-8 gets);
- ``charset-normalizer``: ``from_bytes(body).best()`` (installed with Scrapy);
- ``ftfy``: ``ftfy.fix_encoding`` over the page decoded as sloppy windows-1252
  (only when ftfy is importable: it is not a dependency);
- ``newsagg``: :func:`newsagg.middlewares.charset.decode_mixed`.

Correctness: the table of real byte strings of tests/test_encodings.py (exact
text expected). Speed: µs per page on live-weight replica article pages
(~40 KB): a clean UTF-8 page, a windows-1252 page, and a planted mixed one.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable

from newsagg.middlewares.charset import decode_mixed
from newsagg.replica import Corpus
from newsagg.replica.render import render, resolve


def _candidates() -> dict[str, Callable[[bytes], str]]:
    import charset_normalizer

    def cn(body: bytes) -> str:
        best = charset_normalizer.from_bytes(body).best()
        return str(best) if best is not None else body.decode("utf-8", "replace")

    out = {"utf8-replace": lambda b: b.decode("utf-8", "replace"), "charset-normalizer": cn}
    try:
        ftfy = importlib.import_module("ftfy")
        out["ftfy"] = lambda b: ftfy.fix_encoding(b.decode("sloppy-windows-1252"))
    except ImportError:
        pass
    out["newsagg"] = decode_mixed
    return out


def _pages() -> dict[str, bytes]:
    corpus = Corpus("maghress", n_articles=240, seed=7)
    mixed = next(
        i
        for i in range(len(corpus))
        if corpus.other_charset_paragraph(i) is not None and corpus.flags(i)["encoding"] == "utf-8"
    )
    legacy = next(
        i
        for i in range(len(corpus))
        if corpus.other_charset_paragraph(i) is None and corpus.flags(i)["encoding"] == "windows-1252"
    )
    clean = next(
        i
        for i in range(len(corpus))
        if corpus.other_charset_paragraph(i) is None and corpus.flags(i)["encoding"] == "utf-8"
    )
    return {
        name: render(corpus, resolve(corpus, corpus.path(i)), "127.0.0.1:8000").body
        for name, i in (("clean utf-8", clean), ("windows-1252", legacy), ("mixed", mixed))
    }


def _per_call(fn: Callable[[bytes], str], body: bytes, budget: float = 0.3) -> float:
    n, t0 = 0, time.perf_counter()
    while True:
        fn(body)
        n += 1
        elapsed = time.perf_counter() - t0
        if elapsed > budget or n >= 2000:
            return elapsed / n


def main(out=sys.stdout) -> None:
    from tests.test_encodings import MIXED

    table = [(p.values[0], p.values[1]) for p in MIXED]
    pages = _pages()
    print("pages: " + ", ".join(f"{k} {len(v)} B" for k, v in pages.items()), file=out)
    print(f"{'candidate':20s} {'table':>7s} " + " ".join(f"{k:>14s}" for k in pages), file=out)
    for name, fn in _candidates().items():
        ok = sum(fn(body) == text for body, text in table)
        times = [_per_call(fn, body) * 1e6 for body in pages.values()]
        print(f"{name:20s} {ok:>3d}/{len(table):<3d} " + " ".join(f"{t:>11.0f} µs" for t in times), file=out)


if __name__ == "__main__":
    main()
