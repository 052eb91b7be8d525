"""A crawl stays on its portal: http(s), its host, its port; Retry-After read as the portal meant it."""
from datetime import datetime, timezone

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from newscrawl.middlewares import OffsiteRedirect, OffsiteRequest, PortalScopeMiddleware, retry_after_seconds
from newscrawl.urls import in_scope
from spiders.xjtu import XjtuSpider

LOCAL = "http://127.0.0.1:8000"


@pytest.mark.parametrize("url, inside", [
    ("http://127.0.0.1:8000/info/1002/1.htm", True),
    ("http://127.0.0.1:8001/info/1002/1.htm", False),  # same host, another port
    ("http://localhost:8000/info/1002/1.htm", False),
    ("file:///etc/hostname", False),
    ("file:///dev/zero", False),
    ("ftp://127.0.0.1:8000/x", False),
    ("javascript:alert(1)", False),
    ("http://[x/a.jpg", False),  # urlsplit rejects it
    ("http://127.0.0.1:99999/x", False),  # port out of range
    ("//127.0.0.1:8000/x", False),
])
def test_scope_of_a_portal_on_its_own_port(url, inside):
    assert in_scope(url, LOCAL) is inside


@pytest.mark.parametrize("url, inside", [
    ("https://news.xjtu.edu.cn/info/1002/1.htm", True),
    ("http://news.xjtu.edu.cn/info/1002/1.htm", True),  # portals serve both
    ("https://NEWS.xjtu.edu.cn:443/x", True),
    ("https://news.xjtu.edu.cn:8443/x", False),
    ("https://news.xjtu.edu.cn.evil.example/x", False),
    ("https://xjtu.edu.cn/x", False),
])
def test_scope_of_a_portal_on_default_ports(url, inside):
    assert in_scope(url, "https://news.xjtu.edu.cn") is inside


def test_hosts_a_profile_names_are_in_scope():
    assert in_scope("https://www.xjtu.edu.cn/a.htm", "https://news.xjtu.edu.cn", ("www.xjtu.edu.cn",))


def _middleware(base_url=LOCAL):
    crawler = get_crawler(XjtuSpider)
    crawler.spider = XjtuSpider.from_crawler(crawler, base_url=base_url)
    return PortalScopeMiddleware.from_crawler(crawler), crawler


def test_the_middleware_refuses_requests_off_the_portal():
    middleware, crawler = _middleware()
    assert middleware.process_request(Request(LOCAL + "/info/1002/1.htm")) is None
    with pytest.raises(OffsiteRequest):
        middleware.process_request(Request("http://127.0.0.1:8001/info/1002/1.htm"))
    assert crawler.stats.get_value("newscrawl/requests/offsite") == 1


def test_a_redirect_off_the_portal_is_an_offsite_failure():
    middleware, crawler = _middleware()
    redirected = Request("http://evil.invalid/x", meta={"redirect_urls": [LOCAL + "/info/1002/1.htm"]})
    with pytest.raises(OffsiteRedirect):
        middleware.process_request(redirected)
    assert crawler.stats.get_value("newscrawl/redirects/offsite") == 1


def test_retry_after_in_seconds_or_as_a_date():
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds(b"Sat, 28 Nov 2026 12:00:30 GMT", now=now) == 30
    assert retry_after_seconds(b"Sat, 28 Nov 2026 11:00:00 GMT", now=now) == 0  # already past
    for junk in (None, b"", b"soon", b"-5", "²".encode(), b"99999999999999999999999999 GMT"):
        assert retry_after_seconds(junk, now=now) is None
