"""A worker's storage: what the spider and pipelines hand the archive goes to Redis instead.

`ClusterStorage` is the `newscrawl.storage.CrawlStorage` of a crawl with ``REDIS_URL``: it
never opens the SQLite archive. It joins the portal's run (the first worker of a run starts
it and makes its start requests), answers "is this archived?" from what the writer put in
Redis, pushes articles, failures and run events to the outbox for `newscrawl ingest`, and
at the end keeps the worker's run record, with what the writer made of its articles.
"""
from __future__ import annotations

import asyncio
import logging
import pickle
import time
from collections import Counter
from datetime import datetime, timezone

from scrapy.exceptions import NotConfigured

from newscrawl.cluster import keys as k
from newscrawl.items import Article, PageFailure
from newscrawl.storage import CrawlStorage, RunRecord

logger = logging.getLogger(__name__)

# KEYS run, runs, seeding; ARGV lease (ms) -> {"<number>:<started, Redis's clock>", 1 if this worker starts it}
# (the start time makes the run's name unique even when Redis is wiped and numbers restart)
_JOIN = """
local run = redis.call('GET', KEYS[1])
if run then return {run, 0} end
run = redis.call('INCR', KEYS[2]) .. ':' .. redis.call('TIME')[1]
redis.call('SET', KEYS[1], run)
redis.call('SET', KEYS[3], 1, 'PX', ARGV[1])
return {run, 1}
"""

# KEYS queue, leases, seeding, run, seen; ARGV run -> 1 when the run is over (and then forgotten)
_DONE = """
local current = redis.call('GET', KEYS[4])
if current and current ~= ARGV[1] then return 1 end
if redis.call('EXISTS', KEYS[3]) == 1 or redis.call('ZCARD', KEYS[1]) > 0 or redis.call('ZCARD', KEYS[2]) > 0 then
  return 0
end
if current then redis.call('DEL', KEYS[4], KEYS[5]) end
return 1
"""


def message(kind: str, **fields) -> bytes:
    """An outbox entry (pickled, as scrapy-redis keeps requests: Redis is trusted like the archive)."""
    return pickle.dumps({"kind": kind, "sent_at": time.time(), **fields}, protocol=pickle.HIGHEST_PROTOCOL)


class ClusterStorage(CrawlStorage):
    """The storage of a cluster worker (see the module's docstring)."""

    archive = None  # no archive here: `newscrawl counts` needs one and says so
    fatal = None

    def __init__(self, crawler, config: k.ClusterConfig):
        super().__init__(crawler)
        self.config = config
        self.server = None
        self.record: RunRecord | None = None
        self.worker = k.worker_name()
        self.run: str | None = None  # "<number>:<started>", as Redis names the run
        self.seeder = False
        self.pushed = 0  # articles handed to the writer
        self._unresolved: set[str] = set()
        self._done = None  # the Lua script of run_done, once registered

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("REDIS_URL") or not crawler.settings.getbool("ARCHIVE_ENABLED"):
            raise NotConfigured
        return cls(crawler, k.ClusterConfig.from_settings(crawler.settings))

    @property
    def spider_name(self) -> str:
        return self.crawler.spider.name

    @property
    def keys(self) -> k.SpiderKeys:
        return k.SpiderKeys(self.spider_name)

    @property
    def token(self) -> str:
        """The run as the archive records it (crawl_runs.arguments.cluster_run)."""
        return f"{self.spider_name}#{self.run}"

    # -- lifecycle ------------------------------------------------------------------------

    def join(self) -> bool:
        """Connect and join the portal's run, or start one; False when Redis cannot be
        reached (the record says why and the worker does nothing). Called by the scheduler
        when it opens, which is before ``spider_opened``."""
        if self.record is not None:
            return self.server is not None
        self.record = RunRecord(self.portal)
        try:
            self.server = k.connect(self.config.url)
            run, first = self.server.register_script(_JOIN)(
                keys=[self.keys.run, self.keys.runs, self.keys.seeding], args=[int(self.config.lease * 1000)])
            self._unresolved = {u.decode() for u in self.server.smembers(k.failures_key(self.portal))}
            seeded = self.server.exists(k.SEEDED)
        except Exception as exc:  # redis.RedisError, OSError, a bad URL: one line, no crawl
            self.server = None
            self.record.status = "failed"
            self.record.reason = f"cannot reach Redis at {self.config.url}: {exc}"
            logger.warning("%s", self.record.reason)
            return False
        self.run, self.seeder = run.decode() if isinstance(run, bytes) else run, bool(first)
        self.record.run_id = int(self.run.split(":")[0])
        if not seeded:
            logger.warning("no `newscrawl ingest` has told Redis what the archive holds yet: archived articles "
                           "may be fetched again")
        logger.info("worker %s %s run %s of %s", self.worker, "starts" if self.seeder else "joins", self.run,
                    self.spider_name)
        if self.seeder:
            self._push("run_started", arguments=getattr(self.crawler.spider, "arguments", {}))
        return True

    def seeding(self) -> None:
        """The first worker is still making the run's start requests: the run is not over."""
        self.server.pexpire(self.keys.seeding, int(self.config.lease * 1000))

    def seeded(self) -> None:
        self.server.delete(self.keys.seeding)

    def run_done(self, queue, seen_key: str) -> bool:
        """Is the run over for everyone: ``queue`` empty, no leases, its start made? Then
        the first to see it forgets the run (and ``seen_key``, its fingerprints)."""
        if self._done is None:
            self._done = self.server.register_script(_DONE)
        keys = self.keys
        return bool(self._done(keys=[queue.key, queue.leases_key, keys.seeding, keys.run, seen_key], args=[self.run]))

    def spider_opened(self, spider=None):
        if self.record is None:
            self.join()  # a crawl without the cluster scheduler (SCHEDULER set elsewhere)

    async def spider_closed(self, spider=None, reason: str = "finished"):
        record = self.record
        if record is None or self.server is None:
            return
        stats = self.crawler.stats
        record.requests = stats.get_value("downloader/request_count", 0)
        record.status, record.reason = self._ending(reason)
        try:
            self._push("worker_finished", requests=record.requests, failures=dict(record.failures),
                       status=record.status, reason=record.reason,
                       finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
            waiting = await self._writer_results()
        except Exception as exc:  # Redis went away at the end: say so, the writer has what it got
            record.status, record.reason = "failed", f"Redis at {self.config.url} failed: {exc}"
            return
        if waiting:
            record.reason = "; ".join(filter(None, [record.reason, f"{waiting} articles handed over are not archived "
                                                                   f"yet (is `newscrawl ingest` running?)"]))

    async def _writer_results(self) -> int:
        """Wait (up to CLUSTER_WRITER_WAIT) until the writer has taken this worker's
        articles; their results (new, duplicate …) become the record's. Returns how many
        it has not taken."""
        key = k.worker_key(self.worker)
        deadline = time.monotonic() + self.config.writer_wait
        while True:
            done = {name.decode(): int(n) for name, n in self.server.hgetall(key).items()}
            if done.get("ingested", 0) >= self.pushed or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        self.record.results.update(Counter({name: n for name, n in done.items() if name != "ingested"}))
        self.server.expire(key, 7 * 24 * 3600)
        return max(self.pushed - done.get("ingested", 0), 0)

    def _ending(self, reason: str) -> tuple[str, str]:
        if self.record.status == "failed":
            return "failed", self.record.reason
        if reason == "shutdown":
            return "interrupted", "stopped by a signal (SIGTERM or Ctrl-C); its requests went back to the queue"
        if reason == "closespider_timeout":
            return "failed", "the run's deadline (CLOSESPIDER_TIMEOUT) passed; the rest is left in the queue"
        if reason != "finished":
            return "failed", self.crawler.stats.get_value("newscrawl/fatal") or f"closed: {reason}"
        return ("failed" if self.record.failures else "ok"), ""

    def _push(self, kind: str, **fields) -> None:
        self.server.lpush(k.OUTBOX, message(kind, portal=self.portal, spider=self.spider_name, run=self.token,
                                            worker=self.worker, **fields))

    # -- what the spider asks ---------------------------------------------------------------

    def is_archived(self, url: str) -> bool:
        return self.server is not None and bool(self.server.hexists(k.archived_key(self.portal), url))

    def archived_before(self, url: str, stamp: str) -> bool:
        seen = self.server.hget(k.archived_key(self.portal), url) if self.server is not None else None
        return seen is not None and seen.decode() < stamp

    def unresolved_failures(self) -> list[str]:
        return sorted(self._unresolved)

    # The queue in Redis is this cluster's frontier: what a page named is enqueued there
    # before the page's lease is let go, so there is nothing else to remember or resume.
    def pending(self, kind: str) -> list[dict]:
        return []

    def discovered(self, entries: list[dict], source: str = "", done: tuple[str, ...] = ()) -> None:
        pass

    # Refreshes and count-only runs read the archive: the writer's machine runs those.
    def urls_published_since(self, since: str) -> list[str]:
        logger.warning("refresh_days is ignored by a cluster worker (it cannot read the archive): "
                       "run the refresh without REDIS_URL where the archive is")
        return []

    def article_ids(self, since: str | None = None) -> list[int]:
        return []

    def latest_pages(self, article_ids: list[int]) -> list[dict]:
        return []

    # -- what the pipelines hand over --------------------------------------------------------

    def save(self, article: Article) -> str | None:
        self._push("article", article=article)
        self.pushed += 1
        self.crawler.stats.inc_value("newscrawl/articles/handed_over")
        return "handed_over"

    def fail(self, failure: PageFailure, **signal_kwargs) -> None:
        if self.record is None or self.server is None:
            return
        self.record.failures[failure.kind] += 1
        self.crawler.stats.inc_value(f"newscrawl/failures/{failure.kind}")
        self._push("failure", failure=failure)

    def observed_view_counts(self, readings: list[tuple[int, int, str]]) -> None:
        if readings:
            self._push("view_counts", readings=readings)
            self.record.results["counted"] += len(readings)

    def response_received(self, response, request, spider=None):
        if response.status == 200 and response.url in self._unresolved and self.server is not None:
            self._unresolved.discard(response.url)
            self._push("resolved", url=response.url)
