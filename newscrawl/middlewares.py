"""Downloader middleware: retries that back off, so a struggling portal gets room to recover."""
from __future__ import annotations

import asyncio


class RetryBackoffMiddleware:
    """Delay each retry exponentially: ``RETRY_BACKOFF_BASE`` × 2^(attempt-1) seconds,
    capped at ``RETRY_BACKOFF_MAX``. Scrapy's RetryMiddleware re-schedules a failed request
    at once; against a portal answering 503 under load that only adds to the load."""

    def __init__(self, base: float, cap: float):
        self.base, self.cap = base, cap

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getfloat("RETRY_BACKOFF_BASE", 1.0), crawler.settings.getfloat("RETRY_BACKOFF_MAX", 60.0))

    async def process_request(self, request):
        attempt = request.meta.get("retry_times", 0)
        if attempt and self.base > 0:
            await asyncio.sleep(min(self.cap, self.base * 2 ** (attempt - 1)))
        return None
