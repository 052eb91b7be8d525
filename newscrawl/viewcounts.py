"""View counts (浏览量): read in Chromium, or straight from the endpoint the browser was seen to use.

The one module that knows Playwright. A VSB article page fills its counter with JavaScript
(``_showDynClicks(clicktype, owner, clickid)`` fetches a number and writes it into a span),
so the plain page never holds the count. ``VIEW_COUNTS`` chooses how it is read:

``browser``  every article is rendered in Chromium (scrapy-playwright) and the span is read.
``auto``     one article is rendered; the response whose body is the number the page shows
             gives the endpoint, as a template over the ``_showDynClicks`` arguments; every
             other article's count is then one plain Scrapy request. A sample
             (``VIEW_COUNTS_RECHECK``) is rendered again; any disagreement sends the rest of
             the crawl back to the browser, with a warning saying why.
``direct``   the VSB endpoint, unlearned.
``off``      no counts.

List pages and article pages stay plain Scrapy requests; only the counter needs a browser.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from contextlib import suppress
from urllib.parse import urljoin, urlsplit

from playwright.async_api import Error as PlaywrightError
from scrapy import Request, signals
from scrapy_playwright.page import PageMethod
from w3lib.url import canonicalize_url

from newscrawl.items import Article, PageFailure

logger = logging.getLogger(__name__)

MODES = ("auto", "browser", "direct", "off")
# VSB's counter endpoint, as /system/resource/js/dynclicks.js calls it.
VSB_ENDPOINT = "/system/resource/code/news/click/dynclicks.jsp?clickid={clickid}&owner={owner}&clicktype={clicktype}"
# The browser needs the page's scripts and their XHRs, nothing it would only draw.
_NOT_LOADED = frozenset({"image", "font", "media", "stylesheet"})
# Responses that could carry the count: what scripts fetch, and scripts themselves (JSONP).
_COUNT_CARRIERS = frozenset({"xhr", "fetch", "script", "other"})
# The filled counter: VSB writes <span id="dynclicks_<clicktype>_<clickid>">.
_SHOWN_COUNT = """([id]) => {
  const el = document.getElementById(id) || document.querySelector('[id^="dynclicks_"]');
  return el && /\\d/.test(el.textContent) ? el.textContent : null;
}"""
_NUMBER = re.compile(r"\d+")


def abort_request(request) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: images, fonts, media and stylesheets are never loaded."""
    return request.resource_type in _NOT_LOADED


def count_in(text: str) -> int | None:
    """The count in a counter's text or an endpoint's answer: its one number, else None."""
    numbers = _NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3})", "", text or ""))
    return int(numbers[0]) if len(numbers) == 1 else None


def learn_endpoint(counter: dict, shown: int, responses: list[tuple[str, str]]) -> str | None:
    """The URL template of the response that carried ``shown``, the count the page showed.

    The response's path segments and query values equal to one of the page's
    ``_showDynClicks`` arguments become ``{clickid}``, ``{owner}``, ``{clicktype}``; without
    ``{clickid}`` the URL is not per article and so not a counter endpoint.
    """
    for url, body in responses:
        if count_in(body) != shown:
            continue
        template = _template(url, counter)
        if "{clickid}" in template:
            return template
    return None


def _template(url: str, counter: dict) -> str:
    # Longest first, whole tokens only: clickid 13245 must not match inside 713245.
    values = sorted(((str(v), k) for k, v in counter.items() if str(v)), key=lambda vk: -len(vk[0]))

    def part(raw: str) -> str:
        raw = raw.replace("{", "{{").replace("}", "}}")
        for value, name in values:
            raw = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", "{%s}" % name, raw)
        return raw

    parts = urlsplit(url)
    path = "/".join(part(seg) for seg in parts.path.split("/"))
    query = "&".join(
        f"{part(key)}={part(value)}" if sep else part(key)
        for key, sep, value in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    base = f"{parts.scheme}://{parts.netloc}".replace("{", "{{").replace("}", "}}")
    return base + path + (f"?{query}" if query else "")


def endpoint_url(template: str, counter: dict, page_url: str) -> str:
    """The counter URL of one article: the template filled from its own ``_showDynClicks``."""
    return urljoin(page_url, template.format(**counter))


def recheck_problem(expected_url: str, shown: int, responses: list[tuple[str, str]]) -> str | None:
    """Why a rendered page contradicts the learned endpoint, or None if it agrees."""
    wanted = canonicalize_url(expected_url)
    bodies = [body for url, body in responses if canonicalize_url(url) == wanted]
    if not bodies:
        return f"the page did not request {expected_url}"
    if count_in(bodies[-1]) != shown:
        return f"the page shows {shown} but {expected_url} answered {bodies[-1][:40]!r}"
    return None


def agrees(shown: int, direct: int) -> bool:
    """A direct reading taken just after the browser's may only have grown, and only by a few
    views (a real VSB counter counts every reading, ours included)."""
    return shown <= direct <= shown + max(2, shown // 100)


class ViewCountError(Exception):
    """The count of one article could not be read (recorded as a failure; the article is kept)."""


class _Unreadable(Exception):
    """A direct answer that is not a count: the learned endpoint is not to be trusted."""


class _Render:
    """One article rendered in Chromium: the count it shows and the responses that could have filled it."""

    def __init__(self, article: Article, timeout: float, keep_responses: bool):
        counter = article.counter
        self.url, self.html = article.url, article.raw_html
        self.content_type = (article.http_headers or {}).get("Content-Type", "text/html")
        self.span_id = f"dynclicks_{counter['clicktype']}_{counter['clickid']}"
        self.timeout_ms = timeout * 1000
        self.keep_responses = keep_responses
        self.responses: list = []
        self.bodies: list[tuple[str, str]] = []
        self.shown: int | None = None
        self.context = None

    def on_response(self, response) -> None:
        if self.keep_responses and response.request.resource_type in _COUNT_CARRIERS:
            self.responses.append(response)

    async def serve_fetched_page(self, page, request) -> None:
        """A page init callback: the browser gets the article page as Scrapy already fetched it,
        so rendering costs the portal only the page's scripts and their requests."""
        if self.html is None:
            return

        async def fulfil(route):
            await route.fulfill(status=200, content_type=self.content_type, body=self.html)

        await page.route(lambda url: url.partition("#")[0] == self.url, fulfil)

    async def read(self, page) -> None:
        """A page method: wait for the counter to fill (a hung endpoint times out), then read it."""
        self.context = page.context
        shown = await page.wait_for_function(_SHOWN_COUNT, arg=[self.span_id], timeout=self.timeout_ms)
        self.shown = count_in(await shown.json_value())
        for response in self.responses:
            with suppress(PlaywrightError):  # redirects and aborted requests have no body
                self.bodies.append((response.url, await response.text()))


class _BrowserContexts:
    """Rotating browser contexts: each serves ``pages`` renders and is then closed, so
    Chromium's memory stays flat over a long crawl."""

    def __init__(self, pages: int):
        self.pages = max(1, pages)
        self.generation = 0
        self.assigned: Counter[str] = Counter()
        self.finished: Counter[str] = Counter()
        self.contexts: dict[str, object] = {}

    @property
    def current(self) -> str:
        return f"viewcounts-{self.generation}"

    def assign(self) -> str:
        name = self.current
        self.assigned[name] += 1
        if self.assigned[name] >= self.pages:
            self.generation += 1
        return name

    async def finish(self, name: str, context) -> None:
        if context is not None:
            self.contexts.setdefault(name, context)
        self.finished[name] += 1
        if name != self.current and self.finished[name] == self.assigned[name]:
            del self.assigned[name], self.finished[name]
            context = self.contexts.pop(name, None)
            if context is not None:
                with suppress(PlaywrightError):
                    await context.close()


class ViewCountPipeline:
    """Fills ``Article.view_count`` and ``view_count_method`` before the article is archived.

    It waits for the count (media pipelines fetch images the same way), so an article is
    never stored ahead of its count, and while the endpoint is being learned the other
    articles wait here. A count that cannot be read costs one retry; then the article is
    stored without it and a ``view_count`` failure is recorded for its URL.
    """

    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.mode = str(settings.get("VIEW_COUNTS", "auto")).lower()
        if self.mode not in MODES:
            raise ValueError(f"VIEW_COUNTS must be one of {', '.join(MODES)}, got {self.mode!r}")
        share = settings.getfloat("VIEW_COUNTS_RECHECK", 0.01)
        self.recheck_every = round(1 / share) if share > 0 else 0
        self.timeout = settings.getfloat("VIEW_COUNTS_RENDER_TIMEOUT", 15)
        self.contexts = _BrowserContexts(settings.getint("VIEW_COUNTS_PAGES_PER_CONTEXT", 100))
        self.template: str | None = VSB_ENDPOINT if self.mode == "direct" else None
        self._learning: asyncio.Event | None = None
        self._learn_failures = 0
        self._direct_reads = 0
        self._known: dict[tuple, asyncio.Future] = {}  # counter -> its reading in this run
        self._failed: dict[str, PageFailure] = {}
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item):
        if not isinstance(item, Article) or self.mode == "off" or not item.counter:
            return item
        key = (item.counter["owner"], item.counter["clickid"], item.counter["clicktype"])
        if key not in self._known:  # a cross-posted article shares its counter: read it once
            self._known[key] = asyncio.ensure_future(self._read(item))
        try:
            item.view_count, item.view_count_method = await asyncio.shield(self._known[key])
        except ViewCountError as exc:
            self.crawler.stats.inc_value("newscrawl/view_counts/failed")
            self._failed[item.url] = PageFailure(item.url, item.portal, "view_count", str(exc))
            return item
        self.crawler.stats.inc_value(f"newscrawl/view_counts/{item.view_count_method}")
        return item

    async def item_scraped(self, item, response, spider=None):
        """The failure is recorded once the article is archived, so saving it does not resolve it."""
        failure = isinstance(item, Article) and self._failed.pop(item.url, None)
        if failure:
            await self.crawler.engine.scraper.start_itemproc_async(failure, response=None)

    # -- strategies ----------------------------------------------------------------------

    async def _read(self, article: Article) -> tuple[int, str]:
        if self.mode == "auto" and self.template is None:
            learned = await self._learn(article)
            if learned is not None:
                return learned
        if self.mode == "browser" or self.template is None:
            return await self._browser(article)
        self._direct_reads += 1
        if self.mode == "auto" and self.recheck_every and self._direct_reads % self.recheck_every == 0:
            return await self._recheck(article)
        return await self._direct(article)

    async def _learn(self, article: Article) -> tuple[int, str] | None:
        """Render ``article`` to learn the endpoint, unless another article is being rendered
        for that: then wait for it. None when the endpoint is known (or given up on)."""
        while self.mode == "auto" and self.template is None:
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
            render = await self._render(article, keep_responses=True)
        except ViewCountError as exc:
            self._learn_failures += 1
            if self._learn_failures >= 3:
                self._fall_back(f"three articles could not be rendered to learn from ({exc})")
            raise
        template = learn_endpoint(article.counter, render.shown, render.bodies)
        if template is None:
            self._fall_back(f"no response of {article.url} carried the count it shows ({render.shown})")
            return render.shown, "browser"
        url = endpoint_url(template, article.counter, article.url)
        problem = await self._plain_request_problem(url, article, render.shown)
        if problem:
            self._fall_back(f"the endpoint learned from {article.url} disagrees: {problem}")
            return render.shown, "browser"
        self.template = template
        logger.info("view counts: learned %s from %s; reading counts directly", template, article.url)
        return render.shown, "browser"

    async def _recheck(self, article: Article) -> tuple[int, str]:
        self.crawler.stats.inc_value("newscrawl/view_counts/rechecks")
        try:
            render = await self._render(article, keep_responses=True)
        except ViewCountError as exc:
            # A page that would not render checks nothing: read this count directly and
            # let the next sampled article do the checking.
            logger.info("view counts: recheck of %s skipped: %s", article.url, exc)
            self._direct_reads -= 1
            return await self._direct(article)
        if self.template is None:  # fell back while this page rendered
            return render.shown, "browser"
        url = endpoint_url(self.template, article.counter, article.url)
        problem = recheck_problem(url, render.shown, render.bodies)
        problem = problem or await self._plain_request_problem(url, article, render.shown)
        if problem:
            self._fall_back(f"recheck of {article.url}: {problem}")
        return render.shown, "browser"

    async def _direct(self, article: Article) -> tuple[int, str]:
        url = endpoint_url(self.template, article.counter, article.url)
        try:
            count = await self._fetch(url, article.url)
        except _Unreadable as exc:
            if self.mode == "direct":  # asked for, not learned: nothing to fall back on
                raise ViewCountError(str(exc)) from exc
            self._fall_back(str(exc))
        if self.template is None:  # fell back meanwhile: trust the browser
            return await self._browser(article)
        return count, "direct"

    def _fall_back(self, reason: str) -> None:
        if self.mode == "browser":  # another article already said so
            return
        self.crawler.stats.set_value("newscrawl/view_counts/fell_back", reason)
        logger.warning("view counts: using the browser for %s from now on: %s", self.crawler.spider.name, reason)
        self.mode, self.template = "browser", None

    # -- reading -------------------------------------------------------------------------

    async def _fetch(self, url: str, page_url: str) -> int:
        """One plain request to a counter endpoint; the page's URL as Referer, as the browser sends."""
        request = Request(url, headers={"Referer": page_url}, dont_filter=True)
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # network errors, after the retry middleware's retries
            raise ViewCountError(f"{url}: {type(exc).__name__}: {exc}") from exc
        if response.status != 200:
            raise _Unreadable(f"{url} answered HTTP {response.status}")
        count = count_in(response.text)
        if count is None:
            raise _Unreadable(f"{url} answered {response.text[:40]!r}, not a count")
        return count

    async def _plain_request_problem(self, url: str, article: Article, shown: int) -> str | None:
        """Why a plain request to ``url`` does not read what the browser showed, or None."""
        try:
            direct = await self._fetch(url, article.url)
        except (_Unreadable, ViewCountError) as exc:
            return str(exc)
        return None if agrees(shown, direct) else f"{url} answers {direct} to plain requests, the page shows {shown}"

    async def _browser(self, article: Article) -> tuple[int, str]:
        render = await self._render(article, keep_responses=False)
        return render.shown, "browser"

    async def _render(self, article: Article, keep_responses: bool) -> _Render:
        """Render ``article`` in Chromium and read its counter; a failed page is retried once."""
        problem = ""
        for attempt in (1, 2):
            render = _Render(article, self.timeout, keep_responses)
            name = self.contexts.assign()
            request = Request(
                article.url,
                dont_filter=True,
                meta={
                    "playwright": True,
                    "playwright_context": name,
                    "playwright_page_init_callback": render.serve_fetched_page,
                    "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
                    "playwright_page_event_handlers": {"response": render.on_response},
                    "playwright_page_methods": [PageMethod(render.read)],
                },
            )
            try:
                response = await self.crawler.engine.download_async(request)
            except Exception as exc:  # a crashed, closed or hung page
                problem = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            else:
                problem = f"HTTP {response.status}" if response.status != 200 else ""
            finally:
                await self.contexts.finish(name, render.context)
            if not problem and render.shown is not None:
                return render
            problem = problem or "the counter shows no number"
            self.crawler.stats.inc_value(f"newscrawl/view_counts/{'render_retries' if attempt == 1 else 'render_failures'}")
            logger.log(logging.INFO if attempt == 1 else logging.WARNING,
                       "view counts: rendering %s failed (attempt %d): %s", article.url, attempt, problem)
        raise ViewCountError(f"browser: {problem}")
