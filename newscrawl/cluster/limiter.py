"""A portal's politeness for the whole cluster: its concurrency as leased slots per host in
Redis, its delay as one "next allowed time" per host."""
from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.task import LoopingCall

from newscrawl.cluster.keys import PREFIX, connect, worker_name
from newscrawl.cluster.queue import NOW

logger = logging.getLogger(__name__)

# KEYS the host's next allowed time (ms, Redis's clock); ARGV delay (ms) -> ms to wait.
# Reserving advances it atomically, so two workers never get the same moment.
_RESERVE = NOW + """
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], at + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) + 60000)
return at - now
"""

# KEYS the host's slots (a sorted set: holder -> lease deadline, ms on Redis's clock);
# ARGV limit, lease (ms), holder -> 1 when the slot is taken. Slots whose lease ran out (a
# worker that died, or stalled longer than a lease) are taken back first.
_ACQUIRE = NOW + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""

# KEYS the host's slots; ARGV lease (ms), holders...: only slots still held are renewed
_RENEW = NOW + """
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 0
"""


@dataclass(frozen=True)
class PolitenessConfig:
    delay: float  # DOWNLOAD_DELAY: a host's delay unless its DOWNLOAD_SLOTS entry says
    concurrency: int  # CONCURRENT_REQUESTS_PER_DOMAIN: a host's concurrency unless its DOWNLOAD_SLOTS entry says
    slots: dict  # DOWNLOAD_SLOTS: a profile's `delay` and `concurrency`, by host name
    slot_lease: float  # CLUSTER_SLOT_LEASE: seconds a dead worker's slots stay taken
    poll: float  # CLUSTER_SLOT_POLL: how often a request waiting for a slot others hold asks again

    @classmethod
    def from_settings(cls, settings) -> "PolitenessConfig":
        return cls(delay=settings.getfloat("DOWNLOAD_DELAY"),
                   concurrency=settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
                   slots=settings.getdict("DOWNLOAD_SLOTS"),
                   slot_lease=settings.getfloat("CLUSTER_SLOT_LEASE", 15),
                   poll=settings.getfloat("CLUSTER_SLOT_POLL", 0.05))

    def delay_for(self, hostname: str) -> float:
        return float((self.slots.get(hostname) or {}).get("delay", self.delay))

    def concurrency_for(self, hostname: str) -> int:
        return int((self.slots.get(hostname) or {}).get("concurrency", self.concurrency))


class ClusterRateLimiter:
    """A downloader middleware, last before the download: what one local crawl keeps to
    for a host, the cluster keeps to as a whole.

    - **Concurrency**: a request first takes one of the host's slots in Redis (its
      DOWNLOAD_SLOTS ``concurrency``, a profile's, or CONCURRENT_REQUESTS_PER_DOMAIN),
      waiting while every slot is held by any worker, and gives it back when its response
      or error comes. A slot is leased (CLUSTER_SLOT_LEASE, renewed while the download
      lasts), so a killed worker's slots come back when their leases run out.
    - **Delay**: holding its slot, it reserves the host's next moment (the host's delay
      after the one reserved before it, by any worker) and waits for it.

    The host is the URL's host and port, as a portal is named by them."""

    def __init__(self, crawler, server, config: PolitenessConfig):
        self.crawler = crawler
        self.server = server
        self.config = config
        self._reserve = server.register_script(_RESERVE)
        self._acquire = server.register_script(_ACQUIRE)
        self._renew = server.register_script(_RENEW)
        self._holder = worker_name()
        self._numbers = itertools.count()
        self.held: dict[object, tuple[str, str]] = {}  # request -> (the host's slots key, our holder name)
        self._freed: dict[str, asyncio.Event] = {}  # slots key -> set when this worker gives one back
        self._renewing = LoopingCall(self._renew_held)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured
        return cls(crawler, connect(settings.get("REDIS_URL")), PolitenessConfig.from_settings(settings))

    def spider_opened(self, spider=None):
        self._renewing.start(self.config.slot_lease / 3, now=False)

    def spider_closed(self, spider=None, reason=None):
        if self._renewing.running:
            self._renewing.stop()
        try:  # downloads cut short by the close: their slots go back now, not when their leases run out
            for request in list(self.held):
                self._let_go(request)
        except Exception:
            logger.warning("could not give the host slots back to Redis; they come back when their leases run out",
                           exc_info=True)

    # -- the middleware -------------------------------------------------------------------

    async def process_request(self, request):
        parsed = urlparse_cached(request)
        hostname = parsed.hostname or parsed.netloc
        limit = self.config.concurrency_for(hostname)
        if limit > 0:
            await self._take_slot(request, f"{PREFIX}:slots:{parsed.netloc}", limit)
        delay = self.config.delay_for(hostname)
        if delay > 0:
            try:
                wait = self._reserve(keys=[f"{PREFIX}:rate:{parsed.netloc}"], args=[int(delay * 1000)])
                if wait > 0:
                    await asyncio.sleep(wait / 1000)
            except BaseException:  # cancelled (the crawl closing) or Redis away: the slot goes back
                self._let_go(request)
                raise
        return None

    def process_response(self, request, response):
        self._let_go(request)
        return response

    def process_exception(self, request, exception):
        self._let_go(request)
        return None

    # -- slots ----------------------------------------------------------------------------

    async def _take_slot(self, request, key: str, limit: int) -> None:
        holder = f"{self._holder}:{next(self._numbers)}"
        lease = int(self.config.slot_lease * 1000)
        while not self._acquire(keys=[key], args=[limit, lease, holder]):
            # A slot this worker gives back wakes its waiters at once; others' are seen at the next poll.
            freed = self._freed.setdefault(key, asyncio.Event())
            try:
                await asyncio.wait_for(freed.wait(), self.config.poll)
            except asyncio.TimeoutError:
                pass
        self.held[request] = (key, holder)

    def _let_go(self, request) -> None:
        taken = self.held.pop(request, None)
        if taken is None:
            return
        key, holder = taken
        self.server.zrem(key, holder)
        freed = self._freed.pop(key, None)
        if freed is not None:
            freed.set()

    def _renew_held(self) -> None:
        by_key: dict[str, list[str]] = {}
        for key, holder in self.held.values():
            by_key.setdefault(key, []).append(holder)
        try:
            for key, holders in by_key.items():
                self._renew(keys=[key], args=[int(self.config.slot_lease * 1000), *holders])
        except Exception:  # Redis away for a moment: the next tick tries again
            logger.warning("could not renew the host slots in Redis", exc_info=True)
