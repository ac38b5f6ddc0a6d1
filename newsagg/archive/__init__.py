"""Raw captures: one gzipped WARC per dataset run, and re-extraction from them.

- :mod:`newsagg.archive.writer`: WARC files (one per segment, written by the
  publisher, :mod:`newsagg.extensions.publish`);
- :mod:`newsagg.archive.capture`: the two middlewares at the edges of a crawl
  (the wire bytes of a response; the record id stamped on its item);
- :mod:`newsagg.archive.index`: reading committed WARCs back (by URL, by record id);
- :mod:`newsagg.archive.reextract`: ``newsagg reextract``: the records again,
  from the WARCs alone, through the production spider and pipelines.
"""
