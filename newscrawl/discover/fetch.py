"""Fetching the few pages discovery reads, as politely as a crawl: robots.txt, our User-Agent, the portal's host only.

Discovery asks for a handful of pages (the home page, a list page and an article per
column) before any crawl starts, and `crawl --url` needs its answer to build the spider
Scrapy then runs; so these are plain blocking requests, made under the crawl's own
settings (USER_AGENT, ROBOTSTXT_OBEY, DOWNLOAD_DELAY, DOWNLOAD_TIMEOUT, DOWNLOAD_MAXSIZE,
REDIRECT_MAX_TIMES, RETRY_*) and the crawl's scope rule (`newscrawl.urls.in_scope`). None of
Scrapy's downloader guards them, so what it would do is done here: DOWNLOAD_TIMEOUT bounds
a whole download (a portal trickling a byte at a time is cut off), DOWNLOAD_MAXSIZE bounds
the page after decompression (a gzip bomb), transient errors are retried, and a URL with
non-ASCII characters is sent percent-encoded.
"""
from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urljoin, urlsplit

from protego import Protego
from w3lib.url import safe_url_string

from newscrawl.extract.page import decode_html
from newscrawl.middlewares import retry_after_seconds
from newscrawl.urls import in_scope
from spiders.base import crawl_user_agent  # discovery says who it is as the crawl will

_REDIRECTS = (301, 302, 303, 307, 308)


class FetchError(Exception):
    """A page discovery could not have, in one line (off the portal, disallowed, unreachable).
    ``transient``: the network failed, so asking again may help (as Scrapy retries it)."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class FetchConfig:
    """The crawl settings discovery's requests obey, read once."""

    user_agent: str
    obey_robots: bool = True
    delay: float = 1.0
    timeout: float = 30.0
    max_size: int = 8 * 1024 * 1024
    max_redirects: int = 5
    retry_times: int = 0  # as RetryMiddleware: answers of retry_codes and network errors, asked again
    retry_codes: frozenset[int] = frozenset()
    backoff_base: float = 0.0  # seconds before the first retry, doubling (RetryBackoffMiddleware's)
    backoff_max: float = 0.0
    retry_after_max: float = 300.0

    @classmethod
    def from_settings(cls, settings) -> "FetchConfig":
        return cls(
            user_agent=crawl_user_agent(settings),
            obey_robots=settings.getbool("ROBOTSTXT_OBEY", True),
            delay=settings.getfloat("DOWNLOAD_DELAY", 1.0),
            timeout=settings.getfloat("DOWNLOAD_TIMEOUT", 30.0),
            max_size=settings.getint("DOWNLOAD_MAXSIZE", 8 * 1024 * 1024) or 8 * 1024 * 1024,
            max_redirects=settings.getint("REDIRECT_MAX_TIMES", 5),
            retry_times=settings.getint("RETRY_TIMES", 2) if settings.getbool("RETRY_ENABLED", True) else 0,
            retry_codes=frozenset(int(code) for code in settings.getlist("RETRY_HTTP_CODES")),
            backoff_base=settings.getfloat("RETRY_BACKOFF_BASE", 0.0),
            backoff_max=settings.getfloat("RETRY_BACKOFF_MAX", 60.0),
            retry_after_max=settings.getfloat("RETRY_AFTER_MAX", 300.0),
        )


@dataclass
class Page:
    """A fetched page: where it ended up (after redirects on the portal), its status, type and bytes."""

    url: str
    status: int
    content_type: str
    body: bytes
    location: str = ""  # where a redirect points
    retry_after: float | None = None  # seconds a 429 or 503 asked to wait

    @property
    def is_html(self) -> bool:
        kind = self.content_type.split(";", 1)[0].strip().lower()
        if kind:
            return kind in ("text/html", "application/xhtml+xml")
        return b"<html" in self.body[:2048].lower()  # VSB servers sometimes send no type at all

    @cached_property
    def text(self) -> str:
        return decode_html(self.body, self.content_type or None)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects come back as answers, so each hop is checked against the portal and robots.txt
    (before urllib parses the Location, which may be no URL at all)."""

    def _as_answer(self, req, fp, code, msg, headers):
        return None

    http_error_301 = http_error_302 = http_error_303 = http_error_307 = http_error_308 = _as_answer


class _Deadline:
    """Shuts the sockets of one download when DOWNLOAD_TIMEOUT has passed since it began: the
    socket's own timeout bounds each read, and a portal sending a byte now and then never
    lets a read time out (Scrapy's DOWNLOAD_TIMEOUT, too, is for the whole download)."""

    def __init__(self, seconds: float):
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._timers: list[threading.Timer] = []

    def watch(self, sock) -> None:
        timer = threading.Timer(max(0.0, self.ends - time.monotonic()), self._expire, (sock,))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _expire(self, sock) -> None:
        self.expired = True
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes the read blocked on it
        except OSError:
            pass

    def cancel(self) -> None:
        for timer in self._timers:
            timer.cancel()


def _watched(connection_class, deadline: _Deadline):
    class Watched(connection_class):
        def connect(self):
            super().connect()
            deadline.watch(self.sock)

    return Watched


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req):
        return self.do_open(_watched(http.client.HTTPConnection, self.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline, context: ssl.SSLContext):
        super().__init__(context=context)
        self.deadline = deadline

    def https_open(self, req):
        return self.do_open(_watched(http.client.HTTPSConnection, self.deadline), req, context=self._context)


class Fetcher:
    """GETs pages of the portal at ``base_url`` one at a time, ``delay`` seconds apart, and
    remembers every URL it asked for (``requested``)."""

    def __init__(self, base_url: str, config: FetchConfig):
        self.base_url = base_url
        self.config = config
        self.requested: list[str] = []
        self._robots: Protego | None = None
        self._last: float | None = None
        # Scrapy does not verify certificates either: many university portals' are broken,
        # and discovery should see what the crawl will see.
        self._context = ssl.create_default_context()
        self._context.check_hostname = False
        self._context.verify_mode = ssl.CERT_NONE

    def get(self, url: str) -> Page:
        """The page at ``url``, following redirects that stay on the portal; any HTTP status
        is an answer. Raises FetchError for what may not or could not be fetched."""
        for _ in range(self.config.max_redirects + 1):
            if not in_scope(url, self.base_url):
                raise FetchError(f"{url} is off the portal ({self.base_url})")
            if not self.allowed(url):
                raise FetchError(f"robots.txt of {self.base_url} disallows {url}")
            page = self._retried(url)
            if page.status not in _REDIRECTS or not page.location:
                return page
            try:
                url = urljoin(url, page.location.strip())
            except ValueError:
                raise FetchError(f"{url} redirects to {page.location[:200]!r}, which is off the portal "
                                 "(no URL can be made of it)") from None
        raise FetchError(f"{url}: more than {self.config.max_redirects} redirects")

    def _retried(self, url: str) -> Page:
        """``_request``, asked again after a network error or an answer in RETRY_HTTP_CODES, up
        to RETRY_TIMES times, as the crawl's RetryMiddleware and RetryBackoffMiddleware do:
        one 503 of a busy portal must not end a `crawl --url` run."""
        for attempt in range(1, self.config.retry_times + 2):
            last = attempt > self.config.retry_times
            try:
                page = self._request(url)
            except FetchError as exc:
                if last or not exc.transient:
                    raise
                self._back_off(attempt, None)
                continue
            if last or page.status not in self.config.retry_codes:
                return page
            self._back_off(attempt, page.retry_after)
        raise AssertionError("unreachable")

    def _back_off(self, attempt: int, retry_after: float | None) -> None:
        """Politeness before a retry, not synchronisation: the backoff, or what Retry-After asks."""
        wait = min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempt - 1)) if self.config.backoff_base > 0 else 0.0
        wait = max(wait, min(retry_after or 0.0, self.config.retry_after_max))
        if wait > 0:
            time.sleep(wait)

    def allowed(self, url: str) -> bool:
        if not self.config.obey_robots:
            return True
        if self._robots is None:
            robots_url = urljoin(self.base_url + "/", "/robots.txt")
            try:
                page = self._request(robots_url)
            except FetchError:
                page = None  # as Scrapy does: a robots.txt that cannot be had forbids nothing
            text = page.body.decode("utf-8", "replace") if page is not None and page.status == 200 else ""
            self._robots = Protego.parse(text)
        return self._robots.can_fetch(url, self.config.user_agent)

    def _request(self, url: str) -> Page:
        self._wait()
        self.requested.append(url)
        deadline = _Deadline(self.config.timeout)
        opener = urllib.request.build_opener(_NoRedirects, _HTTPHandler(deadline), _HTTPSHandler(deadline, self._context))
        # Sent as a browser (and Scrapy) sends it: percent-encoded, whatever the link held.
        request = urllib.request.Request(safe_url_string(url), headers={
            "User-Agent": self.config.user_agent, "Accept-Encoding": "identity",
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"})
        try:
            try:
                answer = opener.open(request, timeout=self.config.timeout)
            except urllib.error.HTTPError as exc:  # 3xx, 4xx, 5xx: answers all the same
                answer = exc
            with answer:
                body = self._read(url, answer, deadline)
                status, headers = answer.status, answer.headers
        except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError is an OSError
            if deadline.expired:
                raise _timed_out(url, self.config.timeout) from exc
            if isinstance(exc, urllib.error.URLError):
                raise FetchError(f"cannot reach {url}: {_reason(exc.reason)}", transient=True) from exc
            # ValueError: a URL http.client refuses (control characters); asking again will not help.
            raise FetchError(f"cannot read {url}: {_reason(exc)}", transient=not isinstance(exc, ValueError)) from exc
        finally:
            deadline.cancel()
            self._last = time.monotonic()
        if deadline.expired:  # the shut socket read as the end of a body with no length
            raise _timed_out(url, self.config.timeout)
        body = self._decoded(url, body, headers.get("Content-Encoding", "") or "")
        return Page(url, status, headers.get("Content-Type", "") or "", body, headers.get("Location", "") or "",
                    retry_after_seconds((headers.get("Retry-After") or "").encode("latin-1", "replace")))

    def _read(self, url: str, answer, deadline: _Deadline) -> bytes:
        """The body, read as it comes (read1: a read returns what arrived, so the deadline is
        noticed), at most DOWNLOAD_MAXSIZE + 1 bytes."""
        chunks, size = [], 0
        while size <= self.config.max_size:
            chunk = answer.read1(min(65536, self.config.max_size + 1 - size)) if hasattr(answer, "read1") else answer.read(
                self.config.max_size + 1 - size)
            if not chunk or deadline.expired:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > self.config.max_size:
            raise FetchError(f"{url} is larger than DOWNLOAD_MAXSIZE ({self.config.max_size} bytes)")
        return b"".join(chunks)

    def _decoded(self, url: str, body: bytes, encoding: str) -> bytes:
        """``body`` as the page it encodes: a portal may gzip it though identity was asked for
        (Scrapy reads those, so discovery must), and it may be a bomb, so the decompressed
        page is held to DOWNLOAD_MAXSIZE as it is made, never whole."""
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            return body
        if encoding not in ("gzip", "x-gzip", "deflate"):
            raise FetchError(f"{url} is encoded as {encoding[:40]!r}, which discovery does not read")
        # wbits 47: gzip or zlib by the header; raw deflate (what some servers call deflate) below.
        for wbits in (47, -15):
            inflater = zlib.decompressobj(wbits)
            try:
                page = inflater.decompress(body, self.config.max_size + 1)
            except zlib.error:
                continue
            if len(page) > self.config.max_size:
                raise FetchError(f"{url} is larger than DOWNLOAD_MAXSIZE ({self.config.max_size} bytes) decompressed")
            return page
        raise FetchError(f"{url}: its {encoding} body does not decompress")

    def _wait(self) -> None:
        """DOWNLOAD_DELAY between two requests, as a crawl keeps it (politeness, not synchronisation)."""
        if self._last is not None and self.config.delay > 0:
            pause = self._last + self.config.delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)


def _timed_out(url: str, seconds: float) -> FetchError:
    return FetchError(f"cannot read {url}: timed out (DOWNLOAD_TIMEOUT, {seconds:g} s)", transient=True)


def _reason(error) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(error, socket.gaierror):
        return "host name not found"
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def origin(url: str) -> str:
    """scheme://host[:port] of ``url``: where a portal's paths start."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
