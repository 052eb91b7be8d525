"""What went wrong with a page, as a failure row reads it: a kind and a reason people understand."""
from __future__ import annotations

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from newscrawl.extract.page import looks_misdecoded
from newscrawl.middlewares import OffsiteRedirect, OffsiteRequest

_NETWORK_REASONS = {
    "ConnectionRefusedError": "connection refused",
    "DownloadConnectionRefusedError": "connection refused",
    "TimeoutError": "timed out",
    "DownloadTimeoutError": "timed out",
    "TCPTimedOutError": "timed out",
    "DNSLookupError": "host name not found",
    "CannotResolveHostError": "host name not found",
    "ConnectionLost": "connection lost",
    "ResponseNeverReceived": "no response (connection closed)",
}


def download_failure(failure) -> tuple[str, str]:
    """The kind and reason of a request that failed (a Twisted ``Failure``, after retries)."""
    error = failure.value
    if failure.check(HttpError):
        return "http", f"HTTP {error.response.status}"
    if failure.check(OffsiteRedirect, OffsiteRequest):
        return "offsite", str(error)
    if too_large(error):
        return "too_large", f"larger than DOWNLOAD_MAXSIZE: {error}"
    if failure.check(IgnoreRequest) and "redirect" in str(error).lower():
        return "redirect", str(error)
    return "network", network_reason(error)


def network_reason(error: BaseException) -> str:
    """A network error as a person reads it: "connection refused", then Scrapy's own words."""
    name = type(error).__name__
    detail = str(error).splitlines()[0] if str(error) else ""
    short = _NETWORK_REASONS.get(name)
    return f"{short} ({name}: {detail})" if short else f"{name}: {detail}"


def too_large(error: BaseException) -> bool:
    """Did Scrapy give up on the response for its size? It says so in the message when the
    size was announced; a body that grows past DOWNLOAD_MAXSIZE is cancelled without a word.
    (A page cancelled by a stopping crawl reads as too large too; it is retried next run.)"""
    text = str(error).lower()
    if isinstance(error, DownloadCancelledError) and not text:
        return True
    return "maxsize" in text or "max size" in text or "larger than download" in text


def damaged(body: bytes, text: str) -> str | None:
    """Why a fetched page cannot be trusted, if it cannot: cut off, or decoded wrongly."""
    if b"</html>" not in body[-4096:].lower():
        return "truncated page (no </html>)"
    if looks_misdecoded(text):
        return "encoding garbled (replacement characters after decoding)"
    return None
