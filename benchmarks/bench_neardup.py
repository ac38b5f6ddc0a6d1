"""Micro-benchmark: the near-duplicate index's cost as it grows.

Run: ``python -m benchmarks.bench_neardup RECORDS.jsonl [--marks 10000,30000,...]``
(e.g. the JSONL of a 100k dataset run: ``./run bench --sections rss
--rss-scaling --workdir W`` keeps it under ``W/rss-100000/dataset/data``), or
``--articles N`` to use the replica's ground truth instead. Every record's
signature is computed first (not timed); then each is queried against the
index and added to it, as :class:`newsagg.pipelines.neardup.NearDupPipeline`
does. Printed per mark: candidates per article (entries sharing a band) and
µs per article (query + add), both over the (up to) 1,000 articles before the mark.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator

from newsagg.pipelines.neardup import MinHashIndex, signature

WINDOW = 1000


def _records(args) -> Iterator[tuple[str, str | None, str | None]]:
    if args.records:
        with open(args.records, encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                yield r["url"], r.get("title"), r.get("body")
        return
    from newsagg.replica import Corpus, expected_records

    for r in expected_records(Corpus("maghress", n_articles=args.articles, seed=args.seed), "http://127.0.0.1:1"):
        yield r["url"], r["title"], r["body"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_neardup", description=__doc__.splitlines()[0])
    p.add_argument("records", nargs="?", help="a dataset JSONL (default: the replica's ground truth)")
    p.add_argument("--articles", type=int, default=30_000, help="replica size without RECORDS (default 30000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--marks", default="10000,30000,50000,70000,90000", help="index sizes to report")
    args = p.parse_args(argv)
    marks = sorted({int(m) for m in args.marks.split(",") if m.strip()})
    sigs = [(s, url) for url, title, body in _records(args) if (s := signature.__wrapped__(title, body))]
    index = MinHashIndex()
    rows, spent, candidates, counted = [], 0.0, 0, 0
    for n, (sig, url) in enumerate(sigs, 1):
        near = any(m - WINDOW < n <= m for m in marks)
        t0 = time.perf_counter()
        index.query(sig)
        t1 = time.perf_counter()
        if near:  # counted between the query and the add, outside the time
            candidates += len(index.candidates(sig))
            counted += 1
        t2 = time.perf_counter()
        index.add(sig, url)
        if near:
            spent += (t1 - t0) + (time.perf_counter() - t2)
        if n in marks:
            rows.append((n, candidates / counted, spent / counted * 1e6))
            spent, candidates, counted = 0.0, 0, 0
    index.close()
    print(f"Near-duplicate index over {len(sigs):,} signatures (query + add, {WINDOW:,} articles before each mark)")
    print(f"{'articles indexed':>16} {'candidates/article':>18} {'µs/article':>10}")
    for n, cand, us in rows:
        print(f"{n:>16,} {cand:>18.1f} {us:>10,.0f}")
    if not rows:
        print("(fewer signatures than the first mark)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
