"""Fetching the few pages discovery reads, as politely as a crawl: robots.txt, our User-Agent, the portal's host only.

Discovery asks for a handful of pages (the home page, a list page and an article per
column) before any crawl starts, and `crawl --url` needs its answer to build the spider
Scrapy then runs; so these are plain blocking requests, made under the crawl's own
settings (USER_AGENT, ROBOTSTXT_OBEY, DOWNLOAD_DELAY, DOWNLOAD_TIMEOUT, DOWNLOAD_MAXSIZE,
REDIRECT_MAX_TIMES) and the crawl's scope rule (`newscrawl.urls.in_scope`).
"""
from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urljoin, urlsplit

from protego import Protego

from newscrawl.extract.page import decode_html
from newscrawl.urls import in_scope
from spiders.base import crawl_user_agent  # discovery says who it is as the crawl will

_REDIRECTS = (301, 302, 303, 307, 308)


class FetchError(Exception):
    """A page discovery could not have, in one line (off the portal, disallowed, unreachable)."""


@dataclass(frozen=True)
class FetchConfig:
    """The crawl settings discovery's requests obey, read once."""

    user_agent: str
    obey_robots: bool = True
    delay: float = 1.0
    timeout: float = 30.0
    max_size: int = 8 * 1024 * 1024
    max_redirects: int = 5

    @classmethod
    def from_settings(cls, settings) -> "FetchConfig":
        return cls(
            user_agent=crawl_user_agent(settings),
            obey_robots=settings.getbool("ROBOTSTXT_OBEY", True),
            delay=settings.getfloat("DOWNLOAD_DELAY", 1.0),
            timeout=settings.getfloat("DOWNLOAD_TIMEOUT", 30.0),
            max_size=settings.getint("DOWNLOAD_MAXSIZE", 8 * 1024 * 1024) or 8 * 1024 * 1024,
            max_redirects=settings.getint("REDIRECT_MAX_TIMES", 5),
        )


@dataclass
class Page:
    """A fetched page: where it ended up (after redirects on the portal), its status, type and bytes."""

    url: str
    status: int
    content_type: str
    body: bytes
    location: str = ""  # where a redirect points

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
    """Redirects come back as answers, so each hop is checked against the portal and robots.txt."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


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
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self._opener = urllib.request.build_opener(_NoRedirects, urllib.request.HTTPSHandler(context=context))

    def get(self, url: str) -> Page:
        """The page at ``url``, following redirects that stay on the portal; any HTTP status
        is an answer. Raises FetchError for what may not or could not be fetched."""
        for _ in range(self.config.max_redirects + 1):
            if not in_scope(url, self.base_url):
                raise FetchError(f"{url} is off the portal ({self.base_url})")
            if not self.allowed(url):
                raise FetchError(f"robots.txt of {self.base_url} disallows {url}")
            page = self._request(url)
            if page.status not in _REDIRECTS or not page.location:
                return page
            url = urljoin(url, page.location)
        raise FetchError(f"{url}: more than {self.config.max_redirects} redirects")

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
        request = urllib.request.Request(url, headers={"User-Agent": self.config.user_agent, "Accept-Encoding": "identity",
                                                       "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"})
        try:
            try:
                answer = self._opener.open(request, timeout=self.config.timeout)
            except urllib.error.HTTPError as exc:  # 3xx, 4xx, 5xx: answers all the same
                answer = exc
            with answer:
                body = answer.read(self.config.max_size + 1)
                status, headers = answer.status, answer.headers
        except urllib.error.URLError as exc:
            raise FetchError(f"cannot reach {url}: {_reason(exc.reason)}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"cannot read {url}: {_reason(exc)}") from exc
        finally:
            self._last = time.monotonic()
        if len(body) > self.config.max_size:
            raise FetchError(f"{url} is larger than DOWNLOAD_MAXSIZE ({self.config.max_size} bytes)")
        return Page(url, status, headers.get("Content-Type", "") or "", body, headers.get("Location", "") or "")

    def _wait(self) -> None:
        """DOWNLOAD_DELAY between two requests, as a crawl keeps it (politeness, not synchronisation)."""
        if self._last is not None and self.config.delay > 0:
            pause = self._last + self.config.delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)


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
