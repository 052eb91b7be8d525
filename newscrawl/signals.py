"""Signals of our own, sent through Scrapy's signal manager."""

# A page could not be fetched, extracted or read: ``failure`` is a `newscrawl.items.PageFailure`.
# Failures are not items: feed exports (`scrapy crawl … -O articles.jsonl`) hold articles
# only, and whoever keeps the record (the archive) listens for this.
page_failed = object()
