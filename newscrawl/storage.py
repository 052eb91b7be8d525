"""The archive as a Scrapy extension: its lock, the run record, and every write of a crawl.

The spider asks it what is archived and tells it what it discovered; the archive pipeline
hands it articles and failures. Both obtain it from the crawler
(``crawler.get_extension(ArchiveStorage)``); nothing is set on anyone's attributes.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar
from datetime import datetime, timezone

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from archive.lock import ArchiveLock
from archive.store import Archive, ArchiveError, BadData
from newscrawl.items import Article, PageFailure
from newscrawl.signals import page_failed

logger = logging.getLogger(__name__)

# How a run's finish reason (Scrapy's, or ours) reads in crawl_runs.status.
_INTERRUPTED = {"shutdown"}


@dataclass(frozen=True)
class StorageConfig:
    path: str
    lock_wait: float
    deadline: float  # seconds; the lock file says when a run should be over

    @classmethod
    def from_settings(cls, settings) -> "StorageConfig":
        return cls(
            path=settings.get("ARCHIVE_PATH"),
            lock_wait=settings.getfloat("ARCHIVE_LOCK_WAIT", 0),
            deadline=settings.getfloat("CLOSESPIDER_TIMEOUT", 0),
        )


@dataclass
class RunRecord:
    """What one run did, as the command line reports it."""

    portal: str
    run_id: int | None = None
    status: str = "running"  # ok | failed | interrupted | archive_locked | archive_stuck
    reason: str = ""
    requests: int = 0
    results: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)


class CrawlStorage(ABC):
    """Where a crawl's results go and what it asks of earlier runs. The spider, the
    pipelines and `newscrawl.run` find it with ``crawler.get_extension(CrawlStorage)``:
    ArchiveStorage (below) writes the SQLite archive itself; a cluster worker's storage
    hands everything to the single writer instead. ``record`` is the run's RunRecord.

    Both hear of the crawl the same way: its opening and closing, every response (a page
    that failed before and answers now is resolved) and every failed page (``page_failed``)."""

    record: RunRecord | None = None

    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.fail, signal=page_failed)

    @property
    def portal(self) -> str:
        spider = self.crawler.spider
        return getattr(getattr(spider, "portal", None), "name", None) or spider.name

    # the crawl's lifecycle
    @abstractmethod
    def spider_opened(self, spider=None):
        """Open the storage and start the run's record; a storage that cannot be opened closes the crawl."""

    @abstractmethod
    def spider_closed(self, spider=None, reason: str = "finished"):
        """Record how the run ended and let the storage go."""

    @abstractmethod
    def response_received(self, response, request, spider=None):
        """A page that answers: a failure recorded for it earlier is resolved."""

    # what the spider asks
    @abstractmethod
    def is_archived(self, url: str) -> bool:
        """Is the article at ``url`` (any form of it) stored already?"""

    @abstractmethod
    def archived_before(self, url: str, stamp: str) -> bool:
        """Was ``url`` stored before ``stamp``, by an earlier run rather than this one?"""

    @abstractmethod
    def unresolved_failures(self) -> list[str]:
        """URLs of pages that failed in earlier runs and have not answered since: fetched again first."""

    @abstractmethod
    def pending(self, kind: str) -> list[dict]:
        """The frontier of ``kind`` an earlier run named and did not finish (a kill leaves it)."""

    @abstractmethod
    def urls_published_since(self, since: str) -> list[str]:
        """Stored articles published since ``since``, for a refresh (``--refresh-days``)."""

    @abstractmethod
    def article_ids(self, since: str | None = None) -> list[int]:
        """Ids of stored articles (published since ``since``), for a count-only refresh."""

    @abstractmethod
    def latest_pages(self, article_ids: list[int]) -> list[dict]:
        """Each article's latest stored page: what a count-only refresh reads its counter from."""

    def stored_assets(self, urls: list[str]) -> dict:
        """Which of ``urls`` (images, attachments) are stored already, as {url: archive.assets.Asset}
        without bytes; a storage that cannot tell answers {} and they are fetched again."""
        return {}

    @abstractmethod
    def discovered(self, entries: list[dict], source: str = "", done: tuple[str, ...] = ()) -> None:
        """Keep the URLs a page named (``entries``) before ``done`` is marked done: a kill between loses none."""

    # what the pipelines hand over
    @abstractmethod
    def save(self, article: Article) -> str | None:
        """Store ``article`` whole or not at all: how it was stored (``new``, ``updated``,
        ``duplicate``, ``unchanged``, ``handed_over`` to a writer), None when it could not be."""

    @abstractmethod
    def fail(self, failure: PageFailure, **signal_kwargs) -> None:
        """Record a page that failed (the ``page_failed`` signal), to be fetched again next run."""

    @abstractmethod
    def observed_view_counts(self, readings: list[tuple[int, int, str]]) -> None:
        """Append view-count observations (article id, count, method) from a count-only refresh."""


class ArchiveSession:
    """The archive as the crawls of one process share it (``newscrawl crawl xjtu whu``): the
    lock taken once, since two flocks from one process would block each other, one
    connection and one reserve, held while any of its crawls is open and let go by the last.

    Each crawl still records its own run. A write that fails stops every crawl of the
    session: they write the same file. A process refused the archive (another holds it, or
    it cannot be opened) is refused for all its crawls, without waiting again for each."""

    _by_path: ClassVar[dict[str, ArchiveSession]] = {}

    def __init__(self, config: StorageConfig):
        self.config = config
        self.lock = ArchiveLock(config.path)
        self.archive: Archive | None = None
        self.holders: list[ArchiveStorage] = []
        self.refused: tuple[str, str] | None = None  # (status, reason) of the crawls that cannot have it
        self.fatal: str | None = None  # why writing stopped, once it has
        self._failed_in = ""  # the portal whose crawl's write failed
        self._unrecorded: list[dict] = []  # runs whose end only the lock file can keep

    @classmethod
    def join(cls, storage: ArchiveStorage) -> ArchiveSession:
        """The session of ``storage``'s archive, opened by the first crawl to ask; a crawl
        holds it until it ``leave``s, unless it is ``refusing``."""
        key = os.path.abspath(storage.config.path)
        session = cls._by_path.get(key)
        if session is None:
            session = cls._by_path[key] = cls(storage.config)
            session._open()
        if session.refusing is None:
            session.holders.append(storage)
        return session

    @property
    def refusing(self) -> tuple[str, str] | None:
        """(status, reason) of a crawl that cannot join: the archive is another's or cannot
        be opened, or (for a crawl opening late) writing it has already failed."""
        return self.refused or (("failed", self.fatal) if self.fatal else None)

    def _open(self) -> None:
        # Closing after the deadline takes a while (in-flight pages, the run record): grace.
        deadline = self.config.deadline + 600 if self.config.deadline else 0
        try:
            acquired = self.lock.acquire(wait=self.config.lock_wait, deadline=deadline)
        except OSError as exc:  # no lock file can be made there (a read-only or missing directory)
            self.refused = ("failed", f"cannot open the archive {self.config.path}: {exc}")
            return
        if not acquired and self.lock.interrupted:
            self.refused = ("interrupted", "stopped by a signal (SIGTERM or Ctrl-C) while waiting for the archive; "
                                           "nothing done")
            return
        if not acquired:
            stuck = self.lock.overdue_holder()
            self.refused = ("archive_stuck", stuck) if stuck else ("archive_locked", "another crawl holds the archive")
            return
        if self.lock.taken_over:
            logger.warning("archive lock: %s", self.lock.taken_over)
        try:
            self._reserve()
            self.archive = Archive(self.config.path)
            for outcome in self.lock.left_outcomes:  # the last runs ended on a full disk: their records now
                self.archive.finish_run(**outcome)
        except (ArchiveError, sqlite3.Error, OSError) as exc:
            self.refused = ("failed", f"cannot open the archive {self.config.path}: {exc}")
            if self.archive is not None:
                self.archive.close()
                self.archive = None
            self._release_reserve()
            self.lock.release()

    def start_run(self, portal: str, arguments: dict) -> int:
        alive = tuple(h.record.run_id for h in self.holders if h.record is not None and h.record.run_id is not None)
        return self.archive.start_run(portal, arguments, alive=alive)

    def leave(self, storage: ArchiveStorage, unrecorded: dict | None = None) -> None:
        """``storage``'s crawl is over (``unrecorded``: its run's end, when the archive could
        not take it); the last one out closes the archive and lets go of the lock."""
        if storage not in self.holders:
            return
        self.holders.remove(storage)
        if unrecorded is not None:
            self._unrecorded.append(unrecorded)
        if self.holders:
            return
        try:
            self.archive.close()
        finally:
            self.archive = None
            self._release_reserve()
            self.lock.release(self._unrecorded)
            del self._by_path[os.path.abspath(self.config.path)]

    def stop_writing(self, message: str, portal: str) -> None:
        """A write of ``portal``'s crawl failed: every crawl of the session stops writing."""
        if self.fatal is None:
            self.fatal, self._failed_in = message, portal
            self._release_reserve()  # room for the runs' own records of how they ended
        for holder in list(self.holders):
            if holder.fatal is None:
                holder.stopped(self.fatal if holder.portal == self._failed_in else f"{self.fatal} (in the "
                               f"{self._failed_in} crawl, which shares the archive: this crawl stopped too)")

    # A full disk would also refuse the line that records the run as failed, and the next
    # run would take it for killed: a little room is set aside beside the archive while a
    # process holds it, and given back when a write fails.
    _RESERVE = 1024 * 1024

    @property
    def _reserve_path(self) -> str:
        return f"{self.config.path}.reserve"

    def _reserve(self) -> None:
        with open(self._reserve_path, "wb") as reserve:
            reserve.write(bytes(self._RESERVE))

    def _release_reserve(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._reserve_path)


class ArchiveStorage(CrawlStorage):
    """Owns the archive for one crawl: takes the lock when the spider opens (a run that
    cannot have it closes at once with reason ``archive_locked``), records the run, and
    records how the run ended, honestly, when it closes. The crawls of one process share
    the lock, the connection and the reserve (ArchiveSession)."""

    def __init__(self, crawler, config: StorageConfig):
        super().__init__(crawler)
        self.config = config
        self.session: ArchiveSession | None = None
        self.archive: Archive | None = None
        self.record: RunRecord | None = None
        self.fatal: str | None = None  # why writing stopped, once it has
        self._unresolved: set[str] = set()
        self._responses = 0
        self._unreachable: str | None = None  # the first network failure's reason

    @classmethod
    def from_crawler(cls, crawler):
        if crawler.settings.get("REDIS_URL"):
            raise NotConfigured  # a cluster worker: the writer alone opens the archive (newscrawl.cluster)
        if not crawler.settings.getbool("ARCHIVE_ENABLED"):
            raise NotConfigured  # only a crawl archives (ARCHIVE_ENABLED); quietly
        return cls(crawler, StorageConfig.from_settings(crawler.settings))

    # -- lifecycle ------------------------------------------------------------------------

    def spider_opened(self, spider=None):
        self.record = RunRecord(self.portal)
        self.session = ArchiveSession.join(self)
        if self.session.refusing:
            status, reason = self.session.refusing
            if status == "failed":
                self._stop_writing(reason)
            self.record.status, self.record.reason = status, reason
            raise CloseSpider("archive_failed" if status == "failed" else status)
        self.archive = self.session.archive
        try:
            self.record.run_id = self.session.start_run(self.portal, getattr(spider, "arguments", {}))
            self._after_last_write()
            self._unresolved = set(self.archive.unresolved_failures(self.portal))
        except (ArchiveError, sqlite3.Error, OSError) as exc:
            self._stop_writing(f"cannot open the archive {self.config.path}: {exc}")
            self.record.status, self.record.reason = "failed", self.fatal
            self.archive = None
            self.session.leave(self)
            raise CloseSpider("archive_failed") from None
        self.crawler.stats.set_value("newscrawl/run_id", self.record.run_id)
        logger.info("archiving into %s (run %s)", self.config.path, self.record.run_id)

    def spider_closed(self, spider=None, reason: str = "finished"):
        record = self.record
        if record is None or self.archive is None:
            if record is not None and record.status == "running":
                record.status = "failed"
            return
        stats = self.crawler.stats
        record.requests = stats.get_value("downloader/request_count", 0)
        record.status, record.reason = self._ending(reason)
        outcome = {
            "run_id": record.run_id,
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "requests": record.requests,
            "new_articles": record.results["new"],
            "updated_articles": record.results["updated"],
            "duplicate_articles": record.results["duplicate"],
            "failures": sum(record.failures.values()),
            "failures_by_kind": dict(record.failures),
            "status": record.status,
            "reason": record.reason or None,
        }
        unrecorded = None
        try:
            self.archive.finish_run(**outcome)
        except (sqlite3.Error, OSError) as exc:  # the disk that failed the crawl may fail this too
            record.reason = "; ".join(filter(None, [record.reason, f"the run could not be recorded in the archive: {exc}"]))
            logger.warning("the run could not be recorded as %s: %s", record.status, exc)
            unrecorded = outcome  # the lock file keeps it; the next run records it
        finally:
            self.archive = None
            self.session.leave(self, unrecorded)

    def _ending(self, reason: str) -> tuple[str, str]:
        if self.fatal:
            return "failed", self.fatal
        if reason in _INTERRUPTED:
            return "interrupted", "stopped by a signal (SIGTERM or Ctrl-C); the rest is left for the next run"
        if reason == "closespider_timeout":
            return "failed", (f"the run's deadline (CLOSESPIDER_TIMEOUT={self.config.deadline:g} s) passed; "
                              "the rest is left for the next run")
        if reason != "finished":
            return "failed", self.crawler.stats.get_value("newscrawl/fatal") or f"closed: {reason}"
        if self.record.failures:
            if not self._responses and self._unreachable:
                base = getattr(getattr(self.crawler.spider, "portal", None), "base_url", "the portal")
                return "failed", f"cannot reach {base}: {self._unreachable}"
            return "failed", ""
        return "ok", ""

    def _after_last_write(self) -> None:
        """Archive stamps have whole seconds: when the previous run archived something in
        this very second, wait for the next one, so that "archived before this run began"
        (how a column walk tells new from old) cannot mistake its articles for this run's."""
        last = self.archive.db.execute("select max(first_seen_at) from article_urls").fetchone()[0]
        now = datetime.now(timezone.utc)
        if last and last >= now.isoformat(timespec="seconds"):
            time.sleep(1 - now.microsecond / 1e6)

    # -- what the spider asks ---------------------------------------------------------------

    def is_archived(self, url: str) -> bool:
        return self.archive is not None and self.archive.is_archived(url)

    def archived_before(self, url: str, stamp: str) -> bool:
        return self.archive is not None and self.archive.archived_before(url, stamp)

    def unresolved_failures(self) -> list[str]:
        return self.archive.unresolved_failures(self.portal) if self.archive else []

    def pending(self, kind: str) -> list[dict]:
        return self.archive.pending(self.portal, kind) if self.archive else []

    def urls_published_since(self, since: str) -> list[str]:
        return self.archive.urls_published_since(self.portal, since) if self.archive else []

    def article_ids(self, since: str | None = None) -> list[int]:
        return self.archive.article_ids(self.portal, since) if self.archive else []

    def latest_pages(self, article_ids: list[int]) -> list[dict]:
        return self.archive.latest_pages(article_ids) if self.archive else []

    def stored_assets(self, urls: list[str]) -> dict:
        return self.archive.stored_assets(urls) if self.archive else {}

    def observed_view_counts(self, readings: list[tuple[int, int, str]]) -> None:
        """View counts read without fetching their articles (``newscrawl counts``): one
        observation each, counted in the run record as ``counted``."""
        if readings:
            self._write(self.archive.record_view_counts, readings)
            if not self.fatal:
                self.record.results["counted"] += len(readings)

    def discovered(self, entries: list[dict], source: str = "", done: tuple[str, ...] = ()) -> None:
        """Persist pages to visit before the page that named them counts as done."""
        self._write(self.archive.discovered, self.portal, entries, source, done)

    # -- what the pipeline hands over --------------------------------------------------------

    def save(self, article: Article) -> str | None:
        """Archive ``article`` (one transaction); None when it could not be."""
        done = (article.requested_url,) if article.requested_url else ()
        try:
            result = self._write(self.archive.save, article, done=done, resolve=True, run_id=self.record.run_id)
        except BadData as exc:
            self.fail(PageFailure(article.url, article.portal or self.portal, "validation", str(exc)))
            return None
        if result is None:
            return None
        self.record.results[result] += 1
        self.crawler.stats.inc_value(f"newscrawl/articles/{result}")
        return result

    def fail(self, failure: PageFailure, **signal_kwargs) -> None:
        if failure.kind == "network" and self._unreachable is None:
            self._unreachable = failure.reason
        self.record.failures[failure.kind] += 1
        self.crawler.stats.inc_value(f"newscrawl/failures/{failure.kind}")
        self._write(self.archive.record_failure, failure.url, self.portal, failure.kind, failure.reason,
                    self.record.run_id)

    def response_received(self, response, request, spider=None):
        self._responses += 1
        # A page that failed before and now answers is resolved; if its extraction fails
        # again, the failure item that follows re-opens it.
        if response.status == 200 and response.url in self._unresolved:
            self._unresolved.discard(response.url)
            self._write(self.archive.resolve_failure, response.url)

    # -- a write that fails stops the crawl ---------------------------------------------------

    def _write(self, method, *args, **kwargs):
        if self.fatal or self.archive is None:
            return None  # the crawl is stopping; the frontier keeps what was not written
        try:
            return method(*args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            self.session.stop_writing(f"writing to {self.config.path} failed: {exc}", self.portal)
            return None

    def stopped(self, message: str) -> None:
        """Writing the archive failed (in this crawl or another of the process): stop."""
        self._stop_writing(message)
        asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="archive_failed"))

    def _stop_writing(self, message: str) -> None:
        self.fatal = message
        self.crawler.stats.set_value("newscrawl/fatal", message)
        logger.warning("%s", message)  # the run's summary line says it again, for cron
