"""A count-only refresh: archived articles' view counts, read without fetching their pages."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import scrapy
from scrapy.spiderloader import get_spider_loader
from scrapy.spidermiddlewares.httperror import HttpError

from newscrawl.extract.counter import page_counter
from newscrawl.extract.page import decode_html
from newscrawl.items import Article, PageFailure
from newscrawl.plan import days_back
from newscrawl.profile import Portal
from newscrawl.signals import page_failed
from newscrawl.storage import CrawlStorage
from newscrawl.viewcounts.reader import ViewCountReader
from spiders.base import PortalSpider

# Articles whose pages are loaded, read and written at a time: memory stays flat and a
# killed run keeps what it read.
CHUNK = 500


class CountsSpider(scrapy.Spider):
    """Re-reads the view counts of ``portal``'s archived articles (``days``: only those
    published in the last N days) and appends an observation for each.

    It fetches one list page, to learn the batch counter from (``VIEW_COUNTS=auto``), and
    then asks the counters of ``VIEW_COUNTS_BATCH_SIZE`` articles per request; where batches
    cannot be used it reads them one by one, or renders the archived page, as a crawl does.
    It runs through the same storage extension as a crawl: the archive's lock, the
    ``crawl_runs`` row, failures and exit codes are the crawl's. Usage:
    ``scrapy crawl counts -a portal=xjtu [-a days=7] [-a base_url=…]``.
    """

    name = "counts"
    custom_settings = {"ITEM_PIPELINES": {}}  # no items: the counts are written as they are read

    @classmethod
    def update_settings(cls, settings):
        """As a portal spider's: the User-Agent names the contact, the browser is registered."""
        PortalSpider.update_settings(settings)
        super().update_settings(settings)

    @classmethod
    def check_arguments(cls, days: str | None = None, **kwargs) -> None:
        """As PortalSpider.check_arguments: ``days`` is 1 to MAX_DAYS (the portal is checked once
        the spider loader can be asked, in from_crawler)."""
        days_back("days", days)

    def __init__(self, portal: Portal, days: str | None = None, base_url: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.portal = portal.with_base_url(base_url) if base_url else portal
        self.days = int(days) if days else None
        self.arguments = {k: v for k, v in dict(counts="1", days=days, base_url=base_url).items() if v}
        self.allowed_domains = [self.portal.host]

    @classmethod
    def from_crawler(cls, crawler, portal: str = "", days: str | None = None, base_url: str | None = None, **kwargs):
        loader = get_spider_loader(crawler.settings)
        profile = getattr(loader.load(portal), "portal", None) if portal in loader.list() else None
        if profile is None:
            raise ValueError(f"unknown portal {portal!r}")
        days_back("days", days)  # 1 to MAX_DAYS, or a clear error before any request
        spider = super().from_crawler(crawler, profile, days, base_url, **kwargs)
        spider.reader = ViewCountReader.from_crawler(crawler)
        return spider

    async def start(self):
        column = self.portal.columns[0]
        yield scrapy.Request(self.portal.url(column.path), callback=self.read_counts, errback=self.list_page_failed,
                             dont_filter=True)

    async def list_page_failed(self, failure):
        """The list page only teaches the batch counter: without it the counts are still read,
        unless the portal cannot be reached at all."""
        url = failure.request.url
        if failure.check(HttpError):
            self._failed(url, "http", f"HTTP {failure.value.response.status}")
            await self.read_counts(None)
        else:
            self._failed(url, "network", f"{type(failure.value).__name__}: {failure.value}")

    async def read_counts(self, response):
        storage = self.crawler.get_extension(CrawlStorage)
        if storage is None or storage.archive is None:
            return
        since = None
        if self.days:
            since = (datetime.now(timezone(timedelta(hours=8))) - timedelta(days=self.days)).isoformat(timespec="seconds")
        ids = storage.article_ids(since)
        for start in range(0, len(ids), CHUNK):
            pages = [(page["article_id"], _article(page, self.portal))
                     for page in storage.latest_pages(ids[start:start + CHUNK])]
            uncounted = sum(1 for _, article in pages if not article.counter)
            if uncounted:  # pages that show no view count: nothing to read, but said
                self.crawler.stats.inc_value("newscrawl/view_counts/no_counter", uncounted)
            pages = [(article_id, article) for article_id, article in pages if article.counter]
            readings = await self.reader.read_many([article for _, article in pages])
            storage.observed_view_counts([(article_id, *reading) for (article_id, _), reading in zip(pages, readings)
                                          if reading is not None])
            if storage.fatal:
                return

    def _failed(self, url: str, kind: str, reason: str) -> None:
        self.logger.warning("failure (%s) %s: %s", kind, url, reason[:200])
        self.crawler.signals.send_catch_log(signal=page_failed, failure=PageFailure(url, self.portal.name, kind, reason[:500]))


def _article(page: dict, portal: Portal) -> Article:
    """An archived page as the reader needs it: its URL, counter (as the portal's CMS family
    shows it: VSB's script or WebPlus's span) and HTML (for a render)."""
    counter = page_counter(decode_html(page["html"]), page["url"], portal.family.counter)
    return Article(url=page["url"], portal=portal.name, counter=counter, raw_html=page["html"],
                   http_headers=page["headers"])
