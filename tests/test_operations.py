"""Cron runs, backfills, refreshes and faults, against the bundled portal (issue: operations)."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest

from newscrawl.replica import Faults, Site, serve
from newscrawl.replica.content import COLUMNS
from tests.conftest import ROOT, newscrawl_crawl, newscrawl_crawl_command, open_db, run_crawl

LIST_PREFIXES = tuple(f"/index/{c.slug}" for c in COLUMNS)


def _list_requests(site) -> dict[str, int]:
    per_column = {c.slug: 0 for c in COLUMNS}
    for path, n in site.requests.items():
        if path.startswith(LIST_PREFIXES):
            per_column[path.split("/")[2].removesuffix(".htm")] += n
    return per_column


def _article_requests(site) -> set[str]:
    return {p for p in site.requests if p.startswith("/info/")}


def _archived_paths(db, base_url) -> list[str]:
    return [r[0].removeprefix(base_url) for r in db.execute("select canonical_url from articles")]


def assert_every_article_once(db, site, base_url):
    """Each article of the portal is one row, reachable under its URL (cross-posts under both)."""
    urls = dict(db.execute("select url, article_id from article_urls").fetchall())
    assert db["articles"].count == len(site.articles)
    ids = {urls.get(base_url + a.path) for a in site.articles}
    assert None not in ids and len(ids) == len(site.articles)


def test_cron_run_after_a_full_crawl_asks_for_one_list_page_per_column_and_adds_nothing(tmp_path):
    site = Site(articles=120, seed=11)
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        first = newscrawl_crawl(base_url, db_path)
        assert first.returncode == 0 and first.stderr == "" and first.stdout == ""  # quiet when all is well
        site.requests.clear()
        second = newscrawl_crawl(base_url, db_path)
    assert second.returncode == 0 and second.stderr == ""
    assert _list_requests(site) == {c.slug: 1 for c in COLUMNS}
    assert _article_requests(site) == set()
    runs = list(open_db(db_path)["crawl_runs"].rows_where(order_by="id"))
    assert runs[-1]["new_articles"] == 0 and runs[-1]["status"] == "ok"
    assert runs[-1]["requests"] <= len(COLUMNS) + 1  # + robots.txt


def test_a_first_crawl_of_a_large_portal_walks_past_pages_related_links_already_fetched(tmp_path):
    # Related links run ahead of the list walk: a list page whose articles this run already
    # fetched still holds new ones for the archive, and the walk must go on behind it.
    site = Site(articles=1000, seed=21)
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        run_crawl(base_url, db_path, "-s", "VIEW_COUNTS=off")
        assert_every_article_once(open_db(db_path), site, base_url)


def test_new_articles_on_the_portal_are_exactly_what_the_next_run_archives(tmp_path):
    site = Site(articles=100, seed=12)
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        newscrawl_crawl(base_url, db_path)
        new = site.add_articles(7)
        site.requests.clear()
        done = newscrawl_crawl(base_url, db_path)
    assert done.returncode == 0
    db = open_db(db_path)
    assert db["articles"].count == 107
    expected = {p for a in new for p in (a.paths if a.listed else [a.path])}
    assert _article_requests(site) == expected
    run = list(db["crawl_runs"].rows_where(order_by="id"))[-1]
    assert run["new_articles"] == len(new)


def test_backfill_takes_only_its_date_range_and_columns(tmp_path):
    site = Site(articles=200, seed=13)
    db_path = tmp_path / "news.db"
    since, until = "2024-10-01", "2024-11-15"
    with serve(site) as base_url:
        run_crawl(base_url, db_path, "-a", f"since={since}", "-a", f"until={until}", "-a", "columns=jdyw,zhxw")
    wanted = {
        a.path for a in site.articles
        if a.listed and a.columns[0] in (1002, 1003) and since <= a.published_iso[:10] <= until
    }
    db = open_db(db_path)
    archived = {r[0].removeprefix(base_url) for r in db.execute("select url from article_urls")}
    assert wanted <= archived
    # Related links may lead to other columns, but never out of the date range.
    assert all(since <= r[0][:10] <= until for r in db.execute("select published_at from articles"))


def test_backfill_killed_with_sigkill_and_resumed_has_every_article_once(tmp_path):
    site = Site(articles=240, seed=14, latency=0.02)
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        args = ["-a", "full=1", "-s", f"JOBDIR={tmp_path / 'job'}", "-s", "CONCURRENT_REQUESTS=4"]
        from newscrawl.demo import crawl_command

        proc = subprocess.Popen(crawl_command(base_url, db_path, *args), cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            count = 0
            if db_path.exists():
                try:
                    count = open_db(db_path).execute("select count(*) from articles").fetchone()[0]
                except Exception:  # the schema may not exist yet
                    count = 0
            if count >= 60:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at = open_db(db_path)["articles"].count
        assert 0 < killed_at < len(site.articles), "the crawl should have been killed mid-way"
        run_crawl(base_url, db_path, *args)
    db = open_db(db_path)
    assert_every_article_once(db, site, base_url)
    statuses = [r["status"] for r in db["crawl_runs"].rows_where(order_by="id")]
    assert statuses == ["killed", "ok"]  # the next run found the killed one's record unfinished


def test_two_crawls_started_together_never_both_write(tmp_path):
    site = Site(articles=80, seed=15, latency=0.01)
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        cmd = newscrawl_crawl_command(base_url, db_path)
        procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    db = open_db(db_path)
    runs = list(db["crawl_runs"].rows)
    assert len(runs) == 1 and runs[0]["status"] == "ok"  # the other run found the archive locked
    assert db["articles"].count == len(site.articles)
    assert all(err == "" for _, err in outs)


def test_a_waiting_crawl_runs_after_the_first_one_finishes(tmp_path):
    site = Site(articles=60, seed=16, latency=0.01)
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        cmd = newscrawl_crawl_command(base_url, db_path, "--wait", "120")
        procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        for p in procs:
            p.communicate(timeout=300)
    runs = list(open_db(db_path)["crawl_runs"].rows_where(order_by="id"))
    assert len(runs) == 2
    assert runs[0]["finished_at"] <= runs[1]["started_at"]
    assert [r["new_articles"] for r in runs] == [len(site.articles), 0]


def test_errors_and_timeouts_of_the_portal_cost_no_article(tmp_path):
    faults = Faults(share=0.3, hang=0.04, truncate=0.06, hang_seconds=2.5, attempts=2)
    site = Site(articles=80, seed=17, faults=faults)
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        # Counts read directly go through the same retries as pages; a browser page whose
        # counter fails is retried once (covered in test_viewcounts_e2e), too few for faults
        # that hit each path twice.
        done = newscrawl_crawl(base_url, db_path, "-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=4",
                               "-s", "RETRY_BACKOFF_BASE=0.05", "-s", "VIEW_COUNTS=direct")
    assert done.returncode == 0, done.stderr
    db = open_db(db_path)
    assert_every_article_once(db, site, base_url)
    for row in db["articles"].rows:
        assert row["body_text"] == site.by_path[row["canonical_url"].removeprefix(base_url)].body_text
    faulted = [p for p in site.requests if p.startswith("/info/") and faults.roll(p) < faults.share]
    assert faulted and all(site.requests[p] == faults.attempts + 1 for p in faulted)
    assert all(row["view_count"] == site.view_count(site.by_path[row["canonical_url"].removeprefix(base_url)])
               for row in db["articles"].rows)


def test_a_page_that_keeps_failing_is_a_failure_row_and_the_run_says_so(tmp_path):
    site = Site(articles=40, seed=18, faults=Faults(share=0.1, attempts=99))
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        done = newscrawl_crawl(base_url, db_path, "-s", "RETRY_TIMES=1", "-s", "RETRY_BACKOFF_BASE=0")
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1 and "failed" in done.stderr and "failures: http" in done.stderr
        failed = {r["url"].removeprefix(base_url) for r in open_db(db_path)["failures"].rows_where("resolved_at is null")}
        assert failed
        site.faults = Faults()  # the portal recovers: the next run retries and resolves them
        assert newscrawl_crawl(base_url, db_path).returncode == 0
    db = open_db(db_path)
    assert db.execute("select count(*) from failures where resolved_at is null").fetchone()[0] == 0
    assert db["articles"].count == len(site.articles)


def test_gb18030_portal_is_decoded_correctly(tmp_path):
    site = Site(articles=30, seed=19, charset="gb18030")
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        run_crawl(base_url, db_path)
    db = open_db(db_path)
    rows = list(db["articles"].rows)
    assert len(rows) == len(site.articles)
    for row in rows:
        art = site.by_path[row["canonical_url"].removeprefix(base_url)]
        assert (row["title"], row["body_text"]) == (art.title, art.body_text)


def test_refresh_revisits_recent_articles_and_keeps_the_edit_as_a_revision(tmp_path):
    site = Site(articles=60, seed=20)
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        run_crawl(base_url, db_path)
        edited = max(site.articles, key=lambda a: a.published)
        old_title = edited.title
        edited.title = old_title + "（更新）"
        site.requests.clear()
        # The portal's newest article is from 2024-12-31; "recent" is relative to now.
        from datetime import date

        days = (date.today() - date(2024, 12, 1)).days
        run_crawl(base_url, db_path, "-a", f"refresh_days={days}")
    db = open_db(db_path)
    recent = {r[0].removeprefix(base_url) for r in db.execute("select canonical_url from articles where published_at >= '2024-12-01'")}
    assert recent and recent <= _article_requests(site)
    row = db.execute("select id, title from articles where title = ?", [edited.title]).fetchone()
    assert row is not None
    revisions = list(db["revisions"].rows_where("article_id = ?", [row[0]]))
    assert [r["title"] for r in revisions] == [old_title]


def test_bad_arguments_are_one_line_errors(tmp_path):
    done = subprocess.run(newscrawl_crawl_command("http://127.0.0.1:9", tmp_path / "x.db", "--since", "2015-13-01"),
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0 and "since must be a date" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("spider, argument, message", [
    ("xjtu", "since=2015-13-01", "since must be a date"),
    ("xjtu", "refresh_days=100000000", "refresh_days must be at most 36500"),
    ("xjtu", "max_pages=0", "max_pages must be at least 1"),
    ("xjtu", "columns=nope", "unknown column(s) nope"),
    ("xjtu", "related=sometimes", "related must be one of"),
    ("counts", "days=99999999", "days must be at most 36500"),
])
def test_scrapy_crawl_refuses_a_bad_spider_argument_as_a_usage_error(tmp_path, spider, argument, message):
    """`scrapy crawl` with an argument the spider would refuse: exit 2, the reason, no
    traceback, nothing created (Scrapy's own way was two tracebacks)."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", argument, "-a", "portal=xjtu",
           "-s", f"ARCHIVE_PATH={tmp_path / 'x.db'}"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and f"error: {message}" in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_bad_view_counts_setting_is_a_one_line_error(tmp_path):
    done = subprocess.run(newscrawl_crawl_command("http://127.0.0.1:9", tmp_path / "x.db", "-s", "VIEW_COUNTS=sometimes"),
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0 and "VIEW_COUNTS must be one of" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("args, message", [
    (("--columns", "nope"), "unknown column(s) nope; xjtu has: jdyw (今日交大), zhxw (综合新闻)"),
    (("--max-pages", "²"), "max-pages"),
    (("--since", "9999-99-99"), "since must be a date"),
    (("-s", "NOVALUE"), "-s needs NAME=VALUE"),
])
def test_crawl_usage_errors_exit_2_with_one_line_and_no_archive(tmp_path, args, message):
    done = subprocess.run(newscrawl_crawl_command("http://127.0.0.1:9", tmp_path / "x.db", *args),
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_portal_that_is_down_is_one_line_and_a_recorded_failure(tmp_path):
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        base_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    done = subprocess.run(newscrawl_crawl_command(base_url, tmp_path / "x.db", "-s", "RETRY_TIMES=0"),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert f"cannot reach {base_url}: connection refused" in done.stderr
    db = open_db(tmp_path / "x.db")
    assert {r["kind"] for r in db["failures"].rows} == {"network"}
    assert next(db["crawl_runs"].rows)["status"] == "failed"


def test_an_archive_from_a_newer_newscrawl_is_refused_in_one_line_and_left_alone(tmp_path):
    from archive.store import Archive, open_database

    db_path = tmp_path / "news.db"
    Archive(db_path).close()
    db = open_database(db_path)
    db["_sqlite_migrations"].insert({"migration_set": "newscrawl", "name": "m999_future", "applied_at": "2030-01-01"})
    db.conn.commit()
    db.conn.close()
    before = db_path.read_bytes()
    done = subprocess.run(newscrawl_crawl_command("http://127.0.0.1:9", db_path), cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "m999_future, newer than" in done.stderr
    assert db_path.read_bytes() == before
