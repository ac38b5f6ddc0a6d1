"""Downloader middlewares: what a real site throws at a crawler (one concern per module).

- ``retry.RetryAfterMiddleware``: Scrapy's retries, waiting for ``Retry-After``.
- ``redirect.GuardedRedirectMiddleware`` / ``GuardedMetaRefreshMiddleware``:
  redirect loops and redirects to another host fail the page, counted.
- ``content.ContentGuardMiddleware``: non-HTML and binary garbage fail the page.
- ``charset.CharsetMiddleware``: a wrongly declared charset is corrected.
- ``nesting.NestingMiddleware``: runs of thousands of unclosed wrappers are flattened.
"""
