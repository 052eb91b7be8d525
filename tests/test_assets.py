"""`crawl --assets`: the articles' images and attachments kept in the archive, fetched politely
and once, their failures recorded and retried, and served offline by show, Datasette and WARC."""
from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from archive.assets import Asset
from archive.schema import migrations
from archive.store import Archive, open_database
from newscrawl.assets import stored_type, wanted_assets
from newscrawl.cli import cli
from newscrawl.items import Article, Attachment, Image
from newscrawl.profile import Column, Portal
from newscrawl.replica import Site, media, serve
from tests.conftest import newscrawl_crawl, open_db
from tests.hostile_portal import recording
from tests.test_archive_datasette import free_port, start_datasette, stop

ASSET_PATH = re.compile(r"\.(jpg|png|pdf)$|download\.jsp")
GONE = "/__local/missing/gone.jpg"  # 404 on the first run, back on the second
NOT_AN_IMAGE = "/__local/fake/deleted.jpg"  # the portal's "not found" page, served as an image
POSTER = "/__local/big/poster.jpg"  # larger than ASSETS_MAXSIZE
SHARED = "/__local/shared/banner.jpg"  # in two articles
NOT_A_FILE = "/__local/files/notice.pdf"  # an attachment that is a login page
FORBIDDEN = "/admin/photos/staff.jpg"  # robots.txt: Disallow: /admin/
LIMIT = 100_000


class AssetPortal(Site):
    """The bundled portal, with pictures and files that go wrong the way real ones do."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.missing = {GONE}

    def _route(self, path, query):
        if path in self.missing:
            raise KeyError(path)
        page = b"<!DOCTYPE html><html><head><title>404</title></head><body>\xe6\x96\x87\xe4\xbb\xb6\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8</body></html>"
        if path == NOT_AN_IMAGE:
            return 200, {"Content-Type": "image/jpeg"}, page
        if path == NOT_A_FILE:
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page
        if path == POSTER:
            return 200, {"Content-Type": "image/jpeg"}, media.image(path)[1] + bytes(2 * LIMIT)
        return super()._route(path, query)

    def served(self, url: str) -> bytes:
        """What the portal answers for ``url``, without counting it as a request."""
        parts = urlsplit(url)
        return self._route(parts.path, parse_qs(parts.query))[2]


def asset_requests(requests: dict) -> dict:
    return {path: n for path, n in requests.items() if ASSET_PATH.search(urlsplit(path).path + urlsplit(path).query)}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """Two `newscrawl crawl --assets` runs of a portal whose pictures go wrong in every way; the
    missing picture is back between them. Yields the portal, its URL, the archive and what
    each run requested and recorded, with the second server (an off-site picture host)."""
    site = AssetPortal(articles=40, seed=7)
    listed = [a for a in site.articles if a.listed and a.alias_id is None]
    with recording() as elsewhere, serve(site) as base_url:
        trouble = {
            GONE: listed[0], NOT_AN_IMAGE: listed[1], POSTER: listed[2],
            elsewhere.base_url + "/cdn/photo.jpg": listed[3],
        }
        for src, art in trouble.items():
            art.blocks.append(("img", f"{src}|"))
        for art in listed[4:6]:
            art.blocks.append(("img", f"{SHARED}|共用图片"))
        listed[6].attachments.append((NOT_A_FILE, "通知.pdf"))
        listed[7].blocks.append(("img", f"{FORBIDDEN}|"))
        db_path = tmp_path_factory.mktemp("assets") / "news.db"
        args = ("--assets", "-s", f"ASSETS_MAXSIZE={LIMIT}", "-s", "VIEW_COUNTS=off")
        first = newscrawl_crawl(base_url, db_path, *args)
        first_requests = dict(site.requests)
        db = open_db(db_path)
        first_failures = {r["url"]: r for r in db.query("select * from failures where kind = 'asset'")}
        site.missing.clear()
        second = newscrawl_crawl(base_url, db_path, *args)
        second_requests = {p: n - first_requests.get(p, 0) for p, n in site.requests.items() if n > first_requests.get(p, 0)}
        yield {"site": site, "base_url": base_url, "db": db, "db_path": db_path, "first": first, "second": second,
               "first_requests": first_requests, "second_requests": second_requests,
               "first_failures": first_failures, "trouble": {k: base_url + a.path for k, a in trouble.items()},
               "shared": [base_url + a.path for a in listed[4:6]], "not_a_file": base_url + listed[6].path,
               "forbidden": base_url + listed[7].path,
               "elsewhere": list(elsewhere.received)}


def _stored(db: Database, url: str) -> bytes | None:
    row = db.execute("select s.content from article_assets l join assets s on s.sha256 = l.sha256 where l.url = ?",
                     [url]).fetchone()
    return row[0] if row else None


def test_every_picture_and_file_on_the_portal_is_stored_byte_for_byte(crawled):
    site, base_url, db = crawled["site"], crawled["base_url"], crawled["db"]
    faulty = {base_url + p for p in (NOT_AN_IMAGE, POSTER, NOT_A_FILE, FORBIDDEN)}
    urls = [r[0] for r in db.execute("select url from images union select url from attachments")]
    on_portal = [u for u in urls if u.startswith(base_url + "/") and u not in faulty]
    assert len(on_portal) > 20
    for url in on_portal:
        assert _stored(db, url) == site.served(url), url
    # Every article links the files it shows, under its own id.
    linked = set(db.execute("select article_id, url from article_assets").fetchall())
    shown = set(db.execute("select article_id, url from images union select article_id, url from attachments"))
    assert {(a, u) for a, u in shown if u in on_portal} <= linked


def test_each_file_is_fetched_once_and_stored_once(crawled):
    db, requests = crawled["db"], crawled["first_requests"]
    fetched = asset_requests(requests)
    assert fetched and set(fetched.values()) == {1}, {p: n for p, n in fetched.items() if n != 1}
    assert requests[SHARED] == 1
    (sha,) = {r[0] for r in db.execute("select sha256 from article_assets where url like ?", [f"%{SHARED}"])}
    owners = db.execute("select count(distinct article_id) from article_assets where sha256 = ?", [sha]).fetchone()[0]
    assert owners == 2
    assert db.execute("select count(*) from assets").fetchone()[0] == \
        db.execute("select count(distinct sha256) from article_assets").fetchone()[0]
    # The second run asked only for what it lacked: nothing stored was fetched again.
    again = asset_requests(crawled["second_requests"])
    assert set(again) == {GONE, NOT_AN_IMAGE, POSTER, NOT_A_FILE}, again


def test_a_picture_on_another_server_is_skipped_not_fetched_and_not_a_failure(crawled):
    assert crawled["elsewhere"] == []  # not one connection
    article = crawled["trouble"][next(k for k in crawled["trouble"] if k.endswith("/cdn/photo.jpg"))]
    db = crawled["db"]
    assert db.execute("select 1 from article_urls where url = ?", [article]).fetchone()
    assert article not in crawled["first_failures"]
    assert not db.execute("select 1 from article_assets where url like '%/cdn/photo.jpg'").fetchone()


def test_a_picture_robots_txt_forbids_is_not_fetched_and_not_a_failure(crawled):
    assert FORBIDDEN not in crawled["first_requests"] and FORBIDDEN not in crawled["second_requests"]
    assert crawled["forbidden"] not in crawled["first_failures"]
    assert crawled["db"].execute("select 1 from article_urls where url = ?", [crawled["forbidden"]]).fetchone()


def test_a_missing_picture_costs_the_picture_not_the_article_and_the_next_run_gets_it(crawled):
    db, article = crawled["db"], crawled["trouble"][GONE]
    assert crawled["first"].returncode == 1
    assert "asset" in crawled["first"].stderr
    failure = crawled["first_failures"][article]
    assert failure["resolved_at"] is None and GONE in failure["reason"] and "HTTP 404" in failure["reason"]
    # The article was archived by the first run, with its other pictures.
    (article_id,) = db.execute("select article_id from article_urls where url = ?", [article]).fetchone()
    first_run = db.execute("select min(id) from crawl_runs").fetchone()[0]
    assert db.execute("select first_seen_at from articles where id = ?", [article_id]).fetchone()[0] <= \
        db.execute("select finished_at from crawl_runs where id = ?", [first_run]).fetchone()[0]
    # The second run fetched the article again and, with it, the picture.
    assert crawled["second_requests"].get(urlsplit(article).path) == 1
    assert _stored(db, crawled["base_url"] + GONE) == crawled["site"].served(crawled["base_url"] + GONE)
    assert db.execute("select resolved_at from failures where url = ?", [article]).fetchone()[0] is not None


@pytest.mark.parametrize("path, why", [(NOT_AN_IMAGE, "not an image (text/html)"), (POSTER, "larger than"),
                                       (NOT_A_FILE, "a web page, not a file")])
def test_a_file_that_is_not_what_it_claims_or_too_large_is_not_stored(crawled, path, why):
    db = crawled["db"]
    article = crawled["not_a_file"] if path == NOT_A_FILE else crawled["trouble"][path]
    assert _stored(db, crawled["base_url"] + path) is None
    (reason, resolved) = db.execute("select reason, resolved_at from failures where url = ?", [article]).fetchone()
    assert path in reason and why in reason and resolved is None
    assert db.execute("select 1 from article_urls where url = ?", [article]).fetchone()
    assert not db.execute("select 1 from assets where content_type like 'text/%' or size > ?", [LIMIT]).fetchone()


def test_without_assets_no_picture_is_requested(tmp_path):
    site = Site(articles=30, seed=7)
    with serve(site) as base_url:
        done = newscrawl_crawl(base_url, tmp_path / "news.db", "-s", "VIEW_COUNTS=off")
    assert done.returncode == 0, done.stderr
    assert asset_requests(site.requests) == {}
    db = open_db(tmp_path / "news.db")
    assert db.execute("select count(*) from images").fetchone()[0] > 0
    assert db.execute("select count(*) from assets").fetchone()[0] == 0


def _with_pictures(db: Database) -> int:
    return db.execute("select article_id from article_assets where role = 'image' group by article_id "
                      "having count(*) >= 2 order by article_id limit 1").fetchone()[0]


def test_show_says_which_pictures_and_files_are_kept(crawled):
    db, db_path = crawled["db"], crawled["db_path"]
    article_id = _with_pictures(db)
    run = CliRunner().invoke(cli, ["show", str(article_id), "--db", str(db_path)], catch_exceptions=False)
    images = run.output.split("\nImages", 1)[1]
    assert images.startswith(" (2 of 2 stored in the archive)") or "stored in the archive)" in images.splitlines()[0]
    assert images.count("[stored: image/jpeg") >= 2
    record = json.loads(CliRunner().invoke(cli, ["show", str(article_id), "--json", "--db", str(db_path)]).output)
    assets = {a["url"]: a for a in record["assets"]}
    for image in record["images"]:
        assert assets[image["url"]]["content_type"] == "image/jpeg" and len(assets[image["url"]]["sha256"]) == 64
    # An article whose picture was refused says so.
    refused = db.execute("select article_id from article_urls where url = ?", [crawled["trouble"][NOT_AN_IMAGE]]).fetchone()[0]
    text = CliRunner().invoke(cli, ["show", str(refused), "--db", str(db_path)]).output
    assert f"{NOT_AN_IMAGE}  [not stored]" in text


@pytest.fixture(scope="module")
def reading_room(crawled):
    """`newscrawl datasette` on the crawled archive; yields its base URL."""
    proc, base = start_datasette(crawled["db_path"], free_port())
    try:
        yield base
    finally:
        stop(proc)


def test_datasette_serves_the_kept_pictures_and_the_article_page_shows_them(crawled, reading_room):
    db, base = crawled["db"], reading_room
    article_id = _with_pictures(db)
    with urllib.request.urlopen(f"{base}/news/articles/{article_id}", timeout=10) as response:
        page = response.read().decode()
    srcs = re.findall(r'<img src="([^"]+)"', page.split('class="body"', 1)[1])
    assert len(srcs) >= 2 and all(s.startswith("/-/newscrawl/asset/") for s in srcs)
    for src in srcs:
        sha = src.rsplit("/", 1)[1]
        with urllib.request.urlopen(base + src, timeout=10) as response:
            body, content_type = response.read(), response.headers["Content-Type"]
        assert content_type == "image/jpeg" and body.startswith(b"\xff\xd8\xff")
        assert body == db.execute("select content from assets where sha256 = ?", [sha]).fetchone()[0]
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{base}/-/newscrawl/asset/{'0' * 64}", timeout=10)
    assert missing.value.code == 404


def test_the_warc_replays_the_pictures_under_their_original_urls(crawled, tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    db, db_path = crawled["db"], crawled["db_path"]
    out = tmp_path / "news.warc.gz"
    run = CliRunner().invoke(cli, ["export", "--format", "warc", "-o", str(out), "--db", str(db_path)])
    assert run.exit_code == 0, run.output
    records = {}
    with out.open("rb") as fp:
        for record in ArchiveIterator(fp):
            if record.rec_type == "response":
                records[record.rec_headers.get_header("WARC-Target-URI")] = (
                    record.http_headers.get_header("Content-Type"), record.rec_headers.get_header("WARC-Date"),
                    record.content_stream().read())
    stored = db.execute("select l.url, s.content_type, l.fetched_at, s.content from article_assets l "
                        "join assets s on s.sha256 = l.sha256").fetchall()
    assert stored
    for url, content_type, fetched_at, content in stored:
        assert records[url][0] == content_type and records[url][2] == content, url
        assert records[url][1] == fetched_at.replace("+00:00", "Z")


def test_scope_a_cdn_subdomain_is_another_host_unless_the_profile_names_it():
    portal = Portal(name="x", title="x", base_url="https://news.example.edu.cn", columns=(Column("index.htm", ""),))
    assert not portal.in_scope("https://img.news.example.edu.cn/a.jpg")
    named = Portal(name="x", title="x", base_url="https://news.example.edu.cn", columns=(Column("index.htm", ""),),
                   extra_hosts=("img.news.example.edu.cn",))
    assert named.in_scope("https://img.news.example.edu.cn/a.jpg")


@pytest.mark.parametrize("role, body, declared, expected", [
    ("image", media.image("/a.jpg")[1], "image/jpeg", "image/jpeg"),
    ("image", media.image("/a.png")[1], "application/octet-stream", "image/png"),  # the bytes decide
    ("image", b"<html><body>404</body></html>", "image/jpeg", None),
    ("image", b"\xef\xbb\xbf  <!DOCTYPE HTML><p>gone", "image/png", None),
    ("attachment", media.attachment("1"), "application/octet-stream", "application/pdf"),
    ("attachment", b"PK\x03\x04 a docx", "application/msword", "application/msword"),
    ("attachment", b"<script>location='/login'</script>", "application/pdf", None),
])
def test_what_a_file_is_is_read_from_its_bytes(role, body, declared, expected):
    from newscrawl.assets import NotStored

    if expected is None:
        with pytest.raises(NotStored):
            stored_type(role, body, declared)
    else:
        assert stored_type(role, body, declared) == expected


def test_an_article_lists_each_file_once_pictures_first():
    article = Article(url="u", images=[Image("a.jpg"), Image("b.jpg"), Image("a.jpg")],
                      attachments=[Attachment("c.pdf"), Attachment("b.jpg"), Attachment("")])
    assert wanted_assets(article) == [("a.jpg", "image"), ("b.jpg", "image"), ("c.pdf", "attachment")]


def test_an_archive_without_assets_upgrades_in_place_and_keeps_its_articles(tmp_path):
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m009_assets")
    old["articles"].insert({"id": 1, "canonical_url": "https://news.xjtu.edu.cn/info/1002/1.htm", "portal": "xjtu",
                            "title": "旧档案里的文章", "body_text": "正文", "content_hash": "x"})
    old["images"].insert({"article_id": 1, "position": 0, "url": "https://news.xjtu.edu.cn/a.jpg", "caption": ""})
    old.conn.close()
    # Read as it is (show on an archive nobody upgraded yet): no assets, no error.
    run = CliRunner().invoke(cli, ["show", "1", "--json", "--db", str(path)], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert json.loads(run.output)["assets"] == []
    archive = Archive(path)  # what a crawl opens: upgraded
    assert archive.db["assets"].exists() and archive.db["articles"].count == 1
    picture = media.image("/a.jpg")[1]
    article = Article(url="https://news.xjtu.edu.cn/info/1002/2.htm", portal="xjtu", title="新文章", body_text="正文二",
                      images=[Image("https://news.xjtu.edu.cn/a.jpg")],
                      assets=[Asset("https://news.xjtu.edu.cn/a.jpg", "image", "f" * 64, "image/jpeg", len(picture),
                                    "2025-01-01T00:00:00+00:00", picture)])
    assert archive.save(article) == "new"
    assert archive.stored_assets(["https://news.xjtu.edu.cn/a.jpg"])["https://news.xjtu.edu.cn/a.jpg"].sha256 == "f" * 64
    archive.close()
    assert open_database(path)["articles"].count == 2


def test_pywb_replays_the_pictures_of_the_wacz(crawled, tmp_path):
    from tests.test_archive_wacz import BIN, PYWB_BIN, _free_port, _wait_until_listening

    db, db_path = crawled["db"], crawled["db_path"]
    out = tmp_path / "news.wacz"
    run = CliRunner().invoke(cli, ["export", "--format", "wacz", "-o", str(out), "--db", str(db_path)])
    assert run.exit_code == 0, run.output
    done = subprocess.run([BIN / "wacz", "validate", "-f", out], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    url, content = db.execute("select l.url, s.content from article_assets l join assets s on s.sha256 = l.sha256 "
                              "where l.role = 'image' order by l.url limit 1").fetchone()
    subprocess.run([PYWB_BIN / "wb-manager", "init", "news"], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    subprocess.run([PYWB_BIN / "wb-manager", "add", "--unpack-wacz", "news", out], cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen([PYWB_BIN / "wayback", "-b", "127.0.0.1", "-p", str(port)], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_listening(port, server)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/news/2030id_/{url}", timeout=30) as reply:
            assert reply.read() == content
            assert reply.headers["Content-Type"] == "image/jpeg"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_article_page_shows_its_pictures_from_the_archive_in_a_browser(crawled, reading_room, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.test_reading_room import ARGS, CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed")
    base, asked = reading_room, []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page()
        page.on("request", lambda request: asked.append(request.url))
        page.goto(f"{base}/news/articles/{_with_pictures(crawled['db'])}")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(tmp_path / "article-with-kept-pictures.png"), full_page=True)
        widths = page.locator("article .body img").evaluate_all("imgs => imgs.map(i => i.complete && i.naturalWidth)")
        browser.close()
    assert len(widths) >= 2 and set(widths) == {240}  # the portal's 240×135 JPEGs, decoded
    assert not [u for u in asked if not u.startswith(base)]  # nothing from the portal or anywhere else
