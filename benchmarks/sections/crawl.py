"""Ceiling vs items vs dataset run vs peer on one replica: pages/s, articles/s, CPU, peak RSS.

The ceiling is a floor of cost (Scrapy fetching exactly the replica's pages,
parsing nothing); the dataset run is what users run (``scrapy crawl maghress``
with no -o/-O: state, CSV + JSONL + Parquet, manifest, WARC when the tree has it).

Each round runs the crawlers one after the other (order reversed every
other round, so a slow drift of the machine's load hits all of them alike);
the table shows the median of the rounds. Checks: every run finishes, all
crawlers fetch the same pages, every article page is seen, newsagg writes
exactly the ground truth's records (field by field, first run, replicas up to
``--verify-max`` articles) and each feed holds every item.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter

from benchmarks.harness import CrawlRun, common_settings, dataset_files, median, pin_note, warc_available, warm_replica
from benchmarks.registry import Context, Result, Section, Target
from newsagg.replica.truth import CRAWL_FACTS, align_links

CRAWLERS = ("ceiling", "items", "dataset", "peer")
#: Also runnable with --crawlers: the link-following ceiling and the -O path (no state).
EXTRA_CRAWLERS = ("follow", "newsagg")
#: The crawlers that run newsagg's own spider (records checked against the ground truth).
NEWSAGG_CRAWLERS = ("dataset", "newsagg")


def production(runs: dict) -> str | None:
    """The newsagg crawler of this run the targets are about: the dataset run, else the -O path."""
    return next((c for c in NEWSAGG_CRAWLERS if runs.get(c)), None)


def feed_path(run: CrawlRun):
    """The JSONL records of a run: items.jsonl (-O), or the dataset run's JSONL file."""
    if run.crawler == "dataset":
        found = dataset_files(run.out_dir, ".jsonl")
        return found[0] if found else run.out_dir / "data" / "missing.jsonl"
    return run.out_dir / "items.jsonl"


def add_arguments(parser) -> None:
    g = parser.add_argument_group("crawl section")
    g.add_argument(
        "--newsagg-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra -s setting for the newsagg runs only (crawl and rss sections), for diagnosis, "
        "e.g. NEWSAGG_NEARDUP_ENABLED=False or JOBDIR={out}/job ({out} = the run's folder); "
        "shown in the table's header",
    )
    g.add_argument(
        "--crawlers",
        default=",".join(CRAWLERS),
        help=f"which crawlers to run (default {','.join(CRAWLERS)}; also {','.join(EXTRA_CRAWLERS)}: the "
        "link-following ceiling and the -O path); ratios need both sides",
    )
    g.add_argument(
        "--verify-max",
        type=int,
        default=20000,
        help="compare newsagg's records with the ground truth field by field up to this replica size (default 20000)",
    )


def _truth(ctx: Context, articles: int, base_url: str):
    from newsagg.replica import Corpus, expected_records, republication_groups

    corpus = Corpus("maghress", n_articles=articles, seed=ctx.opts.seed)
    return expected_records(corpus, base_url), republication_groups(corpus, base_url)


def _read_jsonl(path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _quality(
    newsagg: CrawlRun, peer: CrawlRun | None, truth: list[dict], groups: list[list[str]]
) -> tuple[list[str], list[str]]:
    """(notes, problems) from comparing the feeds with the ground truth."""
    from newsagg.items import FIELDS
    from newsagg.text import normalize_ws

    notes, problems = [], []
    expected = {t["url"]: t for t in truth}
    in_group = {u for g in groups for u in g}
    want = len(truth) - sum(len(g) - 1 for g in groups)
    items = _read_jsonl(feed_path(newsagg))
    items = align_links(items, truth)  # a near-duplicate pair crawled in the "wrong" order links the other way round
    by_url = {it["url"]: it for it in items}
    wrong: Counter[str] = Counter()
    exact = 0
    for u, it in by_url.items():
        bad = [f for f in FIELDS if f not in CRAWL_FACTS and u in expected and it.get(f) != expected[u].get(f)]
        wrong.update(bad)
        exact += u in expected and not bad
    missing = sorted(u for u in expected if u not in by_url and u not in in_group)
    notes.append(
        f"newsagg vs ground truth: {exact}/{want} records exact, {len(items)} written"
        + (f", missing: {', '.join(missing[:3])}" if missing else "")
    )
    if exact != want or len(items) != want:
        problems.append(
            f"newsagg wrote {len(items)} records, {exact} exact; ground truth has {want}"
            + (f"; fields differing: {dict(wrong)}" if wrong else "")
            + (f" (missing {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''})" if missing else "")
        )
    if peer is not None and (peer.out_dir / "items.jsonl").exists():
        pitems = _read_jsonl(peer.out_dir / "items.jsonl")
        title_ok = body_ok = 0
        for it in pitems:
            t = expected.get(it["url"])
            if t is None:
                continue
            title_ok += normalize_ws(it.get("title")) == t["title"]
            body_ok += normalize_ws(it.get("body")) == normalize_ws(t["body"])
        notes.append(
            f"peer (trafilatura) vs ground truth: title exact {title_ok}/{len(truth)}, "
            f"body exact (whitespace-insensitive) {body_ok}/{len(truth)}"
        )
    return notes, problems


def _checks(run: CrawlRun, articles: int, expected_items: int) -> list[str]:
    p = []
    if not run.ok:
        p.append(
            f"{run.label}: exit {run.returncode}, finish_reason {run.stats.get('finish_reason')!r} "
            f"(log: {run.out_dir / 'crawl.log'})"
        )
    if run.article_pages != articles:
        p.append(f"{run.label}: {run.article_pages} article pages, the replica has {articles}")
    if run.crawler in NEWSAGG_CRAWLERS and run.items != expected_items:
        p.append(f"{run.label}: {run.items} items, ground truth {expected_items}")
    if run.crawler == "dataset":
        for fmt in ("csv", "jsonl", "parquet"):
            if fmt not in run.feed_lines:
                p.append(f"{run.label}: no {fmt} dataset file in {run.out_dir / 'data'}")
    if run.crawler == "items" and run.items != run.article_pages:
        p.append(f"{run.label}: {run.items} items for {run.article_pages} article pages")
    if run.crawler == "peer":
        expected = run.article_pages - int(run.stats.get("bench/peer/no_extraction", 0))
        if run.items != expected:
            p.append(f"{run.label}: {run.items} items for {expected} extracted pages")
    for fmt, n in run.feed_lines.items():
        if n != run.items:
            p.append(f"{run.label}: {fmt} feed holds {n} records, {run.items} items scraped")
    return p


def _ratio_lines(runs: dict[str, list[CrawlRun]], med) -> tuple[list[str], dict, list[Target]]:
    """The target ratios (median over median), per round, and CPU-normalised."""
    lines, ratios, targets = [], {}, []
    prod = production(runs) or "dataset"
    for num, den, attr, goal in (
        (prod, "ceiling", "pages_per_s", 0.75),
        (prod, "peer", "articles_per_s", 2.0),
    ):
        if not (runs.get(num) and runs.get(den)):
            continue
        ratio = med(num, attr) / med(den, attr)
        per_round = " ".join(
            f"{getattr(a, attr) / getattr(b, attr):.2f}" for a, b in zip(runs[num], runs[den], strict=False)
        )
        cpu = med(num, "pages_per_cpu_s") / med(den, "pages_per_cpu_s")
        unit = attr.replace("_per_s", "/s")
        lines.append(
            f"{num}/{den} {unit:<11} {ratio:5.2f}  (per round: {per_round})  target >= {goal:.2f};"
            f"  per CPU second: {cpu:.2f}"
        )
        ratios[f"{num}/{den} {unit}"] = round(ratio, 3)
        ratios[f"{num}/{den} pages per CPU second"] = round(cpu, 3)
        targets.append(Target(f"{num} >= {goal:g} x {den} {unit}", f"{ratio:.2f}", f">= {goal:.2f}", ratio >= goal))
    # Where the ceiling gap goes: Scrapy's own price of emitting items vs newsagg's work.
    for num, den in (("items", "ceiling"), (prod, "items"), ("follow", "ceiling"), ("newsagg", "ceiling")):
        if num == den or (num == "newsagg" and prod == "newsagg"):
            continue
        if runs.get(num) and runs.get(den):
            ratio = med(num, "pages_per_s") / med(den, "pages_per_s")
            cpu = med(num, "pages_per_cpu_s") / med(den, "pages_per_cpu_s")
            ratios[f"{num}/{den} pages/s"] = round(ratio, 3)
            lines.append(f"{num}/{den} pages/s {ratio:8.2f}  (no target: splits the gap)  per CPU second: {cpu:.2f}")
    if lines:
        lines.append(
            "(per CPU second = pages per CPU second of the crawl itself: what the ratio would be on an "
            "otherwise idle machine with a core per process)"
            + ("; the target's own ratio is the wall-clock one, on one core" if "ceiling" in runs else "")
        )
    return lines, ratios, targets


def run(ctx: Context) -> Result:
    opts = ctx.opts
    n, rounds = opts.articles, opts.runs
    # The peer runs trafilatura on every article: --trafilatura-runs rounds of it (~7x the dataset run's time).
    peer_rounds = max(1, min(rounds, getattr(opts, "trafilatura_runs", None) or rounds))
    crawlers = tuple(c.strip() for c in opts.crawlers.split(",") if c.strip())
    unknown = [c for c in crawlers if c not in CRAWLERS + EXTRA_CRAWLERS]
    if unknown:
        raise SystemExit(f"--crawlers: unknown {unknown}; known: {', '.join(CRAWLERS + EXTRA_CRAWLERS)}")
    runs: dict[str, list[CrawlRun]] = {c: [] for c in crawlers}
    extra = dict(kv.split("=", 1) for kv in opts.newsagg_setting)
    problems: list[str] = []
    notes: list[str] = []
    ctx.log(f"[crawl] replica of {n} articles, {rounds} round(s) of {', '.join(crawlers)}")
    with ctx.replica(n) as rep:
        from newsagg.replica import Corpus

        expected_items = n - len(Corpus("maghress", n_articles=n, seed=opts.seed).republication_pairs())
        ctx.log(f"[crawl] replica warmed up (every page requested once) in {warm_replica(rep):.1f} s")
        for r in range(rounds):
            order = crawlers if r % 2 == 0 else tuple(reversed(crawlers))
            for name in order:
                if name == "peer" and r >= peer_rounds:
                    continue
                result = ctx.crawl(
                    name, rep, f"crawl-{n}/{name}-{r + 1}", settings=extra if name in NEWSAGG_CRAWLERS else None
                )
                problems += _checks(result, n, expected_items)
                if result.health_note:
                    notes.append(result.health_note)
                runs[name].append(result)
            prod = production(runs)
            if r == 0 and n <= opts.verify_max and prod:
                truth, groups = _truth(ctx, n, rep.base_url)
                q_notes, q_problems = _quality(runs[prod][0], (runs.get("peer") or [None])[0], truth, groups)
                notes += q_notes
                problems += q_problems
            if not opts.keep_output and not problems:  # feeds of a failed check stay for a look
                for name in crawlers:
                    if not runs[name]:
                        continue
                    for path in runs[name][-1].out_dir.glob("items.*"):
                        path.unlink()
                    if name == "dataset" and r > 0:  # round 1's WARC stays for the reextract section
                        shutil.rmtree(runs[name][-1].out_dir / "data", ignore_errors=True)

    pages = {c: [x.pages for x in runs[c]] for c in crawlers}
    if len({p for c in crawlers for p in pages[c]}) > 1:
        problems.append(f"crawlers fetched different page counts: {pages}")

    def med(c: str, attr: str) -> float:
        return median(getattr(x, attr) for x in runs[c])

    cols = [
        ("pages", "pages", "{:>7.0f}"),
        ("article_pages", "art.pages", "{:>9.0f}"),
        ("items", "items", "{:>7.0f}"),
        ("crawl_s", "crawl s", "{:>8.1f}"),
        ("pages_per_s", "pages/s", "{:>8.1f}"),
        ("articles_per_s", "articles/s", "{:>10.1f}"),
        ("cpu_s", "CPU s", "{:>7.1f}"),
        ("pages_per_cpu_s", "pages/CPU s", "{:>11.1f}"),
        ("peak_rss_mb", "peak RSS MB", "{:>11.1f}"),
        ("replica_cpu_s", "replica CPU s", "{:>13.1f}"),
    ]
    header = f"{'crawler':<8} " + " ".join(f"{h:>{len(fmt.format(0))}}" for _a, h, fmt in cols)
    lines = [
        f"Crawl: maghress replica, {n:,} articles (seed {opts.seed}), "
        f"{median(x.pages for c in crawlers for x in runs[c]):,.0f} pages; "
        f"median of {rounds} run(s) per crawler"
        + (f" (peer: {peer_rounds})" if "peer" in crawlers and peer_rounds < rounds else "")
        + ", order alternating per round",
        "Every crawler: "
        + " ".join(f"{k}={v}" for k, v in common_settings().items())
        + ", LOG_LEVEL=INFO"
        + (f"; newsagg also: {' '.join(opts.newsagg_setting)}" if opts.newsagg_setting else ""),
        "ceiling = Scrapy fetching exactly the replica's pages (home, listing pages, articles from its ground "
        "truth), parsing nothing: a floor of cost; items = bare spider following newsagg's links and yielding a "
        "fixed record per article through as many no-op pipelines as newsagg has into CSV + JSONL feeds "
        "(Scrapy's own price of following links and emitting items); dataset = scrapy crawl maghress with no "
        "-o/-O, what users run: every pipeline, SQLite state, CSV + JSONL + Parquet, manifest, WARC "
        + ("ON (NEWSAGG_WARC_ENABLED=True)" if warc_available() else "off (no NEWSAGG_WARC_ENABLED on this tree)")
        + "; newsagg = the -O path (CSV + JSONL feeds, no state); follow = link-following ceiling; "
        "peer = newsagg's links, trafilatura bare_extraction(with_metadata) per article, JSONL feed",
        pin_note(),
        "CPU s = the crawler process's user+system time (start-up included); replica CPU s = the replica "
        "server's during the run",
        "",
        header,
        "-" * len(header),
    ]
    data: dict = {"articles": n, "rounds": rounds, "median": {}, "runs": {}}
    for c in crawlers:
        lines.append(f"{c:<8} " + " ".join(fmt.format(med(c, a)) for a, _h, fmt in cols))
        data["median"][c] = {a: round(med(c, a), 3) for a, _h, _f in cols}
        data["runs"][c] = [{a: round(getattr(x, a), 3) for a, _h, _f in cols} for x in runs[c]]
    ratio_lines, data["ratios"], targets = _ratio_lines(runs, med)
    lines += [""] + ratio_lines + notes
    prod = production(runs)
    if prod:  # the rss section reuses the production path's runs at this size
        ctx.shared.setdefault("newsagg_runs", {})[(prod, n)] = runs[prod]
    if runs.get("dataset"):  # the reextract section reads round 1's WARC (when the tree writes one)
        ctx.shared["dataset_run"] = runs["dataset"][0]
    data["warc"] = warc_available()
    data["pinned"] = pin_note()
    if not opts.keep_output and not problems:
        keep = ctx.shared.get("dataset_run")
        for folder in (ctx.workdir / f"crawl-{n}").iterdir():
            if folder.is_dir() and (keep is None or folder != keep.out_dir):
                shutil.rmtree(folder, ignore_errors=True)
    return Result("\n".join(lines), data, targets, problems, notes)


SECTION = Section(
    "crawl",
    "Crawl throughput: fetch-only ceiling vs items vs dataset run vs peer",
    run,
    order=10,
    add_arguments=add_arguments,
)
