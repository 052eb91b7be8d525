"""Scrapy settings: defaults right for a polite scheduled crawl of a real portal."""

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Where articles go; `-s ARCHIVE_PATH=...` or `newscrawl --db` choose another file.
ARCHIVE_PATH = "archive/news.db"

# Politeness: identify ourselves, obey robots.txt, go slowly, back off when the portal does.
NEWSCRAWL_CONTACT = "https://github.com/newscrawl/newscrawl"
USER_AGENT = f"NewsCrawl/0.1 (+{NEWSCRAWL_CONTACT}; university news archiver)"
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
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

ITEM_PIPELINES = {
    "newscrawl.pipelines.ValidatePipeline": 100,
    "newscrawl.pipelines.NormalisePipeline": 200,
    "newscrawl.pipelines.ArchivePipeline": 900,
}

# Error responses reach the spider's errback, which records them as failures.
HTTPERROR_ALLOWED_CODES: list[int] = []

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
