"""The scheduler of a cluster worker: scrapy-redis's, with leased requests and one
fingerprint set per run that also holds ``dont_filter`` requests.

scrapy-redis 0.9.1 fits Scrapy 2.19's scheduler API (open, close, enqueue_request,
next_request, has_pending_requests; only its RedisSpider still speaks ``start_requests``,
and we use no spider of its). What does not fit us, and is changed here:
- its queue pops destructively: a killed worker's requests are lost (`queue.LeasedQueue`);
- its dupefilter lets every ``dont_filter`` request through, and our spider marks every
  request ``dont_filter`` (its own records say what one process fetched; spiders/base.py),
  so each worker would fetch an article once; and its fingerprints live for ever, so a
  second cron run would never walk the list pages again. Here each run has its own set,
  which holds ``dont_filter`` requests too (not retries and redirects, which must pass):
  a page is asked for once per run across all workers, and the next run walks again
  (marking a request seen and queueing it are one step: a worker killed between the two
  would lose it);
- it ends a worker when its queue is empty, while others may still produce requests or
  die and leave theirs to come back: here a worker ends when the run is over.
"""
from __future__ import annotations

import logging
import time

from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from newscrawl.cluster.queue import LeasedQueue
from newscrawl.cluster.storage import ClusterStorage

logger = logging.getLogger(__name__)


class ClusterScheduler(Scheduler):
    """Requests go to the run's queue in Redis; a request taken from it is leased until the
    engine is done with it, i.e. until every item its response produced has passed the
    pipelines (into the outbox) and every request it produced is enqueued."""

    # How often the worker looks after its leases, and looks for work when it has none: the
    # engine itself asks an empty scheduler again only every 5 s (its heartbeat).
    TEND_INTERVAL = 0.5

    def __init__(self, crawler, storage: ClusterStorage, **kwargs):
        # The connection is the storage's, made when the run is joined (scrapy-redis would
        # connect here, and a Redis that is down would be a traceback, not a line).
        super().__init__(server=None, persist=True, **kwargs)
        self.crawler = crawler
        self.stats = crawler.stats
        self.storage = storage
        self.queue: LeasedQueue | None = None
        self.held: dict[int, object] = {}  # lease id -> the request this worker is working on
        self._tending: LoopingCall | None = None
        self._released_at = self._renewed_at = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        storage = crawler.get_extension(ClusterStorage)
        if storage is None:
            raise RuntimeError("the cluster scheduler needs REDIS_URL (newscrawl.cluster.addon.ClusterAddon sets both)")
        settings = crawler.settings
        return cls(crawler, storage, queue_key=settings.get("SCHEDULER_QUEUE_KEY"),
                   dupefilter_key=settings.get("SCHEDULER_DUPEFILTER_KEY"))

    def open(self, spider):
        self.spider = spider
        if not self.storage.join():
            return None  # Redis unreachable: nothing is scheduled, the crawl ends at once
        self.server = self.storage.server
        self.queue = LeasedQueue(self.server, spider, self.queue_key % {"spider": spider.name},
                                 lease=self.storage.config.lease)
        self.df = RFPDupeFilter(self.server, key=self.seen_key)
        returned = self.queue.release()
        if returned:
            logger.warning("%d requests of workers that stopped went back to the queue", returned)
        self._tending = LoopingCall(self._tend)
        self._tending.start(self.TEND_INTERVAL, now=False)
        return None

    @property
    def seen_key(self) -> str:
        return f"{self.dupefilter_key % {'spider': self.spider.name}}:{self.storage.run}"

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
        return None  # the queue and the run's fingerprints stay: the run goes on without this worker

    def enqueue_request(self, request) -> bool:
        if self.queue is None:
            return False
        meta = request.meta
        if meta.get("retry_times") or meta.get("redirect_times"):
            self.queue.push(request)
        elif not self.queue.push_unseen(request, self.df.key, self.df.request_fingerprint(request)):
            self.stats.inc_value("scheduler/filtered/redis")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        if self.queue is None:
            return None
        self._settle()
        self._release_expired()
        request, lease = self.queue.pop_leased()
        if request is not None:
            self.held[lease] = request
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        """Until the whole run is over, this worker may get more: a request others hold may
        yet produce some, or come back when their lease expires."""
        if self.queue is None:
            return False
        self._settle()
        self._release_expired(force=True)
        return not self.storage.run_done(self.queue, self.seen_key)

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

    def _tend(self) -> None:
        """Let go of what is done, renew (every quarter lease) what is not, and wake the
        engine while this worker has nothing: others may have put requests in the queue,
        or ended the run."""
        try:
            self._settle()
            now = time.monotonic()
            if now - self._renewed_at >= self.storage.config.lease / 4:
                self._renewed_at = now
                self.queue.renew(list(self.held))
            if not self.held:  # for a request, or to see the run end
                self.crawler.engine._slot.nextcall.schedule()
        except Exception:  # Redis away for a moment: the next tick tries again
            logger.warning("could not look after the leases in Redis", exc_info=True)
