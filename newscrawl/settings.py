"""Scrapy settings: defaults right for a polite scheduled crawl of a real portal."""
import os

from newscrawl.items import EXPORTED_FIELDS

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# `scrapy crawl` exits non-zero when the run failed (newscrawl/commands/crawl.py).
COMMANDS_MODULE = "newscrawl.commands"

# Where articles go; `-s ARCHIVE_PATH=...` or `newscrawl --db` choose another file.
ARCHIVE_PATH = "archive/news.db"
# Only a crawl archives: `scrapy crawl` and `newscrawl crawl` set ARCHIVE_ENABLED (at
# command priority, which a value here would override, so it is not set here); `scrapy
# shell`, `fetch`, `parse`, `view` and `check` never open the archive or take its lock.
# Seconds a crawl waits for another crawl to release the archive before giving up cleanly.
ARCHIVE_LOCK_WAIT = 0

# Politeness: identify ourselves, obey robots.txt, go slowly, back off when the portal does.
NEWSCRAWL_CONTACT = "https://github.com/newscrawl/newscrawl"
# The User-Agent is built from the contact (see PortalSpider.update_settings), so
# `-s NEWSCRAWL_CONTACT=mailto:you@example.edu.cn` is all a user needs to set.
USER_AGENT_TEMPLATE = "NewsCrawl/0.1 (+{contact}; university news archiver)"
USER_AGENT = USER_AGENT_TEMPLATE.format(contact=NEWSCRAWL_CONTACT)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
# Pages that still fail are recorded in the archive's failures table, with the reason.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Retries wait 2 s, 4 s, 8 s ... (capped): a portal answering 503 gets room to recover.
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 120.0
# A portal answering 429/503 with Retry-After is given that long (at most this many seconds).
RETRY_AFTER_MAX = 300.0
DOWNLOADER_MIDDLEWARES = {
    # First of all: nothing but http(s) on the portal's own host and port is ever requested.
    "newscrawl.middlewares.PortalScopeMiddleware": 50,
    "newscrawl.middlewares.RetryBackoffMiddleware": 560,
}
# `scrapy check xjtu -a base_url=…`: contracts name sample pages by path (newscrawl/contracts.py).
SPIDER_CONTRACTS = {"newscrawl.contracts.PortalPathContract": 1, "newscrawl.contracts.ArticleContract": 2}
# An exception while parsing a page is recorded as that page's failure, not only logged.
SPIDER_MIDDLEWARES = {"newscrawl.middlewares.CallbackFailureMiddleware": 1000}
REDIRECT_MAX_TIMES = 5

# Bounds, so no portal can make a run endless or exhaust memory. News pages are tens of
# kilobytes; a response may not grow (or decompress) beyond 8 MiB.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# List pages walked per column in one run (a backfill of a very deep column may raise it).
MAX_LIST_PAGES = 1000
# A run ends after this many seconds, so a cron run never holds the archive forever; what it
# discovered and did not fetch is fetched first by the next run. 0: no deadline.
CLOSESPIDER_TIMEOUT = 6 * 3600
COOKIES_ENABLED = False
# Scrapy starts CONCURRENT_ITEMS asyncio workers for every callback's output; ours yield one
# to a few items each, and the default of 100 workers cost a third of the crawl's CPU.
CONCURRENT_ITEMS = 4
# Scrapy's check re-parses a callback's source whenever its weak cache loses the bound
# method, i.e. for nearly every response; our callbacks return no values.
WARN_ON_GENERATOR_RETURN_VALUE = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 starts a remote-control server on every crawl; a cron crawl wants none.
REMOTE_CONTROL_ENABLED = False

# With REDIS_URL a crawl is one of a cluster's workers (newscrawl/cluster/); without it, nothing changes.
ADDONS = {"newscrawl.cluster.addon.ClusterAddon": 0}

# The archive, its lock and the run record (newscrawl/storage.py).
EXTENSIONS = {"newscrawl.storage.ArchiveStorage": 100, "newscrawl.logs.QuietRobotsErrors": 0, "newscrawl.progress.CrawlProgress": 500}

ITEM_PIPELINES = {
    "newscrawl.pipelines.NormalisePipeline": 100,
    "newscrawl.pipelines.ValidatePipeline": 200,
    "newscrawl.viewcounts.ViewCountPipeline": 800,
    "newscrawl.assets.AssetPipeline": 850,  # ASSETS_ENABLED (crawl --assets) only
    "newscrawl.pipelines.ArchivePipeline": 900,
}

# Error responses reach the spider's errback, which records them as failures.
HTTPERROR_ALLOWED_CODES: list[int] = []

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# View counts (浏览量) are filled by JavaScript: see newscrawl/viewcounts/.
# auto | browser | direct | off; a portal may choose its own in its spider's custom_settings.
VIEW_COUNTS = "auto"
VIEW_COUNTS_RECHECK = 0.01  # share of articles rendered again to check the learned endpoint
VIEW_COUNTS_RECHECK_MAX = 5  # at most this many rechecks a run (0: no limit); each render costs a Chromium second
VIEW_COUNTS_RENDER_TIMEOUT = 15  # seconds a rendered page may take to fill its counter
VIEW_COUNTS_PAGES_PER_CONTEXT = 100  # then the browser context is closed and a new one opened
VIEW_COUNTS_BATCH_SIZE = 50  # counters per request to VSB's batch counter (dynclicksbatch.jsp); 1: no batches
VIEW_COUNTS_BATCH_WAIT = 2  # seconds an article no list page named waits for others to share a batch request

# Chromium through scrapy-playwright, only for requests that ask for it (meta "playwright").
# Its download handler (for http and https) is installed by the portal spider only for a
# crawl whose VIEW_COUNTS needs a browser (PortalSpider.update_settings): `scrapy shell`,
# `fetch` and `parse` stay plain Scrapy (the handler made `scrapy shell` hang).
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# Debian's Chromium; `playwright install` is not needed. Its headless shell (`apt-get install
# chromium-headless-shell`, the same engine without the desktop browser, which is also what
# Playwright itself runs headless) when installed: a render costs a third of the full
# browser's CPU (0.12 s against 0.44 s; bench/chromium_bench.py).
_debian_chromiums = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": next((p for p in _debian_chromiums if os.access(p, os.X_OK)), _debian_chromiums[-1]),
    "headless": True,
    "args": [
        "--no-sandbox",  # crawls run as root in containers
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ],
}
PLAYWRIGHT_ABORT_REQUEST = "newscrawl.viewcounts.abort_request"
PLAYWRIGHT_MAX_CONTEXTS = 2
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000  # ms
# Feed exports (`scrapy crawl xjtu -O articles.jsonl|csv|xml`) write articles as data: no
# raw page bytes, and CSV cells a spreadsheet reads (JSON for lists, no formulas).
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = list(EXPORTED_FIELDS)
FEED_EXPORTERS = {"csv": "newscrawl.exporters.ArticleCsvExporter"}
LOG_LEVEL = "INFO"
