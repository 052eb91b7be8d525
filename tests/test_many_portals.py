"""Several portals in one `newscrawl crawl`: concurrent crawls in one process, one archive lock, a run each."""
from __future__ import annotations

import dataclasses
import signal
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from scrapy.crawler import Crawler
from scrapy.settings import Settings

from newscrawl.cli import cli
from newscrawl.demo import LOCAL_OVERRIDES
from newscrawl.portals import portals, scheduled
from newscrawl.replica import Site, WebPlusSite, serve
from newscrawl.replica.webplus import article_paths
from spiders.whu import WhuSpider
from spiders.xjtu import XjtuSpider
from tests.conftest import ROOT, open_db

FAST = ("-s", "VIEW_COUNTS=off")
GATE_TIMEOUT = 30  # seconds a gated page waits for its gate at most (a failure, not a pace)


def crawl_command(db: Path, *args: str) -> list[str]:
    """`newscrawl crawl ARGS…` into ``db`` as cron runs it, without the politeness a real portal needs."""
    cmd = [sys.executable, "-m", "newscrawl.cli", "crawl", *args, "--db", str(db), *FAST]
    for key, value in LOCAL_OVERRIDES.items():
        if key != "LOG_LEVEL":
            cmd += ["-s", f"{key}={value}"]
    return cmd


def both(db: Path, vsb_url: str, webplus_url: str, *args: str) -> list[str]:
    return crawl_command(db, "xjtu", "webplus_demo", "--base-url", f"xjtu={vsb_url}",
                         "--base-url", f"webplus_demo={webplus_url}", *args)


def newscrawl(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def vsb_paths(site: Site) -> list[str]:
    return [a.path for a in site.articles]


def webplus_paths(site: WebPlusSite) -> list[str]:
    return [article_paths(a)[0] for a in site.articles]


def assert_all_archived(db, portal: str, base_url: str, paths: list[str]) -> None:
    """Every article of the portal is one row of ``portal``, reachable under its URL."""
    urls = dict(db.execute("select url, article_id from article_urls where url like ?", [base_url + "/%"]).fetchall())
    ids = {urls.get(base_url + path) for path in paths}
    assert None not in ids and len(ids) == len(paths)
    assert db.execute("select count(*) from articles where portal = ?", [portal]).fetchone()[0] == len(paths)


def runs(db) -> list[dict]:
    return list(db["crawl_runs"].rows_where(order_by="id"))


def closed_port_url() -> str:
    with socket.socket() as closed:  # a port nothing listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{closed.getsockname()[1]}"


def is_article(path: str) -> bool:
    return path.startswith("/info/") or path.endswith("/page.htm")  # VSB, WebPlus


@contextmanager
def gated(site, *, reached: threading.Event, opens: threading.Event):
    """``site`` whose article pages set ``reached`` and then wait for ``opens`` (a wait that
    runs out is recorded in ``site.gate_timed_out``): a crawl held where the test wants it."""
    handle = site.handle
    site.gate_timed_out = False

    def held(raw_path, headers=None):
        if is_article(raw_path):
            reached.set()
            if not opens.wait(GATE_TIMEOUT):
                site.gate_timed_out = True
                opens.set()  # once is enough to fail the test: the rest need not wait too
        return handle(raw_path, headers)

    site.handle = held
    yield site


# -- two portals at once ---------------------------------------------------------------------------

def test_two_portals_crawled_concurrently_into_one_archive_quietly(tmp_path):
    vsb, webplus = Site(articles=60, seed=31), WebPlusSite(articles=50, seed=32)
    vsb_asked, webplus_asked = threading.Event(), threading.Event()
    # Each portal's article pages answer only once the other portal's have been asked for:
    # crawls run one after the other would wait on each other until GATE_TIMEOUT.
    with gated(vsb, reached=vsb_asked, opens=webplus_asked), gated(webplus, reached=webplus_asked, opens=vsb_asked), \
            serve(vsb) as vsb_url, serve(webplus) as webplus_url:
        done = newscrawl(both(tmp_path / "news.db", vsb_url, webplus_url))
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")  # quiet when all is well
    assert vsb_asked.is_set() and webplus_asked.is_set()
    assert not vsb.gate_timed_out and not webplus.gate_timed_out, "the two crawls did not run at the same time"
    db = open_db(tmp_path / "news.db")
    assert_all_archived(db, "xjtu", vsb_url, vsb_paths(vsb))
    assert_all_archived(db, "webplus_demo", webplus_url, webplus_paths(webplus))
    assert db["articles"].count == len(vsb.articles) + len(webplus.articles)
    recorded = runs(db)
    assert [(r["portal"], r["status"]) for r in recorded] == [("xjtu", "ok"), ("webplus_demo", "ok")]
    assert [r["new_articles"] for r in recorded] == [len(vsb.articles), len(webplus.articles)]
    assert len({r["pid"] for r in recorded}) == 1  # one process
    assert (tmp_path / "news.db.lock").read_text() == ""  # let go at the end, holding no note
    assert not (tmp_path / "news.db.reserve").exists()


def test_a_portal_that_is_down_fails_alone_in_one_line(tmp_path):
    vsb = Site(articles=60, seed=33)
    down = closed_port_url()
    with serve(vsb) as vsb_url:
        done = newscrawl(both(tmp_path / "news.db", vsb_url, down, "-s", "RETRY_TIMES=0"))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[-3000:]
    assert lines[0].startswith("newscrawl: webplus_demo run ") and f"cannot reach {down}: connection refused" in lines[0]
    db = open_db(tmp_path / "news.db")
    assert_all_archived(db, "xjtu", vsb_url, vsb_paths(vsb))
    assert [(r["portal"], r["status"]) for r in runs(db)] == [("xjtu", "ok"), ("webplus_demo", "failed")]
    assert {(r["portal"], r["kind"]) for r in db["failures"].rows} == {("webplus_demo", "network")}


def test_verbose_says_one_line_per_portal(tmp_path):
    vsb, webplus = Site(articles=20, seed=34), WebPlusSite(articles=20, seed=35)
    with serve(vsb) as vsb_url, serve(webplus) as webplus_url:
        done = newscrawl(both(tmp_path / "news.db", vsb_url, webplus_url, "-v", "-s", "LOG_LEVEL=ERROR"))
    assert done.returncode == 0
    assert [line.split(" run ")[0] for line in done.stderr.strip().splitlines()] == \
        ["newscrawl: xjtu", "newscrawl: webplus_demo"]


# -- one lock for the process ----------------------------------------------------------------------

@contextmanager
def held(db_path: Path, vsb: Site, webplus: WebPlusSite):
    """Both portals served and one `newscrawl crawl` of both started and held at its first
    article pages (so both crawls are under way, holding the lock); yields (the process,
    the two base URLs, a function that lets the pages go). Ends once the process has."""
    vsb_asked, webplus_asked, opens = threading.Event(), threading.Event(), threading.Event()
    with gated(vsb, reached=vsb_asked, opens=opens), gated(webplus, reached=webplus_asked, opens=opens), \
            serve(vsb) as vsb_url, serve(webplus) as webplus_url:
        proc = subprocess.Popen(both(db_path, vsb_url, webplus_url), cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            assert vsb_asked.wait(120) and webplus_asked.wait(120), "the crawl never asked for an article"
            yield proc, vsb_url, webplus_url, opens.set
        finally:
            opens.set()
            proc.out = proc.communicate(timeout=300)


def test_a_second_process_finds_the_archive_locked_or_waits_for_it(tmp_path):
    db_path = tmp_path / "news.db"
    with held(db_path, Site(articles=40, seed=36), WebPlusSite(articles=30, seed=37)) as (first, vsb_url, webplus_url,
                                                                                          let_go):
        during = [(r["portal"], r["status"]) for r in runs(open_db(db_path))]
        locked = newscrawl(both(db_path, vsb_url, webplus_url, "-v", "-s", "LOG_LEVEL=ERROR"))
        waiting = subprocess.Popen(both(db_path, vsb_url, webplus_url, "--wait", "120"), cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        let_go()
        waiting_out = waiting.communicate(timeout=300)
    assert during == [("xjtu", "running"), ("webplus_demo", "running")]  # neither run takes the other for killed
    assert locked.returncode == 0
    assert locked.stderr.strip().splitlines() == ["newscrawl: xjtu: another crawl holds the archive; nothing done",
                                                  "newscrawl: webplus_demo: another crawl holds the archive; nothing done"]
    assert (first.returncode, first.out) == (0, ("", ""))
    assert (waiting.returncode, waiting_out) == (0, ("", ""))
    recorded = runs(open_db(db_path))
    assert [(r["portal"], r["status"], r["pid"]) for r in recorded] == [
        ("xjtu", "ok", first.pid), ("webplus_demo", "ok", first.pid),
        ("xjtu", "ok", waiting.pid), ("webplus_demo", "ok", waiting.pid)]  # the locked-out one recorded nothing
    assert max(r["finished_at"] for r in recorded[:2]) <= min(r["started_at"] for r in recorded[2:])
    assert [r["new_articles"] for r in recorded[2:]] == [0, 0]


def test_sigterm_interrupts_every_crawl_of_the_process_with_a_line_each(tmp_path):
    db_path = tmp_path / "news.db"
    with held(db_path, Site(articles=40, seed=40), WebPlusSite(articles=30, seed=41)) as (proc, *_, let_go):
        proc.send_signal(signal.SIGTERM)
        let_go()  # the pages in flight finish, as a signal lets them
    stderr = proc.out[1]
    assert proc.returncode == 1
    lines = stderr.strip().splitlines()
    assert [line.split(" run ")[0] for line in lines] == ["newscrawl: xjtu", "newscrawl: webplus_demo"], stderr[-3000:]
    assert all(" interrupted: " in line and "stopped by a signal" in line for line in lines)
    assert [(r["portal"], r["status"]) for r in runs(open_db(db_path))] == [("xjtu", "interrupted"),
                                                                          ("webplus_demo", "interrupted")]
    assert (tmp_path / "news.db.lock").read_text() == ""


# A child that runs the command with a file size limit (bytes): the archive cannot grow past it.
FSIZE = ("import os, resource, sys; n = int(sys.argv[1]); resource.setrlimit(resource.RLIMIT_FSIZE, (n, n)); "
         "os.execv(sys.argv[2], sys.argv[2:])")


def test_a_failed_write_stops_both_crawls_honestly_and_the_next_run_completes(tmp_path):
    vsb, webplus = Site(articles=150, seed=38), WebPlusSite(articles=150, seed=39)
    db_path = tmp_path / "news.db"
    with serve(vsb) as vsb_url, serve(webplus) as webplus_url:
        full = newscrawl([sys.executable, "-c", FSIZE, "1500000", *both(db_path, vsb_url, webplus_url)])
        archived = open_db(db_path)["articles"].count
        done = newscrawl(both(db_path, vsb_url, webplus_url))
    assert full.returncode == 1 and "Traceback" not in full.stderr
    lines = full.stderr.strip().splitlines()
    assert len(lines) == 2 and all(" failed: " in line and "writing to" in line for line in lines), full.stderr[-3000:]
    stopped_too = [line for line in lines if "which shares the archive: this crawl stopped too" in line]
    assert len(stopped_too) == 1  # the crawl whose write failed says so; the other, why it stopped
    assert 0 < archived < len(vsb.articles) + len(webplus.articles), "the file should fill mid-crawl"
    assert (done.returncode, done.stderr) == (0, "")
    db = open_db(db_path)
    assert [(r["portal"], r["status"]) for r in runs(db)] == [
        ("xjtu", "failed"), ("webplus_demo", "failed"), ("xjtu", "ok"), ("webplus_demo", "ok")]
    assert_all_archived(db, "xjtu", vsb_url, vsb_paths(vsb))
    assert_all_archived(db, "webplus_demo", webplus_url, webplus_paths(webplus))


# -- the command line ------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (("xjtu", "whu", "--base-url", "http://127.0.0.1:9"),
     "--base-url http://127.0.0.1:9 names no portal; with several portals, give --base-url PORTAL=URL for each"),
    (("xjtu", "nope"), "unknown portal(s) nope; known: cqjtu_yjszs, nuc, nuc_cst, webplus_demo, whu, whu_cs, whu_ems, xjtu"),
    (("xjtu", "whu", "--base-url", "nuc=http://127.0.0.1:9"), "nuc is not crawled in this run (xjtu, whu)"),
    (("xjtu", "--base-url", "http://127.0.0.1:9", "--base-url", "xjtu=http://127.0.0.1:8"), "--base-url given twice for xjtu"),
    ((), "name the portals to crawl, give --url, or give --all"),
    (("xjtu", "--all"), "name the portals to crawl, give --url, or give --all"),
    (("xjtu", "--redis", "redis://127.0.0.1:9/0", "--refresh-days", "7"), "cluster workers never open"),
])
def test_usage_errors_exit_2_in_one_line_and_touch_no_archive(tmp_path, args, message):
    done = CliRunner().invoke(cli, ["crawl", *args, "--db", str(tmp_path / "x.db")])
    assert done.exit_code == 2, done.output
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_column_one_of_the_portals_lacks_is_a_usage_error_before_any_request(tmp_path):
    done = newscrawl(crawl_command(tmp_path / "x.db", "xjtu", "whu", "--columns", "jdyw"))
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "unknown column(s) jdyw; whu has:" in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_all_is_every_portal_with_a_real_site():
    assert set(scheduled()) == set(portals()) - {"webplus_demo"}
    assert {"xjtu", "whu", "nuc"} <= set(scheduled())


def test_a_portals_politeness_stays_with_its_own_crawler():
    slow = type("SlowSpider", (XjtuSpider,), {"portal": dataclasses.replace(XjtuSpider.portal, delay=5.0)})
    shared = Settings({"DOWNLOAD_SLOTS": {}})
    crawlers = Crawler(slow, shared), Crawler(WhuSpider, shared)
    assert crawlers[0].settings.getdict("DOWNLOAD_SLOTS") == {XjtuSpider.portal.host: {"delay": 5.0}}
    assert crawlers[1].settings.getdict("DOWNLOAD_SLOTS") == {}
    assert shared.getdict("DOWNLOAD_SLOTS") == {}


def test_a_full_disks_note_keeps_every_run_of_the_process(tmp_path):
    from archive.lock import ArchiveLock

    ends = [{"run_id": 1, "status": "failed"}, {"run_id": 2, "status": "failed"}]
    lock = ArchiveLock(tmp_path / "a.db")
    lock.acquire()
    lock.release(ends)
    successor = ArchiveLock(tmp_path / "a.db")
    assert successor.acquire()
    assert successor.left_outcomes == ends and successor.left_outcome == ends[0]
    successor.release()
