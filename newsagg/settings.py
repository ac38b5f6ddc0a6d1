"""Scrapy settings for newsagg. All configuration lives here.

Defaults are polite, for the live sites. Against a loopback host (the local
replica) NEWSAGG_LOCAL_SETTINGS are applied instead (see newsagg/profiles.py).
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
# Scrapy starts this many asyncio tasks for the output of every callback
# (default 100: ~10% of a crawl's CPU). A callback yields one item and a few
# requests, and every pipeline is synchronous, so more buy nothing.
CONCURRENT_ITEMS = 8

# --- failures (newsagg/middlewares/; README "Failures and resuming") --------
# A page given up after retries is counted (newsagg/pages_failed/<reason>)
# and summarised: a warning, not an error.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
NEWSAGG_RETRY_AFTER_MAX = 60  # s: longest Retry-After waited for (longer ones wait this long)
NEWSAGG_FALLBACK_ENCODING = "windows-1252"  # pages wrongly declared UTF-8 (the sites' legacy charset)
NEWSAGG_MAX_TAG_RUN = 256  # runs of this many empty opening tags are flattened (0: off)
# JOBDIR resume: seen requests saved on a clean stop only; a JOBDIR left by a
# killed run is reset (newsagg/dupefilter.py, README "Failures and resuming").
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

# No listening ports during scheduled runs: the telnet console and Scrapy
# 2.19's RemoteControl extension both open one by default.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- the local replica (loopback base_url) -----------------------------------
NEWSAGG_LOCAL_FULL_SPEED = True
NEWSAGG_LOCAL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
    "DOWNLOAD_TIMEOUT": 15,
}

# --- crawl order (newsagg/spiders/base.py) -----------------------------------
# Sidebar/ticker article links are kept as URLs and requested once the
# listings are done (only those the listings missed): the request queue
# stays short, so memory does not grow with the archive.
NEWSAGG_DEFER_SIDE_LINKS = True
# Listing walks are bounded: a source stops after this many listing pages in
# a row without a new article link, or this many pages in one run (counted,
# warned: newsagg/listings/stopped_stale, stopped_ceiling).
NEWSAGG_LISTING_STALE_PAGES = 3
NEWSAGG_MAX_LISTING_PAGES = 100_000

# --- pipelines ---------------------------------------------------------------
# Promo lines newspapers copy into their bodies: text matching any of these
# regexes (case-insensitive, Python ``re``) is cut out of body paragraphs, and
# a paragraph left without a letter goes (counted: newsagg/body/promo_removed).
# On the command line give a JSON list: -s 'NEWSAGG_BODY_PROMO_PATTERNS=["..."]'.
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
    "newsagg.extensions.summary.CrawlSummary": 900,
    # The run's identity (newsagg/run.py): every part below receives it from it
    "newsagg.run.RunContext": -100,
    # Health checks (Spidermon): before the publisher, so the result exists
    # when the last segment's manifest is written (newsagg/monitoring).
    "newsagg.monitoring.extension.HealthMonitor": -10,
    # A dataset run: state, segments, checkpoints, publication (newsagg/extensions/publish.py)
    "newsagg.extensions.publish.DatasetPublisher": 10,
    # The run's liveness lease in Redis (only with NEWSAGG_STATE_BACKEND = "redis")
    "newsagg.distributed.lease.RunLease": 15,
    # A progress line instead of Scrapy's per-minute LogStats lines.
    "scrapy.extensions.logstats.LogStats": None,
    "newsagg.monitoring.progress.Progress": 0,
}
NEWSAGG_SUMMARY_ENABLED = True

# --- feeds -------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = FIELDS
FEED_STORE_EMPTY = True
FEED_EXPORTERS = {
    "jsonl": "scrapy.exporters.JsonLinesItemExporter",
    "csv": "newsagg.exporters.csv.SafeCsvItemExporter",  # BOM option, formula neutralisation
    "parquet": "newsagg.exporters.parquet.ParquetItemExporter",
}
# Every local feed is written as <name>.part and renamed when complete.
FEED_STORAGES = {
    "": "newsagg.exporters.storage.PartFileStorage",
    "file": "newsagg.exporters.storage.PartFileStorage",
}
NEWSAGG_CSV_BOM = False  # True: UTF-8 BOM first, for Excel
NEWSAGG_CSV_NEUTRALIZE = True  # ' before cells starting with = + - @ TAB CR (README "Scheduled runs")
NEWSAGG_PARQUET_ROW_GROUP = 1000  # rows buffered per Parquet row group (bounds memory: ~1000 x 6 KB)
# A dataset run (a plain `scrapy crawl maghress` without -o/-O, or a Scrapyd
# job) publishes segments under NEWSAGG_DATA_DIR/<spider>/<site>-<UTC start>-<run tag>-<NNNN>/:
# CSV + JSONL + Parquet + WARC + manifest, one every NEWSAGG_CHECKPOINT_ITEMS
# records or NEWSAGG_CHECKPOINT_SECONDS seconds, whichever comes first, and
# one when the run ends (newsagg/extensions/publish.py). At the polite live
# speed (about a page a second) a kill loses at most 30 minutes of crawling.
NEWSAGG_DATA_DIR = "data"
NEWSAGG_CHECKPOINT_ITEMS = 5000
NEWSAGG_CHECKPOINT_SECONDS = 1800
NEWSAGG_SPLIT_BY_SOURCE = False  # True: one data file set per source (per segment) instead of one per segment
# Raw captures (newsagg/archive; README "Raw captures and re-extraction"): every
# HTML page of a dataset run in the segment's <stem>.warc.gz (not with -o/-O).
NEWSAGG_WARC_ENABLED = True
# `newsagg reextract` sets it: every request is answered from these WARC files, never the network.
NEWSAGG_REPLAY_WARCS = []
# ... and its archived 2xx article pages go straight to the spider's callback, past
# the scheduler and downloader (newsagg/archive/replay.py); False: all through the engine.
NEWSAGG_REPLAY_DIRECT = True

# --- incremental state (newsagg/state, README "Scheduled runs") ---------------
# Every dataset run keeps state: what is stored, the walks of interrupted runs, the history.
NEWSAGG_STATE_BACKEND = "sqlite"  # or "redis" (distributed mode)
NEWSAGG_STATE_DIR = None  # None: <NEWSAGG_DATA_DIR>/state: <site>.sqlite3, <site>.lock
# --- near-duplicates (newsagg/pipelines/neardup.py) ---------------------------
NEWSAGG_NEARDUP_ENABLED = True
NEWSAGG_NEARDUP_THRESHOLD = 0.5  # estimated Jaccard similarity of 5-word shingles

# --- distributed mode (newsagg/distributed; README "Running on several machines")
# The <site>_worker spiders share one request frontier, request dupefilter
# and incremental state in Redis (scrapy-redis); they switch the mode on
# (newsagg.distributed.profile forces the Redis scheduler and state backend).
# (The distributed extra: scrapy-redis; without it there are no workers.)
if importlib.util.find_spec("scrapy_redis") is not None:
    SPIDER_MODULES = SPIDER_MODULES + ["newsagg.distributed.spiders"]
REDIS_URL = "redis://127.0.0.1:6379/0"
# The Redis of the incremental state when it is not the frontier's (None: REDIS_URL + REDIS_PARAMS).
NEWSAGG_STATE_REDIS_URL = None
NEWSAGG_DISTRIBUTED = False  # True in a worker (set by the profile)
NEWSAGG_REDIS_PREFIX = "newsagg"  # every Redis key of newsagg starts with it
# A worker whose heartbeat stops for LEASE_TTL seconds counts as dead: its
# in-flight requests and uncommitted claims go back to the others.
NEWSAGG_DISTRIBUTED_LEASE_TTL = 30
NEWSAGG_DISTRIBUTED_LEASE_INTERVAL = 5
NEWSAGG_DISTRIBUTED_SETTINGS = {
    # Seconds a worker waits for work before it stops (scrapy-redis); keep
    # it above the lease TTL so survivors pick up a dead worker's requests.
    "MAX_IDLE_TIME_BEFORE_CLOSE": 60,
}

# --- monitoring (newsagg/monitoring; README "Monitoring") ----------------------
# Health checks at the end of every crawl; a failed one: one ERROR line, the
# summary's health block, manifest "health", alerts, and `scrapy crawl` exits
# with NEWSAGG_HEALTH_EXIT_CODE. Data are written and committed as usual.
COMMANDS_MODULE = "newsagg.commands"  # `scrapy crawl` with the health exit status
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["newsagg.monitoring.suites.HealthSuite"]
NEWSAGG_HEALTH_ENABLED = True
NEWSAGG_HEALTH_EXIT_CODE = 3  # 1 stays Scrapy's "the crawl could not start"
NEWSAGG_HEALTH_MIN_SAMPLE = 50  # share checks judge runs of at least this many pages/records
NEWSAGG_HEALTH_NO_RECORD_MAX = 0.05  # share of article pages that gave no record
NEWSAGG_HEALTH_FAILED_MAX = 0.10  # share of pages failed for 5xx/timeouts/connections/offsite
NEWSAGG_HEALTH_MISSING_DATES_MAX = 0.20  # share of written records without published_at
NEWSAGG_HEALTH_SILENT_DAYS = 3  # a regular source without a new article this many days
NEWSAGG_HEALTH_REGULAR_WINDOW_DAYS = 30  # "regular": median daily articles over this window...
NEWSAGG_HEALTH_REGULAR_MIN_DAILY = 1.0  # ...at least this
# ...and a silence that long is unlikely for that source: (its share of days
# without an article) ** (silent days) at most this. Judged for every source
# every night: 0.001 keeps a site of 30 sources near one false alarm a month.
NEWSAGG_HEALTH_SILENT_MAX_CHANCE = 0.001
NEWSAGG_HEALTH_RUN_HISTORY = 10  # recent committed runs the article count is compared with
NEWSAGG_HEALTH_RUN_MIN_HISTORY = 3  # fewer earlier runs: not compared
NEWSAGG_HEALTH_RUN_MIN_RATIO = 0.2  # fail below this share of their median
# Alerts when a check failed (off while empty; newsagg/monitoring/actions.py).
NEWSAGG_ALERT_EMAIL_TO = []
NEWSAGG_ALERT_EMAIL_FROM = "newsagg@localhost"
NEWSAGG_ALERT_SMTP_HOST = "localhost"
NEWSAGG_ALERT_SMTP_PORT = 25
NEWSAGG_ALERT_SMTP_USER = ""
NEWSAGG_ALERT_SMTP_PASSWORD = ""
NEWSAGG_ALERT_SMTP_STARTTLS = False
NEWSAGG_ALERT_WEBHOOK_URL = ""  # Slack-style incoming webhook (JSON POST {"text": ...})
NEWSAGG_ALERT_FILE_DIR = ""  # a <site>-<run id>.health.json per failed run
NEWSAGG_ALERT_TIMEOUT = 10.0  # s, per alert
# Console: a progress line (stderr on a terminal; else a log line every interval).
NEWSAGG_PROGRESS_INTERVAL = 1.0  # s between updates on a terminal
NEWSAGG_PROGRESS_LOG_INTERVAL = 60.0  # s between progress log lines (not a terminal); 0: none

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# --- JavaScript pages: Chromium through scrapy-playwright (newsagg/rendering) --
# Spider argument render=auto|always|never. The handler passes plain requests
# to Scrapy's HTTP handler and starts Playwright + Chromium only on the first
# page that needs a browser.
DOWNLOAD_HANDLERS = {
    "http": "newsagg.rendering.handler.RenderingDownloadHandler",
    "https": "newsagg.rendering.handler.RenderingDownloadHandler",
}
DOWNLOADER_MIDDLEWARES |= {  # |=: keeps the failure middlewares above
    "newsagg.rendering.middleware.RenderMiddleware": 950,  # render=always; newsagg/rendered/<why> stats
}
# The browser: env NEWSAGG_CHROMIUM wins over this setting (the machine knows
# where its browser is; settings travel with the project). "playwright" = the
# browser `playwright install chromium` downloaded.
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
NEWSAGG_RENDER_CONTEXT_PAGES = 100  # pages per browser context before a fresh one (bounds memory)
NEWSAGG_RENDER_CONTEXT_KWARGS = {"service_workers": "block"}
NEWSAGG_RENDER_WAIT_TIMEOUT = 15.0  # s: longest wait for the content (byline, listing links)
NEWSAGG_RENDER_IDLE_GRACE = 1.0  # s: wait after the network went idle without the content

# --- benchmarks (benchmarks/README.md) ----------------------------------------
# With STATS_CLASS = "benchmarks.statscollector.JsonStatsCollector" (set by
# `python -m benchmarks` on its crawler runs): write the final stats, peak RSS
# and CPU time of the crawl here as JSON. Empty: nothing written.
NEWSAGG_BENCH_STATS_FILE = ""
