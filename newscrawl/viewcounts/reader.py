"""The view-count reader: each counter read once per run, the way its `ReaderState` says."""
from __future__ import annotations

import asyncio
import logging

from scrapy import Request, signals
from scrapy.exceptions import CloseSpider

from newscrawl.items import Article, PageFailure
from newscrawl.signals import page_failed
from newscrawl.viewcounts.browser import Browser, NoBrowser, missing_chromium
from newscrawl.viewcounts.config import ViewCountConfig
from newscrawl.viewcounts.endpoint import (
    BatchCall, CountOutOfRange, ViewCountError, agrees, batch_endpoint_url, batch_tokens, count_in, endpoint_url,
    find_batch_calls, learn_batch_endpoint, learn_endpoint, recheck_problem,
)
from newscrawl.viewcounts.state import Batch, BatchState, ReaderState, Strategy

logger = logging.getLogger(__package__)  # one logger for all of view counts


class _Unreadable(Exception):
    """A direct answer that is not a count: the learned endpoint is not to be trusted."""


_OWN = "newscrawl_viewcounts"  # request meta: a request of the reader's own (counter, render)


class BatchGroup:
    """Counters read together in one batch request: a list page's (``html`` kept until the
    batch endpoint is settled, to learn it from), or up to ``VIEW_COUNTS_BATCH_SIZE`` archived
    articles'. Read when the first of them needs its count, so a list page whose articles are
    all archived costs nothing."""

    def __init__(self, call: BatchCall, page_url: str, html: bytes | None = None, content_type: str = "text/html",
                 *, gathering: bool = False):
        self.call, self.page_url, self.html, self.content_type = call, page_url, html, content_type
        self.reading: asyncio.Future | None = None  # {clickid: count or CountOutOfRange}, or None: read singly
        # Counters no list page named gather for VIEW_COUNTS_BATCH_WAIT: read once it is closed.
        self.closed = asyncio.Event()
        self.timer = None
        if not gathering:
            self.closed.set()


class ViewCountReader:
    """Reads articles' counts in Chromium or from the counter endpoint, through the crawler's
    engine. A count that cannot be read is sent as a ``view_count`` failure (`page_failed`).

    While the endpoint is being learned the other articles wait; a cross-posted article
    shares its counter, which is read once. A list page's counters (its ``_showDynClickBatch``
    call) are read in one batch request when the first of its articles needs a count; archived
    articles' counts (`read_many`) in batches of ``VIEW_COUNTS_BATCH_SIZE``. Where batches
    cannot be used, counts are read one by one as above (`BatchState` says why, once).
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
        self._known: dict[tuple, asyncio.Future] = {}  # counter -> its reading in this run
        self.batch = BatchState(crawler, config.mode, config.batch_size)
        self._groups: dict[tuple, BatchGroup] = {}  # counter -> the batch it will be read in
        self._gathering: dict[tuple, BatchGroup] = {}  # (owner, clicktype) -> the open batch of unlisted counters
        self._batch_learning = asyncio.Lock()
        self._batch_learn_failures = 0
        self._batch_reads = 0
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler) -> ViewCountReader:
        return cls(crawler, ViewCountConfig.from_settings(crawler.settings))

    def spider_opened(self, spider=None):
        """Before the first render: without a Chromium to launch, ``auto`` reads counts directly
        from the start and ``browser`` stops the run before it requests anything."""
        problem = self.config.mode in ("auto", "browser") and missing_chromium(self.crawler.settings)
        if problem and not self.state.without_browser(problem):
            raise CloseSpider("no_browser")

    async def read(self, article: Article) -> tuple[int, str] | None:
        """``(count, method)`` of ``article``; None when there is none to read or it failed."""
        if self.config.mode == "off" or not article.counter:
            return None
        key = _key(article.counter)
        if key not in self._known:
            if article.counter.get("kind") == "webplus":
                self._known[key] = asyncio.ensure_future(self._read_webplus(article))
            else:
                group = self._groups.pop(key, None) or self._gather(key, article.url)
                self._known[key] = asyncio.ensure_future(self._read_batched(article, group))
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
        if self.batch.strategy is Batch.UNTRIED:  # learn it from a list page the crawl has seen
            learner = next((g for g in self._groups.values() if g.html is not None), None)
            if learner is None:
                self.batch.give_up("no list page with a batch counter (_showDynClickBatch) to learn it from")
            else:
                await self._group_reading(learner)
        if self.batch.template is not None:
            by_owner: dict[tuple, list[str]] = {}
            for article in articles:
                key = _key(article.counter) if article.counter else None
                if key is not None and key not in self._known and key not in self._groups:
                    by_owner.setdefault((key[0], key[2]), []).append(key[1])
            referer = articles[0].url if articles else ""
            for (owner, clicktype), clickids in by_owner.items():
                clickids = list(dict.fromkeys(clickids))
                for start in range(0, len(clickids), self.config.batch_size):
                    chunk = tuple(clickids[start:start + self.config.batch_size])
                    group = BatchGroup(BatchCall((), chunk, clicktype, owner), referer)
                    for clickid in chunk:
                        self._groups[(owner, clickid, clicktype)] = group
        return await asyncio.gather(*(self.read(article) for article in articles))

    # -- batches ---------------------------------------------------------------------------

    def response_received(self, response, request, spider=None):
        """A list page's batch call, seen as the crawl fetches the page: its counters are read
        together when the first of its articles needs a count."""
        if self.batch.strategy is Batch.NONE or request.meta.get("playwright") or request.meta.get(_OWN):
            return
        if b"_showDynClickBatch" not in response.body:
            return
        try:
            text = response.text
        except AttributeError:  # not a text response
            return
        keep = self.batch.strategy is Batch.UNTRIED  # the page to learn from, until it is learned
        content_type = response.headers.get("Content-Type", b"text/html").decode("latin-1")
        for call in find_batch_calls(text):
            group = BatchGroup(call, response.url, response.body if keep else None, content_type)
            for counter in call.counters():
                key = _key(counter)
                if key not in self._known:
                    self._groups.setdefault(key, group)

    def _gather(self, key: tuple, page_url: str) -> BatchGroup | None:
        """The open batch for a counter no list page named (an article reached through a
        related link): it is read when full, or ``VIEW_COUNTS_BATCH_WAIT`` after it opened."""
        if self.batch.strategy is Batch.NONE or self.config.batch_wait <= 0:
            return None
        owner, clickid, clicktype = key
        group = self._gathering.get((owner, clicktype))
        if group is None:
            group = BatchGroup(BatchCall((), (), clicktype, owner), page_url, gathering=True)
            group.timer = asyncio.get_running_loop().call_later(self.config.batch_wait, self._close, group)
            self._gathering[(owner, clicktype)] = group
        group.call = BatchCall((), (*group.call.clickids, clickid), clicktype, owner)
        if len(group.call.clickids) >= self.config.batch_size:
            self._close(group)
        return group

    def _close(self, group: BatchGroup) -> None:
        key = (group.call.owner, group.call.clicktype)
        if self._gathering.get(key) is group:
            del self._gathering[key]
        group.timer.cancel()
        group.closed.set()

    async def _read_webplus(self, article: Article) -> tuple[int, str]:
        """A WebPlus counter names its own URL (``WP_VisitCount``'s ``url``), which answers the
        count: read directly. (Not yet checked against a rendered page, as VSB's is.)"""
        url = article.counter["url"]
        try:
            return await self._fetch(url, article.url), "direct"
        except _Unreadable as exc:
            raise ViewCountError(str(exc)) from exc

    async def _read_batched(self, article: Article, group: BatchGroup | None) -> tuple[int, str]:
        if group is not None:
            await group.closed.wait()
            readings = await self._group_reading(group)
            reading = readings.get(str(article.counter["clickid"])) if readings is not None else None
            if isinstance(reading, Exception):
                raise reading
            if reading is not None:
                return await self._batch_recheck(article, reading)
        return await self._read(article)

    def _group_reading(self, group: BatchGroup) -> asyncio.Future:
        if group.reading is None:
            group.reading = asyncio.ensure_future(self._read_group(group))
        return asyncio.shield(group.reading)

    async def _read_group(self, group: BatchGroup) -> dict | None:
        """The counts of ``group`` by clickid (a count, or why it is none), or None when they
        are to be read one by one."""
        if self.batch.strategy is Batch.UNTRIED:
            async with self._batch_learning:  # a group that cannot teach waits for one being learned from
                if self.batch.strategy is Batch.UNTRIED and group.html is not None:
                    return await self._learn_batch(group)
        group.html = None
        if self.batch.template is None:
            return None
        try:
            return await self._fetch_batch(group.call, group.page_url)
        except _Unreadable as exc:
            self.batch.give_up(str(exc))
        except ViewCountError as exc:  # the request failed: these articles are read one by one
            logger.info("view counts: batch request failed, reading its counters one by one: %s", exc)
        return None

    async def _learn_batch(self, group: BatchGroup) -> dict | None:
        """Render the list page of ``group``; the response that carried the counts it shows
        is the batch endpoint, once one plain request to it reads them too."""
        call, url = group.call, group.page_url
        try:
            render = await self.browser.render_list(url, group.html, group.content_type, list(call.span_ids))
        except NoBrowser as exc:
            if self.state.without_browser(str(exc)):
                self.batch.unchecked()
                return await self._read_group(group)
            self.batch.give_up(str(exc))
            return None
        except ViewCountError as exc:
            self._batch_learn_failures += 1
            if self._batch_learn_failures >= 3:
                self.batch.give_up(f"three list pages could not be rendered to learn the batch counter from ({exc})")
            return None
        finally:
            group.html = None
        template = learn_batch_endpoint(call, render.shown_all, render.bodies)
        if template is None:
            self.batch.give_up(f"no response of {url} carried the counts it shows")
            return None
        try:
            direct = await self._fetch_batch(call, url, template)
        except (_Unreadable, ViewCountError) as exc:
            self.batch.give_up(f"the batch counter learned from {url} disagrees: {exc}")
            return None
        shown = dict(zip(call.clickids, render.shown_all))
        for clickid, count in direct.items():
            if isinstance(count, Exception) or not agrees(shown[clickid], count):
                self.batch.give_up(f"the batch counter learned from {url} answers {count} for {clickid}, "
                                   f"the page shows {shown[clickid]}")
                return None
        self.batch.learned(template, url)
        return direct

    async def _fetch_batch(self, call: BatchCall, page_url: str, template: str | None = None) -> dict:
        """One request per ``VIEW_COUNTS_BATCH_SIZE`` counters of ``call``: their counts by clickid."""
        template = template or self.batch.template
        size = max(1, self.config.batch_size)
        readings: dict = {}
        for start in range(0, len(call.clickids), size):
            chunk = call.clickids[start:start + size]
            url = batch_endpoint_url(template, chunk, call.owner, call.clicktype, page_url)
            text = await self._get(url, page_url)
            tokens = batch_tokens(text, len(chunk))
            if tokens is None:
                raise _Unreadable(f"{url} answered {text[:40]!r}, not {len(chunk)} counts")
            for clickid, token in zip(chunk, tokens):
                try:
                    readings[clickid] = count_in(token)
                except CountOutOfRange as exc:  # this article's count, not the endpoint, is wrong
                    readings[clickid] = CountOutOfRange(f"{exc} ({url})")
            self.crawler.stats.inc_value("newscrawl/view_counts/batch_requests")
        return readings

    async def _batch_recheck(self, article: Article, count: int) -> tuple[int, str]:
        """Every ``recheck_every``-th count read in a batch is checked against the rendered article."""
        self._batch_reads += 1
        every = self.config.recheck_every
        if self.batch.strategy is not Batch.LEARNED or not every or self._batch_reads % every or not article.raw_html:
            return count, "batch"
        self.crawler.stats.inc_value("newscrawl/view_counts/rechecks")
        try:
            render = await self.browser.render(article, keep_responses=False)
        except ViewCountError as exc:  # NoBrowser is no ViewCountError: it goes up to _read's handling
            logger.info("view counts: recheck of %s skipped: %s", article.url, exc)
            return count, "batch"
        if not agrees(count, render.shown):
            self.batch.give_up(f"recheck of {article.url}: the batch counter read {count}, the page shows {render.shown}")
        return render.shown, "browser"

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
        every = self.config.recheck_every
        if self.state.strategy is Strategy.LEARNED and every and self._direct_reads % every == 0:
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
        try:
            render = await self.browser.render(article, keep_responses=True)
        except ViewCountError as exc:
            # A page that would not render checks nothing: read this count directly and
            # let the next sampled article do the checking.
            logger.info("view counts: recheck of %s skipped: %s", article.url, exc)
            self._direct_reads -= 1
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
            count = await self._fetch(url, article.url)
        except _Unreadable as exc:
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

    async def _get(self, url: str, page_url: str) -> str:
        """One plain request to a counter endpoint; the page's URL as Referer, as the browser sends."""
        request = Request(url, headers={"Referer": page_url}, dont_filter=True, meta={_OWN: True})
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # network errors, after the retry middleware's retries
            raise ViewCountError(f"{url}: {type(exc).__name__}: {exc}") from exc
        if response.status != 200:
            raise _Unreadable(f"{url} answered HTTP {response.status}")
        return response.text

    async def _fetch(self, url: str, page_url: str) -> int:
        """The count one plain request to a counter endpoint reads."""
        text = await self._get(url, page_url)
        try:
            count = count_in(text)
        except CountOutOfRange as exc:  # this article's count, not the endpoint, is wrong
            raise CountOutOfRange(f"{exc} ({url})") from None
        if count is None:
            raise _Unreadable(f"{url} answered {text[:40]!r}, not a count")
        return count

    async def _plain_request_problem(self, url: str, article: Article, shown: int) -> str | None:
        """Why a plain request to ``url`` does not read what the browser showed, or None."""
        try:
            direct = await self._fetch(url, article.url)
        except (_Unreadable, ViewCountError) as exc:
            return str(exc)
        return None if agrees(shown, direct) else f"{url} answers {direct} to plain requests, the page shows {shown}"


def _key(counter: dict) -> tuple:
    if counter.get("kind") == "webplus":
        return ("webplus", counter["url"])
    return (str(counter["owner"]), str(counter["clickid"]), str(counter["clicktype"]))
