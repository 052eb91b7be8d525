"""Batch view counts: VSB's dynclicksbatch.jsp parsed (pure), read by a crawl a list page at a
time, and by `newscrawl counts`, the count-only refresh, against the bundled portal."""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from archive.lock import ArchiveLock
from newscrawl.demo import LOCAL_OVERRIDES
from newscrawl.replica import Site, serve
from newscrawl.viewcounts.endpoint import (
    VSB_BATCH_ENDPOINT, BatchCall, batch_endpoint_url, batch_tokens, find_batch_calls, learn_batch_endpoint,
)
from tests.conftest import ROOT, open_db, run_crawl

REAL_LIST = ROOT / "tests/fixtures/real/cst.nuc.edu.cn/list-xwzx-xyxw-page1.html"
BATCH = "/system/resource/code/news/click/dynclicksbatch.jsp"
SINGLE = "/system/resource/code/news/click/dynclicks.jsp"


# -- pure: the batch call and the batch counter's answer -------------------------------------

def test_a_real_list_pages_batch_call_names_its_counters_in_order():
    (call,) = find_batch_calls(REAL_LIST.read_bytes().decode("utf-8-sig"))
    assert call.clickids == ("5588", "5586", "5570", "5569", "5557", "5546", "5591", "5545", "5593", "5589")
    assert call.span_ids[0] == "dynclicks_u5_5588" and len(call.span_ids) == 10
    assert (call.clicktype, call.owner) == ("wbnews", "1391370217")
    assert call.counters()[1] == {"clicktype": "wbnews", "owner": "1391370217", "clickid": "5586"}


def test_a_call_whose_lists_differ_in_length_is_not_read():
    assert find_batch_calls("_showDynClickBatch(['a','b'],[1],\"wbnews\", 9)") == []


def test_the_answer_must_be_as_many_numbers_as_asked():
    assert batch_tokens("12,0,345\n", 3) == ["12", "0", "345"]
    assert batch_tokens("12,0", 3) is None
    assert batch_tokens("12,NaN,3", 3) is None
    assert batch_tokens("", 1) is None


def test_learns_the_batch_template_from_the_response_that_carried_the_shown_counts():
    call = BatchCall(("dynclicks_u8_7", "dynclicks_u8_70"), ("7", "70"), "wbnews", "1369287362")
    url = "http://p.example/system/resource/code/news/click/dynclicksbatch.jsp?clickids=7%2C70&owner=1369287362&clicktype=wbnews"
    responses = [("http://p.example/system/resource/js/dynclicks.js", "function(){}"), (url, "5,17")]
    template = learn_batch_endpoint(call, [5, 17], responses)
    assert template == "http://p.example" + VSB_BATCH_ENDPOINT
    assert learn_batch_endpoint(call, [5, 18], responses) is None  # the page shows other numbers
    assert learn_batch_endpoint(call, [5, None], responses) is None  # a counter the page never filled
    assert batch_endpoint_url(VSB_BATCH_ENDPOINT, ["1", "2"], "9", "wbnews", "http://p.example/index/a.htm") == (
        "http://p.example/system/resource/code/news/click/dynclicksbatch.jsp?clickids=1,2&owner=9&clicktype=wbnews")


# -- end to end ------------------------------------------------------------------------------

def _asked(site: Site, path: str, since: Counter | None = None) -> int:
    since = since or Counter()
    return sum(n - since[p] for p, n in site.requests.items() if p.split("?")[0] == path)


def _counts_by_path(db, base_url: str, site: Site) -> dict[str, int]:
    return {a.path: db.execute("select a.view_count from articles a join article_urls u on u.article_id = a.id "
                               "where u.url = ?", [base_url + a.path]).fetchone()[0] for a in site.articles}


def counts_command(base_url: str, db: Path, *args: str) -> list[str]:
    """`newscrawl counts xjtu` as cron runs it, with the bundled portal's local overrides."""
    local = [arg for key, value in LOCAL_OVERRIDES.items() if key != "LOG_LEVEL" for arg in ("-s", f"{key}={value}")]
    return [sys.executable, "-m", "newscrawl.cli", "counts", "xjtu", "--db", str(db), "--base-url", base_url, *local, *args]


def test_a_crawl_reads_counts_a_list_page_at_a_time(tmp_path):
    site = Site(articles=60, seed=7)
    with serve(site) as base_url:
        done = run_crawl(base_url, tmp_path / "news.db", "-s", "LOG_LEVEL=INFO")
    assert "learned the batch counter" in done.stderr and "one by one" not in done.stderr
    db = open_db(tmp_path / "news.db")
    assert _counts_by_path(db, base_url, site) == {a.path: site.view_count(a) for a in site.articles}
    methods = Counter(r["method"] for r in db["view_counts"].rows)
    rendered = _asked(site, "/system/resource/js/dynclicks.js")  # every page Chromium rendered
    assert _asked(site, BATCH) >= 2 and methods["batch"] >= len(site.articles) - rendered
    assert _asked(site, SINGLE) <= rendered  # single counters: only what rendered pages asked
    assert methods["direct"] == 0


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """A 200-article portal crawled, then a day later refreshed by `newscrawl counts`."""
    site = Site(articles=200, seed=5)
    db_path = tmp_path_factory.mktemp("counts") / "news.db"
    with serve(site) as base_url:
        run_crawl(base_url, db_path)
        site.advance_day()
        before = Counter(site.requests)
        done = subprocess.run(counts_command(base_url, db_path), cwd=ROOT, capture_output=True, text=True, timeout=300)
    return dict(site=site, base_url=base_url, db=open_db(db_path), done=done, before=before)


def test_counts_refreshes_every_article_with_one_request_per_ten_or_fewer(refreshed):
    site, db, done = refreshed["site"], refreshed["db"], refreshed["done"]
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    run = list(db["crawl_runs"].rows)[-1]
    articles = db["articles"].count
    assert run["status"] == "ok" and '"counts": "1"' in run["arguments"]
    assert run["requests"] / articles <= 0.1, (run["requests"], articles)
    assert not [p for p in site.requests if site.requests[p] > refreshed["before"][p] and p.startswith("/info/")]
    assert _asked(site, BATCH, refreshed["before"]) >= articles // 50


def test_counts_adds_one_observation_per_article_however_many_urls(refreshed):
    site, db, base_url = refreshed["site"], refreshed["db"], refreshed["base_url"]
    assert any(a.alias_id for a in site.articles), "some articles must be seen under two URLs"
    assert _counts_by_path(db, base_url, site) == {a.path: site.view_count(a) for a in site.articles}
    stamp = list(db["crawl_runs"].rows)[-1]["started_at"]
    added = Counter(r[0] for r in db.execute("select article_id from view_counts where observed_at >= ?", [stamp]))
    assert len(added) == db["articles"].count and set(added.values()) == {1}


def test_counts_while_a_crawl_holds_the_archive_does_nothing_and_exits_0(tmp_path, portal):
    site, base_url = portal
    db_path = tmp_path / "news.db"
    run_crawl(base_url, db_path)
    runs = open_db(db_path)["crawl_runs"].count
    held = ArchiveLock(db_path)
    assert held.acquire()
    try:
        done = subprocess.run(counts_command(base_url, db_path), cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        held.release()
    assert done.returncode == 0 and done.stderr == ""
    assert open_db(db_path)["crawl_runs"].count == runs


def test_counts_of_an_unknown_portal_is_a_usage_error(tmp_path):
    done = subprocess.run([sys.executable, "-m", "newscrawl.cli", "counts", "nope", "--db", str(tmp_path / "n.db")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "unknown portal 'nope'" in done.stderr


def test_a_run_renders_no_more_rechecks_than_VIEW_COUNTS_RECHECK_MAX(tmp_path):
    site = Site(articles=120, seed=9)
    with serve(site) as base_url:
        run_crawl(base_url, tmp_path / "news.db", "-s", "VIEW_COUNTS_RECHECK=0.05", "-s", "VIEW_COUNTS_RECHECK_MAX=2")
        crawl_renders = _asked(site, "/system/resource/js/dynclicks.js")
        before = Counter(site.requests)
        done = subprocess.run(counts_command(base_url, tmp_path / "news.db", "-s", "VIEW_COUNTS_RECHECK=0.05",
                                             "-s", "VIEW_COUNTS_RECHECK_MAX=2"),
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    # 120 readings at one in 20 would be six rechecks a run: two are rendered, besides the
    # one page each run renders to learn (or verify) the counter.
    assert 2 <= crawl_renders <= 3
    assert 2 <= _asked(site, "/system/resource/js/dynclicks.js", before) <= 3
    methods = Counter(r["method"] for r in open_db(tmp_path / "news.db")["view_counts"].rows)
    assert methods["browser"] <= 5 and methods["batch"] >= 2 * 120 - 5
