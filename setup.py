"""Packaging for Scrapyd: ``scrapyd-deploy`` builds the project egg with this file.

Only the ``newsagg`` package goes into the egg (not tests/benchmarks); the
``scrapy`` entry point names the settings module Scrapyd's runner loads.
"""

from setuptools import find_packages, setup

setup(
    name="newsagg",
    version="0.1",
    packages=find_packages(include=["newsagg", "newsagg.*"]),
    entry_points={"scrapy": ["settings = newsagg.settings"]},
)
