"""The view-count reader: each counter read once per run, the way its `ReaderState` says."""
from __future__ import annotations

import asyncio
import logging

from scrapy import signals
from scrapy.exceptions import CloseSpider

from newscrawl.items import Article, PageFailure
from newscrawl.signals import page_failed
from newscrawl.viewcounts.batches import BatchGroup, BatchReader
from newscrawl.viewcounts.browser import Browser, NoBrowser, missing_chromium
from newscrawl.viewcounts.config import BROWSER_MODES, ViewCountConfig
from newscrawl.viewcounts.endpoint import (
    CountOutOfRange, ViewCountError, agrees, counter_key, endpoint_url, learn_endpoint, recheck_problem,
)
from newscrawl.viewcounts.plain import Unreadable, fetch_count
from newscrawl.viewcounts.state import ReaderState, Strategy

logger = logging.getLogger(__package__)  # one logger for all of view counts


class ViewCountReader:
    """Reads articles' counts in Chromium or from the counter endpoint, through the crawler's
    engine. A count that cannot be read is sent as a ``view_count`` failure (`page_failed`).

    While the endpoint is being learned the other articles wait; a cross-posted article
    shares its counter, which is read once. A VSB counter is first offered to its batch
    (`BatchReader`: a list page's counters, or archived articles' in `read_many`, in one
    request); where batches cannot be used, counts are read one by one as above.
    """
    # Stats: newscrawl/view_counts/<method> per article, .../failed, .../fell_back (why auto
    # went back to the browser), .../no_browser (why there was none), .../offsite_aborted.

    def __init__(self, crawler, config: ViewCountConfig):
        self.crawler = crawler
        self.config = config
        self.state = ReaderState(crawler, config.mode)
        self.browser = Browser(crawler, config.render_timeout, config.pages_per_context, config.chromium)
        self._closing: asyncio.Future | None = None
        self._learning: asyncio.Event | None = None
        self._learn_failures = 0
        self._direct_reads = 0
        self._rechecks = 0  # renders done to recheck, against VIEW_COUNTS_RECHECK_MAX
        self._known: dict[tuple, asyncio.Future] = {}  # counter -> its reading in this run
        self.batches = BatchReader(crawler, config, self.state, self.browser, self._known)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler) -> ViewCountReader:
        return cls(crawler, ViewCountConfig.from_settings(crawler.settings))

    def spider_opened(self, spider=None):
        """Before the first render: without a Chromium to launch, ``auto`` reads counts directly
        from the start and ``browser`` stops the run before it requests anything."""
        problem = self.config.mode in BROWSER_MODES and missing_chromium(self.crawler.settings)
        if problem and not self.state.without_browser(problem):
            raise CloseSpider("no_browser")

    async def read(self, article: Article) -> tuple[int, str] | None:
        """``(count, method)`` of ``article``; None when there is none to read or it failed."""
        if self.config.mode == "off" or not article.counter:
            return None
        key = counter_key(article.counter)
        if key not in self._known:
            if article.counter.get("kind") == "webplus":
                self._known[key] = asyncio.ensure_future(self._read_webplus(article))
            else:
                group = self.batches.group_for(key, article.url)
                self._known[key] = asyncio.ensure_future(self._read_vsb(article, group))
        try:
            count, method = await asyncio.shield(self._known[key])
        except Exception as exc:  # whatever went wrong, the article is kept and the failure recorded
            if not isinstance(exc, ViewCountError):
                logger.error("view counts: reading the count of %s failed", article.url, exc_info=exc)
            reason = str(exc) if isinstance(exc, ViewCountError) else f"{type(exc).__name__}: {exc}"
            self.crawler.stats.inc_value("newscrawl/view_counts/failed")
            failure = PageFailure(article.url, article.portal, "view_count", reason)
            self.crawler.signals.send_catch_log(signal=page_failed, failure=failure)
            return None
        self.crawler.stats.inc_value(f"newscrawl/view_counts/{method}")
        return count, method

    async def read_many(self, articles: list[Article]) -> list[tuple[int, str] | None]:
        """``read`` for many articles at once, their counters asked in batches of
        ``VIEW_COUNTS_BATCH_SIZE`` where the batch counter can be used."""
        await self.batches.group_archived(articles)
        return await asyncio.gather(*(self.read(article) for article in articles))

    async def _read_webplus(self, article: Article) -> tuple[int, str]:
        """A WebPlus counter names its own URL (``WP_VisitCount``'s ``url``), which answers the
        count: read directly. (Not yet checked against a rendered page, as VSB's is.)"""
        url = article.counter["url"]
        try:
            return await fetch_count(self.crawler, url, article.url), "direct"
        except Unreadable as exc:
            raise ViewCountError(str(exc)) from exc

    async def _read_vsb(self, article: Article, group: BatchGroup | None) -> tuple[int, str]:
        """In ``group``'s batch request where it can be read there, else on its own."""
        reading = await self.batches.read(article, group)
        return reading if reading is not None else await self._read(article)

    # -- strategies ----------------------------------------------------------------------

    async def _read(self, article: Article) -> tuple[int, str]:
        if self.state.strategy is Strategy.NO_BROWSER:  # the browser is all we may use, and there is none
            raise ViewCountError(f"browser: {self.state.no_browser}")
        try:
            return await self._read_as_configured(article)
        except NoBrowser as exc:
            if self.state.without_browser(str(exc)):
                return await self._direct(article)
            if self.config.mode == "browser" and self._closing is None:  # Chromium is there but will not start
                self._closing = asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="no_browser"))
            raise ViewCountError(f"browser: {exc}") from exc

    async def _read_as_configured(self, article: Article) -> tuple[int, str]:
        if self.state.strategy is Strategy.LEARNING:
            learned = await self._learn(article)
            if learned is not None:
                return learned
        if self.state.template is None:
            return await self._browser(article)
        self._direct_reads += 1
        if self.state.strategy is Strategy.LEARNED and self.config.rechecks(self._direct_reads, self._rechecks):
            return await self._recheck(article)
        return await self._direct(article)

    async def _learn(self, article: Article) -> tuple[int, str] | None:
        """Render ``article`` to learn the endpoint, unless another article is being rendered
        for that: then wait for it. None when the endpoint is known (or given up on)."""
        while self.state.strategy is Strategy.LEARNING:
            if self._learning is not None:
                await self._learning.wait()
                continue
            self._learning = asyncio.Event()
            try:
                return await self._learn_from(article)
            finally:
                self._learning.set()
                self._learning = None
        return None

    async def _learn_from(self, article: Article) -> tuple[int, str]:
        try:
            render = await self.browser.render(article, keep_responses=True)
        except CountOutOfRange:  # this article's counter is wrong, not the browser: learn from the next
            raise
        except ViewCountError as exc:
            self._learn_failures += 1
            if self._learn_failures >= 3:
                self.state.fall_back(f"three articles could not be rendered to learn from ({exc})")
            raise
        template = learn_endpoint(article.counter, render.shown, render.bodies)
        if template is None:
            self.state.fall_back(f"no response of {article.url} carried the count it shows ({render.shown})")
            return render.shown, "browser"
        url = endpoint_url(template, article.counter, article.url)
        problem = await self._plain_request_problem(url, article, render.shown)
        if problem:
            self.state.fall_back(f"the endpoint learned from {article.url} disagrees: {problem}")
            return render.shown, "browser"
        self.state.learned(template, article.url)
        return render.shown, "browser"

    async def _recheck(self, article: Article) -> tuple[int, str]:
        self.crawler.stats.inc_value("newscrawl/view_counts/rechecks")
        self._rechecks += 1  # before the render: others read on while it runs
        try:
            render = await self.browser.render(article, keep_responses=True)
        except ViewCountError as exc:
            # A page that would not render checks nothing: read this count directly and
            # let the next sampled article do the checking.
            logger.info("view counts: recheck of %s skipped: %s", article.url, exc)
            self._direct_reads -= 1
            self._rechecks -= 1
            return await self._direct(article)
        if self.state.template is None:  # fell back while this page rendered
            return render.shown, "browser"
        url = endpoint_url(self.state.template, article.counter, article.url)
        problem = recheck_problem(url, render.shown, render.bodies)
        problem = problem or await self._plain_request_problem(url, article, render.shown)
        if problem:
            self.state.fall_back(f"recheck of {article.url}: {problem}")
        return render.shown, "browser"

    async def _direct(self, article: Article) -> tuple[int, str]:
        if self.state.template is None:  # fell back to the browser while this article waited
            return await self._browser(article)
        url = endpoint_url(self.state.template, article.counter, article.url)
        try:
            count = await fetch_count(self.crawler, url, article.url)
        except Unreadable as exc:
            if self.state.strategy is Strategy.DIRECT:  # not learned: nothing to fall back on
                raise ViewCountError(str(exc)) from exc
            self.state.fall_back(str(exc))
        if self.state.template is None:  # fell back meanwhile: trust the browser
            return await self._browser(article)
        return count, "direct"

    async def _browser(self, article: Article) -> tuple[int, str]:
        render = await self.browser.render(article, keep_responses=False)
        return render.shown, "browser"

    # -- plain requests ------------------------------------------------------------------

    async def _plain_request_problem(self, url: str, article: Article, shown: int) -> str | None:
        """Why a plain request to ``url`` does not read what the browser showed, or None."""
        try:
            direct = await fetch_count(self.crawler, url, article.url)
        except (Unreadable, ViewCountError) as exc:
            return str(exc)
        return None if agrees(shown, direct) else f"{url} answers {direct} to plain requests, the page shows {shown}"

