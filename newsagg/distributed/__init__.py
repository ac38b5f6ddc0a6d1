"""Distributed mode: several workers share one crawl through Redis (scrapy-redis).

Worker spiders, their settings profile, the shared frontier and its keys, run
leases and the recovery of dead runs, and ``python -m newsagg.distributed
seed|status|merge``. docs/ARCHITECTURE.md "Distributed mode".
"""
