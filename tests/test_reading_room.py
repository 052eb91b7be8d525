"""The reading room in a real Chromium: what an archivist sees on each Datasette page, and
the `newscrawl report --html` page opened offline. Screenshots are kept as test artefacts."""
from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tests.test_archive_datasette import free_port, start_datasette, stop

pytest.importorskip("datasette_dashboards")
pytest.importorskip("vl_convert")
sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}
COMPACT = ["id", "published_at", "portal", "column", "title", "source", "view_count", "credits"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed")


def png(width: int = 64, height: int = 40) -> bytes:
    """A small PNG: the picture the portal would serve."""
    raw = b"".join(b"\0" + bytes((200, 80, 40)) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def server(news_db):
    proc, base = start_datasette(news_db, free_port())
    try:
        yield base
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    """A page that reaches 127.0.0.1 only; the portal's pictures come from a stand-in for
    the portal, and every other request is refused and listed in ``page.outside``."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.outside = []
    picture = png()

    def route(route):
        url = route.request.url
        if re.match(r"^(http://127\.0\.0\.1:\d+/|file://|data:)", url):
            return route.continue_()
        if url.startswith("https://news.xjtu.edu.cn/") and url.endswith(".jpg"):
            return route.fulfill(status=200, content_type="image/png", body=picture)
        page.outside.append(url)
        return route.abort()

    context.route("**/*", route)
    yield page
    context.close()


def shot(page, shots: Path, name: str) -> Path:
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def test_index_hides_internal_tables_and_links_the_charts(page, server, shots):
    page.goto(server + "/")
    text = page.inner_text("body")
    shot(page, shots, "index")
    for internal in ("_sqlite_migrations", "frontier", "articles_fts"):
        assert internal not in text
    assert "articles" in text
    assert page.locator("a[href='/-/dashboards/reading-room']").count() >= 1
    assert page.outside == []


def test_articles_table_opens_compact(page, server, shots):
    page.goto(server + "/news/articles")
    shot(page, shots, "articles")
    headers = page.locator("table.rows-and-columns th").evaluate_all("ths => ths.map(th => th.dataset.column)")
    assert headers == COMPACT
    table = page.locator("table.rows-and-columns").bounding_box()
    assert table["width"] <= VIEWPORT["width"]
    first_row = page.locator("table.rows-and-columns tbody tr").first.bounding_box()
    assert first_row["height"] < 60  # one line of text, not a body
    assert page.locator("table.rows-and-columns").bounding_box()["y"] < VIEWPORT["height"]  # on the first screen
    row = page.locator("table.rows-and-columns tbody tr", has_text="天津科创中心正式揭牌")
    assert row.locator("td.col-credits").inner_text().strip() == "文字 校友部 · 摄影 王某"
    facets = page.inner_text(".facet-results")
    assert "published_at (month)" in facets and "2024-12" in facets
    assert "credits (credit)" in facets and "王某" in facets


def test_two_character_search_finds_what_the_cli_finds(page, server, shots, newscrawl):
    page.goto(server + "/news/articles")
    page.fill("#_search", "西迁")
    page.press("#_search", "Enter")
    page.wait_for_load_state()
    shot(page, shots, "search-two-characters")
    titles = page.locator("table.rows-and-columns td.col-title").all_inner_texts()
    cli = newscrawl("search", "西迁", "--json")
    assert cli.exit_code == 0, cli.output
    assert len(titles) == 2 and set(titles) == {hit["title"] for hit in json.loads(cli.output)}
    assert page.input_value("#_search") == "西迁"
    assert "_col=title" in page.url  # still compact


def test_credit_and_month_facets_narrow_the_table(page, server, shots):
    page.goto(server + "/news/articles")
    page.locator(".facet-results a", has_text="王某").click()
    page.wait_for_load_state()
    ids = page.locator("table.rows-and-columns td.col-id").all_inner_texts()
    assert sorted(int(i) for i in ids) == [1, 3, 5, 9, 11]
    page.locator(".facet-results a", has_text="2024-12").click()
    page.wait_for_load_state()
    shot(page, shots, "facets-credit-month")
    narrowed = sorted(int(i) for i in page.locator("table.rows-and-columns td.col-id").all_inner_texts())
    dates = page.locator("table.rows-and-columns td.col-published_at").all_inner_texts()
    assert 1 in narrowed and set(narrowed) < {1, 3, 5, 9, 11}
    assert all(d.startswith("2024-12") for d in dates)


def test_article_page_reads_as_the_portal_showed_it(page, server, shots):
    page.goto(server + "/news/articles/1")
    page.wait_for_load_state("networkidle")
    shot(page, shots, "article")
    assert page.inner_text("article h1") == "天津科创中心正式揭牌"
    meta = page.inner_text("article .meta")
    assert "2024-12-20 17:19" in meta and "党委宣传部" in meta and "今日交大" in meta
    assert "西安交通大学天津科创中心在天津滨海新区正式揭牌" in page.inner_text("article .body")
    image = page.locator("article .body img").first
    assert image.evaluate("img => img.complete && img.naturalWidth") == 64
    assert image.bounding_box()["width"] > 0
    assert "校友部" in page.inner_text("article .credits") and "王某" in page.inner_text("article .credits")
    assert page.locator("article .view-counts table tr").count() == 2
    assert "https://news.xjtu.edu.cn/info/1002/1001.htm" in page.inner_text("article .urls")
    assert page.locator("article a.revisions").count() == 1
    assert page.outside == []
    page.click("article a.archived-page")
    page.wait_for_load_state()
    assert "天津科创中心正式揭牌" in page.content()


def test_article_page_sandboxes_the_archived_page(server):
    import urllib.request

    with urllib.request.urlopen(server + "/-/archived-page/news/1", timeout=5) as response:
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert b"<base href=" in response.read()


def test_other_rows_keep_datasettes_row_page(page, server):
    page.goto(server + "/news/credits")
    page.locator("table.rows-and-columns td.type-pk a").first.click()
    page.wait_for_load_state()
    assert page.locator("article.article").count() == 0 and page.locator("table.rows-and-columns").count() == 1


def test_charts_draw_in_the_dashboard(page, server, shots):
    page.goto(server + "/-/dashboards/reading-room")
    for slug in ("articles-per-month", "view-counts", "most-read"):
        page.wait_for_selector(f"#chart-{slug} canvas, #chart-{slug} svg", timeout=20_000)
    shot(page, shots, "charts")
    assert page.outside == []
    page.goto(server + "/-/dashboards/reading-room?article=" + "1%20%C2%B7%20x")
    page.wait_for_selector("#chart-view-counts canvas, #chart-view-counts svg", timeout=20_000)
    shot(page, shots, "charts-one-article")


def test_report_html_opens_offline_with_its_charts(page, news_db, tmp_path, shots):
    out = tmp_path / "report.html"
    done = subprocess.run([sys.executable, "-m", "newscrawl.cli", "report", "--db", str(news_db), "--html", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    # No address the page could fetch: only the SVG namespaces name a URL.
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text)) - {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert urls == set()
    assert not re.search(r"<(script|link|img|iframe)\b", text)
    page.goto(out.as_uri())
    shot(page, shots, "report")
    for slug in ("articles-per-month", "view-counts", "most-read"):
        svg = page.locator(f"#{slug} svg")
        assert svg.count() == 1 and svg.bounding_box()["width"] > 300
    assert "今日交大" in page.inner_text("#articles-per-month")
    assert "天津科创中心正式揭牌" in page.inner_text("#most-read")
    assert page.outside == []
