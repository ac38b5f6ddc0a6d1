"""The article record. Field order is the CSV column order and is fixed."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class ArticleItem:
    """One article of one aggregator site, keyed by (site, source_slug, article_id)."""

    url: str
    site: str
    source_slug: str
    source: str | None = None
    author: str | None = None  # schema 2
    article_id: str = ""
    title: str | None = None
    published_at: str | None = None
    published_raw: str | None = None
    body: str | None = None
    original_url: str | None = None
    language: str = "fr"
    word_count: int = 0
    crawled_at: str | None = None
    fingerprint: str | None = None
    near_duplicate_of: str | None = None
    warc_record_id: str | None = None  # schema 3: the WARC response record it came from (newsagg.archive)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.site, self.source_slug, self.article_id)


#: The fixed field order (CSV columns follow it).
FIELDS: list[str] = [f.name for f in fields(ArticleItem)]

#: Version of the record schema, written to manifests and Parquet metadata.
#: 2: ``author`` added after ``source``. 3: ``warc_record_id`` added last.
#: Older files and state stay readable (a missing field is null).
SCHEMA_VERSION = 3
