"""Item pipeline of `crawl --assets`: fetch each article's images and attachments into the archive.

Why a pipeline of our own over Scrapy's FilesPipeline: FilesPipeline stores files under a
hash of their URL in a file store, keeps an MD5, fills an item field after the item is
done, and takes any response as a file. The archive wants the content once by sha256 in
SQLite, written in the article's own transaction; a check that an "image" is one (a portal's
"not found" page served as image.jpg is not stored); and a failure recorded as data the
next run retries. What FilesPipeline brings for politeness comes from the downloader
itself, which this uses too (``engine.download_async``: the same DOWNLOAD_DELAY and
AutoThrottle slot, robots.txt, User-Agent, retries and PortalScopeMiddleware as pages).

Settings: ``ASSETS_ENABLED`` (``crawl --assets``), ``ASSETS_MAXSIZE`` (bytes; default
DOWNLOAD_MAXSIZE, 8 MiB: a larger file is not stored and is a failure).
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from twisted.python.failure import Failure

from archive.assets import Asset
from newscrawl.failures import download_failure
from newscrawl.items import Article, PageFailure
from newscrawl.signals import page_failed
from newscrawl.storage import CrawlStorage

logger = logging.getLogger(__name__)

# The first bytes of the formats a news page shows, and the type they are stored as:
# what the bytes are, not what the portal's Content-Type says they are.
_MAGIC = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),  # after RIFF and a length
    (b"ftypavif", 4, "image/avif"),
    (b"BM", 0, "image/bmp"),
    (b"\x00\x00\x01\x00", 0, "image/x-icon"),
    (b"%PDF-", 0, "application/pdf"),
)
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<meta", b"<title")


class NotStored(Exception):
    """Why a fetched asset is not kept (a failure of kind ``asset`` of its article)."""


@dataclass(frozen=True)
class AssetsConfig:
    maxsize: int

    @classmethod
    def from_settings(cls, settings) -> "AssetsConfig":
        return cls(maxsize=settings.getint("ASSETS_MAXSIZE", settings.getint("DOWNLOAD_MAXSIZE", 8 * 1024 * 1024)))


def sniffed_type(body: bytes) -> str | None:
    """The type ``body`` is by its first bytes: an image or PDF format, ``text/html``, or None."""
    for magic, offset, kind in _MAGIC:
        if body[offset:offset + len(magic)] == magic:
            return kind
    start = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(_HTML_STARTS) or b"<html" in start:
        return "text/html"
    if start.startswith((b"<svg", b"<?xml")) and b"<svg" in start:
        return "image/svg+xml"
    return None


def stored_type(role: str, body: bytes, declared: str) -> str:
    """The content type ``body`` is kept as for ``role``, or `NotStored` when it is not what it
    claims: an image must be one by its bytes; an attachment may be any file but a web page."""
    sniffed = sniffed_type(body)
    if role == "image":
        if sniffed and sniffed.startswith("image/"):
            return sniffed
        raise NotStored(f"not an image ({sniffed or declared or 'unknown type'})")
    if sniffed == "text/html" or declared == "text/html":
        raise NotStored("a web page, not a file (text/html)")
    return sniffed or declared or "application/octet-stream"


def wanted_assets(article: Article) -> list[tuple[str, str]]:
    """(url, role) of the article's images and attachments, each URL once, in page order."""
    wanted: dict[str, str] = {}
    for image in article.images:
        wanted.setdefault(image.url, "image")
    for attachment in article.attachments:
        wanted.setdefault(attachment.url, "attachment")
    return [(url, role) for url, role in wanted.items() if url]


class AssetPipeline:
    """Puts on each article (``Article.assets``) its images and attachments: fetched through
    Scrapy's downloader, or found already stored (by URL); the archive then stores them in
    the article's own transaction, each content once (sha256).

    Scope as for pages (`Portal.in_scope`): an asset on another host, port or scheme,
    a CDN subdomain included, is skipped (counted, not fetched, not a failure) unless the
    profile names that host in ``extra_hosts``; robots.txt may forbid one (skipped too). An
    asset that fails (HTTP error, network, larger than ASSETS_MAXSIZE, not the file it claims
    to be) leaves its article archived, with a failure of kind ``asset`` under the article's
    URL: the next run fetches the article again and with it what is missing.
    """

    def __init__(self, crawler, storage: CrawlStorage, config: AssetsConfig):
        self.crawler = crawler
        self.storage = storage
        self.config = config
        self.stats = crawler.stats
        # Downloads by URL, kept until the article that started one is archived (then the
        # archive knows the URL): two articles showing one picture fetch it once.
        self._fetching: dict[str, asyncio.Future] = {}
        self._started: dict[int, list[str]] = {}  # id(article) -> the URLs it started fetching
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self._article_done, signal=signal)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ASSETS_ENABLED"):
            raise NotConfigured
        storage = crawler.get_extension(CrawlStorage)
        if storage is None:
            raise NotConfigured  # nowhere to keep them (not a crawl)
        return cls(crawler, storage, AssetsConfig.from_settings(crawler.settings))

    async def process_item(self, item):
        if not isinstance(item, Article):
            return item
        portal = getattr(self.crawler.spider, "portal", None)  # no portal, no scope: nothing is fetched
        wanted = []
        for url, role in wanted_assets(item):
            if portal is not None and portal.in_scope(url):
                wanted.append((url, role))
            else:
                self.stats.inc_value("newscrawl/assets/offsite")
                logger.debug("asset not fetched, not on the portal: %s", url)
        known = self.storage.stored_assets([url for url, _ in wanted]) if wanted else {}
        outcomes = await asyncio.gather(*(self._asset(url, role, known.get(url), item) for url, role in wanted))
        problems = []
        for (url, role), outcome in zip(wanted, outcomes):
            if isinstance(outcome, Asset):
                item.assets.append(outcome)
            elif outcome is not None:
                problems.append(f"{role} {url}: {outcome}")
        if problems:
            self.stats.inc_value("newscrawl/assets/failed", len(problems))
            reason = f"{len(problems)} of {len(wanted)} assets not stored: " + "; ".join(problems)
            self.crawler.signals.send_catch_log(
                signal=page_failed, failure=PageFailure(item.url, item.portal, "asset", reason[:500]))
        return item

    async def _asset(self, url: str, role: str, stored: Asset | None, article: Article) -> Asset | str | None:
        """The asset at ``url``, or why it is not stored (a string), or None when skipped."""
        if stored is not None:
            self.stats.inc_value("newscrawl/assets/known")
            return replace(stored, role=role)
        fetching = self._fetching.get(url)
        if fetching is None:
            fetching = self._fetching[url] = asyncio.ensure_future(self._fetch(url, role, article))
            self._started.setdefault(id(article), []).append(url)
        outcome = await asyncio.shield(fetching)
        return replace(outcome, role=role) if isinstance(outcome, Asset) else outcome

    def _article_done(self, item, **kwargs):
        """An article left the pipelines (archived, or not): the downloads it started are let go."""
        for url in self._started.pop(id(item), ()):
            self._fetching.pop(url, None)

    async def _fetch(self, url: str, role: str, article: Article) -> Asset | str | None:
        request = Request(url, headers={"Referer": article.url}, meta={"download_maxsize": self.config.maxsize})
        try:
            response = await self.crawler.engine.download_async(request)
        except IgnoreRequest as exc:
            if "robots.txt" in str(exc):
                self.stats.inc_value("newscrawl/assets/robots")
                return None
            return download_failure(Failure(exc))[1]
        except Exception as exc:  # network, timeouts, too large: as a page's failure reads
            return download_failure(Failure(exc))[1]
        if response.status != 200:
            return f"HTTP {response.status}"
        declared = (response.headers.get(b"Content-Type") or b"").decode("latin-1").split(";")[0].strip().lower()
        try:
            content_type = stored_type(role, response.body, declared)
        except NotStored as exc:
            return str(exc)
        body = response.body
        self.stats.inc_value("newscrawl/assets/fetched")
        self.stats.inc_value("newscrawl/assets/bytes", len(body))
        return Asset(url=url, role=role, sha256=hashlib.sha256(body).hexdigest(), content_type=content_type,
                     size=len(body), fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     content=body)
