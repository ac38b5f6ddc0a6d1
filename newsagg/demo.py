"""The main job, offline: serve the bundled replica, crawl it, write CSV + JSONL.

    python -m newsagg.demo [--sites maghress,djazairess,turess] [--articles 240]
                           [--seed 1] [--out data/demo]

Each site's replica runs in its own process on a free loopback port; the
real spiders crawl them (full speed: loopback) with every pipeline on. The
run ends with the crawl summary of each site and a check of the written
records against the replica's ground truth.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from newsagg.items import FIELDS
from newsagg.monitoring.extension import run_health
from newsagg.replica import process as replica_process
from newsagg.sites import SITES
from newsagg.stats import summarize


def check_against_truth(site: str, articles: int, seed: int, base_url: str, jsonl: Path) -> dict:
    """Compare the written JSONL with the replica's ground truth."""
    from newsagg.replica.generator import Corpus
    from newsagg.replica.truth import CRAWL_FACTS, align_links, expected_records, republication_groups

    corpus = Corpus(site, n_articles=articles, seed=seed)
    truth = {t["url"]: t for t in expected_records(corpus, base_url)}
    groups = republication_groups(corpus, base_url)
    items = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines() if line.strip()]
    # A near-duplicate pair may be linked either way round (newsagg.pipelines.neardup).
    items = align_links(items, list(truth.values()))
    exact = sum(
        1
        for it in items
        if it["url"] in truth and all(it[f] == truth[it["url"]][f] for f in FIELDS if f not in CRAWL_FACTS)
    )
    expected = len(truth) - sum(len(g) - 1 for g in groups)
    return {"expected": expected, "written": len(items), "exact": exact}


#: Stats (under newsagg/) the demo shows on its "content" line.
_CONTENT_KEYS = ("author/", "body/", "charset/", "skipped/author_page")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", default=",".join(SITES), help="comma-separated site keys")
    parser.add_argument("--articles", type=int, default=240, help="articles per site replica")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="data/demo", help="output folder for CSV + JSONL")
    opts = parser.parse_args(argv)
    sites = [s.strip() for s in opts.sites.split(",") if s.strip()]
    unknown = [s for s in sites if s not in SITES]
    if unknown:
        parser.error(f"unknown site(s) {unknown}; known: {', '.join(SITES)}")
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)

    with ExitStack() as stack:
        bases = {}
        for site in sites:
            proc, base = replica_process.start(site, opts.articles, opts.seed)
            stack.callback(proc.wait, 10)
            stack.callback(replica_process.stop, proc)
            bases[site] = base
            print(f"replica {site}: {base}", flush=True)

        os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsagg.settings")  # any directory: no scrapy.cfg needed
        settings = get_project_settings()
        # The Scrapy log goes to a file; the console gets the progress line and the summaries.
        log_file = out / "crawl.log"
        settings.set("LOG_FILE", str(log_file), priority="cmdline")
        settings.set("LOG_FILE_APPEND", False, priority="cmdline")
        print(f"crawling... (Scrapy log: {log_file})", flush=True)
        process = CrawlerProcess(settings)
        crawlers = {}
        for site in sites:
            feeds = {
                str(out / f"{site}.csv"): {"format": "csv", "overwrite": True},
                str(out / f"{site}.jsonl"): {"format": "jsonlines", "overwrite": True},
            }
            crawler = process.create_crawler(site)
            crawler.settings.set("FEEDS", feeds, priority="cmdline")
            crawlers[site] = crawler
            process.crawl(crawler, base_url=bases[site])
        t0 = time.monotonic()
        process.start()
        elapsed = time.monotonic() - t0

        print("\n" + "=" * 72)
        print(f"newsagg demo: {len(sites)} site(s), {opts.articles} articles each, {elapsed:.1f} s")
        ok = True
        for site, crawler in crawlers.items():
            s = summarize(dict(crawler.stats.get_stats()))
            check = check_against_truth(site, opts.articles, opts.seed, bases[site], out / f"{site}.jsonl")
            ok &= check["exact"] == check["expected"] == check["written"]
            print(f"\n[{site}] {out / site}.csv  {out / site}.jsonl")
            print(
                f"  articles written   {s['articles_written']}  (ground truth {check['expected']}, "
                f"exact {check['exact']})"
            )
            print(f"  requests           {s['requests']}  retries {s['retries']}  elapsed {s['elapsed_s']} s")
            print("  pages by status    " + ", ".join(f"{k}: {v}" for k, v in s["http_status"].items()))
            print("  items dropped      " + (", ".join(f"{k}: {v}" for k, v in s["items_dropped"].items()) or "none"))
            print("  pages failed       " + (", ".join(f"{k}: {v}" for k, v in s["pages_failed"].items()) or "none"))
            print("  dates              " + (", ".join(f"{k}: {v}" for k, v in s["dates"].items()) or "all parsed"))
            print("  languages          " + (", ".join(f"{k}: {v}" for k, v in s["languages"].items()) or "none"))
            # What the pages carried besides the record: authors found, bodies repaired, pages skipped.
            content = {k: v for k, v in s["other"].items() if k.startswith(_CONTENT_KEYS)}
            print("  content            " + (", ".join(f"{k}: {v}" for k, v in content.items()) or "none"))
            health = run_health(crawler)
            if health is not None:
                print(health.format())
        print("\nresult: " + ("every article exact" if ok else "MISMATCH against ground truth"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
