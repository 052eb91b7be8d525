"""Item pipelines: validate, normalise, then archive (which also deduplicates)."""
from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from newscrawl.extract.text import normalise_line
from newscrawl.items import Article, PageFailure
from newscrawl.storage import ArchiveStorage


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
    """Hand articles and failures to the archive (`newscrawl.storage.ArchiveStorage`).

    A dropped article (validation) and an article whose processing raised (a bug, or a
    value the archive cannot hold) become failures too: nothing leaves the crawl unrecorded.
    """

    def __init__(self, crawler, storage: ArchiveStorage):
        self.storage = storage
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler):
        storage = crawler.get_extension(ArchiveStorage)
        if storage is None:
            raise NotConfigured("ArchivePipeline needs the ArchiveStorage extension (EXTENSIONS)")
        return cls(crawler, storage)

    def process_item(self, item):
        if isinstance(item, PageFailure):
            self.storage.fail(item)
        elif isinstance(item, Article):
            self.storage.save(item)
        return item

    def item_dropped(self, item, response, exception, spider=None):
        if isinstance(item, Article):
            self.storage.fail(PageFailure(item.url, item.portal, "validation", str(exception)))

    def item_error(self, item, response, failure, spider=None):
        if isinstance(item, (Article, PageFailure)):
            error = failure.value
            self.storage.fail(PageFailure(item.url, item.portal, "internal", f"{type(error).__name__}: {error}"))
