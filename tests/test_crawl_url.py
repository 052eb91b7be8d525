"""`newscrawl crawl --url`: a portal with no profile, crawled from its home page by what discover finds."""
from __future__ import annotations

import subprocess
import sys

from newscrawl.replica import Site, serve
from newscrawl.replica.site import Faults
from newscrawl.replica.webplus import WebPlusSite
from tests.conftest import ROOT, open_db

QUICK = ("-s", "DOWNLOAD_DELAY=0", "-s", "VIEW_COUNTS=off")


def _crawl(db, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newscrawl.cli", "crawl", "--db", str(db), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_a_portal_without_a_profile_is_archived_whole_related_only_articles_included(tmp_path):
    site = Site(articles=40, seed=6)
    with serve(site) as base_url:
        done = _crawl(tmp_path / "news.db", "--url", base_url + "/", *QUICK)
        again = _crawl(tmp_path / "news.db", "--url", base_url + "/", *QUICK)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")  # quiet, as cron wants
    assert again.returncode == 0, again.stderr
    db = open_db(tmp_path / "news.db")
    archived = {row["url"] for row in db.query("select url from article_urls")}
    assert {base_url + art.path for art in site.articles} <= archived
    assert any(not art.listed for art in site.articles)  # the related box was found and followed
    assert {row["portal"] for row in db["articles"].rows} == {f"portal_127_0_0_1_{base_url.rsplit(':', 1)[1]}"}
    runs = list(db.query("select portal, status from crawl_runs order by id"))
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert site.requests["/"] == 2  # each run read the home page once, to find the columns


def test_url_and_a_declared_portal_crawl_together(tmp_path):
    vsb, webplus = Site(articles=20, seed=4), WebPlusSite(articles=20, seed=4)
    with serve(vsb) as vsb_url, serve(webplus) as webplus_url:
        done = _crawl(tmp_path / "news.db", "xjtu", "--base-url", f"xjtu={vsb_url}", "--url", webplus_url + "/",
                      *QUICK, "-v")
    assert done.returncode == 0, done.stderr
    assert len([line for line in done.stderr.splitlines() if line.startswith("newscrawl: ")]) == 2  # -v: a line each
    db = open_db(tmp_path / "news.db")
    by_portal = dict(db.execute("select portal, count(*) from articles group by portal").fetchall())
    assert by_portal["xjtu"] >= 20 and sum(by_portal.values()) >= 40
    assert {row["cms"] for row in db.query("select cms from articles where portal != 'xjtu'")} == {"webplus"}


# A column's list page that does not answer (hangs past DOWNLOAD_TIMEOUT), retried at once.
DOWN = (*QUICK, "-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=1", "-s", "RETRY_BACKOFF_BASE=0")


def test_a_column_down_while_discover_looked_is_still_crawled(tmp_path):
    """Discovery could not check 综合新闻 (its list page timed out twice): the crawl asks again."""
    site = Site(articles=40, seed=6, faults=Faults(hang_paths={"/index/zhxw.htm": 2}, hang_seconds=2))
    with serve(site) as base_url:
        done = _crawl(tmp_path / "news.db", "--url", base_url + "/", *DOWN)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    archived = {row["url"] for row in open_db(tmp_path / "news.db").query("select url from article_urls")}
    assert {base_url + art.path for art in site.articles} <= archived


def test_a_column_that_stays_down_is_a_recorded_failure_not_a_column_left_out(tmp_path):
    site = Site(articles=40, seed=6, faults=Faults(hang_paths={"/index/zhxw.htm": 99}, hang_seconds=2))
    with serve(site) as base_url:
        done = _crawl(tmp_path / "news.db", "--url", base_url + "/", *DOWN)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "failed" in done.stderr
    db = open_db(tmp_path / "news.db")
    failed = [row["url"] for row in db.query("select url from failures where resolved_at is null")]
    assert base_url + "/index/zhxw.htm" in failed
    archived = {row["url"] for row in db.query("select url from article_urls")}
    listed_elsewhere = [a for a in site.articles if a.listed and 1003 not in a.columns]
    assert listed_elsewhere and {base_url + a.path for a in listed_elsewhere} <= archived


def test_a_home_page_that_is_no_portal_is_one_line_and_exit_1(tmp_path):
    with serve(Site(articles=5)) as base_url:
        done = _crawl(tmp_path / "news.db", "--url", base_url + "/no/such/page.htm", *QUICK)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"Error: {base_url}/no/such/page.htm: the home page answered HTTP 404"]


def test_bad_urls_are_usage_errors(tmp_path):
    for args in (["--url", "ftp://example.edu.cn/"], ["--url", "http://"], ["--all", "xjtu"], []):
        done = _crawl(tmp_path / "news.db", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "news.db").exists()


def test_columns_of_the_other_cms_family_are_said_to_be_left_out_on_every_run(tmp_path):
    """A VSB portal whose newer columns run on WebPlus: the crawl reads it by VSB's rules, so
    those columns are not crawled, and the run says so (cron mails it) rather than keep quiet."""
    from tests.test_discover_hostile import HalfAndHalf

    with serve(HalfAndHalf()) as base_url:
        done = _crawl(tmp_path / "news.db", "--url", base_url + "/", *QUICK)
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if "is not crawled" in line]
    assert len(warned) == 2 and all("webplus" in line for line in warned), done.stderr
