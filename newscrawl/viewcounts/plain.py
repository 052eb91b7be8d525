"""Plain requests to a counter endpoint, through the crawler's engine as the browser would send them."""
from __future__ import annotations

from scrapy import Request

from newscrawl.viewcounts.endpoint import CountOutOfRange, ViewCountError, count_in

OWN = "newscrawl_viewcounts"  # request meta: a request of the reader's own (counter, render)


class Unreadable(Exception):
    """A direct answer that is not a count: the learned endpoint is not to be trusted."""


async def fetch_text(crawler, url: str, page_url: str) -> str:
    """One plain request to a counter endpoint; the page's URL as Referer, as the browser sends."""
    request = Request(url, headers={"Referer": page_url}, dont_filter=True, meta={OWN: True})
    try:
        response = await crawler.engine.download_async(request)
    except Exception as exc:  # network errors, after the retry middleware's retries
        raise ViewCountError(f"{url}: {type(exc).__name__}: {exc}") from exc
    if response.status != 200:
        raise Unreadable(f"{url} answered HTTP {response.status}")
    return response.text


async def fetch_count(crawler, url: str, page_url: str) -> int:
    """The count one plain request to a counter endpoint reads."""
    text = await fetch_text(crawler, url, page_url)
    try:
        count = count_in(text)
    except CountOutOfRange as exc:  # this article's count, not the endpoint, is wrong
        raise CountOutOfRange(f"{exc} ({url})") from None
    if count is None:
        raise Unreadable(f"{url} answered {text[:40]!r}, not a count")
    return count
