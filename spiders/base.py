"""The shared portal spider: columns -> list pages -> articles -> related articles."""
from __future__ import annotations

import json
import re
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from newscrawl.extract import ExtractionError, extract, extract_listing
from newscrawl.extract.page import decode_html, looks_misdecoded
from newscrawl.items import Article, PageFailure
from newscrawl.plan import CrawlPlan
from newscrawl.profile import Column, Portal
from newscrawl.urls import canonical_url, is_article_url

_RELATED_CALL = re.compile(r"_showRelated\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*\)")


class PortalSpider(scrapy.Spider):
    """Crawls a portal's columns page by page, their articles, and each article's related ones.

    Subclasses declare only ``name`` and ``portal``. Arguments (``-a``): ``base_url`` to
    crawl a replica or mirror; ``columns`` (comma-separated slugs); ``max_pages`` per
    column; ``since``/``until`` (YYYY-MM-DD) and ``full=1`` for backfills;
    ``refresh_days=N`` to re-visit archived articles of the last N days. See
    `newscrawl.plan` for how a run decides what to visit.
    """

    portal: ClassVar[Portal]
    archive = None  # set by the archive pipeline when the spider opens: what is already held

    @classmethod
    def update_settings(cls, settings):
        """The User-Agent names the user's contact; a portal's own limits become a download
        slot for its host (Scrapy's DOWNLOAD_SLOTS)."""
        super().update_settings(settings)
        template = settings.get("USER_AGENT_TEMPLATE")
        if template and settings.getpriority("USER_AGENT") <= settings.getpriority("USER_AGENT_TEMPLATE"):
            settings.set("USER_AGENT", template.format(contact=settings.get("NEWSCRAWL_CONTACT")), priority="spider")
        portal = getattr(cls, "portal", None)
        if portal is None or (portal.concurrency is None and portal.delay is None):
            return
        slot = {k: v for k, v in (("concurrency", portal.concurrency), ("delay", portal.delay)) if v is not None}
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        slots[portal.host] = slots.get(portal.host, {}) | slot
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    def __init__(self, base_url: str | None = None, **kwargs):
        plan_args = {k: kwargs.pop(k) for k in ("columns", "max_pages", "since", "until", "full", "refresh_days") if k in kwargs}
        super().__init__(**kwargs)
        self.arguments = {k: v for k, v in dict(base_url=base_url, **plan_args).items() if v}
        self.plan = CrawlPlan.from_arguments(**plan_args)
        portal = type(self).portal
        self.portal = portal.with_base_url(base_url) if base_url else portal
        self.columns = self._select_columns(self.plan.columns)
        self.allowed_domains = [self.portal.host]
        self.scheme = urlsplit(self.portal.base_url).scheme
        self.requested: set[str] = set()  # canonical article URLs asked for in this run

    def _select_columns(self, slugs: tuple[str, ...]) -> tuple[Column, ...]:
        if not slugs:
            return self.portal.columns
        known = {c.slug: c for c in self.portal.columns}
        unknown = [s for s in slugs if s not in known]
        if unknown:
            raise ValueError(f"unknown column(s) {', '.join(unknown)}; {self.name} has: {', '.join(known)}")
        return tuple(known[s] for s in slugs)

    def is_archived(self, url: str) -> bool:
        return self.archive is not None and self.archive.is_archived(url)

    async def start(self):
        # Last run's failures first: a failure is retried until it is resolved.
        if self.archive is not None:
            for url in self.archive.unresolved_failures(self.portal.name):
                if is_article_url(url, self.portal.article_pattern):
                    for request in self.article_request(url, force=True):
                        yield request
            since = self.plan.refresh_since()
            for url in self.archive.urls_published_since(self.portal.name, since) if since else ():
                for request in self.article_request(url, force=True):
                    yield request
        for column in self.columns:
            yield scrapy.Request(
                self.portal.url(column.path),
                callback=self.parse_list,
                errback=self.on_error,
                cb_kwargs={"column": column, "page": 1},
                dont_filter=True,  # see article_request
            )

    def parse_list(self, response, column: Column, page: int):
        listing = extract_listing(response.body, response.url, self.portal)
        if not listing.articles:
            yield PageFailure(response.url, self.portal.name, "extraction", "list page without article links")
            return
        new = 0
        for listed in listing.articles:
            if not self.plan.wants(listed.published_at):
                continue
            canonical = canonical_url(listed.url, scheme=self.scheme)
            # New means not archived before this run: an article this run already fetched
            # (through a related link, say) is new too, and so may the pages behind it be.
            if canonical in self.requested or not self.is_archived(canonical):
                new += 1
            yield from self.article_request(listed.url, column.name)
        dated = [a.published_at for a in listing.articles if a.published_at]
        if not listing.next_page:
            return
        if self.plan.max_pages is not None and page >= self.plan.max_pages:
            return
        if self.plan.past_range(dated):
            return
        if not new and not self.plan.walks_everything:
            # Incremental: this page held nothing new, so the older pages behind it hold nothing new.
            self.logger.debug("column %s: nothing new on page %d, stopping", column.slug, page)
            return
        yield response.follow(
            listing.next_page,
            callback=self.parse_list,
            errback=self.on_error,
            cb_kwargs={"column": column, "page": page + 1},
            dont_filter=True,
        )

    def article_request(self, url: str, column: str = "", *, force: bool = False):
        """A request for the article at ``url`` unless this run already asked for it or the
        archive holds it (``force``: re-visit anyway, for refreshes and retries)."""
        canonical = canonical_url(url, scheme=self.scheme)
        if canonical in self.requested or urlsplit(canonical).hostname != self.portal.host:
            return
        if not force and self.is_archived(canonical):
            return  # not marked as requested: a refresh may still ask for it later in the run
        self.requested.add(canonical)
        # dont_filter: the archive and `requested` are the record of what was fetched. Scrapy's
        # seen-set would also end redirect loops silently, and after a SIGKILL it remembers
        # requests whose queue was lost, so a resumed backfill would skip them for good.
        yield scrapy.Request(
            canonical, callback=self.parse_article, errback=self.on_error, cb_kwargs={"column": column}, dont_filter=True
        )

    def parse_article(self, response, column: str):
        text = decode_html(response.body)
        problem = _damaged(response.body, text)
        if problem:
            retry = get_retry_request(response.request, spider=self, reason=problem)
            yield retry or PageFailure(response.url, self.portal.name, problem.split()[0], f"{problem} after retries")
            return
        try:
            article = extract(text, response.url, self.portal, column=column)
        except ExtractionError as exc:
            yield PageFailure(response.url, self.portal.name, "extraction", str(exc))
            return
        if not self.plan.wants(article.published_at):
            return  # a related link led out of the backfill's date range: neither keep nor follow it
        article.raw_html = response.body
        article.http_status = response.status
        article.http_headers = {k.decode(): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        related = self.related_request(response, article)
        if related is None:
            yield article
        else:
            yield related

    def related_request(self, response, article: Article):
        """The request for the JavaScript-filled 相关文章 box, if the portal has one."""
        endpoint = self.portal.related_endpoint
        call = _RELATED_CALL.search(response.text) if endpoint else None
        if not call:
            return None
        url = self.portal.url(endpoint.format(owner=call.group(1), newsid=call.group(2)))
        return scrapy.Request(
            url,
            callback=self.parse_related,
            errback=self.on_related_error,
            cb_kwargs={"article": article},
            dont_filter=True,
        )

    def parse_related(self, response, article: Article):
        try:
            entries = json.loads(response.text)
            urls = [urljoin(response.url, e["url"]) for e in entries]
        except (ValueError, KeyError, TypeError) as exc:
            self.logger.warning("related articles of %s unreadable: %s", article.url, exc)
            urls = []
        article.related = [canonical_url(u, scheme=self.scheme) for u in urls]
        yield article
        for url in urls:
            yield from self.article_request(url)

    def on_related_error(self, failure):
        # The related box is a nicety: the article itself is still stored.
        self.logger.warning("related articles unavailable: %s", failure.value)
        yield failure.request.cb_kwargs["article"]

    def on_error(self, failure):
        """Record a page the portal would not give us (after retries) as a failure."""
        request = failure.request
        if failure.check(HttpError):
            kind, reason = "http", f"HTTP {failure.value.response.status}"
        elif failure.check(IgnoreRequest) and "redirect" in str(failure.value).lower():
            kind, reason = "redirect", str(failure.value)
        else:
            kind, reason = "network", f"{type(failure.value).__name__}: {failure.value}"
        # The URL we asked for, not where its redirects ended.
        url = request.meta.get("redirect_urls", [request.url])[0]
        yield PageFailure(url, self.portal.name, kind, reason)


def _damaged(body: bytes, text: str) -> str | None:
    """Why a fetched page cannot be trusted, if it cannot: cut off, or decoded wrongly."""
    if b"</html>" not in body[-4096:].lower():
        return "truncated page (no </html>)"
    if looks_misdecoded(text):
        return "encoding garbled (replacement characters after decoding)"
    return None
