"""CLI of the distributed mode.

    python -m newsagg.distributed seed maghress --base-url URL --redis-url redis://HOST:6379/0 [--sources a,b]
           [--max-pages N] [--since D] [--until D] [--urls U1,U2] [--full] [--add] [--force]
    python -m newsagg.distributed status maghress --redis-url URL
    python -m newsagg.distributed merge DIR|MANIFEST|FILE ... -o merged.jsonl|merged.csv

seed: the crawl's arguments and start URLs (a new crawl clears the frontier;
--add adds to it); status: frontier, runs, stored articles (JSON); merge.py.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from newsagg.config import setting
from newsagg.sites import SITES


def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30)


def _default_redis_url() -> str:
    from scrapy.utils.project import get_project_settings

    return get_project_settings().get("REDIS_URL")


def cmd_seed(a: argparse.Namespace) -> int:
    from newsagg.args import ArgumentError
    from newsagg.distributed.seed import SeedError, seed

    args = {
        "base_url": a.base_url,
        "sources": a.sources,
        "max_pages": a.max_pages,
        "since": a.since,
        "until": a.until,
        "urls": a.urls,
        "render": a.render,
        "full": "1" if a.full else None,
    }
    try:
        summary = seed(_redis(a.redis_url), a.site, args, prefix=a.prefix, reset=not a.add, force=a.force)
    except (SeedError, ArgumentError) as exc:
        print(f"seed: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, ensure_ascii=False))
    return 0


def cmd_status(a: argparse.Namespace) -> int:
    from newsagg.distributed.seed import status

    print(json.dumps(status(_redis(a.redis_url), a.site, prefix=a.prefix), ensure_ascii=False, indent=1))
    return 0


def cmd_merge(a: argparse.Namespace) -> int:
    from newsagg.distributed.merge import MergeError, merge

    try:
        report = merge(a.inputs, a.output, neardup=not a.no_neardup)
    except MergeError as exc:
        print(f"merge: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newsagg.distributed", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def redis_opts(p):
        p.add_argument("--redis-url", default=None, help="default: REDIS_URL of the project settings")
        p.add_argument(
            "--prefix", default=setting(None, "NEWSAGG_REDIS_PREFIX"), help="NEWSAGG_REDIS_PREFIX of the workers"
        )

    p = sub.add_parser("seed", help="start a crawl: arguments + start URLs to Redis")
    p.add_argument("site", choices=sorted(SITES))
    p.add_argument("--base-url", default=None, help="site root (default: the live site)")
    p.add_argument("--sources", default=None)
    p.add_argument("--max-pages", default=None)
    p.add_argument("--since", default=None)
    p.add_argument("--until", default=None)
    p.add_argument("--urls", default=None, help="comma-separated article URLs (no discovery)")
    p.add_argument("--render", default=None)
    p.add_argument("--full", action="store_true", help="ignore the incremental state (full=1)")
    p.add_argument("--add", action="store_true", help="add start URLs to the running crawl (no reset)")
    p.add_argument("--force", action="store_true", help="reset even while workers are alive")
    redis_opts(p)
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("status", help="frontier and runs of a crawl (JSON)")
    p.add_argument("site", choices=sorted(SITES))
    redis_opts(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("merge", help="merge the workers' dataset files, each article once")
    p.add_argument("inputs", nargs="+", help="directories, run manifests (.json) or .jsonl/.jl/.csv files")
    p.add_argument("-o", "--output", required=True, help="merged.jsonl or merged.csv")
    p.add_argument("--no-neardup", action="store_true", help="keep near_duplicate_of links as the workers wrote them")
    p.set_defaults(func=cmd_merge)

    a = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if getattr(a, "redis_url", "x") is None:
        a.redis_url = _default_redis_url()
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main())
