"""End to end against a hostile WebPlus portal crawled with no profile (`newscrawl crawl --url --assets`).

The bundled WebPlus portal (`newscrawl.replica.webplus`) with traps: a 下一页 cycle, a column
whose listN.htm never end, list rows and 下一页 off the portal (another port, another host
name, file://, ftp://), an article redirected off it, view counters answering a number no
SQLite integer holds, a negative one, an HTML page, or naming a counter off the portal,
pictures that never end, are HTML, redirect off the portal or live on another server, and
a home page whose navigation points off the portal and at dozens of dead columns. Beside it
a second server records every connection. The properties, as for the VSB portal in
test_hostile_e2e.py: every article the portal lists is archived or an unresolved failure;
nothing reached the second server nor read a local file; memory and time are bounded; the
run fails with one line that names every kind of failure.
"""
from __future__ import annotations

import html
import json
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlite_utils import Database

from newscrawl.demo import LOCAL_OVERRIDES
from newscrawl.replica import serve
from newscrawl.replica.content import COLUMNS, PER_PAGE
from newscrawl.replica.webplus import COUNTER, WebPlusSite, article_paths
from tests.hostile_portal import Recorder, recording
from tests.test_hostile_e2e import PEAK_RSS, _run, tripwire

ARTICLES, SEED = 60, 3
MAX_LIST_PAGES = 12
TIMEOUT = 150
ASSETS_MAXSIZE = 2**20
COUNTER_ANSWERS = {"counter_huge": b"1" + b"0" * 30, "counter_negative": b"-5",
                   "counter_html": b"<html><body><h1>\xe8\xae\xbf\xe9\x97\xae\xe9\x87\x8f</h1></body></html>"}
IMAGE_TRAPS = ("image_endless", "image_html", "image_redirect", "image_elsewhere")
ARTICLE_TRAPS = ("article_redirect", *COUNTER_ANSWERS, "counter_offsite", *IMAGE_TRAPS)


class HostileWebPlus(WebPlusSite):
    """``WebPlusSite(ARTICLES, SEED)`` with every trap set; ``other`` is the Recorder's base URL,
    ``secret`` a file:// URL no crawl may read. ``base_url`` is set once served."""

    def __init__(self, other: str, secret: str):
        self.other, self.secret, self.base_url = other, secret, ""
        self.hosts: list[str] = []
        super().__init__(articles=ARTICLES, seed=SEED)
        by_size = sorted(COLUMNS, key=lambda c: (-len(self.lists[c.id]), c.id))
        self.cycle, self.endless, self.offsite_rows, self.offsite_next = (c.id for c in by_size)
        # Each trap on its own listed article, one with pictures where the trap is a picture.
        single = [a for a in sorted(self.articles, key=lambda a: a.id) if len(a.columns) == 1]
        with_images = [a for a in single if a.images]
        self.trapped = dict(zip(IMAGE_TRAPS, with_images))
        rest = [a for a in single if a not in self.trapped.values()]
        self.trapped |= dict(zip(ARTICLE_TRAPS[:-len(IMAGE_TRAPS)], rest))
        assert len(self.trapped) == len(ARTICLE_TRAPS)
        self.trap_paths = {article_paths(a)[0]: t for t, a in self.trapped.items()}

    def handle(self, raw_path: str, headers=None):
        self.hosts.append((headers or {}).get("Host", ""))
        return super().handle(raw_path, headers)

    def listed_paths(self) -> set[str]:
        return {p for entries in self.lists.values() for p, _ in entries}

    def pages_of(self, column_id: int) -> int:
        return max(1, -(-len(self.lists[column_id]) // PER_PAGE))

    def offsite_links(self) -> list[str]:
        port = urlsplit(self.other).port
        return [f"{self.other}/2024/0101/c1002a1/page.htm", self.other.replace("127.0.0.1", "localhost") + "/2024/0101/c1002a2/page.htm",
                "file:///etc/hostname", self.secret, f"ftp://127.0.0.1:{port}/2024/0101/c1002a3/page.htm",
                "http://evil.invalid/2024/0101/c1002a4/page.htm"]

    # -- routes --------------------------------------------------------------------------------
    def _route(self, path, query):
        trap = self.trap_paths.get(path)
        if trap == "article_redirect":
            return 302, {"Location": self.other + path}, b""
        if path == COUNTER:
            art = self.by_id.get(int(query.get("articleId", ["0"])[0] or 0))
            name = next((t for t, a in self.trapped.items() if a is art), None)
            if name in COUNTER_ANSWERS:
                return 200, {"Content-Type": "text/html;charset=UTF-8"}, COUNTER_ANSWERS[name]
        if path.startswith("/__local/"):
            art = next((a for t, a in self.trapped.items() if t in IMAGE_TRAPS and path in dict(a.images)), None)
            trap = next((t for t, a in self.trapped.items() if a is art), None)
            if trap == "image_endless":
                return "stream", {"Content-Type": "image/jpeg"}, _endless_jpeg()
            if trap == "image_html":
                return 200, {"Content-Type": "image/jpeg"}, b"<!DOCTYPE html><html><body>404 not found</body></html>"
            if trap == "image_redirect":
                return 302, {"Location": self.other + path}, b""
        m = re.fullmatch(r"/(\d+)/list(\d+)\.htm", path)
        if m and int(m[1]) == self.endless and int(m[2]) > self.pages_of(self.endless):
            return self._page(self._endless_list(int(m[2])))
        return super()._route(path, query)

    def _home(self) -> str:
        page = super()._home()
        extra = "".join(f'<li class="menu-item"><a class="menu-link" href="{html.escape(u)}">站外栏目</a></li>'
                        for u in (self.other + "/1002/list.htm", self.other.replace("127.0.0.1", "localhost") + "/1003/list.htm",
                                  "file:///etc/list.htm", self.secret))
        dead = "".join(f'<li class="menu-item"><a class="menu-link" href="/{9000 + i}/list.htm">栏目{i}</a></li>'
                       for i in range(60))
        return page.replace("</ul></nav>", extra + dead + "</ul></nav>", 1)

    def _webplus_list(self, column_id: int, number: int, numbered: bool) -> str:
        page = super()._webplus_list(column_id, number, numbered)
        last = number == self.pages_of(column_id)
        if column_id == self.offsite_rows and number == 1:
            rows = "".join(f"<li class=\"news clearfix\"><span class=\"news_title\"><a href='{html.escape(u)}' "
                           f"title='站外'>站外文章</a></span><span class=\"news_meta\">2024-12-01</span></li>"
                           for u in self.offsite_links())
            page = page.replace("<li class=\"news n1 clearfix\">", rows + "<li class=\"news n1 clearfix\">", 1)
        if last:
            target = {self.cycle: f"/{column_id}/list.htm", self.endless: f"/{column_id}/list{number + 1}.htm",
                      self.offsite_next: f"{self.other}/{column_id}/list{number + 1}.htm"}.get(column_id)
            if target:
                page = re.sub(r'<a class="next" href="[^"]*"', f'<a class="next" href="{target}"', page, count=1)
        return page

    def _endless_list(self, number: int) -> str:
        """Page N of a column that never ends: its newest rows again, 下一页 to N+1."""
        page = super()._webplus_list(self.endless, 1, False)
        return re.sub(r'<a class="next" href="[^"]*"', f'<a class="next" href="/{self.endless}/list{number + 1}.htm"', page,
                      count=1)

    def _webplus_article(self, art, path: str) -> str:
        page = super()._webplus_article(art, path)
        trap = self.trap_paths.get(path)
        if trap == "counter_offsite":
            page = page.replace('url="/_visitcountdisplay', f'url="{self.other}/_visitcountdisplay', 1)
        if trap == "image_elsewhere":
            page = page.replace('src="/__local/', f'src="{self.other}/__local/')
        return page


def _endless_jpeg():
    yield b"\xff\xd8\xff\xe0" + b"\0" * 65536
    while True:
        yield b"\0" * 65536


@dataclass
class Crawl:
    portal: HostileWebPlus
    base_url: str
    db: Database
    recorder: Recorder
    returncode: int
    stderr: str
    peak_rss: int
    killed: str | None
    secret: str
    secret_reads: int

    def outcome(self) -> str:
        return f"exit {self.returncode}, peak RSS {self.peak_rss / 2**20:.0f} MB, killed: {self.killed}; stderr ends {self.stderr[-800:]!r}"


def url_command(base_url: str, db: Path, *extra: str) -> list[str]:
    """`newscrawl crawl --url` of the portal at ``base_url``, as cron runs it, local speed."""
    cmd = [sys.executable, "-m", "newscrawl.cli", "crawl", "--db", str(db), "--url", base_url + "/"]
    for key, value in LOCAL_OVERRIDES.items():
        if key != "LOG_LEVEL":
            cmd += ["-s", f"{key}={value}"]
    return cmd + list(extra)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> Crawl:
    tmp = tmp_path_factory.mktemp("webplus")
    marker = f"NEWSCRAWL-SECRET-{uuid.uuid4().hex}"
    secret = tmp / "secret.htm"
    with recording() as recorder, tripwire(secret, f"<html><title>{marker}</title><p>{marker}</p></html>") as opened:
        portal = HostileWebPlus(recorder.base_url, secret.as_uri())
        with serve(portal) as base_url:
            portal.base_url = base_url
            cmd = url_command(base_url, tmp / "news.db", "--assets", "-s", f"MAX_LIST_PAGES={MAX_LIST_PAGES}",
                              "-s", "VIEW_COUNTS=direct", "-s", f"ASSETS_MAXSIZE={ASSETS_MAXSIZE}",
                              "-s", "RETRY_BACKOFF_BASE=0", "-s", "RETRY_TIMES=1")
            code, stderr, _seconds, peak, killed = _run(cmd, tmp / "stderr.txt", TIMEOUT)
    return Crawl(portal, base_url, Database(tmp / "news.db"), recorder, code, stderr, peak, killed, marker, len(opened))


def _archived(c: Crawl) -> set[str]:
    return {url.removeprefix(c.base_url) for (url,) in c.db.execute("select url from article_urls")}


def _failures(c: Crawl) -> dict[str, tuple[str, str]]:
    rows = c.db.execute("select url, kind, reason from failures where resolved_at is null").fetchall()
    return {url.removeprefix(c.base_url): (kind, reason) for url, kind, reason in rows}


def _list_requests(c: Crawl) -> dict[str, list[str]]:
    """{column id: list pages the crawl asked for, in order}, without the first page of each
    column that discovery read before the crawl began."""
    by_column: dict[str, list[str]] = {}
    for _, path in c.portal.request_log:
        m = re.fullmatch(r"/(\d+)/list\d*\.htm", path)
        if m:
            by_column.setdefault(m[1], []).append(path)
    for paths in by_column.values():
        paths.remove(paths[0])  # discovery's
    return by_column


def test_the_crawl_ended_by_itself_within_bounds(crawl):
    assert crawl.killed is None and crawl.peak_rss < PEAK_RSS, crawl.outcome()


def test_every_listed_article_is_archived_or_an_unresolved_failure(crawl):
    c = crawl
    lost = sorted(c.portal.listed_paths() - _archived(c) - set(_failures(c)))
    assert not lost, f"{len(lost)} listed articles neither archived nor recorded, e.g. {lost[:5]}; {c.outcome()}"


def test_nothing_reached_the_second_server_and_no_local_file_was_read(crawl):
    firsts = sorted({r.split(b"\r\n", 1)[0].decode("latin-1") or "(nothing sent)" for r in crawl.recorder.received})
    assert not crawl.recorder.received, f"the second server received {len(crawl.recorder.received)}: {firsts[:8]}"
    assert crawl.secret_reads == 0
    assert set(crawl.portal.hosts) == {urlsplit(crawl.base_url).netloc}


def test_everything_archived_is_about_the_portal(crawl):
    c = crawl
    urls = [r[0] for r in c.db.execute("select url from article_urls union all select url from failures "
                                       "union all select url from article_assets")]
    foreign = sorted({u for u in urls if not u.startswith(c.base_url + "/")})
    assert not foreign, foreign
    assert not any(c.secret in str(v) for table in ("articles", "failures") for row in c.db[table].rows for v in row.values())


def test_list_pages_are_bounded_and_none_walked_twice(crawl):
    walked = _list_requests(crawl)
    assert max(len(paths) for paths in walked.values()) <= MAX_LIST_PAGES, {k: len(v) for k, v in walked.items()}
    twice = {k: [p for p in set(v) if v.count(p) > 1] for k, v in walked.items()}
    assert not any(twice.values()), twice


def test_a_redirect_off_the_portal_is_an_offsite_failure(crawl):
    path = article_paths(crawl.portal.trapped["article_redirect"])[0]
    assert _failures(crawl).get(path, ("none",))[0] == "offsite", crawl.outcome()


@pytest.mark.parametrize("trap", [*COUNTER_ANSWERS, "counter_offsite"])
def test_a_counter_that_answers_no_count_is_archived_without_one_and_recorded(crawl, trap):
    c = crawl
    path = article_paths(c.portal.trapped[trap])[0]
    row = c.db.execute("select a.id, a.view_count from articles a join article_urls u on u.article_id = a.id "
                       "where u.url = ?", [c.base_url + path]).fetchone()
    assert row is not None, f"{path} not archived; {c.outcome()}"
    assert row[1] is None and not c.db.execute("select 1 from view_counts where article_id = ?", [row[0]]).fetchall()
    assert _failures(c).get(path, ("none",))[0] == "view_count", _failures(c).get(path)


def test_counts_stored_are_in_range(crawl):
    counts = [n for (n,) in crawl.db.execute("select count from view_counts")]
    assert counts and all(isinstance(n, int) and 0 <= n < 2**63 for n in counts)


@pytest.mark.parametrize("trap", IMAGE_TRAPS)
def test_a_picture_that_is_endless_html_or_off_the_portal_is_not_stored_and_costs_no_article(crawl, trap):
    c = crawl
    art = c.portal.trapped[trap]
    path = article_paths(art)[0]
    assert path in _archived(c), c.outcome()
    stored = {u for (u,) in c.db.execute("select url from article_assets")}
    assert not stored & {c.base_url + src for src, _ in art.images}
    if trap != "image_elsewhere":  # a picture on another server is skipped, not a failure
        assert _failures(c).get(path, ("none",))[0] == "asset", _failures(c).get(path)


def test_the_run_fails_with_one_line_naming_every_kind(crawl):
    c = crawl
    run = list(c.db["crawl_runs"].rows_where(order_by="id desc", limit=1))[0]
    kinds = {k: n for k, n in c.db.execute("select kind, count(*) from failures where resolved_at is null group by kind")}
    assert {"offsite", "view_count", "asset"} <= set(kinds), kinds
    assert (run["status"], c.returncode) == ("failed", 1), c.outcome()
    assert json.loads(run["failures_by_kind"]) == kinds
    lines = [line for line in c.stderr.splitlines() if line.startswith("newscrawl: ")]
    assert len(lines) == 1 and all(re.search(rf"\b{k}\b", lines[0].split("failures:", 1)[1]) for k in kinds), c.outcome()
