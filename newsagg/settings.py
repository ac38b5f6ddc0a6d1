"""Scrapy settings for newsagg: what an operator may change, with its default.

Defaults are polite, for the live sites; against a loopback host (the local
replica) NEWSAGG_LOCAL_SETTINGS apply instead (newsagg/profiles.py). Fixed
values that no operator changes are constants of the module that uses them.
"""

import importlib.util

from newsagg.items import FIELDS

BOT_NAME = "newsagg"
SPIDER_MODULES = ["newsagg.spiders"]
NEWSPIDER_MODULE = "newsagg.spiders"

# --- politeness (live sites) -------------------------------------------------
USER_AGENT = "newsagg/0.1 (research crawler; +https://github.com/newsagg/newsagg)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.5
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
CONCURRENT_ITEMS = 8  # outputs of a callback processed at once (Scrapy's 100 cost ~10% CPU for nothing)

# --- failures (newsagg/middlewares/; docs/ARCHITECTURE.md "Downloader middlewares") --
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"  # a page given up is counted and summarised: a warning, not an error
NEWSAGG_RETRY_AFTER_MAX = 60  # s: the longest Retry-After waited for; lower it to give up on slow sites sooner
# JOBDIR (-o/-O runs): seen requests saved on a clean stop only (newsagg/dupefilter.py)
DUPEFILTER_CLASS = "newsagg.dupefilter.ResumableDupeFilter"
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsagg.middlewares.retry.RetryAfterMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "newsagg.middlewares.redirect.GuardedRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "newsagg.middlewares.redirect.GuardedMetaRefreshMiddleware": 580,
    # Page requests over URLLENGTH_LIMIT or with an over-long slug fail, counted
    # (replaces the spider middleware that drops them at INFO only).
    "newsagg.middlewares.links.LinkGuardMiddleware": 60,
    # Responses pass middlewares from high to low numbers: these three see
    # the final answer (after redirects and retries).
    "newsagg.middlewares.content.ContentGuardMiddleware": 540,
    "newsagg.middlewares.charset.CharsetMiddleware": 530,
    "newsagg.middlewares.nesting.NestingMiddleware": 520,
    # Next to the download handler: the wire bytes for the run's WARC (newsagg/archive)
    "newsagg.archive.capture.RawResponseMiddleware": 990,
}
SPIDER_MIDDLEWARES = {
    "newsagg.archive.capture.WarcStampMiddleware": 900,  # item.warc_record_id
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,  # LinkGuardMiddleware counts them
}

# No listening ports during scheduled runs (both open one by default).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- the local replica (loopback base_url) -----------------------------------
NEWSAGG_LOCAL_FULL_SPEED = True  # False: a loopback mirror is crawled as politely as the live site
NEWSAGG_LOCAL_SETTINGS = {  # what a loopback base_url runs with instead of the polite defaults
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "DOWNLOAD_TIMEOUT": 15,
}

# --- listing walks (newsagg/spiders/base.py) ----------------------------------
NEWSAGG_LISTING_STALE_PAGES = 3  # listing pages in a row without a new link that end a walk (raise for gappy listings)
NEWSAGG_MAX_LISTING_PAGES = 100_000  # listing pages of one source per run (lower to cap a backfill run)

# --- pipelines ---------------------------------------------------------------
# Promo lines cut out of bodies (case-insensitive regexes; add a newspaper's new one; -s takes a JSON list).
NEWSAGG_BODY_PROMO_PATTERNS = [
    # turess/numerique (Tunisie Numérique) ends articles with this line
    r"Que se passe-t-il en Tunisie\s*\?\s*Nous expliquons sur notre cha[iî]ne YouTube\s*\.?\s*Abonnez-vous\s*!?",
    r"Pour ne rien rater de l['’]actualit[ée][^.!?]{0,80}?,\s*abonnez-vous [àa] notre cha[iî]ne WhatsApp\s*[.!]?",
    (
        r"Suivez-nous sur (?:Facebook|X|Twitter|Instagram|Google News|WhatsApp|Telegram)"
        r"(?:\s*(?:,|et)\s*(?:Facebook|X|Twitter|Instagram|Google News|WhatsApp|Telegram))*\s*[.!]?"
    ),
]
ITEM_PIPELINES = {
    "newsagg.pipelines.clean.BoilerplatePipeline": 100,
    "newsagg.pipelines.language.LanguagePipeline": 150,  # language of the cleaned title + body
    "newsagg.pipelines.dates.DatePipeline": 200,
    "newsagg.pipelines.validate.ValidationPipeline": 300,
    "newsagg.pipelines.window.WindowPipeline": 400,
    "newsagg.pipelines.dedup.DedupPipeline": 500,
    "newsagg.pipelines.neardup.NearDupPipeline": 600,  # annotates near_duplicate_of
    "newsagg.pipelines.claim.ClaimPipeline": 900,  # last: claims what will be written
}

EXTENSIONS = {
    "newsagg.extensions.summary.CrawlSummary": 900,  # the end-of-crawl summary
    "newsagg.run.RunContext": -100,  # the run's identity (newsagg/run.py)
    "newsagg.monitoring.extension.HealthMonitor": -10,  # health checks, before the publisher
    "newsagg.extensions.publish.DatasetPublisher": 10,  # a dataset run's segments and state
    "newsagg.distributed.lease.RunLease": 15,  # the run's lease (NEWSAGG_STATE_BACKEND = "redis" only)
    "scrapy.extensions.logstats.LogStats": None,  # the progress line instead
    "newsagg.monitoring.progress.Progress": 0,
}

# --- feeds -------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = FIELDS
FEED_STORE_EMPTY = True
FEED_EXPORTERS = {
    "jsonl": "scrapy.exporters.JsonLinesItemExporter",
    "csv": "newsagg.exporters.csv.SafeCsvItemExporter",  # BOM option, formula neutralisation
    "parquet": "newsagg.exporters.parquet.ParquetItemExporter",
}
# -o/-O files are written as <name>.part and renamed when complete.
FEED_STORAGES = {
    "": "newsagg.exporters.storage.PartFileStorage",
    "file": "newsagg.exporters.storage.PartFileStorage",
}
NEWSAGG_CSV_BOM = False  # True: a UTF-8 BOM first, for Excel
NEWSAGG_CSV_NEUTRALIZE = True  # False: no ' before cells starting with = + - @ TAB CR (formula neutralisation)
# A dataset run (no -o/-O) publishes segments there (docs/ARCHITECTURE.md "Publishing").
NEWSAGG_DATA_DIR = "data"  # where datasets, state and WARCs go
NEWSAGG_CHECKPOINT_ITEMS = 5000  # records per segment: at most this much is lost to a kill
NEWSAGG_CHECKPOINT_SECONDS = 1800  # s per segment, whichever comes first: at most this long lost to a kill
NEWSAGG_SPLIT_BY_SOURCE = False  # True: one data file set per source in each segment
NEWSAGG_WARC_ENABLED = True  # False: no WARC of the raw pages (smaller data dir, no re-extraction)

# --- incremental state (newsagg/state; docs/ARCHITECTURE.md "Incremental state") ---
NEWSAGG_STATE_BACKEND = "sqlite"  # "redis": a state shared by several machines (distributed mode)
NEWSAGG_STATE_DIR = None  # the state elsewhere than <NEWSAGG_DATA_DIR>/state (a faster or local disk)
# --- near-duplicates (newsagg/pipelines/neardup.py) ---------------------------
NEWSAGG_NEARDUP_ENABLED = True  # False: no near_duplicate_of links (saves the MinHash work)
NEWSAGG_NEARDUP_THRESHOLD = 0.5  # Jaccard similarity (5-word shingles) from which a rewrite is linked

# --- distributed mode (newsagg/distributed; docs/ARCHITECTURE.md "Distributed mode") ---
# The <site>_worker spiders exist only with the distributed extra (scrapy-redis).
if importlib.util.find_spec("scrapy_redis") is not None:
    SPIDER_MODULES = SPIDER_MODULES + ["newsagg.distributed.spiders"]
REDIS_URL = "redis://127.0.0.1:6379/0"  # the workers' shared Redis (scrapy-redis)
NEWSAGG_STATE_REDIS_URL = None  # the state on another Redis than REDIS_URL's
NEWSAGG_DISTRIBUTED = False  # internal: True in a worker, set by its profile (never set it by hand)
NEWSAGG_REDIS_PREFIX = "newsagg"  # first part of every Redis key: several crawls on one Redis
NEWSAGG_DISTRIBUTED_LEASE_TTL = 30  # s without a heartbeat before a worker counts as dead and its work is redone
NEWSAGG_DISTRIBUTED_SETTINGS = {  # what every worker forces on top of these settings
    "MAX_IDLE_TIME_BEFORE_CLOSE": 60,  # s a worker waits for work before it stops (keep above the lease TTL)
}

# --- monitoring (newsagg/monitoring; docs/ARCHITECTURE.md "Health checks") -----
COMMANDS_MODULE = "newsagg.commands"  # `scrapy crawl` with newsagg's exit status
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["newsagg.monitoring.suites.HealthSuite"]
NEWSAGG_HEALTH_ENABLED = True  # False: no health checks (no exit status 3, no alerts)
NEWSAGG_HEALTH_NO_RECORD_MAX = 0.05  # share of article pages without a record that fails the run
NEWSAGG_HEALTH_FAILED_MAX = 0.10  # share of pages failed (5xx, timeouts, connections, offsite) that fails the run
NEWSAGG_HEALTH_MISSING_DATES_MAX = 0.20  # share of records without published_at that fails the run
NEWSAGG_HEALTH_SILENT_DAYS = 3  # days without a new article before a regular source may count as silent
NEWSAGG_HEALTH_SILENT_MAX_CHANCE = 0.001  # how unlikely that silence must be (~1 false alarm/month, 30 sources)
NEWSAGG_HEALTH_RUN_MIN_RATIO = 0.2  # a run below this share of the recent runs' median article count fails
NEWSAGG_ALERT_EMAIL_TO = []  # addresses mailed when a check failed (empty: no e-mail)
NEWSAGG_ALERT_EMAIL_FROM = "newsagg@localhost"  # sender of the alert e-mail
NEWSAGG_ALERT_SMTP_HOST = "localhost"  # the SMTP server alerts go through
NEWSAGG_ALERT_SMTP_PORT = 25  # its port
NEWSAGG_ALERT_SMTP_USER = ""  # its login (empty: none)
NEWSAGG_ALERT_SMTP_PASSWORD = ""  # its password
NEWSAGG_ALERT_SMTP_STARTTLS = False  # True: STARTTLS before the login
NEWSAGG_ALERT_WEBHOOK_URL = ""  # a Slack-style incoming webhook posted when a check failed (empty: none)
NEWSAGG_ALERT_FILE_DIR = ""  # a directory that gets <site>-<run id>.health.json per failed run (empty: none)
NEWSAGG_PROGRESS_LOG_INTERVAL = 60.0  # s between progress log lines when not on a terminal (0: none)

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# --- JavaScript pages: Chromium through scrapy-playwright (docs/ARCHITECTURE.md "Rendering") --
DOWNLOAD_HANDLERS = {
    "http": "newsagg.rendering.handler.RenderingDownloadHandler",
    "https": "newsagg.rendering.handler.RenderingDownloadHandler",
}
DOWNLOADER_MIDDLEWARES |= {  # |=: keeps the failure middlewares above
    "newsagg.rendering.middleware.RenderMiddleware": 950,  # render=always; newsagg/rendered/<why> stats
}
# The browser binary ("playwright": the one `playwright install chromium` fetched); env NEWSAGG_CHROMIUM wins.
NEWSAGG_CHROMIUM_PATH = "/usr/bin/chromium"
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {  # executable_path is added from NEWSAGG_CHROMIUM_PATH
    "headless": True,
    "timeout": 30_000,
    "args": [
        "--no-sandbox",  # Chromium refuses to run as root with its sandbox
        "--headless",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        # No update/sync/telemetry traffic (floods a closed network with refused connections).
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ],
}
PLAYWRIGHT_ABORT_REQUEST = "newsagg.rendering.browser.abort_heavy_request"  # no images, media, fonts
PLAYWRIGHT_MAX_CONTEXTS = 2  # the current context + one being retired
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4  # open tabs at once (2 cores)
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000  # ms
NEWSAGG_RENDER_CONTEXT_PAGES = 100  # pages per browser context before a fresh one (lower if the browser grows)
NEWSAGG_RENDER_WAIT_TIMEOUT = 15.0  # s a rendered page may take to show its content (raise for slow scripts)
