"""Raw captures: one gzipped WARC per dataset run, and re-extraction from them.

- :mod:`newsagg.archive.writer`: WARC files (one per segment, written by the
  publisher, :mod:`newsagg.extensions.publish`);
- :mod:`newsagg.archive.capture`: the two middlewares at the edges of a crawl
  (the wire bytes of a response; the record id stamped on its item);
- :mod:`newsagg.archive.index`: which committed WARCs a re-extraction reads, in capture order;
- :mod:`newsagg.archive.records`: a WARC's response records, span by span;
- :mod:`newsagg.archive.extract`: one captured page extracted on its own (the
  crawl's response preparation, page objects and per-item pipelines);
- :mod:`newsagg.archive.replay`: the records in capture order, on every core;
- :mod:`newsagg.archive.reextract`: ``newsagg reextract``: the command, the
  comparison with the stored dataset, the release.
"""
