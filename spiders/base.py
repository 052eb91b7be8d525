"""The shared portal spider: columns -> list pages -> articles -> related articles."""
from __future__ import annotations

import functools
import re
from datetime import datetime, timezone
from typing import ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request

from archive.store import content_hash
from newscrawl.extract import ExtractionError, extract, extract_listing
from newscrawl.extract.page import decode_html
from newscrawl.extract.related import related_links
from newscrawl.failures import damaged, download_failure
from newscrawl.items import Article, PageFailure
from newscrawl.plan import CrawlPlan
from newscrawl.profile import Column, Portal
from newscrawl.signals import page_failed
from newscrawl.storage import CrawlStorage
from newscrawl.urls import canonical_url, is_article_url
from newscrawl.viewcounts.config import BROWSER_MODES

_PLAYWRIGHT_HANDLERS = {scheme: "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler" for scheme in ("http", "https")}
_RELATED_CALL = re.compile(r"_showRelated\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*\)")


class PortalSpider(scrapy.Spider):
    """Crawls a portal's columns page by page, their articles, and each article's related ones.

    Subclasses declare only ``name`` and ``portal``. Arguments (``-a``): ``base_url`` to
    crawl a replica or mirror; ``columns`` (comma-separated slugs or names); ``max_pages``
    per column; ``since``/``until`` (YYYY, YYYY-MM or YYYY-MM-DD) and ``full=1`` for
    backfills; ``refresh_days=N`` to re-visit archived articles of the last N days;
    ``related=all|same-column|0``. See `newscrawl.plan` for how a run decides what to visit.
    """

    portal: ClassVar[Portal]

    @classmethod
    def update_settings(cls, settings):
        """The User-Agent names the user's contact; a crawl that reads view counts in a
        browser gets scrapy-playwright's download handler; a portal's own limits become a
        download slot for its host (Scrapy's DOWNLOAD_SLOTS)."""
        super().update_settings(settings)
        settings.set("USER_AGENT", crawl_user_agent(settings), priority="spider")
        if settings.getbool("ARCHIVE_ENABLED") and str(settings.get("VIEW_COUNTS", "")).lower() in BROWSER_MODES:
            settings.set("DOWNLOAD_HANDLERS", {**settings.getdict("DOWNLOAD_HANDLERS"), **_PLAYWRIGHT_HANDLERS},
                         priority="spider")
        portal = getattr(cls, "portal", None)
        if portal is None or (portal.concurrency is None and portal.delay is None):
            return
        slot = {k: v for k, v in (("concurrency", portal.concurrency), ("delay", portal.delay)) if v is not None}
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        slots[portal.host] = slots.get(portal.host, {}) | slot
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    # The spider arguments (-a) that say which pages a run visits (newscrawl.plan.CrawlPlan).
    PLAN_ARGUMENTS = ("columns", "max_pages", "since", "until", "full", "refresh_days", "related")

    @classmethod
    def check_arguments(cls, base_url: str | None = None, **kwargs) -> None:
        """Raise ValueError (one line) for arguments the spider would refuse: `scrapy crawl`
        asks before the crawl starts, so a typo is a usage error, not a traceback mid-start."""
        plan = CrawlPlan.from_arguments(**{k: kwargs[k] for k in cls.PLAN_ARGUMENTS if k in kwargs})
        (cls.portal.with_base_url(base_url) if base_url else cls.portal).select_columns(plan.columns)

    def __init__(self, base_url: str | None = None, **kwargs):
        plan_args = {k: kwargs.pop(k) for k in self.PLAN_ARGUMENTS if k in kwargs}
        super().__init__(**kwargs)
        self.arguments = {k: v for k, v in dict(base_url=base_url, **plan_args).items() if v}
        self.plan = CrawlPlan.from_arguments(**plan_args)
        portal = type(self).portal
        self.portal = portal.with_base_url(base_url) if base_url else portal
        self.columns = self.portal.select_columns(self.plan.columns)
        self.allowed_domains = [self.portal.host]
        self.scheme = urlsplit(self.portal.base_url).scheme
        self.requested: set[str] = set()  # canonical article URLs asked for in this run
        self.walked: set[str] = set()  # list pages asked for in this run: a 下页 cycle ends
        self.column_folders: set[str] = set()  # where the crawled columns' articles live (/info/1002/)
        self.contents: set[str] = set()  # content hashes of the articles read in this run
        self.started_at = _now()
        self._warned: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_list_pages = crawler.settings.getint("MAX_LIST_PAGES", 1000)
        return spider

    @functools.cached_property
    def storage(self) -> CrawlStorage | None:
        """The archive of this crawl; None when the storage extension is off (then every
        run is a full crawl that remembers nothing). Asked for once the crawl has begun:
        Scrapy builds its extensions after the spider."""
        crawler = getattr(self, "crawler", None)
        return crawler.get_extension(CrawlStorage) if crawler is not None else None

    def is_archived(self, url: str) -> bool:
        storage = self.storage
        return storage is not None and storage.is_archived(url)

    def archived_before(self, url: str, stamp: str) -> bool:
        storage = self.storage
        return storage is not None and storage.archived_before(url, stamp)

    async def start(self):
        storage = self.storage
        if storage is not None:
            # Walks count what was archived from now on as new: "now" is after the storage
            # opened, which makes sure no earlier run archived anything in this second.
            self.started_at = _now()
            # What earlier runs discovered and did not finish, then last run's failures:
            # nothing discovered is ever forgotten.
            # (A limited run takes only what belongs to it; the rest waits for a full run.)
            wanted = {c.name for c in self.columns}
            for entry in storage.pending("article"):
                if self.plan.related == "all" or entry["column"] in wanted:
                    for request in self.article_request(entry["url"], entry["column"] or "", force=True):
                        yield request
            # A column walk an earlier run began and did not end goes on from where it was,
            # counting what was archived since it began as new (the pages before it were
            # walked, and what they listed is in the frontier).
            for entry in storage.pending("list"):
                column = next((c for c in self.columns if c.slug == entry["column"]), None)
                if column is not None:
                    since = entry["walk_started_at"] or self.started_at
                    yield self.list_request(entry["url"], column, entry["page"] or 1, since)
            for url in storage.unresolved_failures():
                if is_article_url(url, self.portal.article_pattern):
                    for request in self.article_request(url, force=True):
                        yield request
            since = self.plan.refresh_since()
            for url in storage.urls_published_since(since) if since else ():
                for request in self.article_request(url, force=True):
                    yield request
        for column in self.columns:
            yield self.list_request(self.portal.url(column.path), column, 1, self.started_at)

    def parse(self, response, **kwargs):
        """Scrapy's default callback (``scrapy parse``): an article page or a list page.

        @path column
        @returns requests 2
        @returns items 0 0
        """
        if is_article_url(response.url, self.portal.article_pattern):
            return self.parse_article(response, column="")
        column = next((c for c in self.columns if response.url.startswith(self.portal.url(c.path).removesuffix(".htm"))),
                      self.columns[0])
        return self.parse_list(response, column=column, page=1, since=self.started_at)

    def list_request(self, url: str, column: Column, page: int, since: str) -> scrapy.Request:
        """A list page of ``column``'s walk that began at ``since`` (ISO time)."""
        self.walked.add(_canonical(url, self.scheme))
        return scrapy.Request(
            url,
            callback=self.parse_list,
            errback=self.on_error,
            cb_kwargs={"column": column, "page": page, "since": since},
            dont_filter=True,  # see article_request
        )

    def parse_list(self, response, column: Column, page: int, since: str):
        listing = extract_listing(response.body, response.url, self.portal)
        self._count_bad_links(listing.skipped, response.url)
        if not listing.articles:
            self.failed(response.url, "extraction", "list page without article links")
            return
        new, requests = 0, []
        for listed in listing.articles:
            if not self.plan.wants(listed.published_at):
                continue
            canonical = _canonical(listed.url, self.scheme)
            self.column_folders.add(_folder(canonical))
            # New means not archived before this walk began: an article fetched since
            # (through a related link, in this run or a killed one) is new too, and so may
            # the pages behind it be.
            if not self.archived_before(canonical, since):
                new += 1
            requests.extend(self.article_request(listed.url, column.name))
        following = self._next_list_page(response, listing, column, page, since, new)
        # The articles and the next page are remembered before this page counts as done.
        entries = [{"url": r.url, "kind": "article", "column": column.name} for r in requests]
        if following is not None:
            entries.append({"url": following.url, "kind": "list", "column": column.slug, "page": page + 1,
                            "walk_started_at": since})
        self._discovered(entries, source=response.url, done=(self._asked(response),))  # as the frontier holds it
        yield from requests
        if following is not None:
            yield following

    def _next_list_page(self, response, listing, column: Column, page: int, since: str, walk_on) -> scrapy.Request | None:
        if not listing.next_page:
            return None
        if self.plan.max_pages is not None and page >= self.plan.max_pages:
            return None
        if page >= self.max_list_pages:
            self._warn_once(f"cap:{column.slug}", "column %s: stopped at list page %d (MAX_LIST_PAGES)", column.slug, page)
            self.crawler.stats.inc_value("newscrawl/list_pages/capped")
            return None
        if self.plan.past_range([a.published_at for a in listing.articles if a.published_at]):
            return None
        if not walk_on and not self.plan.walks_everything:
            # Incremental: this page held nothing new, so the older pages behind it hold nothing new.
            self.logger.debug("column %s: nothing new on page %d, stopping", column.slug, page)
            return None
        try:
            url = response.urljoin(listing.next_page)
        except ValueError:
            self._count_bad_links(1, response.url)
            return None
        if not self.portal.in_scope(url):
            self._count_offsite(url)
            return None
        if _canonical(url, self.scheme) in self.walked:
            # A 下页 cycle, or the page a resumed walk took up: either way, walked once.
            self.logger.info("column %s: %s leads to %s, already walked in this run", column.slug, response.url, url)
            self.crawler.stats.inc_value("newscrawl/list_pages/walked_twice")
            return None
        return self.list_request(url, column, page + 1, since)

    def article_request(self, url: str, column: str = "", *, force: bool = False):
        """A request for the article at ``url`` unless this run already asked for it, the
        archive holds it (``force``: re-visit anyway, for refreshes and retries) or it is
        not on the portal (dropped and counted)."""
        if not self.portal.in_scope(url):
            self._count_offsite(url)
            return
        canonical = _canonical(url, self.scheme)
        if canonical in self.requested:
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
        """An article page: its Article, once its related box is read (a request for it).

        @path article
        @cb_kwargs {"column": ""}
        @article
        """
        text = decode_html(response.body)
        problem = damaged(response.body, text)
        if problem:
            retry = get_retry_request(response.request, spider=self, reason=problem)
            if retry is not None:
                yield retry
            else:
                self.failed(self._asked(response), problem.split()[0], f"{problem} after retries")
            return
        try:
            article = extract(text, response.url, self.portal, column=column)
        except ExtractionError as exc:
            self.failed(self._asked(response), "extraction", str(exc))
            return
        if not self.plan.wants(article.published_at):
            return  # a related link led out of the backfill's date range: neither keep nor follow it
        article.fetched_at = _now()
        article.raw_html = response.body
        article.http_status = response.status
        article.http_headers = {k.decode(): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        article.requested_url = self._asked(response)
        # A copy of an article this run already read (posted in a second column) is stored
        # as another URL of it: asking for its box again costs a request. Whichever copy
        # reaches the archive first, the stored article keeps the box's links (Archive.save
        # merges a duplicate's related links).
        digest = content_hash(article.title, article.body_text)
        related = None if digest in self.contents else self.related_request(response, article, text)
        self.contents.add(digest)
        if related is None:
            yield article
        else:
            yield related

    def related_request(self, response, article: Article, text: str | None = None):
        """The request for the JavaScript-filled 相关文章 box, if the portal has one
        (``text``: the page as decoded already, so it is not decoded twice)."""
        endpoint = self.portal.related_endpoint
        call = _RELATED_CALL.search(response.text if text is None else text) if endpoint else None
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
        urls, skipped = related_links(response.text, response.url)
        self._count_bad_links(skipped, response.url)
        related = []
        for url in urls:
            try:
                related.append(_canonical(url, self.scheme))
            except ValueError:
                self._count_bad_links(1, response.url)
        article.related = related
        follow = [url for url in urls if self._follows_related(url)]
        requests = [r for url in follow for r in self.article_request(url)]
        # Related-only articles are remembered before the article naming them is archived:
        # a kill between the two cannot lose them. Those this run does not follow (related=0
        # or same-column) wait in the frontier for a run that does.
        asked = {r.url for r in requests}
        waiting = [u for u in related if u not in asked and u not in self.requested and self.portal.in_scope(u)
                   and is_article_url(u, self.portal.article_pattern) and not self.is_archived(u)]
        self._discovered([{"url": u, "kind": "article", "column": ""} for u in [*asked, *waiting]], source=article.url)
        yield article
        yield from requests

    def _follows_related(self, url: str) -> bool:
        """Does this run follow a related link to ``url`` (the ``related`` argument)?"""
        if self.plan.related == "all":
            return True
        return self.plan.related == "same-column" and _folder(url) in self.column_folders

    def on_related_error(self, failure):
        # The related box is a nicety: the article itself is still stored.
        self.logger.warning("related articles unavailable: %s", failure.value)
        yield failure.request.cb_kwargs["article"]

    def on_error(self, failure):
        """Record a page the portal would not give us (after retries) as a failure."""
        request = failure.request
        # The URL we asked for, not where its redirects ended.
        self.failed(request.meta.get("redirect_urls", [request.url])[0], *download_failure(failure))

    # -- bookkeeping ------------------------------------------------------------------------

    def failed(self, url: str, kind: str, reason: str) -> None:
        """Say that the page at ``url`` failed (the archive records it; see `newscrawl.signals`)."""
        self.logger.warning("failure (%s) %s: %s", kind, url, reason[:200])
        self.crawler.signals.send_catch_log(
            signal=page_failed, failure=PageFailure(url, self.portal.name, kind, reason[:500]))

    def _asked(self, response) -> str:
        return response.request.meta.get("redirect_urls", [response.request.url])[0]

    def _discovered(self, entries: list[dict], source: str, done: tuple[str, ...] = ()) -> None:
        storage = self.storage
        if storage is not None and (entries or done):
            storage.discovered(entries, source=source, done=done)

    def _count_offsite(self, url: str) -> None:
        self.crawler.stats.inc_value("newscrawl/links/offsite")
        self._warn_once("offsite", "links off the portal are not followed (first: %s); see stats newscrawl/links/offsite",
                        url[:200])

    def _count_bad_links(self, count: int, page: str) -> None:
        if count:
            self.crawler.stats.inc_value("newscrawl/links/malformed", count)
            self._warn_once("malformed", "malformed links skipped (first on %s); see stats newscrawl/links/malformed", page)

    def _warn_once(self, key: str, message: str, *args) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.logger.warning(message, *args)


def crawl_user_agent(settings) -> str:
    """The User-Agent a crawl sends: USER_AGENT_TEMPLATE filled with NEWSCRAWL_CONTACT,
    unless USER_AGENT itself was set with at least the template's priority."""
    template = settings.get("USER_AGENT_TEMPLATE")
    if template and settings.getpriority("USER_AGENT") <= settings.getpriority("USER_AGENT_TEMPLATE"):
        return template.format(contact=settings.get("NEWSCRAWL_CONTACT"))
    return settings.get("USER_AGENT")


@functools.lru_cache(maxsize=16384)
def _canonical(url: str, scheme: str) -> str:
    """canonical_url, remembered: a crawl meets each URL on a list page, in a request and in
    related boxes (again and again), and canonicalising was a twentieth of its CPU."""
    return canonical_url(url, scheme=scheme)


def _folder(url: str) -> str:
    """The folder of an article URL: VSB keeps a column's articles in one (/info/1002/)."""
    return url.rsplit("/", 1)[0]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
