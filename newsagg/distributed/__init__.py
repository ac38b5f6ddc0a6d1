"""Distributed mode: several workers share one crawl through Redis (scrapy-redis).

- ``profile.py``   settings applied to a worker (scheduler, dupefilter, state backend, feeds)
- ``keys.py``      every Redis key name, in one place
- ``queue.py``     the shared request frontier with a per-run in-flight record
- ``scheduler.py`` scrapy-redis' scheduler with atomic enqueue + that queue
- ``lease.py``     a run's liveness lease (heartbeat thread) and the reaper of dead runs
- ``spiders.py``   the ``<site>_worker`` spiders (RedisSpider-style, wait for work)
- ``seed.py``      push a crawl (config + start URLs) to Redis
- ``merge.py``     merge the workers' feed files into one dataset, each article once

CLI: ``python -m newsagg.distributed seed|status|merge`` (see README
"Running on several machines").
"""
