"""Articles rendered in Chromium through scrapy-playwright: the one module that knows Playwright."""
from __future__ import annotations

import logging
import os
from collections import Counter
from contextlib import suppress
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from scrapy import Request
from scrapy_playwright.page import PageMethod

from newscrawl.items import Article
from newscrawl.viewcounts.endpoint import CountOutOfRange, ViewCountError, count_in, count_or_none

logger = logging.getLogger(__package__)  # one logger for all of view counts

INSTALL_CHROMIUM = "install it: apt-get install chromium-headless-shell (or chromium)"
# The browser needs the page's scripts and their XHRs, nothing it would only draw.
_NOT_LOADED = frozenset({"image", "font", "media", "stylesheet"})
# Responses that could carry the count: what scripts fetch, and scripts themselves (JSONP).
_COUNT_CARRIERS = frozenset({"xhr", "fetch", "script", "other"})
# The filled counter: VSB writes <span id="dynclicks_<clicktype>_<clickid>">.
_SHOWN_COUNT = """([id]) => {
  const el = document.getElementById(id) || document.querySelector('[id^="dynclicks_"]');
  return el && /\\d/.test(el.textContent) ? el.textContent : null;
}"""
# A list page's counters (_showDynClickBatch): all filled, or not yet.
_SHOWN_COUNTS = """(ids) => {
  const texts = ids.map((id) => { const el = document.getElementById(id); return el ? el.textContent : ""; });
  return texts.every((t) => /\\d/.test(t)) ? texts : null;
}"""
# The article page's policy, enforced by Chromium before a request leaves: the page loads and
# connects only to its own origin and opens no frames, workers, plugins or popups. The routes
# in Render.init_page abort what still tries (navigations); the policy covers what routes
# cannot follow: a popup is another page, and a worker's intercepted request is let go to the
# network if the page closes before it is answered.
_CONFINED = ("sandbox allow-scripts allow-same-origin; default-src 'self' 'unsafe-inline' 'unsafe-eval'; "
             "frame-src 'none'; worker-src 'none'; object-src 'none'")
_REPORT_REFUSED = """document.addEventListener("securitypolicyviolation",
  (e) => window.__newscrawlRefused && window.__newscrawlRefused(e.blockedURI), true);"""


class NoBrowser(Exception):
    """Chromium would not start: no render of this run can succeed."""


def abort_request(request) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: images, fonts, media and stylesheets are never loaded."""
    return request.resource_type in _NOT_LOADED


def missing_chromium(settings) -> str | None:
    """What is wrong when the Chromium of ``PLAYWRIGHT_LAUNCH_OPTIONS`` is not there to launch.

    Checked before the first render, so a machine without Chromium costs one line rather
    than a failed render per article. A browser Playwright installed itself, or one reached
    over ``PLAYWRIGHT_CDP_URL`` / ``PLAYWRIGHT_CONNECT_URL``, shows itself only by starting.
    """
    if settings.get("PLAYWRIGHT_CDP_URL") or settings.get("PLAYWRIGHT_CONNECT_URL"):
        return None
    path = chromium_path(settings)
    if path and not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return f"no Chromium at {path}"
    return None


def chromium_path(settings) -> str | None:
    """The Chromium ``PLAYWRIGHT_LAUNCH_OPTIONS`` launches, when it names one."""
    return (settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS") or {}).get("executable_path")


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


class Browser:
    """Renders articles through the crawler's engine (scrapy-playwright's download handler);
    a page that fails is rendered once more."""

    def __init__(self, crawler, timeout: float, pages_per_context: int, chromium: str | None):
        self.crawler = crawler
        self.timeout = timeout
        self.contexts = BrowserContexts(pages_per_context)
        self.chromium = chromium
        self._offsite_seen = False

    async def render(self, article: Article, keep_responses: bool) -> Render:
        """``article`` rendered, its counter read; ``NoBrowser`` when Chromium will not start."""
        counter = article.counter
        content_type = (article.http_headers or {}).get("Content-Type", "text/html")
        span_id = f"dynclicks_{counter['clicktype']}_{counter['clickid']}"
        return await self._render(article.url, article.raw_html, content_type, [span_id], keep_responses)

    async def render_list(self, url: str, html: bytes, content_type: str, span_ids: list[str]) -> Render:
        """A list page rendered until every counter of its batch call shows a number (``shown_all``)."""
        return await self._render(url, html, content_type, span_ids, keep_responses=True)

    async def _render(self, url: str, html: bytes | None, content_type: str, span_ids: list[str],
                      keep_responses: bool) -> Render:
        problem = ""
        for attempt in (1, 2):
            render = Render(url, html, content_type, span_ids, self.timeout, keep_responses, on_offsite=self._offsite)
            name = self.contexts.assign()
            try:
                response = await self.crawler.engine.download_async(render.request(name))
            except Exception as exc:  # a crashed, closed or hung page, or no browser at all
                first_line = str(exc).splitlines()[0] if str(exc) else ""
                if first_line.startswith("BrowserType."):  # launch / connect: Playwright's words
                    where = f" at {self.chromium}" if self.chromium else ""
                    raise NoBrowser(f"Chromium{where} would not start ({first_line})") from exc
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
                       "view counts: rendering %s failed (attempt %d): %s", url, attempt, problem)
        raise ViewCountError(f"browser: {problem}")

    def _offsite(self, url: str, page_url: str) -> None:
        self.crawler.stats.inc_value("newscrawl/view_counts/offsite_aborted")
        if not self._offsite_seen:
            self._offsite_seen = True
            logger.info("view counts: aborted %.200s, requested by the rendered page %s: rendered pages reach "
                        "only their own origin (newscrawl/view_counts/offsite_aborted counts them)", url, page_url)


class Render:
    """One page rendered in Chromium: the counts it shows and the responses that could have filled them."""

    def __init__(self, url: str, html: bytes | None, content_type: str, span_ids: list[str], timeout: float,
                 keep_responses: bool, on_offsite):
        self.url, self.html = url, html
        self.content_type = content_type
        self.span_ids = span_ids  # one: an article's counter; more: a list page's batch
        self.timeout_ms = timeout * 1000
        self.keep_responses = keep_responses
        self.responses: list = []
        self.bodies: list[tuple[str, str]] = []
        self.shown: int | None = None  # the first counter's count (an article's only one)
        self.shown_all: list[int | None] = []  # every counter's, in span_ids' order
        self.refused: CountOutOfRange | None = None
        self.on_offsite = on_offsite  # called with each aborted off-origin URL
        self.context = None

    def request(self, context: str) -> Request:
        """The article's request for scrapy-playwright, in browser context ``context``."""
        return Request(
            self.url,
            dont_filter=True,
            meta={
                "playwright": True,
                "playwright_context": context,
                "playwright_page_init_callback": self.init_page,
                "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"},
                "playwright_page_event_handlers": {"response": self.on_response},
                "playwright_page_methods": [PageMethod(self.read)],
            },
        )

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
        """A page method: wait for the counters to fill (a hung endpoint times out), then read them."""
        self.context = page.context
        if len(self.span_ids) == 1:
            shown = await page.wait_for_function(_SHOWN_COUNT, arg=self.span_ids, timeout=self.timeout_ms)
            try:
                self.shown = count_in(await shown.json_value())
            except CountOutOfRange as exc:  # the page rendered; its number is what is wrong
                self.refused = exc
            self.shown_all = [self.shown]
        else:
            shown = await page.wait_for_function(_SHOWN_COUNTS, arg=self.span_ids, timeout=self.timeout_ms)
            self.shown_all = [count_or_none(text) for text in await shown.json_value()]
            self.shown = self.shown_all[0]
        for response in self.responses:
            with suppress(PlaywrightError):  # redirects and aborted requests have no body
                self.bodies.append((response.url, await response.text()))


class BrowserContexts:
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
