"""The related box read link by link, and failed downloads named as people name them."""
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, DownloadConnectionRefusedError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newscrawl.extract.related import related_links
from newscrawl.failures import damaged, download_failure
from newscrawl.middlewares import OffsiteRedirect

BASE = "http://127.0.0.1:8000/system/resource/code/news/related.jsp?owner=1&newsid=2"


def test_related_links_are_read_one_by_one():
    text = '[{"url": "/info/1002/1.htm"}, {"url": "http://[x/b.htm"}, {"title": "no url"}, 7, {"url": "../info/1003/2.htm"}]'
    urls, skipped = related_links(text, BASE)
    assert urls == ["http://127.0.0.1:8000/info/1002/1.htm", "http://127.0.0.1:8000/system/resource/code/info/1003/2.htm"]
    assert skipped == 3


def test_an_unreadable_related_box_names_nothing():
    assert related_links("<html>error</html>", BASE) == ([], 0)
    assert related_links('{"url": "/info/1002/1.htm"}', BASE) == ([], 1)


def _failure(error) -> Failure:
    try:
        raise error
    except Exception:
        return Failure()


def test_download_failures_by_kind():
    response = Response("http://127.0.0.1:8000/info/1002/1.htm", status=404, request=Request("http://127.0.0.1:8000/"))
    assert download_failure(_failure(HttpError(response))) == ("http", "HTTP 404")
    assert download_failure(_failure(OffsiteRedirect("redirected off the portal to http://evil/")))[0] == "offsite"
    assert download_failure(_failure(DownloadCancelledError()))[0] == "too_large"
    kind, reason = download_failure(_failure(DownloadConnectionRefusedError("111: Connection refused.")))
    assert kind == "network" and reason.startswith("connection refused")


def test_a_page_cut_off_or_garbled_is_damaged():
    assert damaged(b"<html><body>half", "<html><body>half") == "truncated page (no </html>)"
    assert damaged(b"<html></html>", "<html></html>") is None
