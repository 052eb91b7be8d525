"""Reading view counts: the pure parts (counts in text, learning an endpoint, rechecks)."""
from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.utils.test import get_crawler

from newscrawl.viewcounts.browser import abort_request, missing_chromium, same_origin
from newscrawl.viewcounts.endpoint import (
    MAX_COUNT, VSB_ENDPOINT, CountOutOfRange, ViewCountError, agrees, count_in, endpoint_url, learn_endpoint,
    recheck_problem,
)
from newscrawl.viewcounts.reader import ViewCountReader
from newscrawl.viewcounts.state import Strategy

COUNTER = {"clicktype": "wbnews", "owner": "1369287362", "clickid": "713245"}
PAGE = "https://news.example.edu.cn/info/1002/213245.htm"
ENDPOINT = "https://news.example.edu.cn/system/resource/code/news/click/dynclicks.jsp"
OBSERVED = [
    ("https://news.example.edu.cn/system/resource/js/dynclicks.js", "function _showDynClicks(a, b, c) { return 1; }"),
    ("https://news.example.edu.cn/system/resource/code/news/related.jsp?owner=1369287362&newsid=213245", "[]"),
    (f"{ENDPOINT}?clickid=713245&owner=1369287362&clicktype=wbnews", "1862"),
]


def test_count_in_reads_the_one_number():
    assert count_in("1862") == 1862
    assert count_in(" 1,862\r\n") == 1862
    assert count_in("") is None
    assert count_in("共 12 条，第 1 页") is None


def test_garbage_is_no_count():
    for text in ("NaN", "1e30", "0x1F", "1.5", "-"):
        assert count_in(text) is None, text


@pytest.mark.parametrize("text", [str(10**30), str(2**63), "-5", "-1,862", "9" * 5000])
def test_a_number_no_count_can_be_is_refused_with_its_reason(text):
    with pytest.raises(CountOutOfRange, match=r"^count \S+( \(5000 characters\))? out of range$") as refused:
        count_in(text)
    assert len(str(refused.value)) < 80  # 5,000 digits are not repeated in a log line


def test_the_largest_count_sqlite_holds_is_a_count():
    assert count_in(str(MAX_COUNT)) == MAX_COUNT == 2**63 - 1
    assert count_in("0") == 0 and count_in("000000000000000000000000042") == 42
    assert issubclass(CountOutOfRange, ViewCountError)  # a failure of its article, not of the endpoint


def test_numbers_out_of_range_neither_teach_nor_agree():
    huge = [(f"{ENDPOINT}?clickid=713245&owner=1369287362&clicktype=wbnews", str(10**30))]
    assert learn_endpoint(COUNTER, 10**30, huge) is None
    assert "answered" in recheck_problem(huge[0][0], 1862, huge)
    assert not agrees(10**30, 10**30) and not agrees(-5, -5) and not agrees(MAX_COUNT, 10**30)
    assert agrees(MAX_COUNT, MAX_COUNT)


def test_learns_the_template_from_the_response_that_carried_the_count():
    template = learn_endpoint(COUNTER, 1862, OBSERVED)
    assert template == f"{ENDPOINT}?clickid={{clickid}}&owner={{owner}}&clicktype={{clicktype}}"
    other = {"clicktype": "wbnews", "owner": "1369287362", "clickid": "200001"}
    assert endpoint_url(template, other, PAGE) == f"{ENDPOINT}?clickid=200001&owner=1369287362&clicktype=wbnews"


def test_clickid_in_the_path_is_learned_too():
    observed = [("https://counter.example.edu.cn/hits/713245.json?site=news", '{"hits": 1862}')]
    assert learn_endpoint(COUNTER, 1862, observed) == "https://counter.example.edu.cn/hits/{clickid}.json?site=news"


def test_no_endpoint_when_no_response_carries_the_count_per_article():
    assert learn_endpoint(COUNTER, 1863, OBSERVED) is None  # the page computed its number
    sitewide = [("https://news.example.edu.cn/stats.jsp?owner=1369287362", "1862")]
    assert learn_endpoint(COUNTER, 1862, sitewide) is None  # not per article


def test_vsb_template_fills_from_the_counter_not_the_url():
    assert endpoint_url(VSB_ENDPOINT, COUNTER, PAGE) == f"{ENDPOINT}?clickid=713245&owner=1369287362&clicktype=wbnews"


def test_recheck_problems():
    expected = f"{ENDPOINT}?clickid=713245&owner=1369287362&clicktype=wbnews"
    assert recheck_problem(expected, 1862, OBSERVED) is None
    assert "shows 1900" in recheck_problem(expected, 1900, OBSERVED)
    assert "did not request" in recheck_problem(expected.replace("713245", "213245"), 1862, OBSERVED)


def test_a_direct_reading_may_only_have_grown_a_little():
    assert agrees(1862, 1862) and agrees(1862, 1863)
    assert not agrees(1862, 1861) and not agrees(1862, 2500) and not agrees(0, 1862)


def test_browser_loads_scripts_but_not_what_it_would_only_draw():
    kinds = {kind: abort_request(SimpleNamespace(resource_type=kind)) for kind in
             ("document", "script", "xhr", "fetch", "image", "font", "media", "stylesheet")}
    assert [k for k, aborted in kinds.items() if aborted] == ["image", "font", "media", "stylesheet"]


def test_a_rendered_page_may_reach_only_its_own_origin():
    page = "http://127.0.0.1:8000/info/1002/213245.htm"
    assert same_origin("http://127.0.0.1:8000/system/resource/js/dynclicks.js", page)
    assert same_origin("http://news.example.edu.cn:80/a.js", "http://news.example.edu.cn/info/1.htm")
    for url in ("http://127.0.0.1:8001/x.js", "http://localhost:8000/x.js", "https://127.0.0.1:8000/x.js",
                "http://evil.example/x.js", "http://127.0.0.1:99999/x", "http://127.0.0.1:8000x/", "data:text/plain,1",
                "file:///etc/hostname", "about:blank"):
        assert not same_origin(url, page), url


def _launch_options(path):
    return {"PLAYWRIGHT_LAUNCH_OPTIONS": {"executable_path": path, "headless": True}}


def test_a_missing_or_unusable_chromium_is_noticed_before_any_render(tmp_path):
    def settings(**values):
        return get_crawler(settings_dict=values).settings

    assert missing_chromium(settings(**_launch_options("/nonexistent/chromium"))) == "no Chromium at /nonexistent/chromium"
    (tmp_path / "chromium").write_text("not a program")
    assert missing_chromium(settings(**_launch_options(str(tmp_path / "chromium")))) == f"no Chromium at {tmp_path}/chromium"
    assert missing_chromium(settings(**_launch_options(sys.executable))) is None
    # A browser Playwright manages, or one reached over the network, shows itself only by starting.
    assert missing_chromium(settings(PLAYWRIGHT_LAUNCH_OPTIONS={})) is None
    assert missing_chromium(settings(PLAYWRIGHT_CDP_URL="http://127.0.0.1:9222", **_launch_options("/nonexistent"))) is None


def _reader(mode: str, chromium: str) -> ViewCountReader:
    return ViewCountReader.from_crawler(get_crawler(settings_dict={"VIEW_COUNTS": mode, **_launch_options(chromium)}))


def _opened(mode: str, chromium: str) -> ViewCountReader:
    reader = _reader(mode, chromium)
    reader.spider_opened()
    return reader


def test_auto_without_chromium_reads_through_vsbs_counter_and_says_so_once(caplog):
    reader = _opened("auto", "/nonexistent/chromium")
    assert (reader.state.strategy, reader.state.template) == (Strategy.DIRECT, VSB_ENDPOINT)
    assert [r.getMessage() for r in caplog.records] == [
        "view counts: no Chromium at /nonexistent/chromium; reading counts through VSB's counter directly "
        "(install it: apt-get install chromium-headless-shell (or chromium))"
    ]
    assert reader.crawler.stats.get_value("newscrawl/fatal") is None


def test_browser_without_chromium_stops_the_run_with_one_line(caplog):
    reader = _reader("browser", "/nonexistent/chromium")
    with pytest.raises(CloseSpider) as closed:
        reader.spider_opened()
    assert closed.value.reason == "no_browser"
    message = "view counts: VIEW_COUNTS=browser, but no Chromium at /nonexistent/chromium (install it: apt-get install chromium-headless-shell (or chromium))"
    # A warning: the run's summary line, from newscrawl/fatal, is the one a cron mail shows.
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("WARNING", message)]
    stats = reader.crawler.stats
    assert stats.get_value("newscrawl/fatal") == stats.get_value("newscrawl/view_counts/no_browser") == message


@pytest.mark.parametrize("mode", ["direct", "off"])
def test_modes_that_never_render_do_not_ask_for_chromium(caplog, mode):
    assert _opened(mode, "/nonexistent/chromium").state.strategy.value == mode and not caplog.records


def test_rechecks_sample_every_nth_reading_up_to_the_runs_limit():
    from newscrawl.viewcounts.config import ViewCountConfig

    config = ViewCountConfig(recheck_every=10, recheck_limit=2)
    assert [n for n in range(1, 41) if config.rechecks(n, done=0)] == [10, 20, 30, 40]
    assert config.rechecks(30, done=1) and not config.rechecks(30, done=2)
    assert ViewCountConfig(recheck_every=10, recheck_limit=0).rechecks(1000, done=999)  # 0: no limit
    assert not ViewCountConfig(recheck_every=0).rechecks(100, done=0)  # VIEW_COUNTS_RECHECK=0: never
