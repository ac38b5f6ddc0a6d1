"""Framework entry points vulture cannot see being used (``vulture`` reads pyproject.toml).

Only names a framework calls by convention, by a dotted path in a setting or
by name belong here; dead code is deleted, not listed. Parsed by vulture,
never imported (``_`` stands for "any object").
"""

# ruff: noqa: B018, F821 (bare names and ``_`` are the whitelist, never run)
from benchmarks import harness
from benchmarks.spiders import ceiling, fetch, follow, items, peer
from benchmarks.statscollector import JsonStatsCollector
from newsagg.archive.capture import RawResponseMiddleware, WarcStampMiddleware
from newsagg.commands.crawl import Command
from newsagg.distributed.spiders import DjazairessWorker, TuressWorker
from newsagg.dupefilter import ResumableDupeFilter
from newsagg.extensions.publish import DatasetPublisher
from newsagg.extensions.summary import CrawlSummary
from newsagg.items import ArticleItem
from newsagg.middlewares.content import ContentGuardMiddleware
from newsagg.middlewares.links import LinkGuardMiddleware
from newsagg.middlewares.nesting import NestingMiddleware
from newsagg.middlewares.redirect import GuardedMetaRefreshMiddleware
from newsagg.middlewares.retry import RetryAfterMiddleware
from newsagg.monitoring import actions, extension
from newsagg.monitoring.suites import HealthSuite
from newsagg.pipelines.language import LanguagePipeline
from newsagg.pipelines.neardup import NearDupPipeline
from newsagg.rendering import browser, handler
from newsagg.rendering.middleware import RenderMiddleware
from newsagg.replica.faults import FaultPlan

# Classes named by dotted path in settings.py / scrapy.cfg / runspider command lines.
ContentGuardMiddleware
LinkGuardMiddleware
LinkGuardMiddleware.process_request  # Scrapy downloader-middleware hook
NestingMiddleware
GuardedMetaRefreshMiddleware
RetryAfterMiddleware
RenderMiddleware
RenderMiddleware.process_request  # Scrapy downloader-middleware hook
RawResponseMiddleware
WarcStampMiddleware
WarcStampMiddleware.get_processed_item  # BaseSpiderMiddleware hook
CrawlSummary
DatasetPublisher
ResumableDupeFilter  # DUPEFILTER_CLASS
ResumableDupeFilter.request_seen  # Scrapy dupefilter hook
LanguagePipeline  # ITEM_PIPELINES
HealthSuite  # SPIDERMON_SPIDER_CLOSE_MONITORS
DjazairessWorker  # spiders found by Scrapy's SPIDER_MODULES scan
TuressWorker
_.fetch_data  # scrapy-redis RedisMixin hook, set on worker spiders
JsonStatsCollector  # STATS_CLASS of benchmark runs
ceiling.CeilingSpider  # scrapy runspider
fetch.FetchSpider
fetch.FetchSpider.custom_settings
items.ItemsSpider
items.ItemsSpider.custom_settings  # Scrapy spider class attribute
follow.FollowSpider.custom_settings
peer.PeerSpider
browser.repair_mixed_documents  # playwright_page_init_callback (dotted path in request meta)

# Methods Scrapy, scrapy-playwright and Spidermon call by name.
NearDupPipeline.close_spider
Command.exitcode  # read by scrapy.cmdline after the command ran
handler.RenderingDownloadHandler._engine_started  # scrapy-playwright lifecycle (pinned by tests)
handler.RenderingDownloadHandler._maybe_launch_in_thread
extension._Result.log_info  # Spidermon result and runner hooks
extension._Runner.create_result
actions.EmailAlert.run_action  # Spidermon Action.run_action
actions.WebhookAlert.run_action
actions.FileDropAlert.run_action

# Fields read by name: asdict()/ItemAdapter, getattr knobs of the fault handlers, benchmark table columns.
ArticleItem.language
FaultPlan.slow_seconds
FaultPlan.oversize_bytes
FaultPlan.nesting_depth
FaultPlan.chain_pages
FaultPlan.robots_disallow
harness.CrawlRun.articles_per_s
harness.CrawlRun.pages_per_cpu_s

# Test servers' hooks (aiosmtpd handler, http.server handler) and components named by dotted path in tests.
_.handle_DATA
_.do_POST
_.do_GET
_.log_message
_.BrokenSuite
_.BrokenExporter
_.UnopenableExporter
_.IgnoreSomeArticles
