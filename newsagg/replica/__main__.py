"""CLI: ``python -m newsagg.replica serve|truth|info|urls``.

serve  prints exactly one line ``READY http://127.0.0.1:PORT`` once listening,
       then serves until SIGTERM/SIGINT. ``--faults all|mode,...`` applies
       fault modes (newsagg.replica.faults.MODES) to pages listed on stderr.
truth  writes the expected records (JSONL) for a base URL.
info   prints counts (articles, sources, pages, variants, encodings, ...) as JSON.
urls   prints every article URL (one per line) for a base URL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading

from newsagg.sites import SITES

from . import js
from .faults import FaultPlan
from .generator import Corpus
from .server import ReplicaServer
from .truth import expected_records, near_duplicate_pairs, republication_groups


def _corpus_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", default="maghress", choices=sorted(SITES))
    p.add_argument("--articles", type=int, default=240, help="edition-1 article count (>= 12)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--edition", type=int, default=1, help="2+ adds newer articles on top of edition 1")
    p.add_argument("--per-page", type=int, default=10, help="articles per listing page")
    p.add_argument(
        "--js", action="store_true", help="JavaScript variants: scripted listings and article bodies (js.py)"
    )
    p.add_argument("--js-rate", type=float, default=0.15, help="with --js: share of articles whose body is scripted")
    p.add_argument(
        "--light",
        action="store_true",
        help="pages of a few KB (no live weight: 20-item ticker, small scripts, one sidebar)",
    )


def _corpus(a: argparse.Namespace) -> Corpus:
    return Corpus(
        a.site,
        n_articles=a.articles,
        seed=a.seed,
        edition=a.edition,
        per_page=a.per_page,
        js=a.js,
        js_rate=a.js_rate,
        heavy=not a.light,
    )


def _fault_plan(a: argparse.Namespace, corpus: Corpus) -> FaultPlan | None:
    """``--no-faults``: none; ``--faults all|mode,mode``: those modes; default: the built-in 500-once pages."""
    if a.no_faults:
        return FaultPlan.none()
    if not a.faults:
        return None
    modes = "all" if a.faults == "all" else [m.strip() for m in a.faults.split(",") if m.strip()]
    try:
        plan = FaultPlan.for_modes(corpus, modes, per_mode=a.fault_pages)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    for mode, keys in plan.assigned.items():  # stderr: stdout is the READY line only
        print(f"FAULT {mode} {' '.join(keys)}", file=sys.stderr, flush=True)
    return plan


def cmd_serve(a: argparse.Namespace) -> int:
    corpus = _corpus(a)
    twins = tuple(h.strip() for h in a.twin_hosts.split(",")) if a.twin_hosts else None
    server = ReplicaServer(
        corpus, host=a.host, port=a.port, faults=_fault_plan(a, corpus), ipv6=a.ipv6, twin_hosts=twins
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    print(f"READY {server.entry_url}", flush=True)
    if twins:  # stderr: stdout is the READY line only
        print(f"CANONICAL {server.canonical_url}", file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
    return 0


def cmd_truth(a: argparse.Namespace) -> int:
    corpus = _corpus(a)
    with open(a.output, "w", encoding="utf-8") if a.output else contextlib.nullcontext(sys.stdout) as out:
        for rec in expected_records(corpus, a.base_url):
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if a.groups:
        with open(a.groups, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "republication_groups": republication_groups(corpus, a.base_url),
                    "near_duplicate_pairs": near_duplicate_pairs(corpus, a.base_url),
                },
                f,
                indent=1,
            )
    return 0


def cmd_info(a: argparse.Namespace) -> int:
    corpus = _corpus(a)
    info = corpus.info()
    if corpus.js:  # scripted listings and articles (js.py)
        info["js"] = {"listing_sources": js.js_sources(corpus), "articles": len(js.js_articles(corpus))}
    print(json.dumps(info, ensure_ascii=False, indent=1))
    return 0


def cmd_urls(a: argparse.Namespace) -> int:
    corpus, base = _corpus(a), a.base_url.rstrip("/")
    sys.stdout.writelines(f"{base}{corpus.path(i)}\n" for i in range(len(corpus)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newsagg.replica", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="serve the replica over HTTP on loopback")
    _corpus_args(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = any free port")
    p.add_argument("--no-faults", action="store_true", help="no 500-once pages")
    p.add_argument(
        "--faults",
        metavar="all|MODE,MODE",
        help="fault modes of newsagg.replica.faults.MODES on chosen pages (listed on stderr)",
    )
    p.add_argument("--fault-pages", type=int, default=2, help="article pages per fault mode (default 2)")
    p.add_argument("--ipv6", action="store_true", help="also listen on [::1] at the same port")
    p.add_argument(
        "--twin-hosts",
        metavar="ENTRY,CANONICAL",
        help="two host forms: ENTRY redirects every page to CANONICAL, whose pages link ENTRY "
        "(e.g. 127.0.0.1,localhost or maghress.test,www.maghress.test)",
    )
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("truth", help="write the expected records as JSONL")
    _corpus_args(p)
    p.add_argument("--base-url", required=True)
    p.add_argument("-o", "--output", help="file (default: stdout)")
    p.add_argument("--groups", help="also write republication groups and near-duplicate pairs (JSON) here")
    p.set_defaults(func=cmd_truth)
    p = sub.add_parser("info", help="print corpus counts as JSON")
    _corpus_args(p)
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("urls", help="print every article URL")
    _corpus_args(p)
    p.add_argument("--base-url", required=True)
    p.set_defaults(func=cmd_urls)
    a = parser.parse_args(argv)
    try:
        return a.func(a)
    except ValueError as exc:
        parser.error(str(exc))
        return 2


if __name__ == "__main__":
    sys.exit(main())
