"""Comparing a crawl's records with the replica's ground truth: test-side helpers
(also used by the demo and the benchmarks, which run from the repository)."""

from __future__ import annotations


def align_links(items: list[dict], truth: list[dict]) -> list[dict]:
    """Copies of *items* with near-duplicate links turned to the ground truth's
    direction where the crawl linked a planted pair the other way round
    (earlier -> later, because the later one was written first). A link the
    truth does not know is left as it is (and so still fails a comparison)."""
    pairs = {(t["near_duplicate_of"], t["url"]) for t in truth if t.get("near_duplicate_of")}
    by_url = {it["url"]: it for it in items}
    out = {it["url"]: dict(it) for it in items}
    for earlier, later in pairs:
        a, b = by_url.get(earlier), by_url.get(later)
        if a and b and a.get("near_duplicate_of") == later and not b.get("near_duplicate_of"):
            out[earlier]["near_duplicate_of"] = None
            out[later]["near_duplicate_of"] = earlier
    return [out[it["url"]] for it in items]
