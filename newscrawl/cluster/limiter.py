"""A portal's rate limit for the whole cluster: one "next allowed time" per host in Redis."""
from __future__ import annotations

import asyncio

from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from newscrawl.cluster.keys import PREFIX, connect

# KEYS the host's next allowed time (ms, Redis's clock); ARGV delay (ms) -> ms to wait.
# Reserving advances it atomically, so two workers never get the same moment.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], at + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) + 60000)
return at - now
"""


class ClusterRateLimiter:
    """A downloader middleware: every request to a host first reserves the host's next
    moment (the portal's delay after the one reserved before it, by any worker) and waits
    for it. The delay is the host's DOWNLOAD_SLOTS delay (a profile's ``delay``) or
    DOWNLOAD_DELAY: what one local crawl keeps to, the cluster keeps to as a whole."""

    def __init__(self, server, delay: float, slots: dict):
        self.server = server
        self.delay = delay
        self.slots = slots
        self._reserve = server.register_script(_RESERVE)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured
        return cls(connect(settings.get("REDIS_URL")), settings.getfloat("DOWNLOAD_DELAY"),
                   settings.getdict("DOWNLOAD_SLOTS"))

    def delay_for(self, host: str) -> float:
        slot = self.slots.get(host) or {}
        return float(slot.get("delay", self.delay))

    async def process_request(self, request):
        host = urlparse_cached(request).netloc
        delay = self.delay_for(urlparse_cached(request).hostname or host)
        if delay <= 0:
            return None
        wait = self._reserve(keys=[f"{PREFIX}:rate:{host}"], args=[int(delay * 1000)])
        if wait > 0:
            await asyncio.sleep(wait / 1000)
        return None
