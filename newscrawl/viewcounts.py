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
A rendered page reaches only its own origin: its scripts' requests to any other host or port
are aborted. Without Chromium (``PLAYWRIGHT_LAUNCH_OPTIONS``' executable missing, or a
browser that will not start) ``auto`` says so once and reads every count through VSB's
counter; ``browser`` stops the run at once with reason ``no_browser``.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
from collections import Counter
from contextlib import suppress
from urllib.parse import urljoin, urlsplit

from playwright.async_api import Error as PlaywrightError
from scrapy import Request, signals
from scrapy.exceptions import CloseSpider
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
# The article page's policy, enforced by Chromium before a request leaves: the page loads and
# connects only to its own origin and opens no frames, workers, plugins or popups. The routes
# in _Render.init_page abort what still tries (navigations); the policy covers what routes
# cannot follow: a popup is another page, and a worker's intercepted request is let go to the
# network if the page closes before it is answered.
_CONFINED = ("sandbox allow-scripts allow-same-origin; default-src 'self' 'unsafe-inline' 'unsafe-eval'; "
             "frame-src 'none'; worker-src 'none'; object-src 'none'")
_REPORT_REFUSED = """document.addEventListener("securitypolicyviolation",
  (e) => window.__newscrawlRefused && window.__newscrawlRefused(e.blockedURI), true);"""
_NUMBER = re.compile(r"-?\d+")
# The archive stores counts as SQLite INTEGERs (64-bit): a larger number is not a count.
MAX_COUNT = 2**63 - 1
INSTALL_CHROMIUM = "install it: apt-get install chromium"


def abort_request(request) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: images, fonts, media and stylesheets are never loaded."""
    return request.resource_type in _NOT_LOADED


def count_in(text: str) -> int | None:
    """The count in a counter's text or an endpoint's answer: its one number, else None.

    A number outside 0..2^63-1 (negative, or more than SQLite can store) raises
    ``CountOutOfRange``: the counter answered, but nothing that can be archived as a count.
    """
    numbers = _NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3})", "", text or ""))
    if len(numbers) != 1:
        return None
    number = numbers[0]
    # Compare lengths before int(): Python refuses to convert strings of over 4,300 digits.
    if len(number.lstrip("-0")) > len(str(MAX_COUNT)) or not 0 <= int(number) <= MAX_COUNT:
        shown = number if len(number) <= 40 else f"{number[:20]}… ({len(number)} characters)"
        raise CountOutOfRange(f"count {shown} out of range")
    return int(number)


def _count_or_none(text: str) -> int | None:
    """``count_in`` for comparing: a number out of range equals no count."""
    try:
        return count_in(text)
    except CountOutOfRange:
        return None


def missing_chromium(settings) -> str | None:
    """What is wrong when the Chromium of ``PLAYWRIGHT_LAUNCH_OPTIONS`` is not there to launch.

    Checked before the first render, so a machine without Chromium costs one line rather
    than a failed render per article. A browser Playwright installed itself, or one reached
    over ``PLAYWRIGHT_CDP_URL`` / ``PLAYWRIGHT_CONNECT_URL``, shows itself only by starting.
    """
    if settings.get("PLAYWRIGHT_CDP_URL") or settings.get("PLAYWRIGHT_CONNECT_URL"):
        return None
    path = (settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {}).get("executable_path")
    if path and not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return f"no Chromium at {path}"
    return None


def same_origin(url: str, page_url: str) -> bool:
    """Whether a rendered page's request for ``url`` stays on the article page's origin: the
    same scheme, host and port (the default port written or not)."""
    here = _origin(page_url)
    return here is not None and _origin(url) == here


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:  # a port out of range or not a number
        return None
    return (parts.scheme, parts.hostname, port) if parts.hostname else None


def learn_endpoint(counter: dict, shown: int, responses: list[tuple[str, str]]) -> str | None:
    """The URL template of the response that carried ``shown``, the count the page showed.

    The response's path segments and query values equal to one of the page's
    ``_showDynClicks`` arguments become ``{clickid}``, ``{owner}``, ``{clicktype}``; without
    ``{clickid}`` the URL is not per article and so not a counter endpoint.
    """
    for url, body in responses:
        if _count_or_none(body) != shown:
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
    if _count_or_none(bodies[-1]) != shown:
        return f"the page shows {shown} but {expected_url} answered {bodies[-1][:40]!r}"
    return None


def agrees(shown: int, direct: int) -> bool:
    """A direct reading taken just after the browser's may only have grown, and only by a few
    views (a real VSB counter counts every reading, ours included). Counts out of range agree
    with nothing."""
    if not (0 <= shown <= MAX_COUNT and 0 <= direct <= MAX_COUNT):
        return False
    return shown <= direct <= shown + max(2, shown // 100)


class ViewCountError(Exception):
    """The count of one article could not be read (recorded as a failure; the article is kept)."""


class CountOutOfRange(ViewCountError):
    """A counter showed a number no count can be (negative, or beyond SQLite's INTEGER): the
    portal's data error for this one article, not a sign that the endpoint is wrong."""


class _Unreadable(Exception):
    """A direct answer that is not a count: the learned endpoint is not to be trusted."""


class _NoBrowser(Exception):
    """Chromium would not start: no render of this run can succeed."""


class _Render:
    """One article rendered in Chromium: the count it shows and the responses that could have filled it."""

    def __init__(self, article: Article, timeout: float, keep_responses: bool, on_offsite):
        counter = article.counter
        self.url, self.html = article.url, article.raw_html
        self.content_type = (article.http_headers or {}).get("Content-Type", "text/html")
        self.span_id = f"dynclicks_{counter['clicktype']}_{counter['clickid']}"
        self.timeout_ms = timeout * 1000
        self.keep_responses = keep_responses
        self.responses: list = []
        self.bodies: list[tuple[str, str]] = []
        self.shown: int | None = None
        self.refused: CountOutOfRange | None = None
        self.on_offsite = on_offsite  # called with each aborted off-origin URL
        self.context = None

    def on_response(self, response) -> None:
        if self.keep_responses and response.request.resource_type in _COUNT_CARRIERS:
            self.responses.append(response)

    async def init_page(self, page, request) -> None:
        """A page init callback. The page reaches only its own origin: a portal's page (or a
        script injected into it) must not make our browser request other hosts or ports. It
        gets the article page as Scrapy already fetched it, so rendering costs the portal only
        the page's scripts and their requests."""

        def offsite(url: str) -> bool:
            return not same_origin(url, self.url)

        async def abort(route):
            self.on_offsite(route.request.url, self.url)
            # Not "aborted": Playwright then waits forever for the page to load. Blocked, a page
            # sent elsewhere shows an error page, and its count is recorded as unreadable.
            await route.abort("blockedbyclient")

        async def serve(route):
            if self.html is None:  # not fetched by Scrapy: fetched now, to carry the policy
                response = await route.fetch()
                await route.fulfill(response=response, headers={**response.headers, "content-security-policy": _CONFINED})
            else:
                await route.fulfill(status=200, content_type=self.content_type, body=self.html,
                                    headers={"Content-Security-Policy": _CONFINED})

        # What the policy refuses never reaches the routes: counted from the page's own event.
        await page.expose_function("__newscrawlRefused", lambda url: self.on_offsite(url or "(unknown)", self.url))
        await page.add_init_script(_REPORT_REFUSED)
        # Later routes are tried first: these win over scrapy-playwright's own "**" route.
        await page.route(offsite, abort)
        await page.route(lambda url: url.partition("#")[0] == self.url, serve)

    async def read(self, page) -> None:
        """A page method: wait for the counter to fill (a hung endpoint times out), then read it."""
        self.context = page.context
        shown = await page.wait_for_function(_SHOWN_COUNT, arg=[self.span_id], timeout=self.timeout_ms)
        try:
            self.shown = count_in(await shown.json_value())
        except CountOutOfRange as exc:  # the page rendered; its number is what is wrong
            self.refused = exc
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
    # Stats: newscrawl/view_counts/<method> per article, .../failed, .../fell_back (why auto
    # went back to the browser), .../no_browser (why there was none), .../offsite_aborted.

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
        self.asked = self.mode  # what VIEW_COUNTS asked for; self.mode is how counts are read now
        self.chromium = (settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {}).get("executable_path")
        self._no_browser: str | None = None  # why Chromium cannot render, once that is known
        self._closing: asyncio.Future | None = None
        self._offsite_seen = False
        self._learning: asyncio.Event | None = None
        self._learn_failures = 0
        self._direct_reads = 0
        self._known: dict[tuple, asyncio.Future] = {}  # counter -> its reading in this run
        self._failed: dict[str, PageFailure] = {}
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider=None):
        """Before the first render: without a Chromium to launch, ``auto`` reads counts directly
        from the start and ``browser`` stops the run before it requests anything."""
        problem = self.mode in ("auto", "browser") and missing_chromium(self.crawler.settings)
        if problem and not self._without_browser(problem):
            raise CloseSpider("no_browser")

    async def process_item(self, item):
        if not isinstance(item, Article) or self.mode == "off" or not item.counter:
            return item
        key = (item.counter["owner"], item.counter["clickid"], item.counter["clicktype"])
        if key not in self._known:  # a cross-posted article shares its counter: read it once
            self._known[key] = asyncio.ensure_future(self._read(item))
        try:
            item.view_count, item.view_count_method = await asyncio.shield(self._known[key])
        except Exception as exc:  # whatever went wrong, the article is kept and the failure recorded
            if not isinstance(exc, ViewCountError):
                logger.error("view counts: reading the count of %s failed", item.url, exc_info=exc)
            reason = str(exc) if isinstance(exc, ViewCountError) else f"{type(exc).__name__}: {exc}"
            self.crawler.stats.inc_value("newscrawl/view_counts/failed")
            self._failed[item.url] = PageFailure(item.url, item.portal, "view_count", reason)
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
        if self._no_browser and self.mode == "browser":  # the browser is all we may use, and there is none
            raise ViewCountError(f"browser: {self._no_browser}")
        try:
            return await self._read_as_configured(article)
        except _NoBrowser as exc:
            if self._without_browser(str(exc)):
                return await self._direct(article)
            if self.asked == "browser" and self._closing is None:  # Chromium is there but will not start
                self._closing = asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="no_browser"))
            raise ViewCountError(f"browser: {exc}") from exc

    async def _read_as_configured(self, article: Article) -> tuple[int, str]:
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
        except CountOutOfRange:  # this article's counter is wrong, not the browser: learn from the next
            raise
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

    def _without_browser(self, problem: str) -> bool:
        """No Chromium for the rest of this run. ``auto`` reads every count through VSB's
        counter from now on, saying so once (True). ``browser`` cannot do what it was asked:
        the run stops with one line and reason ``no_browser`` (False). An ``auto`` run that
        went back to the browser because direct readings disagreed goes on without counts."""
        stats, first = self.crawler.stats, self._no_browser is None
        self._no_browser = problem
        if self.asked == "browser":
            if first:
                message = f"view counts: VIEW_COUNTS=browser, but {problem} ({INSTALL_CHROMIUM})"
                stats.set_value("newscrawl/view_counts/no_browser", message)
                stats.set_value("newscrawl/fatal", message)
                logger.error(message)
            return False
        if self.mode == "browser":
            if first:
                stats.set_value("newscrawl/view_counts/no_browser", problem)
                logger.warning("view counts: %s; the rest of the run reads no counts (%s)", problem, INSTALL_CHROMIUM)
            return False
        if self.mode != "direct":
            stats.set_value("newscrawl/view_counts/no_browser", problem)
            logger.warning("view counts: %s; reading counts through VSB's counter directly (%s)", problem, INSTALL_CHROMIUM)
            self.mode, self.template = "direct", VSB_ENDPOINT
        return True

    def _offsite(self, url: str, page_url: str) -> None:
        self.crawler.stats.inc_value("newscrawl/view_counts/offsite_aborted")
        if not self._offsite_seen:
            self._offsite_seen = True
            logger.info("view counts: aborted %.200s, requested by the rendered page %s: rendered pages reach "
                        "only their own origin (newscrawl/view_counts/offsite_aborted counts them)", url, page_url)

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
        try:
            count = count_in(response.text)
        except CountOutOfRange as exc:  # this article's count, not the endpoint, is wrong
            raise CountOutOfRange(f"{exc} ({url})") from None
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
            render = _Render(article, self.timeout, keep_responses, on_offsite=self._offsite)
            name = self.contexts.assign()
            request = Request(
                article.url,
                dont_filter=True,
                meta={
                    "playwright": True,
                    "playwright_context": name,
                    "playwright_page_init_callback": render.init_page,
                    "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
                    "playwright_page_event_handlers": {"response": render.on_response},
                    "playwright_page_methods": [PageMethod(render.read)],
                },
            )
            try:
                response = await self.crawler.engine.download_async(request)
            except Exception as exc:  # a crashed, closed or hung page, or no browser at all
                first_line = str(exc).splitlines()[0] if str(exc) else ""
                if first_line.startswith("BrowserType."):  # launch / connect: Playwright's words
                    where = f" at {self.chromium}" if self.chromium else ""
                    raise _NoBrowser(f"Chromium{where} would not start ({first_line})") from exc
                problem = f"{type(exc).__name__}: {first_line}"
            else:
                problem = f"HTTP {response.status}" if response.status != 200 else ""
            finally:
                await self.contexts.finish(name, render.context)
            if not problem and render.refused:  # the page rendered; its number is no count
                raise render.refused
            if not problem and render.shown is not None:
                return render
            problem = problem or "the counter shows no number"
            self.crawler.stats.inc_value(f"newscrawl/view_counts/{'render_retries' if attempt == 1 else 'render_failures'}")
            logger.log(logging.INFO if attempt == 1 else logging.WARNING,
                       "view counts: rendering %s failed (attempt %d): %s", article.url, attempt, problem)
        raise ViewCountError(f"browser: {problem}")
