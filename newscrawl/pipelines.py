"""Item pipelines: normalise, validate, then archive (which also deduplicates)."""
from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from newscrawl.extract.text import normalise_line
from newscrawl.items import Article, PageFailure
from newscrawl.storage import CrawlStorage


def normalise(article: Article) -> Article:
    """Tidy values the extractor leaves as printed: whitespace, duplicate names, empty roles."""
    article.title = normalise_line(article.title)
    article.source = normalise_line(article.source)
    article.column = normalise_line(article.column)
    credits = {}
    for role, names in article.credits.items():
        kept = list(dict.fromkeys(normalise_line(n) for n in names if normalise_line(n)))
        if kept:
            credits[role] = kept
    article.credits = credits
    article.related = list(dict.fromkeys(u for u in article.related if u != article.url))
    return article


def why_not_an_article(article: Article) -> str | None:
    """Why ``article`` (normalised) is no article: no title, or neither text nor pictures."""
    if not article.title:
        return "missing title"
    if not article.body_text and not article.images:
        return "missing body"
    return None


class NormalisePipeline:
    """`normalise`, before validation: a title of blanks is no title."""

    def process_item(self, item):
        return normalise(item) if isinstance(item, Article) else item


class ValidatePipeline:
    """An article without a title or body is not an article: drop it with the reason.

    The archive pipeline hears the drop (``item_dropped``) and records it as a failure, so
    a template change shows up as data instead of as silently empty rows.
    """

    def process_item(self, item):
        problem = why_not_an_article(item) if isinstance(item, Article) else None
        if problem:
            raise DropItem(problem)
        return item


class ArchivePipeline:
    """Hand articles and failures to the archive (`newscrawl.storage.ArchiveStorage`).

    A dropped article (validation) and an article whose processing raised (a bug, or a
    value the archive cannot hold) become failures too: nothing leaves the crawl unrecorded.
    """

    def __init__(self, crawler, storage: CrawlStorage):
        self.storage = storage
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.item_error, signal=signals.item_error)

    @classmethod
    def from_crawler(cls, crawler):
        storage = crawler.get_extension(CrawlStorage)
        if storage is None:
            raise NotConfigured  # no archive (not a crawl, or EXTENSIONS without it)
        return cls(crawler, storage)

    def process_item(self, item):
        if isinstance(item, Article):
            self.storage.save(item)
        return item

    def item_dropped(self, item, response, exception, spider=None):
        if isinstance(item, Article):
            self.storage.fail(PageFailure(item.url, item.portal, "validation", str(exception)))

    def item_error(self, item, response, failure, spider=None):
        if isinstance(item, Article):
            error = failure.value
            self.storage.fail(PageFailure(item.url, item.portal, "internal", f"{type(error).__name__}: {error}"))
