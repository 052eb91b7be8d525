"""Batch counting: many counters in one request to the batch counter (VSB's dynclicksbatch.jsp)."""
from __future__ import annotations

import asyncio
import logging

from scrapy import signals

from newscrawl.items import Article
from newscrawl.viewcounts.browser import Browser, NoBrowser
from newscrawl.viewcounts.config import ViewCountConfig
from newscrawl.viewcounts.endpoint import (
    BatchCall, CountOutOfRange, ViewCountError, agrees, batch_endpoint_url, batch_tokens, count_in, counter_key,
    find_batch_calls, learn_batch_endpoint,
)
from newscrawl.viewcounts.plain import OWN, Unreadable, fetch_text
from newscrawl.viewcounts.state import Batch, BatchState, ReaderState

logger = logging.getLogger(__package__)  # one logger for all of view counts


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


class BatchReader:
    """Puts counters into batches and reads each batch once, for `ViewCountReader`.

    A list page's counters (its ``_showDynClickBatch`` call, seen in `response_received`) are
    read in one request when the first of its articles needs a count; counters no list page
    named gather for ``VIEW_COUNTS_BATCH_WAIT``; archived articles' (`group_archived`) go in
    batches of ``VIEW_COUNTS_BATCH_SIZE``. A count it cannot read is None from `read`, and the
    reader reads it one by one (`BatchState` says why, once).
    """

    def __init__(self, crawler, config: ViewCountConfig, reader_state: ReaderState, browser: Browser,
                 known: dict[tuple, asyncio.Future]):
        self.crawler = crawler
        self.config = config
        self.reader_state = reader_state  # told when the list page to learn from finds no browser
        self.browser = browser
        self._known = known  # the reader's: a counter already being read is not put in a batch
        self.state = BatchState(crawler, config.mode, config.batch_size)
        self._groups: dict[tuple, BatchGroup] = {}  # counter -> the batch it will be read in
        self._gathering: dict[tuple, BatchGroup] = {}  # (owner, clicktype) -> the open batch of unlisted counters
        self._learning = asyncio.Lock()
        self._learn_failures = 0
        self._reads = 0
        self._rechecks = 0  # renders done to recheck, against VIEW_COUNTS_RECHECK_MAX
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    def response_received(self, response, request, spider=None):
        """A list page's batch call, seen as the crawl fetches the page: its counters are read
        together when the first of its articles needs a count."""
        if self.state.strategy is Batch.NONE or request.meta.get("playwright") or request.meta.get(OWN):
            return
        if b"_showDynClickBatch" not in response.body:
            return
        try:
            text = response.text
        except AttributeError:  # not a text response
            return
        keep = self.state.strategy is Batch.UNTRIED  # the page to learn from, until it is learned
        content_type = response.headers.get("Content-Type", b"text/html").decode("latin-1")
        for call in find_batch_calls(text):
            group = BatchGroup(call, response.url, response.body if keep else None, content_type)
            for counter in call.counters():
                key = counter_key(counter)
                if key not in self._known:
                    self._groups.setdefault(key, group)

    def group_for(self, key: tuple, page_url: str) -> BatchGroup | None:
        """The batch a VSB counter is read in: its list page's, else the open one; None: read it singly."""
        return self._groups.pop(key, None) or self._gather(key, page_url)

    async def group_archived(self, articles: list[Article]) -> None:
        """Put archived articles' counters in batches of ``VIEW_COUNTS_BATCH_SIZE``, learning the
        batch counter first from a list page the crawl has seen."""
        if self.state.strategy is Batch.UNTRIED:
            learner = next((g for g in self._groups.values() if g.html is not None), None)
            if learner is None:
                self.state.give_up("no list page with a batch counter (_showDynClickBatch) to learn it from")
            else:
                await self._group_reading(learner)
        if self.state.template is None:
            return
        by_owner: dict[tuple, list[str]] = {}
        for article in articles:
            key = counter_key(article.counter) if article.counter else None
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

    async def read(self, article: Article, group: BatchGroup | None) -> tuple[int, str] | None:
        """``(count, method)`` of ``article`` from ``group``'s batch; None: read it singly."""
        if group is None:
            return None
        await group.closed.wait()
        readings = await self._group_reading(group)
        reading = readings.get(str(article.counter["clickid"])) if readings is not None else None
        if isinstance(reading, Exception):
            raise reading
        if reading is None:
            return None
        return await self._recheck(article, reading)

    def _gather(self, key: tuple, page_url: str) -> BatchGroup | None:
        """The open batch for a counter no list page named (an article reached through a
        related link): it is read when full, or ``VIEW_COUNTS_BATCH_WAIT`` after it opened."""
        if self.state.strategy is Batch.NONE or self.config.batch_wait <= 0:
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

    def _group_reading(self, group: BatchGroup) -> asyncio.Future:
        if group.reading is None:
            group.reading = asyncio.ensure_future(self._read_group(group))
        return asyncio.shield(group.reading)

    async def _read_group(self, group: BatchGroup) -> dict | None:
        """The counts of ``group`` by clickid (a count, or why it is none), or None when they
        are to be read one by one."""
        if self.state.strategy is Batch.UNTRIED:
            async with self._learning:  # a group that cannot teach waits for one being learned from
                if self.state.strategy is Batch.UNTRIED and group.html is not None:
                    return await self._learn(group)
        group.html = None
        if self.state.template is None:
            return None
        try:
            return await self._fetch(group.call, group.page_url)
        except Unreadable as exc:
            self.state.give_up(str(exc))
        except ViewCountError as exc:  # the request failed: these articles are read one by one
            logger.info("view counts: batch request failed, reading its counters one by one: %s", exc)
        return None

    async def _learn(self, group: BatchGroup) -> dict | None:
        """Render the list page of ``group``; the response that carried the counts it shows
        is the batch endpoint, once one plain request to it reads them too."""
        call, url = group.call, group.page_url
        try:
            render = await self.browser.render_list(url, group.html, group.content_type, list(call.span_ids))
        except NoBrowser as exc:
            if self.reader_state.without_browser(str(exc)):
                self.state.unchecked()
                return await self._read_group(group)
            self.state.give_up(str(exc))
            return None
        except ViewCountError as exc:
            self._learn_failures += 1
            if self._learn_failures >= 3:
                self.state.give_up(f"three list pages could not be rendered to learn the batch counter from ({exc})")
            return None
        finally:
            group.html = None
        template = learn_batch_endpoint(call, render.shown_all, render.bodies)
        if template is None:
            self.state.give_up(f"no response of {url} carried the counts it shows")
            return None
        try:
            direct = await self._fetch(call, url, template)
        except (Unreadable, ViewCountError) as exc:
            self.state.give_up(f"the batch counter learned from {url} disagrees: {exc}")
            return None
        shown = dict(zip(call.clickids, render.shown_all))
        for clickid, count in direct.items():
            if isinstance(count, Exception) or not agrees(shown[clickid], count):
                self.state.give_up(f"the batch counter learned from {url} answers {count} for {clickid}, "
                                   f"the page shows {shown[clickid]}")
                return None
        self.state.learned(template, url)
        return direct

    async def _fetch(self, call: BatchCall, page_url: str, template: str | None = None) -> dict:
        """One request per ``VIEW_COUNTS_BATCH_SIZE`` counters of ``call``: their counts by clickid."""
        template = template or self.state.template
        size = max(1, self.config.batch_size)
        readings: dict = {}
        for start in range(0, len(call.clickids), size):
            chunk = call.clickids[start:start + size]
            url = batch_endpoint_url(template, chunk, call.owner, call.clicktype, page_url)
            text = await fetch_text(self.crawler, url, page_url)
            tokens = batch_tokens(text, len(chunk))
            if tokens is None:
                raise Unreadable(f"{url} answered {text[:40]!r}, not {len(chunk)} counts")
            for clickid, token in zip(chunk, tokens):
                try:
                    readings[clickid] = count_in(token)
                except CountOutOfRange as exc:  # this article's count, not the endpoint, is wrong
                    readings[clickid] = CountOutOfRange(f"{exc} ({url})")
            self.crawler.stats.inc_value("newscrawl/view_counts/batch_requests")
        return readings

    async def _recheck(self, article: Article, count: int) -> tuple[int, str]:
        """Every ``recheck_every``-th count read in a batch is checked against the rendered article."""
        self._reads += 1
        if (self.state.strategy is not Batch.LEARNED or not article.raw_html
                or not self.config.rechecks(self._reads, self._rechecks)):
            return count, "batch"
        self.crawler.stats.inc_value("newscrawl/view_counts/rechecks")
        self._rechecks += 1  # before the render: others read on while it runs
        try:
            render = await self.browser.render(article, keep_responses=False)
        except ViewCountError as exc:  # NoBrowser is no ViewCountError: the reader records it as a failure
            logger.info("view counts: recheck of %s skipped: %s", article.url, exc)
            self._rechecks -= 1
            return count, "batch"
        if not agrees(count, render.shown):
            self.state.give_up(f"recheck of {article.url}: the batch counter read {count}, the page shows {render.shown}")
        return render.shown, "browser"
