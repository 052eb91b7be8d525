"""The cluster's one writer: drains the workers' outbox into the SQLite archive.

It holds the archive's lock for as long as it runs (so no local crawl writes beside it),
tells Redis what the archive holds (archived URLs with their first-seen stamps, unresolved
failures: what keeps every worker's run incremental), then takes the outbox one entry at a
time with LMOVE into a processing list and deletes it from there only after SQLite has
committed it. A writer killed in between finds the entry in the processing list when it
starts again; an article it had already committed is recognised (the same page, fetched at
the same moment, is stored) and not stored twice.
"""
from __future__ import annotations

import logging
import pickle
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field

from archive.lock import ArchiveLock
from archive.runs import now
from archive.store import Archive, BadData
from newscrawl.cluster import keys as k

logger = logging.getLogger(__name__)

_SEED_BATCH = 5000


class WriterError(Exception):
    """The writer cannot run (archive locked or unusable, Redis unreachable): one line."""


@dataclass
class IngestReport:
    """What one `newscrawl ingest` did."""

    results: Counter = field(default_factory=Counter)  # new, updated, duplicate, unchanged
    failures: int = 0
    runs_finished: int = 0
    replayed: int = 0  # entries a killed writer had taken and not let go
    seconds: float = 0.0
    busy: float = 0.0  # of those, seconds spent ingesting (not waiting for the workers)

    @property
    def articles_per_second(self) -> float:
        return sum(self.results.values()) / self.busy if self.busy else 0.0

    def summary(self) -> str:
        r = self.results
        return (f"newscrawl ingest: {r['new']} new, {r['updated']} updated, {r['duplicate']} duplicate, "
                f"{r['unchanged']} unchanged, {self.failures} failures, {self.runs_finished} worker runs ended "
                f"({self.articles_per_second:.0f} articles/s while writing)")


class Writer:
    def __init__(self, redis_url: str, db_path: str):
        self.server = k.connect(redis_url)
        self.redis_url = redis_url
        self.db_path = db_path
        self.lock = ArchiveLock(db_path)
        self.archive: Archive | None = None
        self.report = IngestReport()
        self._runs: dict[str, int] = {}  # cluster run token -> crawl_runs id

    # -- lifecycle ------------------------------------------------------------------------

    def open(self) -> None:
        try:
            self.server.ping()
        except Exception as exc:
            raise WriterError(f"cannot reach Redis at {self.redis_url}: {exc}") from None
        if not self.lock.acquire():
            raise WriterError(f"another crawl or writer holds {self.db_path}")
        try:
            self.archive = Archive(self.db_path)
        except Exception as exc:
            self.lock.release()
            raise WriterError(f"cannot open the archive {self.db_path}: {exc}") from None
        self.seed()

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()
            self.archive = None
        self.lock.release()

    def seed(self) -> None:
        """Tell Redis what the archive holds, portal by portal (workers ask it, not SQLite).
        Each portal's set is built aside and renamed into place, so workers never see it
        half built, and what Redis remembered of another archive does not survive."""
        db = self.archive.db
        stale = {key.decode() for pattern in (k.archived_key("*"), k.failures_key("*"))
                 for key in self.server.scan_iter(match=pattern, count=1000)}
        building: set[str] = set()
        pipe = self.server.pipeline(transaction=False)
        rows = db.execute("select a.portal, u.url, u.first_seen_at from article_urls u join articles a on a.id = u.article_id")
        for n, (portal, url, first_seen) in enumerate(rows, 1):
            building.add(k.archived_key(portal))
            pipe.hset(f"{k.archived_key(portal)}:building", url, first_seen)
            if n % _SEED_BATCH == 0:
                pipe.execute()
        for portal, url in db.execute("select portal, url from failures where resolved_at is null"):
            building.add(k.failures_key(portal))
            pipe.sadd(f"{k.failures_key(portal)}:building", url)
        pipe.execute()
        for key in building:
            pipe.rename(f"{key}:building", key)
        for key in stale - building:
            pipe.delete(key)
        pipe.set(k.SEEDED, now())
        pipe.execute()

    def drain(self, *, until_idle: bool, idle_seconds: float = 0) -> IngestReport:
        """Ingest what the workers hand over. ``until_idle``: return once a worker has
        ended, the outbox is empty and no portal has a run in progress (for
        ``idle_seconds``, so the last workers' ends come in); else forever."""
        started = time.monotonic()
        self._replay()
        quiet_since = None
        while True:
            entry = self.server.execute_command("BLMOVE", k.OUTBOX, k.PROCESSING, "RIGHT", "LEFT", 1)
            if entry is not None:
                quiet_since = None
                began = time.monotonic()
                self._ingest(entry)
                self.report.busy += time.monotonic() - began
                continue
            if until_idle:
                if not self.report.runs_finished or self._runs_in_progress():
                    quiet_since = None
                elif quiet_since is None:
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since >= idle_seconds:
                    break
        self.report.seconds = time.monotonic() - started
        return self.report

    def _runs_in_progress(self) -> bool:
        return any(True for _ in self.server.scan_iter(match=f"{k.PREFIX}:*:run", count=1000))

    def _replay(self) -> None:
        """Entries a killed writer took and had not let go: ingest them again, checking
        what it had committed."""
        while True:
            entry = self.server.lindex(k.PROCESSING, -1)
            if entry is None:
                return
            self.report.replayed += 1
            self._ingest(entry, replay=True)

    # -- one entry ---------------------------------------------------------------------------

    def _ingest(self, entry: bytes, replay: bool = False) -> None:
        try:
            msg = pickle.loads(entry)
            handler = getattr(self, f"_on_{msg['kind']}")
        except Exception as exc:  # not ours, or from a newer version: keep it aside, say so
            logger.error("outbox entry not understood (%s); kept in %s:bad", exc, k.OUTBOX)
            self.server.lpush(f"{k.OUTBOX}:bad", entry)
        else:
            handler(msg, replay)  # an sqlite3 error stops the writer: the entry stays in processing
        self.server.lrem(k.PROCESSING, -1, entry)

    def _on_article(self, msg: dict, replay: bool) -> None:
        # An article fetched again because its worker died before letting go of the request
        # is a second visit at another moment: its view count is a true second reading and
        # gets its own view_counts row, as a --refresh-days visit would. Only a replay of the
        # same entry (the writer killed after committing it) would be a duplicate: skipped.
        article = msg["article"]
        if replay and self._committed(article):
            result = None
        else:
            run_id = self._run_id(msg)
            try:
                with_done = (article.requested_url,) if article.requested_url else ()
                result = self.archive.save(article, done=with_done, resolve=True, run_id=run_id)
            except BadData as exc:
                self.archive.record_failure(article.url, msg["portal"], "validation", str(exc), run_id)
                self.report.failures += 1
                result = None
        pipe = self.server.pipeline(transaction=False)
        if result is not None:
            self.report.results[result] += 1
            seen = self.archive.db.execute("select first_seen_at from article_urls where url = ?", [article.url]).fetchone()
            pipe.hsetnx(k.archived_key(msg["portal"]), article.url, seen[0] if seen else now())
            pipe.srem(k.failures_key(msg["portal"]), article.url)
            pipe.hincrby(k.worker_key(msg["worker"]), result, 1)
            pipe.hincrby(k.run_totals_key(msg["portal"], msg["run"]), result, 1)
        pipe.hincrby(k.worker_key(msg["worker"]), "ingested", 1)
        pipe.execute()

    def _committed(self, article) -> bool:
        row = self.archive.db.execute("select 1 from pages where url = ? and fetched_at is ?",
                                      [article.url, article.fetched_at]).fetchone()
        return row is not None

    def _on_failure(self, msg: dict, replay: bool) -> None:
        failure = msg["failure"]
        self.archive.record_failure(failure.url, msg["portal"], failure.kind, failure.reason, self._run_id(msg))
        self.server.sadd(k.failures_key(msg["portal"]), failure.url)
        self.report.failures += 1

    def _on_resolved(self, msg: dict, replay: bool) -> None:
        self.archive.resolve_failure(msg["url"])
        self.server.srem(k.failures_key(msg["portal"]), msg["url"])

    def _on_view_counts(self, msg: dict, replay: bool) -> None:
        self.archive.record_view_counts(msg["readings"])

    def _on_run_started(self, msg: dict, replay: bool) -> None:
        self._run_id(msg, arguments=msg.get("arguments") or {})

    def _on_worker_finished(self, msg: dict, replay: bool) -> None:
        """A worker's end: the run's row adds up every worker that ended so far."""
        run_id = self._run_id(msg)
        key = k.run_totals_key(msg["portal"], msg["run"])
        pipe = self.server.pipeline(transaction=False)
        pipe.hincrby(key, "requests", msg["requests"])
        for kind, n in msg["failures"].items():
            pipe.hincrby(key, f"failures:{kind}", n)
        pipe.hincrby(key, "workers", 1)
        if msg["status"] != "ok":
            pipe.hset(key, f"status:{msg['worker']}", f"{msg['status']}|{msg['reason']}")
        pipe.execute()
        totals = {name.decode(): v.decode() for name, v in self.server.hgetall(key).items()}
        failures = {name.split(":", 1)[1]: int(v) for name, v in totals.items() if name.startswith("failures:")}
        troubles = [v.split("|", 1) for name, v in totals.items() if name.startswith("status:")]
        status = "failed" if failures or any(s == "failed" for s, _ in troubles) else (
            "interrupted" if troubles else "ok")
        reason = "; ".join(dict.fromkeys(r for _, r in troubles if r)) or None
        self.archive.finish_run(run_id, requests=int(totals.get("requests", 0)),
                                new_articles=int(totals.get("new", 0)), updated_articles=int(totals.get("updated", 0)),
                                duplicate_articles=int(totals.get("duplicate", 0)), failures=sum(failures.values()),
                                failures_by_kind=failures, status=status, reason=reason)
        self.report.runs_finished += 1

    def _run_id(self, msg: dict, arguments: dict | None = None) -> int:
        """The crawl_runs row of the message's cluster run, made when first heard of (the
        run's token is in its arguments, so a restarted writer finds it again)."""
        token = msg["run"]
        if token not in self._runs:
            row = self.archive.db.execute(
                "select id from crawl_runs where portal = ? and json_extract(arguments, '$.cluster_run') = ?",
                [msg["portal"], token]).fetchone()
            if row:
                self._runs[token] = row[0]
            else:
                self._runs[token] = self._start_run(msg["portal"], {**(arguments or {}), "cluster_run": token})
        return self._runs[token]

    def _start_run(self, portal: str, arguments: dict) -> int:
        # Archive.start_run marks every other `running` run killed (it assumes one crawl at a
        # time); the cluster runs several portals' runs at once, so it keeps theirs running.
        running = [r[0] for r in self.archive.db.execute("select id from crawl_runs where status = 'running'")]
        run_id = self.archive.start_run(portal, arguments)
        if running:
            with self.archive.db.atomic():
                marks = ",".join("?" * len(running))
                self.archive.db.execute(f"update crawl_runs set status = 'running', reason = null where id in ({marks})",
                                        running)
        return run_id


def ingest(redis_url: str, db_path: str, *, until_idle: bool, idle_seconds: float = 3.0) -> IngestReport:
    """Run the writer (see `Writer`); raises WriterError with a one-line reason."""
    writer = Writer(redis_url, db_path)
    writer.open()
    try:
        return writer.drain(until_idle=until_idle, idle_seconds=idle_seconds)
    except sqlite3.Error as exc:
        raise WriterError(f"writing to {db_path} failed: {exc}; what was not committed is still in Redis") from None
    finally:
        writer.close()
