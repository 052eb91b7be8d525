"""Robustness of real crawls: kills, signals, a full disk and hostile sizes lose no article.

Each test runs `newscrawl crawl xjtu` (as cron does) against a bundled portal on 127.0.0.1
and checks the archive with the kill loop's own checks (bench/kill_loop.py): every article
of the portal exactly once, with all its rows, and an empty frontier.
"""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.lock import ArchiveLock

from bench.kill_loop import check_archive, check_runs, count, crawl, kill_loop, never, once_archived
from newscrawl.demo import cron_command
from newscrawl.replica import COLUMNS, Site, serve
from newscrawl.replica.content import PER_PAGE
from tests.conftest import ROOT
from tests.hostile_portal import HostilePortal, recording

ARTICLES = 150
FAST = ("-s", "VIEW_COUNTS=off")


@pytest.fixture(scope="module")
def portal():
    """A portal with related-only articles and cross-posts, slow enough that a crawl can be
    stopped half-way; yields (site, base_url)."""
    site = Site(articles=ARTICLES, seed=21, latency=0.05)
    assert any(not a.listed for a in site.articles) and any(a.alias_id for a in site.articles)
    with serve(site) as base_url:
        yield site, base_url


@pytest.fixture(scope="module")
def clean(portal, tmp_path_factory) -> dict[str, tuple]:
    """What an uninterrupted crawl of the portal archives: URL -> the article's fields."""
    site, base_url = portal
    db = tmp_path_factory.mktemp("clean") / "news.db"
    done = crawl(base_url, db, never, *FAST)
    assert done.returncode == 0, done.stderr
    assert check_archive(db, site, base_url)[0] == []
    return contents(db)


def contents(db: Path) -> dict[str, tuple]:
    conn = sqlite3.connect(db)
    try:
        return {row[0]: row[1:] for row in conn.execute(
            """select u.url, a.title, a.body_text, a.published_at, a.source, a.credits, a.images, a.attachments
               from article_urls u join articles a on a.id = u.article_id""")}
    finally:
        conn.close()


def runs(db: Path) -> list[tuple[int, str, str | None]]:
    """(pid, status, reason) of each run, oldest first."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select pid, status, reason from crawl_runs order by id").fetchall()
    finally:
        conn.close()


def start(base_url: str, db: Path, *extra: str, wrap: tuple[str, ...] = ()) -> subprocess.Popen:
    return subprocess.Popen([*wrap, *cron_command(base_url, db, *FAST, *extra)], cwd=ROOT, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    _, stderr = proc.communicate(timeout=300)
    return proc.returncode, stderr


def wait_for(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def assert_complete(db: Path, site: Site, base_url: str, clean: dict[str, tuple]) -> None:
    """Nothing lost: the archive passes every check and holds what a clean crawl holds."""
    problems, _ = check_archive(db, site, base_url)
    assert problems == []
    assert contents(db) == clean


def assert_one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr[-3000:]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n" + "\n".join(lines[-20:])
    return lines[0]


# -- kill -9 ---------------------------------------------------------------------------------------

def test_three_kills_mid_crawl_lose_nothing(portal, clean, tmp_path):
    """The kill loop, small: kill -9 after 20, 60 and 100 articles, resume, run to the end."""
    site, base_url = portal
    db = tmp_path / "news.db"
    loop = kill_loop(site, base_url, db, [once_archived(n) for n in (20, 60, 100)], *FAST)
    assert [r.killed for r in loop] == [True, True, True, False]
    assert all(r.articles_after < ARTICLES for r in loop[:3]), "each kill must land mid-crawl"
    problems, figures = check_runs(db, loop)
    assert problems == []
    assert figures == {"killed": 3, "ok": 1, "unrecorded": 0}
    assert_complete(db, site, base_url, clean)


def test_a_killed_run_is_shown_killed_once_the_next_run_starts(portal, clean, tmp_path):
    site, base_url = portal
    db = tmp_path / "news.db"
    first = start(base_url, db)
    wait_for(lambda: count(db) >= 40, "40 articles")
    first.send_signal(signal.SIGKILL)
    finish(first)
    assert runs(db) == [(first.pid, "running", None)]  # nobody could say otherwise yet
    second = start(base_url, db)
    wait_for(lambda: len(runs(db)) == 2, "the second run's record")
    (pid, status, reason), (second_pid, second_status, _) = runs(db)
    assert (pid, status, second_pid, second_status) == (first.pid, "killed", second.pid, "running")
    assert reason
    assert finish(second)[0] == 0
    assert [r[1] for r in runs(db)] == ["killed", "ok"]
    assert_complete(db, site, base_url, clean)


def test_a_resumed_walk_goes_on_past_pages_related_links_already_fetched(tmp_path):
    """The state a kill can leave in a first crawl: a column's walk pending at page 2, the
    articles of pages 2 and 3 already archived (other articles' related boxes led to them),
    the older pages not yet seen. The next run must walk on to the end of the column."""
    site = Site(articles=400, seed=21)
    db = tmp_path / "news.db"
    with serve(site) as base_url:
        assert crawl(base_url, db, never, *FAST).returncode == 0
        column = max(COLUMNS, key=lambda c: len(site.lists[c.id]))
        pages = -(-len(site.lists[column.id]) // PER_PAGE)
        assert pages >= 5
        # Cross-posts stay: in a real killed crawl their other column's URL would be in the
        # frontier (listed, not yet done), which forgetting them here would not restore.
        older = [base_url + path for path, art in site.lists[column.id][3 * PER_PAGE:] if len(art.columns) == 1]
        conn = sqlite3.connect(db)
        with conn:
            forget(conn, older)
            (portal_name,) = conn.execute("select portal from crawl_runs").fetchone()
            # The walk began before anything was archived, as a first crawl's does.
            conn.execute(
                "insert into frontier (url, portal, kind, column, page, source, discovered_at, walk_started_at) "
                "values (?, ?, 'list', ?, 2, ?, '2026-01-01T00:00:00+00:00', '2000-01-01T00:00:00+00:00')",
                [f"{base_url}/index/{column.slug}/{pages - 1}.htm", portal_name, column.slug,
                 f"{base_url}/index/{column.slug}.htm"])
        conn.close()
        assert count(db) < len(site.articles)
        code, stderr = finish(start(base_url, db))
        assert code == 0, stderr
        problems, _ = check_archive(db, site, base_url)
    assert problems == []


def forget(conn: sqlite3.Connection, urls: list[str]) -> None:
    """Take the articles at ``urls`` out of the archive, every row of them."""
    marks = ",".join("?" * len(urls))
    ids = [r[0] for r in conn.execute(f"select distinct article_id from article_urls where url in ({marks})", urls)]
    where = f"article_id in ({','.join('?' * len(ids))})"
    for table in ("article_urls", "article_columns", "credits", "images", "attachments", "pages", "view_counts",
                  "revisions"):
        conn.execute(f"delete from {table} where {where}", ids)
    conn.execute(f"delete from articles where id in ({','.join('?' * len(ids))})", ids)


# -- SIGTERM, Ctrl-C ---------------------------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_crawl_is_an_interrupted_run_and_the_next_run_completes(portal, clean, tmp_path, signum):
    site, base_url = portal
    db = tmp_path / "news.db"
    proc = start(base_url, db)
    wait_for(lambda: count(db) >= 40, "40 articles")
    proc.send_signal(signum)
    code, stderr = finish(proc)
    assert code != 0
    assert "interrupted" in assert_one_line(stderr)
    assert count(db) < ARTICLES, "the signal should have stopped the crawl half-way"
    [(pid, status, reason)] = runs(db)
    assert (pid, status) == (proc.pid, "interrupted") and reason
    code, stderr = finish(start(base_url, db))
    assert code == 0, stderr
    assert [r[1] for r in runs(db)] == ["interrupted", "ok"]
    assert_complete(db, site, base_url, clean)


# -- a full disk -------------------------------------------------------------------------------------

# Runs a command with a file-size limit (`ulimit -f`): a write past it fails with EFBIG
# (Python ignores SIGXFSZ), which SQLite reports as an I/O error.
FSIZE = ("import os, resource, sys; n = int(sys.argv[1]); resource.setrlimit(resource.RLIMIT_FSIZE, (n, n)); "
         "os.execv(sys.argv[2], sys.argv[2:])")


def _full_then_space(site, base_url, db: Path, clean, *, full: dict, space) -> None:
    """A crawl that runs out of room fails honestly; given room, the next completes the archive."""
    code, stderr = finish(start(base_url, db, **full))
    line = assert_one_line(stderr)
    assert code != 0
    assert "failed" in line, line
    archived = count(db)
    assert 0 < archived < ARTICLES, f"the disk should fill mid-crawl ({archived} articles)"
    [(_, status, reason)] = runs(db)
    if status == "running":
        # Not even the run's own end fitted (a file-size limit is per file: the freed reserve
        # cannot help when the write-ahead log itself is at the limit, which depends on
        # timing): the lock file keeps the outcome, and the next run records it.
        status, reason = (ArchiveLock(db).note() or {}).get("outcome", {}).get("status"), "kept in the lock file"
    assert status == "failed", (status, reason)
    assert reason
    space()
    code, stderr = finish(start(base_url, db))
    assert code == 0, stderr
    assert [r[1] for r in runs(db)] == ["failed", "ok"]
    assert_complete(db, site, base_url, clean)


def test_a_file_size_limit_fails_the_run_and_the_next_run_completes(portal, clean, tmp_path):
    site, base_url = portal
    limit = 1_500_000  # bytes; the schema alone takes half a megabyte of the write-ahead log
    _full_then_space(site, base_url, tmp_path / "news.db", clean,
                     full={"wrap": (sys.executable, "-c", FSIZE, str(limit))}, space=lambda: None)


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs mounted at a temporary folder (skipped where mounting is not allowed);
    yields a function that gives it 64 MiB."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount, lambda: subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_filesystem_fails_the_run_and_the_next_run_completes(portal, clean, small_disk):
    site, base_url = portal
    mount, grow = small_disk
    _full_then_space(site, base_url, mount / "news.db", clean, full={}, space=grow)


# -- memory ------------------------------------------------------------------------------------------

# Runs a command and prints its peak resident set (KiB) once it has ended.
PEAK_RSS = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)")


def test_a_gzip_bomb_and_an_endless_body_cost_under_300_mb_and_are_failures(tmp_path):
    db = tmp_path / "news.db"
    with recording() as elsewhere:
        site = HostilePortal(ARTICLES, 21, other=elsewhere.base_url, traps=("gzip_bomb_zeros", "endless_body"))
        traps = {site.trapped[t].path for t in ("gzip_bomb_zeros", "endless_body")}
        with serve(site) as base_url:
            done = subprocess.run([sys.executable, "-c", PEAK_RSS, *cron_command(base_url, db, *FAST)],
                                  cwd=ROOT, capture_output=True, text=True, timeout=300)
    peak_mb = int(done.stdout.split()[-1]) / 1024
    assert peak_mb < 300, f"peak RSS {peak_mb:.0f} MB"
    assert done.returncode == 1, done.stderr  # two pages failed: the run says so
    conn = sqlite3.connect(db)
    failures = {url.removeprefix(base_url): kind for url, kind in
                conn.execute("select url, kind from failures where resolved_at is null")}
    conn.close()
    assert failures == {path: "too_large" for path in traps}
    problems, _ = check_archive(db, site, base_url, failed=frozenset(traps))
    assert problems == []
