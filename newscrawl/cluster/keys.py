"""The settings of a cluster worker or writer, parsed once, and the names of its Redis keys."""
from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

PREFIX = "newscrawl"
# Every worker hands its results to this list; the writer is its only reader.
OUTBOX = f"{PREFIX}:outbox"
# What the writer took from the outbox and has not committed yet (LMOVE: a killed writer
# finds them here when it starts again).
PROCESSING = f"{PREFIX}:outbox:processing"
# Set by the writer once it has told Redis what the archive holds.
SEEDED = f"{PREFIX}:archive:seeded"
# scrapy-redis's settings SCHEDULER_QUEUE_KEY and SCHEDULER_DUPEFILTER_KEY, under our prefix
# (the queue's leases are beside it: <queue>:leases; the fingerprints are per run: <dupefilter>:<run>).
QUEUE_KEY = f"{PREFIX}:%(spider)s:requests"
DUPEFILTER_KEY = f"{PREFIX}:%(spider)s:dupefilter"


def worker_name() -> str:
    """A name no other worker process has, now or later: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def connect(url: str):
    """A Redis client for ``url``; a bad URL is a ValueError with a one-line reason."""
    import redis

    try:
        return redis.StrictRedis.from_url(url, socket_timeout=30, socket_connect_timeout=10)
    except ValueError as exc:
        raise ValueError(f"bad Redis URL {url!r}: {exc}") from None


@dataclass(frozen=True)
class ClusterConfig:
    url: str
    lease: float  # seconds a worker holds a request before others may take it back
    writer_wait: float  # seconds a finishing worker waits for the writer to classify its articles

    @classmethod
    def from_settings(cls, settings) -> "ClusterConfig":
        return cls(
            url=settings.get("REDIS_URL"),
            lease=settings.getfloat("CLUSTER_LEASE", 60),
            writer_wait=settings.getfloat("CLUSTER_WRITER_WAIT", 30),
        )


@dataclass(frozen=True)
class SpiderKeys:
    """The keys of one spider's (portal's) runs, beside its queue."""

    spider: str

    def _key(self, name: str) -> str:
        return f"{PREFIX}:{self.spider}:{name}"

    @property
    def run(self) -> str:  # the number of the run in progress; absent between runs
        return self._key("run")

    @property
    def runs(self) -> str:  # counter of runs
        return self._key("runs")

    @property
    def discovered(self) -> str:  # + ":<home page>": the profile a worker discovered (`crawl --url`)
        return self._key("discovered")

    @property
    def seeding(self) -> str:  # present while the run's first worker makes its start requests
        return self._key("seeding")


def archived_key(portal: str) -> str:
    """Canonical URL -> when it was first archived: what `is_archived` asks."""
    return f"{PREFIX}:{portal}:archived"


def failures_key(portal: str) -> str:
    """URLs of the portal's unresolved failures, retried by the next run."""
    return f"{PREFIX}:{portal}:failures"


def worker_key(worker: str) -> str:
    """What the writer made of one worker's hand-overs: result -> count, and ``ingested``."""
    return f"{PREFIX}:worker:{worker}"


def run_totals_key(portal: str, token: str) -> str:
    return f"{PREFIX}:{portal}:run:{token}"
