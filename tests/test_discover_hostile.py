"""`newscrawl discover` against home pages a hostile or broken portal serves: bounded in time and size, on the portal only.

Discovery fetches with urllib, outside Scrapy, so none of the crawl's downloader protects it:
each property Scrapy gives a crawl (DOWNLOAD_TIMEOUT for the whole download, DOWNLOAD_MAXSIZE
after decompression, retries of transient errors, robots.txt, the portal's host) is checked
here against a real server on 127.0.0.1 that misbehaves, and a second server that must
receive nothing. Whatever the portal does, discover finds its columns or says in one line why not.
"""
from __future__ import annotations

import gzip
import re
import resource
import threading
import time
import urllib.request
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.settings import Settings

from newscrawl.discover import DiscoveryError, discover
from newscrawl.extract import extract_listing
from newscrawl.replica import Site, WebPlusSite, serve
from tests.hostile_portal import gzip_bomb, recording

QUICK = {"DOWNLOAD_DELAY": 0, "RETRY_BACKOFF_BASE": 0}
VSB_HEAD = ('<head><title>某某大学新闻网</title><script src="/system/resource/js/counter.js"></script></head>'
            "<!--Announced by Visual SiteBuilder 9-->")
NAV = '<div class="nav"><a href="/index/jdyw.htm">今日交大</a><a href="/index/zhxw.htm">综合新闻</a></div>'


def crawl_settings(**overrides) -> Settings:
    values = Settings()
    values.setmodule("newscrawl.settings", priority="project")
    values.setdict({**QUICK, **overrides}, priority="cmdline")
    return values


class Scripted(Site):
    """The bundled VSB portal where ``script`` answers chosen paths: path -> (status, headers,
    body) or a callable of the attempt number giving that."""

    def __init__(self, script: dict[str, tuple | Callable[[int], tuple]]):
        super().__init__(articles=20, seed=4)
        self.script = script

    def _route(self, path, query):
        answer = self.script.get(path)
        if callable(answer):
            answer = answer(self.requests[path])
        return answer if answer is not None else super()._route(path, query)


def html_page(body: str) -> tuple[int, dict, bytes]:
    return 200, {"Content-Type": "text/html; charset=UTF-8"}, f"<html>{VSB_HEAD}<body>{body}</body></html>".encode()


def finished_within(seconds: float, work: Callable[[], object]):
    """``work()``'s result or exception, failing the test if it is still running after ``seconds``
    (it is left to its daemon thread: a hung discovery must not hang the suite too)."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 (handed back to the test)
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    return outcome, time.monotonic() - started


def one_line_error(site: Site, path: str = "/", seconds: float = 30, **overrides) -> tuple[str, float]:
    """The one-line DiscoveryError discover gives for ``site``'s home page, and how long it took."""
    with serve(site) as base_url:
        outcome, took = finished_within(seconds, lambda: discover(base_url + path, crawl_settings(**overrides)))
    error = outcome.get("error")
    assert isinstance(error, DiscoveryError), f"expected a DiscoveryError, got {outcome}"
    assert "\n" not in str(error), str(error)
    return str(error), took


# -- time and size ----------------------------------------------------------------------------
def _trickle(attempt):
    """A home page that never ends, a byte every 0.2 s: each read is quick, the whole is endless."""
    def body():
        yield f"<html>{VSB_HEAD}<body>".encode()
        while True:
            time.sleep(0.2)  # the hostile server's pace, not a synchronisation of the test
            yield b" "
    return "stream", {"Content-Type": "text/html"}, body()


def test_a_home_page_that_trickles_forever_times_out_as_a_whole():
    """DOWNLOAD_TIMEOUT bounds the whole download, as in Scrapy, not each read of it."""
    message, took = one_line_error(Scripted({"/": _trickle}), DOWNLOAD_TIMEOUT=2, RETRY_TIMES=0)
    assert "timed out" in message and took < 10, (message, took)


def test_a_home_page_chunked_forever_is_too_large():
    def endless(attempt):
        chunk = b"<p>" + b"x" * 65536 + b"</p>"
        body = (b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in iter(int, 1))
        return "stream", {"Content-Type": "text/html", "Transfer-Encoding": "chunked"}, body

    message, _ = one_line_error(Scripted({"/": endless}), DOWNLOAD_MAXSIZE=2**20)
    assert "larger than DOWNLOAD_MAXSIZE" in message, message


def test_a_gzipped_home_page_is_read_although_identity_was_asked_for():
    """Portals behind a misconfigured proxy gzip whatever was asked: Scrapy reads those, so must discover."""
    class Gzipping(Site):
        def _route(self, path, query):
            status, headers, body = super()._route(path, query)
            return status, {**headers, "Content-Encoding": "gzip"}, gzip.compress(body)

    with serve(Gzipping(articles=20, seed=4)) as base_url:
        found = discover(base_url + "/", crawl_settings())
    assert [c.name for c in found.columns] == ["今日交大", "综合新闻", "学术动态", "媒体交大"]


def test_a_gzip_bomb_is_too_large_and_never_held_whole():
    bomb = gzip_bomb(b"<p>", 2**30)  # 1 GiB of text, a megabyte on the wire
    site = Scripted({"/": (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, bomb)})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    message, _ = one_line_error(site)
    grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    assert "larger than DOWNLOAD_MAXSIZE" in message, message
    assert grew < 200 * 2**20, f"peak memory grew {grew / 2**20:.0f} MB"


# -- retries --------------------------------------------------------------------------------
def test_a_transient_503_is_retried_as_the_crawl_retries():
    site = Scripted({"/": lambda attempt: (503, {"Content-Type": "text/html"}, b"busy") if attempt == 1 else None})
    with serve(site) as base_url:
        found = discover(base_url + "/", crawl_settings())
    assert site.requests["/"] == 2 and len(found.columns) == 4


def test_a_503_that_persists_is_one_line_after_retry_times_retries():
    site = Scripted({"/": (503, {"Content-Type": "text/html"}, b"busy")})
    message, _ = one_line_error(site, RETRY_TIMES=2)
    assert "answered HTTP 503" in message and site.requests["/"] == 3, (message, site.requests["/"])


def test_a_404_is_not_retried():
    site = Scripted({"/": (404, {"Content-Type": "text/html"}, b"gone")})
    message, _ = one_line_error(site)
    assert "answered HTTP 404" in message and site.requests["/"] == 1


def test_retry_after_is_waited_for_up_to_retry_after_max():
    site = Scripted({"/": lambda attempt: (429, {"Retry-After": "1"}, b"slow down") if attempt == 1 else None})
    with serve(site) as base_url:
        started = time.monotonic()
        discover(base_url + "/", crawl_settings())
    first, second = [at for at, path in site.request_log if path == "/"][:2]
    assert second - first >= 1 and time.monotonic() - started < 10


# -- where it goes --------------------------------------------------------------------------------
def test_robots_txt_disallowing_the_home_page_is_one_line_and_nothing_else_is_asked():
    site = Scripted({"/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /\n")})
    message, _ = one_line_error(site)
    assert "robots.txt" in message and "disallows" in message, message
    assert set(site.requests) == {"/robots.txt"}


def test_a_redirect_loop_is_one_line():
    site = Scripted({"/": (302, {"Location": "/a.htm"}, b""), "/a.htm": (302, {"Location": "/"}, b"")})
    message, _ = one_line_error(site)
    assert "redirects" in message, message


@pytest.mark.parametrize("location", ["http://[x/index.htm", "file:///etc/passwd", "ftp://127.0.0.1/", "javascript:alert(1)",
                                      "http://127.0.0.1:0/", "//localhost/index.htm", "http://127.0.0.1:notaport/"])
def test_a_redirect_to_no_page_of_the_portal_is_one_line(location):
    message, _ = one_line_error(Scripted({"/": (302, {"Location": location}, b"")}))
    assert "off the portal" in message or "not an http" in message, message


def test_a_column_named_in_chinese_is_asked_for_percent_encoded():
    """A nav link to /index/新闻.htm is a URL a browser (and Scrapy) sends percent-encoded."""
    nav = '<div class="nav"><a href="/index/新闻.htm">新闻</a><a href="/index/jdyw.htm">今日交大</a></div>'
    site = Scripted({"/": html_page(nav)})
    with serve(site) as base_url:
        found = discover(base_url + "/", crawl_settings())
    assert "/index/%E6%96%B0%E9%97%BB.htm" in site.requests
    assert [c.name for c in found.columns] == ["今日交大"]
    assert [s.name for s in found.skipped] == ["新闻"]


def test_thousands_of_nav_links_cost_a_bounded_number_of_requests():
    nav = "".join(f'<a href="/index/c{i}.htm">栏目{i}</a>' for i in range(5000))
    site = Scripted({"/": html_page(f'<div class="menu">{nav}</div>')})
    message, took = one_line_error(site)
    assert "none of the 5000 column(s)" in message, message
    assert sum(site.requests.values()) <= 2 + 30, dict(site.requests)


# A hostile home page, made by hypothesis: nav links and redirects of any shape, some to the
# second server. Whatever it holds, discover answers or says why in one line, and the
# second server hears nothing.
HREFS = st.one_of(
    st.sampled_from(["/index/jdyw.htm", "index/zhxw.htm", "/index/xsdt.htm#x", "/index/mtjd.htm?a=1", "/index/gone.htm",
                     "http://[x/a.htm", "file:///etc/hostname", "ftp://127.0.0.1/", "javascript:void(0)", "mailto:a@b",
                     "/index/新闻.htm", "//localhost/index/jdyw.htm", "http://127.0.0.1:99999/", "/info/1002/1.htm",
                     " ", "/%zz.htm", "/index/\x00.htm", "OTHER/index/jdyw.htm"]),
    st.text(max_size=30),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hrefs=st.lists(HREFS, max_size=12), redirect=st.one_of(st.none(), HREFS))
def test_any_home_page_is_columns_or_one_line_and_nothing_leaves_the_portal(hrefs, redirect):
    with recording() as elsewhere:
        links = "".join(f'<a href="{h.replace("OTHER", elsewhere.base_url).replace(chr(34), "")}">栏目</a>' for h in hrefs)
        script = {"/": html_page(f"<nav>{links}</nav>")}
        if redirect is not None:
            location = redirect.replace("OTHER", elsewhere.base_url).encode("latin-1", "ignore").decode("latin-1")
            script = {"/": (302, {"Location": location.replace("\n", "").replace("\r", "")}, b""),
                      "/index.htm": script["/"]}
        with serve(Scripted(script)) as base_url:
            outcome, _ = finished_within(30, lambda: discover(base_url + "/", crawl_settings()))
        assert elsewhere.received == []
    error = outcome.get("error")
    assert error is None or (isinstance(error, DiscoveryError) and "\n" not in str(error)), repr(error)


# -- what discover keeps, the crawl can read ---------------------------------------------------
class HalfAndHalf(Site):
    """A VSB portal some of whose columns moved to WebPlus (served on the same host): its
    navigation names both kinds of list page."""

    def __init__(self):
        super().__init__(articles=20, seed=5)
        self.webplus = WebPlusSite(articles=20, seed=8)

    def _route(self, path, query):
        if re.fullmatch(r"/\d+/list\d*\.htm", path) or path.endswith("/page.htm") or path.startswith("/_"):
            return self.webplus._route(path, query)
        return super()._route(path, query)

    def _home(self):
        moved = '<li><a href="/1002/list.htm">新版今日</a></li><li><a href="/1003/list.htm">新版综合</a></li>'
        return super()._home().replace("</ul>", moved + "</ul>", 1)


def test_every_column_discover_keeps_is_one_the_crawl_reads_with_the_profile_it_makes():
    """Discovery judged a list page by whichever family its markers named, the crawl reads it
    by the portal's family: WebPlus columns of a VSB portal were kept, and every run failed on them."""
    site = HalfAndHalf()
    with serve(site) as base_url:
        found = discover(base_url + "/", crawl_settings())
        portal = found.portal("half")
        for column in found.columns:
            body = urllib.request.urlopen(column.list_url).read()
            assert extract_listing(body, column.list_url, portal).articles, f"the crawl reads no article on {column.name}"
    assert found.cms == "vsb" and [c.name for c in found.columns] == ["今日交大", "综合新闻", "学术动态", "媒体交大"]
    reasons = {s.name: s.reason for s in found.skipped}
    assert set(reasons) == {"新版今日", "新版综合"} and all("webplus" in r for r in reasons.values()), reasons
