"""A crawl's progress line in a terminal: articles new / known / failed, list pages, rate, ETA.

"Known" articles are those the archive already held when they were fetched again (a
retry, a refresh, the same article under another URL); articles a list page names that
the archive holds are not fetched at all, so they are not counted.

A Scrapy extension (``EXTENSIONS``) that listens to the crawl's signals and stats and draws
one line with rich on stderr, refreshed twice a second:

    xjtu: 120 new · 3 known · 0 failed · 12 list pages · 1.0 pages/s ━━━━━━━╺━━━━  60% 0:03:10

``PROGRESS`` chooses when: ``auto`` (the default) only when stderr is a terminal, so a cron
run, whose stderr is a pipe or a file, prints nothing; ``on`` or ``off`` always. The total,
hence the bar and the time left, is known only once no list page is waiting: before that,
the walk of the columns may still find more articles.
"""
from __future__ import annotations

import logging
import sys
import time
from collections import deque

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from newscrawl.signals import page_failed

logger = logging.getLogger(__name__)
REFRESH_SECONDS = 0.5
RATE_WINDOW = 30  # seconds of the crawl the rate (and so the time left) is taken over
# What the archive answers for an article it already had (archive/store.py, Archive.save).
KNOWN_RESULTS = ("updated", "unchanged", "duplicate")


def wanted(setting: str, stream) -> bool:
    """Whether ``PROGRESS`` asks for a progress line on ``stream``."""
    value = str(setting).strip().lower()
    if value in ("on", "1", "true", "yes"):
        return True
    if value in ("off", "0", "false", "no"):
        return False
    if value != "auto":
        # A progress line is no reason to stop a crawl: say so, and do as auto does.
        logger.warning("PROGRESS must be auto, on or off, not %r: taken as auto", setting)
    return bool(getattr(stream, "isatty", lambda: False)())


class CrawlProgress:
    """Counts what the crawl does (from its signals and stats) and shows it on one line."""

    def __init__(self, crawler, stream=None):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        self.crawler = crawler
        self.stats = crawler.stats
        self.console = Console(file=stream or sys.stderr, force_terminal=True, highlight=False)
        self.progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=12),
            TaskProgressColumn(),
            TextColumn("{task.fields[eta]}"),
            console=self.console,
            auto_refresh=False,  # refreshed from the reactor (no thread writing meanwhile)
            transient=False,
        )
        self.task = None
        self.portal = ""
        self.list_pages = 0
        self.lists_waiting = 0
        self.failed = 0
        self.samples: deque[tuple[float, int]] = deque([(time.monotonic(), 0)])
        self.loop = task.LoopingCall(self.refresh)

    @classmethod
    def from_crawler(cls, crawler):
        if not wanted(crawler.settings.get("PROGRESS", "auto"), sys.stderr):
            raise NotConfigured  # bare: Scrapy logs a reason as a warning, and cron would mail it
        ext = cls(crawler)
        for handler, signal in (
            (ext.spider_opened, signals.spider_opened),
            (ext.spider_closed, signals.spider_closed),
            (ext.request_scheduled, signals.request_scheduled),
            (ext.request_done, signals.request_left_downloader),
            (ext.request_done, signals.request_dropped),
            (ext.response_received, signals.response_received),
            (ext.page_failed, page_failed),
        ):
            crawler.signals.connect(handler, signal=signal)
        return ext

    # -- what the crawl says ------------------------------------------------------------------

    def spider_opened(self, spider):
        self.portal = getattr(getattr(spider, "portal", None), "name", None) or spider.name
        self.task = self.progress.add_task(self.description(0.0), total=None, eta="")
        self.progress.start()
        self.loop.start(REFRESH_SECONDS, now=True)

    def spider_closed(self, spider, reason):
        if self.loop.running:
            self.loop.stop()
        if self.task is not None:
            self.refresh(final=True)
            self.progress.stop()

    def request_scheduled(self, request, spider):
        if _is_list_page(request):
            self.lists_waiting += 1

    def request_done(self, request, spider, **kwargs):
        # Left the downloader (with a response or an error), or dropped before it: a retry
        # is scheduled again, so it waits again.
        if _is_list_page(request):
            self.lists_waiting = max(0, self.lists_waiting - 1)

    def response_received(self, response, request, spider):
        if _is_list_page(request):
            self.list_pages += 1

    def page_failed(self, failure, **kwargs):
        self.failed += 1

    # -- the line -----------------------------------------------------------------------------

    def articles(self) -> tuple[int, int]:
        new = self.stats.get_value("newscrawl/articles/new", 0)
        known = sum(self.stats.get_value(f"newscrawl/articles/{r}", 0) for r in KNOWN_RESULTS)
        return new, known

    def description(self, rate: float) -> str:
        new, known = self.articles()
        return (f"{self.portal}: {new} new · {known} known · {self.failed} failed · "
                f"{self.list_pages} list pages · {rate:.1f} pages/s")

    def rate(self, done: int) -> float:
        """Pages a second over the last RATE_WINDOW seconds (since the start, before that)."""
        now = time.monotonic()
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[1][0] >= RATE_WINDOW:
            self.samples.popleft()
        then, done_then = self.samples[0]
        return (done - done_then) / (now - then) if now > then else 0.0

    def remaining(self) -> int | None:
        """Requests still to do, once the walk of the list pages is over (else None: unknown)."""
        engine = self.crawler.engine
        if self.lists_waiting or not self.list_pages or engine is None:
            return None
        try:
            return len(engine.scheduler) + len(engine.downloader.active)
        except TypeError:  # no scheduler yet, or one that cannot count
            return None

    def refresh(self, final: bool = False) -> None:
        done = self.stats.get_value("response_received_count", 0)
        rate = self.rate(done)
        left = 0 if final else self.remaining()
        total = None if left is None else done + left
        # The time left is ours: rich forgets its speed samples whenever the total changes,
        # and here it grows as list pages name articles.
        eta = "" if left is None or not rate else _clock(left / rate)
        self.progress.update(self.task, description=self.description(rate), completed=done, total=total, eta=eta)
        self.progress.refresh()


def _clock(seconds: float) -> str:
    minutes, second = divmod(int(seconds + 0.5), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}"


def _is_list_page(request) -> bool:
    """Whether ``request`` asks for a column's list page (the portal spider's ``parse_list``)."""
    return getattr(request.callback, "__name__", "") == "parse_list"
