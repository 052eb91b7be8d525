"""The scheduler of a cluster worker: a run's requests in Redis, leased, each fetched once.

Why not scrapy-redis's own Scheduler (PyPI 0.9.1, which otherwise fits Scrapy 2.19's
scheduler API: open, close, enqueue_request, next_request, has_pending_requests):
- it cannot be installed beside our dev tools: it requires redis>=4.2, and pywb 2.10.0 (the
  WACZ replay tests; its latest release) pins redis==2.10.6, so pip finds no solution;
- its queues pop destructively (a killed worker's requests are lost) and its dupefilter
  lets every ``dont_filter`` request through, while our spider marks every request
  ``dont_filter`` (its own records say what one process fetched; see spiders/base.py), so
  workers would fetch an article once each. Every part we would keep (a priority queue on
  ZADD, requests pickled as ``Request.to_dict``, fingerprints in a set, the key names)
  is a few lines, kept here and in `queue` in its manner.

Here each run has its own set of fingerprints, which applies to ``dont_filter`` requests
too (but not to retries and redirects, which must go through): a page is asked for once per
run across all workers, and the next run (a new set) walks the list pages again.
"""
from __future__ import annotations

import logging
import time

from scrapy.core.scheduler import BaseScheduler
from twisted.internet.task import LoopingCall

from newscrawl.cluster.queue import LeasedQueue
from newscrawl.cluster.storage import ClusterStorage

logger = logging.getLogger(__name__)


class ClusterScheduler(BaseScheduler):
    """Requests go to the run's queue in Redis; a request taken from it is leased until the
    engine is done with it, i.e. until every item its response produced has passed the
    pipelines (into the outbox) and every request it produced is enqueued."""

    def __init__(self, crawler, storage: ClusterStorage):
        self.crawler = crawler
        self.storage = storage
        self.queue: LeasedQueue | None = None
        self.held: dict[int, object] = {}  # lease id -> the request this worker is working on
        self._tending: LoopingCall | None = None
        self._released_at = 0.0
        self._renewed_at = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        storage = crawler.get_extension(ClusterStorage)
        if storage is None:
            raise RuntimeError("the cluster scheduler needs REDIS_URL (newscrawl.cluster.addon.ClusterAddon sets both)")
        return cls(crawler, storage)

    def open(self, spider):
        self.spider = spider
        if not self.storage.join():
            return None  # Redis unreachable: nothing is scheduled, the crawl ends at once
        self.queue = LeasedQueue(self.storage.server, self.storage.keys, spider, self.storage.config.lease)
        returned = self.queue.release()
        if returned:
            logger.warning("%d requests of workers that stopped went back to the queue", returned)
        self._tending = LoopingCall(self._tend)
        self._tending.start(self.TEND_INTERVAL, now=False)
        return None

    def close(self, reason):
        if self.queue is None:
            return None
        if self._tending is not None and self._tending.running:
            self._tending.stop()
        self._settle()
        if self.held:  # stopped mid-request (a signal, the deadline): others take them at once
            self.queue.release(list(self.held))
            logger.info("%d requests in progress went back to the queue", len(self.held))
            self.held.clear()
        return None

    def enqueue_request(self, request) -> bool:
        if self.queue is None:
            return False
        meta = request.meta
        if not (meta.get("retry_times") or meta.get("redirect_times")):
            fingerprint = self.crawler.request_fingerprinter.fingerprint(request).hex()
            if not self.storage.server.sadd(self.storage.keys.seen(self.storage.run), fingerprint):
                self.crawler.stats.inc_value("scheduler/filtered/redis")
                return False
        self.queue.push(request)
        self.crawler.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        if self.queue is None:
            return None
        self._settle()
        self._release_expired()
        request, lease = self.queue.pop()
        if request is not None:
            self.held[lease] = request
            self.crawler.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        """Until the whole run is over, this worker may get more: a request others hold may
        yet produce some, or come back when their lease expires."""
        if self.queue is None:
            return False
        self._settle()
        self._release_expired(force=True)
        return not self.storage.run_done()

    def __len__(self) -> int:
        return len(self.queue) if self.queue is not None else 0

    # -- leases ----------------------------------------------------------------------------

    def _settle(self) -> None:
        """Acknowledge the requests the engine is done with. The engine keeps a request in
        its slot's ``inprogress`` set from its download until its response's items and
        requests are all through; Scrapy sends no signal for that moment."""
        inprogress = self.crawler.engine._slot.inprogress
        done = [lease for lease, request in self.held.items() if request not in inprogress]
        if done:
            self.queue.ack(done)
            for lease in done:
                del self.held[lease]

    def _release_expired(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._released_at > 1:
            self._released_at = now
            returned = self.queue.release()
            if returned:
                logger.warning("%d requests whose worker stopped went back to the queue", returned)

    # How often the worker looks after its leases, and looks for work when it has none: the
    # engine itself asks an empty scheduler again only every 5 s (its heartbeat).
    TEND_INTERVAL = 0.5

    def _tend(self) -> None:
        """Let go of what is done, renew (every quarter lease) what is not, and wake the
        engine when others put requests in the queue while this worker had none."""
        try:
            self._settle()
            now = time.monotonic()
            if now - self._renewed_at >= self.storage.config.lease / 4:
                self._renewed_at = now
                self.queue.renew(list(self.held))
            if not self.held and len(self.queue):
                self.crawler.engine._slot.nextcall.schedule()
        except Exception:  # Redis away for a moment: the next tick tries again
            logger.warning("could not look after the leases in Redis", exc_info=True)
