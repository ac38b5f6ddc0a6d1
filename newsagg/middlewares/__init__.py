"""Downloader middlewares: what a real site throws at a crawler (one concern per module).

- ``retry.RetryAfterMiddleware``: Scrapy's retries, waiting for ``Retry-After``.
- ``redirect.GuardedRedirectMiddleware`` / ``GuardedMetaRefreshMiddleware``:
  redirect loops and redirects to another host fail the page, counted.
- ``links.LinkGuardMiddleware``: page requests over the URL length limit or with an
  over-long slug fail, counted.
- ``content.ContentGuardMiddleware``: non-HTML and binary garbage fail the page; stray
  control bytes are stripped.
- ``charset.CharsetMiddleware``: a wrongly declared charset is corrected.
- ``nesting.NestingMiddleware``: runs of thousands of unclosed wrappers are flattened;
  nesting deeper than the parser's limit is capped.
"""
