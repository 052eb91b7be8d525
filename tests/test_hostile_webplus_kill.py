"""`newscrawl crawl --url` of a WebPlus portal killed with SIGKILL mid-crawl, then run again: nothing lost, nothing twice.

A portal with no profile is discovered again by every run, so the resumed run must be the
same portal (its name, its columns) for the frontier the killed run left to be taken up.
"""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from bench.kill_loop import count
from newscrawl.replica import serve
from newscrawl.replica.webplus import WebPlusSite, article_paths
from tests.conftest import ROOT
from tests.test_hostile_webplus_e2e import url_command

ARTICLES = 80
SLOW = ("-s", "VIEW_COUNTS=direct", "-s", "CONCURRENT_REQUESTS=2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")


def wait_for(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_a_killed_url_crawl_resumes_and_loses_nothing(tmp_path):
    site = WebPlusSite(articles=ARTICLES, seed=12, latency=0.03)
    db = tmp_path / "news.db"
    with serve(site) as base_url:
        first = subprocess.Popen(url_command(base_url, db, *SLOW), cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        wait_for(lambda: count(db) >= 15, "15 articles archived")
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
        assert count(db) < ARTICLES, "the kill must land mid-crawl"
        second = subprocess.run(url_command(base_url, db, *SLOW), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    conn = sqlite3.connect(db)
    urls = [u for (u,) in conn.execute("select url from article_urls")]
    assert len(urls) == len(set(urls))
    expected = {base_url + p for art in site.articles for p in article_paths(art)}
    assert expected <= set(urls), sorted(expected - set(urls))[:5]
    assert conn.execute("select count(*) from articles").fetchone()[0] == ARTICLES
    statuses = [s for (s,) in conn.execute("select status from crawl_runs order by id")]
    assert statuses == ["killed", "ok"], statuses
    assert not conn.execute("select count(*) from failures where resolved_at is null").fetchone()[0]
    assert not conn.execute("select count(*) from frontier").fetchone()[0]
