"""Scrapy settings for newsagg. All configuration lives here.

Defaults are polite, for the live sites. Against a loopback host (the local
replica) NEWSAGG_LOCAL_SETTINGS are applied instead (see newsagg/profiles.py).
"""

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

# --- pipelines ---------------------------------------------------------------
ITEM_PIPELINES = {
    "newsagg.pipelines.clean.BoilerplatePipeline": 100,
    "newsagg.pipelines.dates.DatePipeline": 200,
    "newsagg.pipelines.validate.ValidationPipeline": 300,
    "newsagg.pipelines.window.WindowPipeline": 400,
    "newsagg.pipelines.dedup.DedupPipeline": 500,
}

EXTENSIONS = {
    "newsagg.extensions.summary.CrawlSummary": 900,
}
NEWSAGG_SUMMARY_ENABLED = True

# --- feeds -------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = FIELDS
FEED_STORE_EMPTY = True
FEED_EXPORTERS = {
    "jsonl": "scrapy.exporters.JsonLinesItemExporter",
}
# Written when no FEEDS/-o/-O is given: a plain `scrapy crawl maghress`
# leaves a CSV and a JSONL dataset named by start time.
NEWSAGG_DATA_DIR = "data"
NEWSAGG_DEFAULT_FEEDS = {
    "data/%(name)s/%(name)s-%(time)s.csv": {"format": "csv"},
    "data/%(name)s/%(name)s-%(time)s.jsonl": {"format": "jsonlines"},
}

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
