"""Only the first worker of a run makes the spider's start requests (the column list pages)."""
from __future__ import annotations

from scrapy.exceptions import NotConfigured

from newscrawl.cluster.storage import ClusterStorage


class ClusterStartMiddleware:
    """A spider middleware: the worker that started the run passes the spider's start on
    (and keeps the run open until it is all enqueued); the others skip it, since the run's
    list pages are in the queue already or fetched."""

    def __init__(self, storage: ClusterStorage):
        self.storage = storage

    @classmethod
    def from_crawler(cls, crawler):
        storage = crawler.get_extension(ClusterStorage)
        if storage is None:
            raise NotConfigured
        return cls(storage)

    async def process_start(self, start):
        if not self.storage.seeder:
            return
        async for item in start:
            self.storage.seeding()
            yield item
        self.storage.seeded()
