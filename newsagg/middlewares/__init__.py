"""Downloader middlewares: what a real site throws at a crawler, one concern per module.

``retry`` (Retry-After), ``redirect`` (loops, other hosts), ``links`` (URLs that
could not be stored), ``content`` (not HTML, garbage, control bytes),
``charset`` (wrong or mixed charsets), ``nesting`` (depth beyond the parser).
docs/ARCHITECTURE.md "Downloader middlewares".
"""
