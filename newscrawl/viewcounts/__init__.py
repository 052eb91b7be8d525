"""View counts (浏览量): read in Chromium, or straight from the endpoint the browser was seen to use.

A VSB article page fills its counter with JavaScript (``_showDynClicks(clicktype, owner,
clickid)`` fetches a number and writes it into a span), so the plain page never holds the
count. ``VIEW_COUNTS`` chooses how it is read:

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

`endpoint` is pure (counts, endpoint templates, their checks); `browser` is the one module
that knows Playwright; `plain` sends the plain requests to a counter; `config` parses the
settings once; `state` is how counts are read right now; `reader` reads them, one by one or
through `batches` (many counters in one request); `pipeline` puts them on articles.
"""
from newscrawl.viewcounts.browser import abort_request
from newscrawl.viewcounts.config import MODES
from newscrawl.viewcounts.pipeline import ViewCountPipeline

__all__ = ["MODES", "ViewCountPipeline", "abort_request"]
