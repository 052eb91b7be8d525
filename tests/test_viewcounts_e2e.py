"""View counts end to end: real crawls with real Chromium against the bundled portal."""
from __future__ import annotations

import json

import pytest

from newscrawl.replica import Faults, Site, serve
from tests.conftest import newscrawl_crawl, open_db, run_crawl

DYNCLICKS_JS = "/system/resource/js/dynclicks.js"  # loaded only by a browser rendering an article


def _readings(db, base_url, site) -> dict[str, list[tuple[int, str]]]:
    """Every view-count observation of every article, oldest first, by article path."""
    out = {}
    for art in site.articles:
        row = db.execute("select article_id from article_urls where url = ?", [base_url + art.path]).fetchone()
        assert row, f"{art.path} was not archived"
        out[art.path] = [(r["count"], r["method"]) for r in db["view_counts"].rows_where("article_id = ?", [row[0]], order_by="id")]
    return out


def _latest(db, base_url, path):
    return db.execute(
        "select a.view_count from articles a join article_urls u on u.article_id = a.id where u.url = ?", [base_url + path]
    ).fetchone()[0]


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    """One portal read three times: in the browser, then `auto` on day 0 and on day 1."""
    site = Site(articles=40, seed=11)
    assert any(a.clickid != a.id for a in site.articles), "some counters must not be the article id"
    tmp = tmp_path_factory.mktemp("viewcounts")
    with serve(site) as base_url:
        run_crawl(base_url, tmp / "browser.db", "-s", "VIEW_COUNTS=browser")
        browser_requests = dict(site.requests)
        day0 = {a.path: site.view_count(a) for a in site.articles}
        # Counters read one by one (batches off): the single endpoint, the fallback of batches, is what is tested.
        auto = run_crawl(base_url, tmp / "auto.db", "-s", "VIEW_COUNTS=auto", "-s", "VIEW_COUNTS_RECHECK=0.1",
                         "-s", "VIEW_COUNTS_BATCH_SIZE=1", "-s", "LOG_LEVEL=INFO")
        auto_requests = {p: n - browser_requests.get(p, 0) for p, n in site.requests.items()}
        site.advance_day()
        day1 = {a.path: site.view_count(a) for a in site.articles}
        # Crawls are incremental: archived articles are re-read when a refresh asks for them.
        run_crawl(base_url, tmp / "auto.db", "-a", "refresh_days=36500")
        yield dict(site=site, base_url=base_url, browser=open_db(tmp / "browser.db"), auto=open_db(tmp / "auto.db"),
                   browser_requests=browser_requests, auto_requests=auto_requests, auto_log=auto.stderr, day0=day0, day1=day1)


def test_browser_renders_every_article_and_reads_its_count(crawls):
    site, base_url, db = crawls["site"], crawls["base_url"], crawls["browser"]
    readings = _readings(db, base_url, site)
    for path, observed in readings.items():
        assert observed and all(reading == (crawls["day0"][path], "browser") for reading in observed), path
    requested = crawls["browser_requests"]
    assert requested[DYNCLICKS_JS] >= len(site.articles) - sum(1 for a in site.articles if a.alias_id)
    assert not [p for p in requested if p.endswith((".jpg", ".png", ".css", ".woff2"))], "the browser loaded images or styles"


def test_auto_learns_the_endpoint_and_agrees_with_the_browser(crawls):
    site, base_url = crawls["site"], crawls["base_url"]
    browser = {p: r[0][0] for p, r in _readings(crawls["browser"], base_url, site).items()}
    auto_readings = _readings(crawls["auto"], base_url, site)
    auto = {p: r[0][0] for p, r in auto_readings.items()}
    assert auto == browser == crawls["day0"]
    assert "learned http://127.0.0.1" in crawls["auto_log"] and "dynclicks.jsp?clickid={clickid}" in crawls["auto_log"]
    assert "using the browser" not in crawls["auto_log"]
    methods = [r[0][1] for r in auto_readings.values()]
    rendered = crawls["auto_requests"].get(DYNCLICKS_JS, 0)
    assert methods.count("direct") >= len(site.articles) - 6 and 2 <= methods.count("browser") == rendered
    assert rendered <= 1 + len(site.articles) // 10  # the learner and the rechecks, nothing else


def test_a_recrawl_adds_observations_and_the_article_keeps_the_latest(crawls):
    site, base_url, db = crawls["site"], crawls["base_url"], crawls["auto"]
    for path, readings in _readings(db, base_url, site).items():
        counts = [c for c, _ in readings]
        # Day 0 read it under each URL it was listed under; the refresh on day 1 once.
        assert set(counts[:-1]) == {crawls["day0"][path]} and counts[-1] == crawls["day1"][path], path
        assert crawls["day1"][path] > crawls["day0"][path]
        assert _latest(db, base_url, path) == crawls["day1"][path]


def test_a_hung_page_costs_one_retry_and_a_page_that_never_renders_is_a_failure(tmp_path):
    site = Site(articles=30, seed=5)
    hung, dead = site.articles[3], site.articles[8]
    counter = "/system/resource/code/news/click/dynclicks.jsp?clickid={}&owner=1369287362&clicktype=wbnews"
    site.faults = Faults(hang_seconds=8, hang_paths={counter.format(hung.clickid): 1, counter.format(dead.clickid): 2})
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        run_crawl(base_url, db_path, "-s", "VIEW_COUNTS=browser", "-s", "VIEW_COUNTS_RENDER_TIMEOUT=2", failing=True)
    db = open_db(db_path)
    assert site.requests[counter.format(hung.clickid)] == 2 and site.requests[counter.format(dead.clickid)] == 2
    assert _latest(db, base_url, hung.path) == site.view_count(hung)
    assert _latest(db, base_url, dead.path) is None  # the article is kept, without its count
    failures = {r["url"].removeprefix(base_url): (r["kind"], r["resolved_at"]) for r in db["failures"].rows}
    assert failures == {dead.path: ("view_count", None)}
    others = [a for a in site.articles if a is not dead]
    assert all(_latest(db, base_url, a.path) == site.view_count(a) for a in others)


def test_summary_says_how_many_articles_have_a_count_and_how_it_was_read(crawls):
    from click.testing import CliRunner

    from newscrawl.cli import cli

    n = len(crawls["site"].articles)
    out = CliRunner().invoke(cli, ["summary", "--db", crawls["browser"].conn.execute("pragma database_list").fetchone()[2]]).output
    assert f"{n} of {n} articles have a view count, {n} read browser" in out


def test_auto_falls_back_to_the_browser_when_plain_requests_read_another_count(tmp_path):
    site = Site(articles=20, seed=9, plain_count_offset=1000)  # far beyond the agreement tolerance
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        done = run_crawl(base_url, db_path, "-s", "VIEW_COUNTS=auto", "-s", "LOG_LEVEL=INFO")
    assert "using the browser" in done.stderr
    db = open_db(db_path)
    readings = _readings(db, base_url, site)
    by_path = {a.path: a for a in site.articles}
    for path, observed in readings.items():
        assert observed and all(reading == (site.view_count(by_path[path]), "browser") for reading in observed), path


NO_CHROMIUM = "PLAYWRIGHT_LAUNCH_OPTIONS=" + json.dumps({"executable_path": "/nonexistent/chromium", "headless": True})


def test_auto_without_chromium_reads_every_count_through_vsbs_counter(tmp_path):
    site = Site(articles=20, seed=3)
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        done = run_crawl(base_url, db_path, "-s", "VIEW_COUNTS=auto", "-s", NO_CHROMIUM)  # LOG_LEVEL WARNING
    said = [line for line in done.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    assert len(said) == 1 and said[0].endswith(
        "view counts: no Chromium at /nonexistent/chromium; reading counts through VSB's counter directly "
        "(install it: apt-get install chromium-headless-shell (or chromium))"
    ), said
    db = open_db(db_path)
    by_path = {a.path: a for a in site.articles}
    for path, observed in _readings(db, base_url, site).items():
        # VSB's batch counter (list pages), unchecked, or its single one (articles no list named)
        assert observed and all(reading[0] == site.view_count(by_path[path]) and reading[1] in ("batch", "direct")
                                for reading in observed), path
    assert db["failures"].count == 0
    assert DYNCLICKS_JS not in site.requests  # nothing was rendered


def test_browser_without_chromium_fails_the_run_at_once_with_one_line(tmp_path):
    site = Site(articles=20, seed=3)
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        done = newscrawl_crawl(base_url, db_path, "-s", "VIEW_COUNTS=browser", "-s", NO_CHROMIUM)
    assert done.returncode != 0
    message = "VIEW_COUNTS=browser, but no Chromium at /nonexistent/chromium (install it: apt-get install chromium-headless-shell (or chromium))"
    # Said once, in the run's summary line: cron logs errors only, and the log line is a warning.
    logged = [line for line in done.stderr.splitlines() if "[newscrawl" in line or "[scrapy" in line]
    assert logged == [] and message in done.stderr.splitlines()[-1], done.stderr
    assert not [p for p in site.requests if p.startswith(("/info/", "/index"))]  # stopped before crawling
    assert [r["status"] for r in open_db(db_path)["crawl_runs"].rows] == ["failed"]
