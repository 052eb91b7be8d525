"""Item pipelines: validate, normalise, then archive (which also deduplicates)."""
from __future__ import annotations

import logging
from collections import Counter

from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem

from archive.lock import ArchiveLock
from archive.store import Archive
from newscrawl.extract.text import normalise_line
from newscrawl.items import Article, PageFailure

logger = logging.getLogger(__name__)


class ValidatePipeline:
    """An article without a title or body is not an article: drop it with the reason.

    The archive pipeline hears the drop (``item_dropped``) and records it as a failure, so
    a template change shows up as data instead of as silently empty rows.
    """

    def process_item(self, item):
        if isinstance(item, Article):
            if not item.title:
                raise DropItem("missing title")
            if not item.body_text and not item.images:
                raise DropItem("missing body")
        return item


class NormalisePipeline:
    """Tidy values the extractor leaves as printed: whitespace, duplicate names, empty roles."""

    def process_item(self, item):
        if isinstance(item, Article):
            item.title = normalise_line(item.title)
            item.source = normalise_line(item.source)
            item.column = normalise_line(item.column)
            credits = {}
            for role, names in item.credits.items():
                kept = list(dict.fromkeys(normalise_line(n) for n in names if normalise_line(n)))
                if kept:
                    credits[role] = kept
            item.credits = credits
            item.related = list(dict.fromkeys(u for u in item.related if u != item.url))
        return item


class ArchivePipeline:
    """Store articles and failures in the SQLite archive and record the crawl run.

    It holds the archive's lock for the whole crawl: a second run (an overlapping cron job)
    waits ``ARCHIVE_LOCK_WAIT`` seconds, then closes with reason ``archive_locked`` without
    writing anything.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.path = crawler.settings.get("ARCHIVE_PATH")
        self.lock = ArchiveLock(self.path)
        self.lock_wait = crawler.settings.getfloat("ARCHIVE_LOCK_WAIT", 0)
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.results: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.unresolved: set[str] = set()
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def portal(self) -> str:
        spider = self.crawler.spider
        return getattr(getattr(spider, "portal", None), "name", spider.name)

    def open_spider(self):
        if not self.lock.acquire(wait=self.lock_wait):
            self.crawler.stats.set_value("newscrawl/archive_locked", True)
            raise CloseSpider("archive_locked")
        self.archive = Archive(self.path)
        spider = self.crawler.spider
        self.run_id = self.archive.start_run(self.portal, getattr(spider, "arguments", {}))
        self.crawler.stats.set_value("newscrawl/run_id", self.run_id)
        self.unresolved = set(self.archive.unresolved_failures(self.portal))
        spider.archive = self.archive  # the spider asks it what is already archived
        logger.info("archiving into %s (run %s)", self.path, self.run_id)

    def response_received(self, response, request, spider=None):
        # A page that failed before and now answers is resolved; if its extraction fails
        # again, the failure item that follows re-opens it.
        if response.status == 200 and response.url in self.unresolved:
            self.unresolved.discard(response.url)
            self.archive.resolve_failure(response.url)

    def process_item(self, item):
        if isinstance(item, PageFailure):
            self._failure(item.url, item.kind, item.reason)
            return item
        if isinstance(item, Article):
            result = self.archive.save(item)
            self.results[result] += 1
            self.crawler.stats.inc_value(f"newscrawl/articles/{result}")
            self.archive.resolve_failure(item.url)
        return item

    def item_dropped(self, item, response, exception, spider=None):
        if isinstance(item, Article):
            self._failure(item.url, "validation", str(exception))

    def _failure(self, url: str, kind: str, reason: str) -> None:
        self.failures[kind] += 1
        self.crawler.stats.inc_value(f"newscrawl/failures/{kind}")
        self.archive.record_failure(url, self.portal, kind, reason, self.run_id)
        logger.warning("failure (%s) %s: %s", kind, url, reason)

    def close_spider(self):
        if self.archive is None:  # never opened: another run holds the archive
            return
        stats = self.crawler.stats
        reason = stats.get_value("finish_reason") or "finished"
        broken = self.failures or stats.get_value("spider_exceptions/count", 0)
        status = "ok" if reason == "finished" and not broken else ("failed" if reason == "finished" else reason)
        self.archive.finish_run(
            self.run_id,
            requests=stats.get_value("downloader/request_count", 0),
            new_articles=self.results["new"],
            updated_articles=self.results["updated"],
            duplicate_articles=self.results["duplicate"],
            failures=sum(self.failures.values()),
            failures_by_kind=dict(self.failures),
            status=status,
        )
        self.archive.close()
        self.lock.release()
