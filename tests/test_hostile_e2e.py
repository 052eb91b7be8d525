"""End to end against a hostile portal: every article is archived or recorded, nothing leaves the portal.

Each crawl is a real `newscrawl crawl xjtu` in a subprocess against `tests.hostile_portal`
(the bundled portal with traps) on 127.0.0.1, next to a second server that every off-portal
link and redirect points to. The properties checked, for every crawl:

- every article the portal links (list pages, related boxes) is archived or an unresolved failure;
- the archive equals a clean crawl's of the same ``Site(seed)`` minus the recorded failures;
- nothing outside the portal was asked for, and no local file was read;
- the run's status and exit code say whether pages failed, and the summary names the kinds.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import psutil
import pytest
from sqlite_utils import Database

from newscrawl.demo import cron_command
from newscrawl.replica import Site, serve
from tests.hostile_portal import (
    HUGE_COUNTS, MARKUP, RETRY_AFTER, SIZE, HostilePortal, Logged, Recorder, recording,
)
from tests.conftest import ROOT

ARTICLES, SEED = 60, 2  # a column of two list pages, cross-posts, articles only related boxes link
MAX_LIST_PAGES = 20
TIMEOUT = 120  # seconds; a bounded crawl of this portal takes well under 30
PEAK_RSS = 300 * 2**20
KILL_RSS = 1536 * 2**20  # past this the crawl has failed the memory test anyway: stop it
DIRECT_COUNTS = ("-s", "VIEW_COUNTS=direct")  # no browser where it is not the point


@dataclass
class Crawl:
    portal: Site
    base_url: str
    db: Database
    recorder: Recorder | None
    returncode: int
    stderr: str
    seconds: float
    peak_rss: int  # bytes, the crawl process and what it waited for
    killed: str | None  # "timeout" or "memory" when the test had to stop the crawl
    secret: str = ""  # text of a local file the portal links to; it must never be archived
    secret_reads: int = 0  # how often that file was opened

    def outcome(self) -> str:
        return (f"exit {self.returncode} after {self.seconds:.0f} s, peak RSS {self.peak_rss / 2**20:.0f} MB"
                + (f", killed by the test ({self.killed})" if self.killed else "")
                + f"; stderr ends: {self.stderr[-600:]!r}")


def _run(cmd: list[str], stderr_path: Path, timeout: float) -> tuple[int, str, float, int, str | None]:
    """Run ``cmd``; kill its process group past ``timeout`` seconds or KILL_RSS bytes.

    Returns (exit code, stderr, seconds, peak RSS in bytes, why it was killed or None).
    """
    start = time.monotonic()
    with open(stderr_path, "w+", encoding="utf-8") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        watched = psutil.Process(proc.pid)
        done = threading.Event()
        peak, killed = 0, None

        def watch():
            nonlocal peak, killed
            while not done.wait(0.05):
                try:
                    rss = watched.memory_info().rss
                except psutil.Error:
                    return
                peak = max(peak, rss)
                reason = "memory" if rss > KILL_RSS else "timeout" if time.monotonic() - start > timeout else None
                if reason and not killed:
                    killed = reason
                    os.killpg(proc.pid, signal.SIGKILL)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        watcher.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if killed:  # what the crawl left behind (Chromium, say) goes with it
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        err.seek(0)
        return proc.returncode, err.read(), time.monotonic() - start, max(peak, usage.ru_maxrss * 1024), killed


@contextmanager
def tripwire(path: Path, text: str) -> Iterator[list[float]]:
    """A named pipe at ``path``: whoever opens it to read gets ``text``, and the time is
    noted in the list yielded. A crawl that reads a file:// link cannot go unnoticed."""
    os.mkfifo(path)
    opened: list[float] = []
    closing = threading.Event()

    def serve_reads():
        while True:
            with open(path, "w", encoding="utf-8") as pipe:  # blocks until a reader opens it
                if closing.is_set():
                    return
                opened.append(time.monotonic())
                pipe.write(text)

    writer = threading.Thread(target=serve_reads, daemon=True)
    writer.start()
    try:
        yield opened
    finally:
        closing.set()
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # lets the waiting writer return
        writer.join(5)
        os.close(fd)


def crawl_hostile(tmp: Path, traps: tuple[str, ...], *settings: str) -> Crawl:
    """One `newscrawl crawl xjtu` of a HostilePortal(ARTICLES, SEED) with ``traps``."""
    marker = f"NEWSCRAWL-SECRET-{uuid.uuid4().hex}"
    secret = tmp / "secret.htm"
    page = (f"<html><head><title>{marker}</title></head><body><div class=\"v_news_content\">"
            f"<p>{marker}</p></div></body></html>")
    with recording() as recorder, tripwire(secret, page) as opened:
        portal = HostilePortal(ARTICLES, SEED, other=recorder.base_url, traps=traps, secret=secret.as_uri())
        recorder.answer = portal.offsite_copy
        with serve(portal) as base_url:
            portal.base_url = base_url
            db = tmp / "news.db"
            cmd = cron_command(base_url, db, "-s", f"MAX_LIST_PAGES={MAX_LIST_PAGES}", *settings)
            code, stderr, seconds, peak, killed = _run(cmd, tmp / "stderr.txt", TIMEOUT)
    return Crawl(portal, base_url, Database(db), recorder, code, stderr, seconds, peak, killed, marker, len(opened))


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict[str, str]:
    """The archive of a clean crawl of Site(ARTICLES, SEED): {article path: title}."""
    tmp = tmp_path_factory.mktemp("clean")
    site = Site(articles=ARTICLES, seed=SEED)
    with serve(site) as base_url:
        cmd = cron_command(base_url, tmp / "news.db", "-s", f"MAX_LIST_PAGES={MAX_LIST_PAGES}", *DIRECT_COUNTS)
        code, stderr, *_ = _run(cmd, tmp / "stderr.txt", TIMEOUT)
    assert code == 0, stderr[-2000:]
    archived = _archived(Database(tmp / "news.db"), base_url)
    assert len(set(archived.values())) == ARTICLES
    return archived


# Three crawls, each of the traps that let the others still be observed: a crawl that never
# ends or eats all memory tells nothing about scope.
@pytest.fixture(scope="module")
def scope_crawl(tmp_path_factory) -> Crawl:
    """Links off the portal everywhere, a redirect off it, pages and values that break
    parsers, a 429; view counts read as by default (one page rendered in Chromium)."""
    traps = MARKUP + ("bad_related_url", "huge_counters", "malformed_href", "offsite_links", "offsite_redirect",
                      "browser_offsite", "retry_after")
    return crawl_hostile(tmp_path_factory.mktemp("scope"), traps)


@pytest.fixture(scope="module")
def pagination_crawl(tmp_path_factory) -> Crawl:
    """下页 from a column's last page back to its first; a column whose pages never end."""
    return crawl_hostile(tmp_path_factory.mktemp("pagination"), ("pagination_cycle", "endless_pagination"),
                         *DIRECT_COUNTS)


@pytest.fixture(scope="module")
def size_crawl(tmp_path_factory) -> Crawl:
    """Gzip bombs, endless bodies (no length, chunked), 下页 and a list row to file:///dev/zero."""
    return crawl_hostile(tmp_path_factory.mktemp("size"), SIZE, *DIRECT_COUNTS)


CRAWLS = ("scope_crawl", "pagination_crawl", "size_crawl")


@pytest.fixture(params=CRAWLS)
def any_crawl(request) -> Crawl:
    return request.getfixturevalue(request.param)


# -- reading an archive -----------------------------------------------------------------------
def _archived(db: Database, base_url: str) -> dict[str, str]:
    """{article path: title} of every URL the archive holds."""
    rows = db.execute("select u.url, a.title from article_urls u join articles a on a.id = u.article_id").fetchall()
    return {url.removeprefix(base_url): title for url, title in rows}


def _failures(db: Database, base_url: str) -> dict[str, tuple[str, str]]:
    """{path (or whole URL, if off the portal): (kind, reason)} of unresolved failures."""
    if not db["failures"].exists():
        return {}
    rows = db.execute("select url, kind, reason from failures where resolved_at is null").fetchall()
    return {url.removeprefix(base_url): (kind, reason) for url, kind, reason in rows}


def _last_run(db: Database) -> dict | None:
    runs = list(db["crawl_runs"].rows_where(order_by="id desc", limit=1)) if db["crawl_runs"].exists() else []
    return runs[0] if runs else None


def _linked(c: Crawl) -> set[str]:
    """Article paths the portal linked on the portal in this crawl: its list pages', and the
    related boxes of the articles fetched (an article behind a failed page is never learned of)."""
    fetched = set(_archived(c.db, c.base_url))
    paths = c.portal.listed_paths()
    for path in fetched:
        paths |= c.portal.related_paths(path)
    return paths


# -- every crawl --------------------------------------------------------------------------------
def test_every_linked_article_is_archived_or_an_unresolved_failure(any_crawl):
    c = any_crawl
    archived, failed = set(_archived(c.db, c.base_url)), set(_failures(c.db, c.base_url))
    lost = sorted(_linked(c) - archived - failed)
    assert not lost, f"{len(lost)} linked articles neither archived nor recorded, e.g. {lost[:5]}; {c.outcome()}"


def test_the_archive_is_the_clean_archive_minus_the_failures(any_crawl, clean):
    c = any_crawl
    archived, failed = _archived(c.db, c.base_url), set(_failures(c.db, c.base_url))
    expected = {path: title for path, title in clean.items() if path not in failed}
    extra = {p: t for p, t in archived.items() if clean.get(p) != t}
    missing = sorted(set(expected) - set(archived))
    assert not extra, f"archived but not in the clean archive (or another title): {extra}"
    assert not missing, f"{len(missing)} articles of the clean archive missing and not failures, e.g. {missing[:5]}; {c.outcome()}"


def test_nothing_reached_the_second_server(any_crawl):
    received = any_crawl.recorder.received
    firsts = sorted({r.split(b"\r\n", 1)[0].decode("latin-1") or "(a connection, nothing sent)" for r in received})
    assert not received, f"the second server received {len(received)} connections: {firsts[:8]}"


def test_the_portal_was_asked_only_under_its_own_host_and_port(any_crawl):
    c = any_crawl
    own = urlsplit(c.base_url).netloc
    hosts = {entry.host for entry in c.portal.log}
    assert hosts == {own}


def test_everything_archived_is_about_the_portal(any_crawl):
    """URLs in the archive are the portal's; links off it are dropped, not failures."""
    c = any_crawl
    urls = [r[0] for r in c.db.execute("select url from article_urls union all select url from pages "
                                       "union all select url from failures union all select canonical_url from articles")]
    foreign = sorted({u for u in urls if not u.startswith(c.base_url + "/")})
    assert not foreign, f"the archive holds URLs off the portal: {foreign}"


def test_no_local_file_was_read(any_crawl):
    """The portal links a local file (a named pipe that notices readers) and
    file:///etc/hostname; neither is opened, nor its text in any row (stored pages included)."""
    c = any_crawl
    assert c.secret_reads == 0, f"the crawl opened the local file the portal linked {c.secret_reads} times"
    hostname = Path("/etc/hostname").read_text().strip()
    word = re.compile(rf"(?<![\w.-]){re.escape(hostname)}(?![\w.-])") if hostname else None
    found = []
    for table in c.db.table_names():
        if table.startswith("articles_fts"):
            continue
        for row in c.db[table].rows:
            for column, value in row.items():
                if isinstance(value, bytes) and column == "html_zlib":
                    value = zlib.decompress(value).decode("utf-8", "replace")
                if not isinstance(value, str):
                    continue
                if c.secret in value or (word and column != "html_zlib" and word.search(value)):
                    found.append(f"{table}.{column}")
    assert not found, f"a local file's text is in the archive: {sorted(set(found))}"


def test_the_run_status_and_exit_code_say_pages_failed(any_crawl):
    c = any_crawl
    assert not c.killed, c.outcome()
    run = _last_run(c.db)
    assert run is not None, c.outcome()
    kinds = {k for (k,) in c.db.execute("select distinct kind from failures where resolved_at is null")}
    if kinds:
        assert (run["status"], c.returncode) == ("failed", 1), f"{len(kinds)} kinds of failure recorded; {c.outcome()}"
    else:
        assert (run["status"], c.returncode) == ("ok", 0), c.outcome()


def test_the_summary_names_every_kind_of_failure(any_crawl):
    c = any_crawl
    assert not c.killed, c.outcome()
    run = _last_run(c.db)
    recorded = {k: n for k, n in c.db.execute(
        "select kind, count(*) from failures where resolved_at is null and run_id = ? group by kind", [run["id"]])}
    assert json.loads(run["failures_by_kind"] or "{}") == recorded
    if not recorded:
        return
    summary = c.stderr.strip().splitlines()[-1] if c.stderr.strip() else ""
    assert "failures:" in summary and "failures: none" not in summary, c.outcome()
    named = summary.split("failures:", 1)[1]
    assert all(re.search(rf"\b{kind}\b", named) for kind in recorded), f"{summary!r} vs {recorded}"


# -- leaving the portal, losing articles -----------------------------------------------------------
def test_a_redirect_off_the_portal_is_an_offsite_failure(scope_crawl):
    c = scope_crawl
    path = c.portal.trapped["offsite_redirect"].path
    assert path not in _archived(c.db, c.base_url), "archived what another host answered"
    assert _failures(c.db, c.base_url).get(path, ("none",))[0] == "offsite", c.outcome()


TRAPPED_PAGES = MARKUP + ("huge_counters_0", "huge_counters_1")


@pytest.mark.parametrize("trap", TRAPPED_PAGES)
def test_a_page_that_breaks_parsers_or_ranges_is_archived_or_recorded(scope_crawl, trap):
    """~1,000 nested <div>s, 3,000 unclosed <font>s, an <img src> urlsplit rejects, a view
    counter of 2**63 or 10**30: each page is archived or a failure, never lost silently."""
    c = scope_crawl
    path = c.portal.trapped[trap].path
    failures = _failures(c.db, c.base_url)
    assert path in _archived(c.db, c.base_url) or path in failures, f"{path} lost without a failure; {c.outcome()}"


def test_a_huge_view_count_is_not_stored_as_a_number(scope_crawl):
    """2**63 and 10**30 do not fit SQLite's INTEGER: refused as data, not a crash, not wrapped."""
    c = scope_crawl
    counts = {n for (n,) in c.db.execute("select count from view_counts")} | {
        n for (n,) in c.db.execute("select view_count from articles")}
    wrong = {n for n in counts if n is not None and (not isinstance(n, int) or not 0 <= n < 2**63)}
    assert not wrong and not counts & set(HUGE_COUNTS), wrong


def test_a_malformed_href_loses_no_other_row_of_its_list_page(scope_crawl):
    c = scope_crawl
    column = c.portal._busiest()
    rows = {p for p, _ in c.portal.lists[column.id][:20]}
    archived, failed = set(_archived(c.db, c.base_url)), set(_failures(c.db, c.base_url))
    lost = sorted(rows - archived - failed)
    assert not lost, f"{len(lost)} of {len(rows)} rows of /index/{column.slug}.htm lost; {c.outcome()}"


def test_a_bad_url_in_a_related_box_loses_no_other_related_article(scope_crawl):
    c = scope_crawl
    box = c.portal.trapped["box:bad_related_url"]
    archived, failed = set(_archived(c.db, c.base_url)), set(_failures(c.db, c.base_url))
    assert box.path in archived, f"the article with the box was not archived; {c.outcome()}"
    lost = sorted(c.portal.related_paths(box.path) - archived - failed)
    assert not lost, f"related articles lost: {lost}"


def test_retry_after_is_honoured_and_the_article_archived(scope_crawl):
    c = scope_crawl
    path = c.portal.trapped["retry_after"].path
    times = [e.at for e in c.portal.log if e.path == path]
    assert len(times) >= 2, f"{path} asked {len(times)} times"
    assert times[1] - times[0] >= RETRY_AFTER, f"retried after {times[1] - times[0]:.2f} s, Retry-After: {RETRY_AFTER}"
    assert path in _archived(c.db, c.base_url), c.outcome()


# -- bounds ---------------------------------------------------------------------------------------
def test_the_crawl_ends_despite_a_pagination_cycle_and_endless_pages(pagination_crawl):
    c = pagination_crawl
    assert c.killed is None, c.outcome()


def _list_requests(log: list[Logged]) -> dict[str, list[str]]:
    """{column slug: list page paths requested, in order}."""
    by_column: dict[str, list[str]] = {}
    for entry in log:
        m = re.match(r"/index/(\w+)(?:\.htm|/)", entry.path)
        if m:
            by_column.setdefault(m[1], []).append(entry.path)
    return by_column


def test_list_pages_per_column_are_bounded_by_max_list_pages(pagination_crawl):
    walked = {slug: len(paths) for slug, paths in _list_requests(pagination_crawl.portal.log).items()}
    assert max(walked.values()) <= MAX_LIST_PAGES, walked


def test_no_list_page_is_walked_twice_in_a_run(pagination_crawl):
    again = {slug: [p for p in set(paths) if paths.count(p) > 1] for slug, paths in
             _list_requests(pagination_crawl.portal.log).items()}
    assert not any(again.values()), {s: (p[:3], len(p)) for s, p in again.items() if p}


@pytest.mark.parametrize("trap", SIZE[:4])
def test_a_response_over_download_maxsize_is_a_too_large_failure(size_crawl, trap):
    c = size_crawl
    path = c.portal.trapped[trap].path
    assert _failures(c.db, c.base_url).get(path, ("none",))[0] == "too_large", c.outcome()


def test_peak_memory_stays_under_300_mb(size_crawl):
    c = size_crawl
    assert c.peak_rss < PEAK_RSS, c.outcome()
