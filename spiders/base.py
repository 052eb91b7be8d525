"""The shared portal spider: columns -> list pages -> articles -> related articles."""
from __future__ import annotations

import json
import re
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError

from newscrawl.extract import ExtractionError, extract, extract_listing
from newscrawl.items import Article, PageFailure
from newscrawl.profile import Column, Portal
from newscrawl.urls import canonical_url

_RELATED_CALL = re.compile(r"_showRelated\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*\)")


class PortalSpider(scrapy.Spider):
    """Crawls every page of a portal's columns and the related articles of each article.

    Subclasses declare only ``name`` and ``portal``. Arguments (``-a``): ``base_url`` to
    crawl a replica or mirror, ``columns`` (comma-separated slugs) to crawl some columns
    only, ``max_pages`` to stop each column's pagination early.
    """

    portal: ClassVar[Portal]

    def __init__(self, base_url: str | None = None, columns: str | None = None, max_pages: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.arguments = {k: v for k, v in dict(base_url=base_url, columns=columns, max_pages=max_pages).items() if v}
        portal = type(self).portal
        self.portal = portal.with_base_url(base_url) if base_url else portal
        self.columns = self._select_columns(columns)
        self.max_pages = int(max_pages) if max_pages else None
        self.allowed_domains = [self.portal.host]
        self.scheme = urlsplit(self.portal.base_url).scheme
        self.requested: set[str] = set()  # canonical article URLs asked for in this run

    def _select_columns(self, wanted: str | None) -> tuple[Column, ...]:
        if not wanted:
            return self.portal.columns
        slugs = [s.strip() for s in wanted.split(",") if s.strip()]
        known = {c.slug: c for c in self.portal.columns}
        unknown = [s for s in slugs if s not in known]
        if unknown:
            raise ValueError(f"unknown column(s) {', '.join(unknown)}; {self.name} has: {', '.join(known)}")
        return tuple(known[s] for s in slugs)

    async def start(self):
        for column in self.columns:
            yield scrapy.Request(
                self.portal.url(column.path),
                callback=self.parse_list,
                errback=self.on_error,
                cb_kwargs={"column": column, "page": 1},
            )

    def parse_list(self, response, column: Column, page: int):
        listing = extract_listing(response.body, response.url, self.portal)
        if not listing.articles:
            yield PageFailure(response.url, self.portal.name, "extraction", "list page without article links")
        for listed in listing.articles:
            yield from self.article_request(listed.url, column.name)
        if listing.next_page and (self.max_pages is None or page < self.max_pages):
            yield response.follow(
                listing.next_page,
                callback=self.parse_list,
                errback=self.on_error,
                cb_kwargs={"column": column, "page": page + 1},
            )

    def article_request(self, url: str, column: str = ""):
        """A request for the article at ``url`` unless this run already asked for it."""
        canonical = canonical_url(url, scheme=self.scheme)
        if canonical in self.requested or urlsplit(canonical).hostname != self.portal.host:
            return
        self.requested.add(canonical)
        yield scrapy.Request(
            canonical, callback=self.parse_article, errback=self.on_error, cb_kwargs={"column": column}
        )

    def parse_article(self, response, column: str):
        try:
            article = extract(response.body, response.url, self.portal, column=column)
        except ExtractionError as exc:
            yield PageFailure(response.url, self.portal.name, "extraction", str(exc))
            return
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
        elif failure.check(DNSLookupError, TimeoutError, TCPTimedOutError):
            kind, reason = "network", f"{type(failure.value).__name__}: {failure.value}"
        else:
            kind, reason = "network", f"{type(failure.value).__name__}: {failure.value}"
        yield PageFailure(request.url, self.portal.name, kind, reason)
