"""Item pipelines: validate, normalise, then archive (which also deduplicates)."""
from __future__ import annotations

import logging
from collections import Counter

from scrapy import signals
from scrapy.exceptions import DropItem

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
    """Store articles and failures in the SQLite archive and record the crawl run."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.path = crawler.settings.get("ARCHIVE_PATH")
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.results: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def portal(self) -> str:
        spider = self.crawler.spider
        return getattr(getattr(spider, "portal", None), "name", spider.name)

    def open_spider(self):
        self.archive = Archive(self.path)
        spider = self.crawler.spider
        self.run_id = self.archive.start_run(self.portal, getattr(spider, "arguments", {}))
        spider.archive = self.archive  # the spider asks it what is already archived
        logger.info("archiving into %s (run %s)", self.path, self.run_id)

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
        stats = self.crawler.stats
        reason = stats.get_value("finish_reason") or "finished"
        status = "ok" if reason == "finished" and not self.failures else ("failed" if reason == "finished" else reason)
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
