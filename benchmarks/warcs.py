"""WARC records for the re-extraction benchmark: read back and processed by a contender.

``python -m benchmarks.warcs parse|trafilatura FILE.warc.gz...`` is the
measured worker (run pinned to one CPU by the section): it reads every
``response`` record and either only parses its HTML (the parse-only floor:
Scrapy's ``HtmlResponse`` decoding + lxml's tree, what newsagg's page objects
start from) or runs trafilatura on each article page, then prints one JSON
line: records read, article records, outputs, seconds and CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit


def read_responses(paths: Iterable[Path]) -> Iterator[tuple[str, int, dict[str, str], bytes]]:
    """(URL, HTTP status, headers, body) of every ``response`` record of the WARC files."""
    from warcio.archiveiterator import ArchiveIterator

    for path in paths:
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                headers = dict(record.http_headers.headers)
                status = int(record.http_headers.get_statuscode() or 0)
                yield url, status, headers, record.content_stream().read()


def _is_article(url: str) -> bool:
    from newsagg.urls import classify

    try:
        ref = classify(url, f"{urlsplit(url).scheme}://{urlsplit(url).netloc}")
    except ValueError:
        return False
    return ref is not None and ref.kind == "article"


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def process(mode: str, paths: list[Path]) -> dict:
    """Read the WARCs and run *mode* (``parse`` or ``trafilatura``) on their records; what it counted and took."""
    from scrapy.http import HtmlResponse

    if mode == "trafilatura":
        import trafilatura
    t0, c0 = time.perf_counter(), _cpu()
    records = articles = outputs = 0
    for url, status, headers, body in read_responses(paths):
        records += 1
        article = status == 200 and _is_article(url)  # the dead links' 404 pages are no articles
        articles += article
        response = HtmlResponse(url, body=body, headers=headers)
        if mode == "parse":
            outputs += response.selector.root is not None
        elif article:  # as the peer crawler: trafilatura on article pages only
            doc = trafilatura.bare_extraction(response.text, url=url, with_metadata=True, include_comments=False)
            outputs += doc is not None
    return {
        "mode": mode,
        "records": records,
        "articles": articles,
        "outputs": outputs,
        "seconds": round(time.perf_counter() - t0, 3),
        "cpu_seconds": round(_cpu() - c0, 3),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.warcs", description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=("parse", "trafilatura"))
    p.add_argument("warcs", nargs="+", type=Path)
    a = p.parse_args(argv)
    print(json.dumps(process(a.mode, a.warcs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
