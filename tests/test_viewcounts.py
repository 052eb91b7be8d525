"""Reading view counts: the pure parts (counts in text, learning an endpoint, rechecks)."""
from __future__ import annotations

from types import SimpleNamespace

from newscrawl.viewcounts import VSB_ENDPOINT, abort_request, agrees, count_in, endpoint_url, learn_endpoint, recheck_problem

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
