"""Micro-benchmark: newsagg's own work per page, without Scrapy's engine or the network.

Run: ``python -m benchmarks.bench_pages [--articles 2000] [--seed 1]``. The
replica's pages are rendered in-process (``newsagg.replica.render``) and fed
to the code the spider runs on each page, stage by stage:

- parse: building the page object's lxml tree (``page.root``; the ceiling pays it too);
- links (ceiling): the ceiling spider's link work (``<a href>`` + canonicalisation),
  timed after newsagg's stages of the same page (so with newsagg's cache misses paid);
- links (newsagg): the page objects' link work (``article_links``; listings:
  ``entries`` with dates, ``article_links``, ``next_page``);
- extract: ``ArticlePage.extract`` (the article extraction);
- each pipeline of ``ITEM_PIPELINES`` (those that build without a running engine);
- feeds: the JSONL and CSV exporters.

CPU µs per page (process time, best of ``--repeats``). ``--dump FILE`` writes
every link list and item as JSON, to check that an optimisation changes nothing
(``--compare FILE``).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

BASE = "http://127.0.0.1:8000"


def load_pages(articles: int, seed: int = 1, site: str = "maghress") -> list[tuple[str, Any]]:
    """[(kind, HtmlResponse)] for the home page, every listing page and every article."""
    from scrapy.http import HtmlResponse

    from newsagg.replica.generator import Corpus
    from newsagg.replica.render import render, resolve

    corpus = Corpus(site, n_articles=articles, seed=seed)
    host = BASE.split("//", 1)[1]
    targets = [("home", "/fr/")]
    for src in corpus.sources:
        targets += [("listing", Corpus.listing_path(src, p)) for p in range(1, corpus.listing_page_count(src.slug) + 1)]
    targets += [("article", corpus.path(i)) for i in range(len(corpus))]
    pages = []
    for kind, target in targets:
        r = render(corpus, resolve(corpus, target), host)
        pages.append((kind, HtmlResponse(url=BASE + target, body=r.body, headers={"Content-Type": r.content_type})))
    return pages


def _fresh(pages):
    """Copies of the responses without their cached selector (each timing parses again)."""
    return [(kind, r.replace()) for kind, r in pages]


def _pipelines(crawler) -> list[tuple[str, Any]]:
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.misc import build_from_crawler, load_object

    out = []
    for path, _order in sorted(crawler.settings.getdict("ITEM_PIPELINES").items(), key=lambda kv: kv[1] or 0):
        try:
            out.append((path.rsplit(".", 1)[1], build_from_crawler(load_object(path), crawler)))
        except NotConfigured:
            continue
        except Exception as exc:
            out.append((path.rsplit(".", 1)[1], exc))
    return out


def _crawler():
    from scrapy.utils.project import get_project_settings
    from scrapy.utils.test import get_crawler

    from newsagg.spiders.maghress import MaghressSpider

    settings = get_project_settings()
    keep = {k: v for k, v in settings.copy_to_dict().items() if settings.getpriority(k) >= 20}
    keep["LOG_LEVEL"] = "ERROR"
    crawler = get_crawler(MaghressSpider, keep)
    crawler.spider = MaghressSpider.from_crawler(crawler, base_url=BASE)
    return crawler


class Timer:
    """Accumulates process CPU time per stage."""

    def __init__(self):
        self.total: dict[str, float] = {}
        self.count: dict[str, int] = {}

    def __call__(self, stage: str, fn: Callable, *args):
        t0 = time.process_time()
        try:
            return fn(*args)
        finally:
            self.total[stage] = self.total.get(stage, 0.0) + time.process_time() - t0
            self.count[stage] = self.count.get(stage, 0) + 1


def _one_pass(pages, crawler, pipes, dump: list | None, site: str = "maghress") -> Timer:
    import logging

    from scrapy.exceptions import DropItem
    from scrapy.exporters import JsonLinesItemExporter
    from scrapy.utils.misc import build_from_crawler, load_object

    from newsagg.pages.aggregator import ArticlePage, LinkPage, ListingPage, resolve
    from newsagg.urls import classify

    logging.disable(logging.WARNING)  # pipelines log every missing date
    t = Timer()
    settings = crawler.settings
    fields = settings.getlist("FEED_EXPORT_FIELDS") or None
    csv_cls = load_object(settings.getdict("FEED_EXPORTERS").get("csv", "scrapy.exporters.CsvItemExporter"))
    jbuf, cbuf = io.BytesIO(), io.BytesIO()
    jexp = JsonLinesItemExporter(jbuf, fields_to_export=fields, encoding="utf-8")
    cexp = build_from_crawler(csv_cls, crawler, cbuf, fields_to_export=fields, encoding="utf-8")
    jexp.start_exporting()
    cexp.start_exporting()

    def ceiling_links(root):
        out = {}
        for a in root.iter("a"):  # as benchmarks/spiders/follow.py
            href = (a.get("href") or "").strip()
            if href and not href.startswith(("javascript:", "mailto:", "tel:", "#")):
                ref = resolve(resp, href, BASE)
                if ref is not None and ref.kind != "other":
                    out.setdefault(ref.url, ref)
        return out

    try:  # every pass starts cold, as a crawl does (best-of-N must not time a warm cache)
        from newsagg.pages.aggregator import _resolve_cached

        _resolve_cached.cache_clear()
    except ImportError:
        pass
    for kind, resp in pages:
        record: dict[str, Any] = {"url": resp.url, "kind": kind}
        if kind == "home":
            page = LinkPage(resp, BASE)
        elif kind == "listing":
            ref = classify(resp.url, BASE)
            page = ListingPage(resp, BASE, slug=ref.slug or "", page=ref.page)
        else:
            ref = classify(resp.url, BASE)
            page = ArticlePage(
                resp, BASE, site=site, slug=ref.slug or "", article_id=ref.article_id or "", canonical_url=ref.url
            )
        root = t("parse", lambda page=page: page.root)  # the page object's own tree (the ceiling pays it too)
        if kind == "home":
            record["links"] = [r.url for r in t("links (newsagg)", lambda: page.listing_links() + page.article_links())]
        elif kind == "listing":

            def listing_links(page=page):
                entries = page.entries()
                return entries, page.article_links(), page.next_page()

            entries, links, nxt = t("links (newsagg)", listing_links)
            record["entries"] = [(e.ref.url, str(e.day)) for e in entries]
            record["links"] = [r.url for r in links]
            record["next"] = nxt.url if nxt else None
        else:
            item = t("extract", page.extract, "2026-01-01T00:00:00+00:00").item
            record["links"] = [r.url for r in t("links (newsagg)", page.article_links)]
            for name, pipe in pipes:
                if item is None or isinstance(pipe, Exception):
                    break
                try:
                    item = t(f"pipeline {name}", pipe.process_item, item)
                except DropItem as exc:
                    record["dropped"] = str(exc)
                    item = None
            if item is not None:
                t("feed jsonl", jexp.export_item, item)
                t("feed csv", cexp.export_item, item)
                record["item"] = dataclasses.asdict(item)
        # After newsagg's stages: the link cache misses of each page are newsagg's to pay.
        t("links (ceiling)", ceiling_links, root)
        if dump is not None:
            dump.append(record)
    logging.disable(logging.NOTSET)
    return t


def run(
    out: TextIO = sys.stdout,
    articles: int = 2000,
    seed: int = 1,
    repeats: int = 3,
    dump_path: str | None = None,
    compare_path: str | None = None,
    site: str = "maghress",
) -> dict[str, Any]:
    """Time each stage, print a table to *out*; returns ``{stage: µs per page}`` and counts."""
    pages = load_pages(articles, seed, site)
    crawler = _crawler()
    best: dict[str, float] = {}
    counts: dict[str, int] = {}
    dump: list | None = None
    for i in range(repeats):
        dump = [] if i == 0 and (dump_path or compare_path) else None
        pipes = _pipelines(crawler)  # fresh state (dedup sets) per pass
        t = _one_pass(_fresh(pages), crawler, pipes, dump, site)
        for stage, total in t.total.items():
            best[stage] = min(best.get(stage, float("inf")), total)
            counts[stage] = t.count[stage]
        if dump is not None:
            if dump_path:
                with open(dump_path, "w", encoding="utf-8") as fh:
                    json.dump(dump, fh, ensure_ascii=False, default=str)
            if compare_path:
                with open(compare_path, encoding="utf-8") as fh:
                    ref = json.load(fh)
                for rec in dump:
                    if rec.get("item"):
                        rec["item"]["crawled_at"] = None
                for rec in ref:
                    if rec.get("item"):
                        rec["item"]["crawled_at"] = None
                diffs = [
                    (a["url"], b["url"])
                    for a, b in zip(json.loads(json.dumps(dump, default=str)), ref, strict=False)
                    if a != b
                ]
                print(
                    f"compare with {compare_path}: {len(dump)} pages, {len(diffs)} differ"
                    + (f" (first: {diffs[0][0]})" if diffs else "")
                    + ("" if len(dump) == len(ref) else f"; page counts {len(dump)} vs {len(ref)}"),
                    file=out,
                )
    n_pages = len(pages)
    n_articles = sum(1 for k, _ in pages if k == "article")
    header = f"{'stage':<28} {'calls':>7} {'µs/call':>9} {'µs/page':>9}"
    print(
        f"Per-page CPU without Scrapy's engine: {n_pages} pages ({n_articles} articles) of a "
        f"{articles}-article {site} replica, best of {repeats}",
        file=out,
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    result: dict[str, Any] = {"pages": n_pages, "articles": n_articles, "us_per_page": {}}
    newsagg_total = 0.0
    for stage, total in best.items():
        per_call = total / counts[stage] * 1e6
        per_page = total / n_pages * 1e6
        result["us_per_page"][stage] = round(per_page, 1)
        if stage not in ("links (ceiling)",):
            newsagg_total += per_page
        print(f"{stage:<28} {counts[stage]:>7} {per_call:>9.1f} {per_page:>9.1f}", file=out)
    ceiling = result["us_per_page"].get("parse", 0) + result["us_per_page"].get("links (ceiling)", 0)
    print(f"{'total newsagg':<28} {'':>7} {'':>9} {newsagg_total:>9.1f}", file=out)
    print(f"{'total ceiling (parse+links)':<28} {'':>7} {'':>9} {ceiling:>9.1f}", file=out)
    result["newsagg_us_per_page"] = round(newsagg_total, 1)
    result["ceiling_us_per_page"] = round(ceiling, 1)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--articles", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--site", default="maghress", choices=("maghress", "djazairess", "turess"))
    p.add_argument("--dump", help="write links and items of the first pass as JSON")
    p.add_argument("--compare", help="compare links and items of the first pass with a --dump file")
    a = p.parse_args(argv)
    run(articles=a.articles, seed=a.seed, repeats=a.repeats, dump_path=a.dump, compare_path=a.compare, site=a.site)
    return 0


if __name__ == "__main__":
    sys.exit(main())
