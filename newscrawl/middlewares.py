"""Middlewares that keep a crawl on its portal, polite when the portal struggles, and honest
when a callback fails."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from newscrawl.items import PageFailure
from newscrawl.signals import page_failed

logger = logging.getLogger(__name__)


class OffsiteRedirect(IgnoreRequest):
    """A portal page redirected off the portal: recorded as a failure of kind ``offsite``."""


class OffsiteRequest(IgnoreRequest):
    """A request off the portal (only a bug could make one: links are checked earlier)."""


class PortalScopeMiddleware:
    """Downloader middleware: only ``http(s)`` requests to the portal's own host and port
    leave the crawler (see `Portal.in_scope`). Scrapy's own offsite check knows domains,
    not schemes or ports, so ``file:///etc/hostname`` or another port of the same host
    would otherwise be fetched; and redirects are checked here as they are re-scheduled."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request):
        portal = getattr(self.crawler.spider, "portal", None)
        if portal is None or portal.in_scope(request.url):
            return None
        stats = self.crawler.stats
        if request.meta.get("redirect_urls"):
            stats.inc_value("newscrawl/redirects/offsite")
            raise OffsiteRedirect(f"redirected off the portal to {request.url}")
        stats.inc_value("newscrawl/requests/offsite")
        raise OffsiteRequest(f"not on the portal: {request.url}")


class RetryBackoffMiddleware:
    """Delay each retry exponentially: ``RETRY_BACKOFF_BASE`` × 2^(attempt-1) seconds,
    capped at ``RETRY_BACKOFF_MAX``, or as long as the portal's ``Retry-After`` asked
    (capped at ``RETRY_AFTER_MAX``). Scrapy's RetryMiddleware re-schedules a failed request
    at once; against a portal answering 503 under load that only adds to the load."""

    def __init__(self, base: float, cap: float, retry_after_cap: float):
        self.base, self.cap, self.retry_after_cap = base, cap, retry_after_cap

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(s.getfloat("RETRY_BACKOFF_BASE", 1.0), s.getfloat("RETRY_BACKOFF_MAX", 60.0),
                   s.getfloat("RETRY_AFTER_MAX", 300.0))

    async def process_request(self, request):
        attempt = request.meta.get("retry_times", 0)
        if not attempt:
            return None
        wait = min(self.cap, self.base * 2 ** (attempt - 1)) if self.base > 0 else 0.0
        wait = max(wait, request.meta.get("retry_after", 0.0))
        if wait > 0:
            await asyncio.sleep(wait)
        return None

    def process_response(self, request, response):
        # Runs before RetryMiddleware's (a higher order): the retry it makes copies this meta.
        if response.status in (429, 503):
            seconds = retry_after_seconds(response.headers.get(b"Retry-After"))
            if seconds is not None:
                request.meta["retry_after"] = min(seconds, self.retry_after_cap)
        return response


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class CallbackFailureMiddleware:
    """Spider middleware: an exception raised while a page is parsed (a bug, or a page no
    rule foresaw) becomes a failure of kind ``internal`` for that page (``page_failed``), so
    it is recorded, retried next run and counted in the run's status, instead of being a
    log line (what was yielded before the exception is kept)."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_spider_exception(self, response, exception, spider=None):
        if isinstance(exception, HttpError):
            return None  # Scrapy's HttpErrorMiddleware handles it (errbacks record them)
        request = response.request
        url = request.meta.get("redirect_urls", [request.url])[0]
        portal = getattr(getattr(self.crawler.spider, "portal", None), "name", "")
        logger.error("parsing %s raised %s: %s", url, type(exception).__name__, exception,
                     exc_info=(type(exception), exception, exception.__traceback__))
        self.crawler.stats.inc_value("newscrawl/callback_exceptions")
        failure = PageFailure(url, portal, "internal", f"{type(exception).__name__}: {exception}"[:500])
        self.crawler.signals.send_catch_log(signal=page_failed, failure=failure)
        return []
