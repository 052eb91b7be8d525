"""End to end: `scrapy crawl webplus_demo` against the bundled WebPlus portal into a temporary archive."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from newscrawl.demo import crawl_command
from newscrawl.replica import COLUMNS, WebPlusSite, serve
from newscrawl.replica.webplus import article_paths, attachments, body_text
from tests.conftest import ROOT, article_row, crawled_twice, open_db


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One WebPlus portal crawled twice into one archive: (site, base_url, db, requests of run 1)."""
    yield from crawled_twice(WebPlusSite(articles=150, seed=3), tmp_path_factory.mktemp("archive") / "news.db",
                             "-s", "VIEW_COUNTS=off", spider="webplus_demo")


_article = article_row


def test_every_article_archived_exactly_once(crawled):
    site, base_url, db, _ = crawled
    assert db["articles"].count == len(site.articles)
    assert len({_article(db, base_url, article_paths(art)[0])["id"] for art in site.articles}) == len(site.articles)


def test_every_field_matches_the_portal(crawled):
    site, base_url, db, _ = crawled
    for art in site.articles:
        path = article_paths(art)[0]
        row = _article(db, base_url, path)
        assert (row["portal"], row["extraction"]) == ("webplus_demo", "webplus")
        assert row["column"] in art.column_names  # a cross-post's row has the column it was first read under
        assert (row["title"], row["source"], row["published_at"]) == (art.title, art.source, art.published_iso), path
        assert row["body_text"] == body_text(art), path
        assert json.loads(row["credits"]) == art.credits, path
        assert [(i["url"], i["caption"]) for i in json.loads(row["images"])] == [(base_url + src, cap) for src, cap in art.images]
        assert [(a["url"], a["name"]) for a in json.loads(row["attachments"])] == [(base_url + p, n) for p, n in attachments(art)]
        assert "WP_VisitCount" not in row["body_html"] and "发布时间" not in row["body_text"]


def test_portal_has_what_the_checks_need(crawled):
    site, *_ = crawled
    assert any(a.alias_id for a in site.articles) and any(a.attachments for a in site.articles)
    assert any(a.images for a in site.articles)
    # Dates in URLs that are not publication dates, so published_at cannot come from the URL.
    assert any(f"/{a.published:%Y/%m%d}/" not in article_paths(a)[0] for a in site.articles)


def test_cross_posted_article_is_one_row_with_both_urls_and_columns(crawled):
    site, base_url, db, _ = crawled
    cross = [a for a in site.articles if a.alias_id is not None]
    for art in cross:
        first, second = (_article(db, base_url, p) for p in article_paths(art))
        assert first["id"] == second["id"]
        columns = {r["column"] for r in db["article_columns"].rows_where("article_id = ?", [first["id"]])}
        assert columns == set(art.column_names)


def test_pagination_walked_to_the_last_page_of_every_column(crawled):
    site, _, _, first_requests = crawled
    for column in COLUMNS:
        pages = -(-len(site.lists[column.id]) // 20)
        assert pages >= 2, "each column should span pages"
        walked = {p for p in first_requests if re.fullmatch(rf"/{column.id}/list\d*\.htm", p)}
        assert walked == {f"/{column.id}/list.htm", *(f"/{column.id}/list{n}.htm" for n in range(2, pages + 1))}


def test_no_article_requested_twice_and_no_javascript_link_followed(crawled):
    site, _, _, first_requests = crawled
    articles = {p: n for p, n in first_requests.items() if p.endswith("/page.htm")}
    assert set(articles) == {p for a in site.articles for p in article_paths(a)}
    assert max(articles.values()) == 1
    assert not any("javascript" in p or "void" in p for p in first_requests)


def test_credits_are_rows_too(crawled):
    site, base_url, db, _ = crawled
    for art in site.articles[:20]:
        row = _article(db, base_url, article_paths(art)[0])
        names = [(r["role"], r["name"]) for r in db["credits"].rows_where("article_id = ?", [row["id"]], order_by="role, position")]
        assert sorted(names) == sorted((role, name) for role, people in art.credits.items() for name in people)


def test_second_crawl_adds_nothing_and_asks_one_list_page_per_column(crawled):
    site, _, db, first_requests = crawled
    runs = list(db["crawl_runs"].rows_where(order_by="id"))
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert runs[0]["new_articles"] == len(site.articles) and runs[1]["new_articles"] == 0
    assert db.execute("select count(*) from failures").fetchone()[0] == 0
    second = {p: n - first_requests.get(p, 0) for p, n in site.requests.items() if n > first_requests.get(p, 0)}
    assert {p for p in second if p != "/robots.txt"} == {f"/{c.id}/list.htm" for c in COLUMNS}


def test_webplus_view_counts_are_read_from_the_counter_the_page_names(tmp_path):
    site = WebPlusSite(articles=30, seed=9)
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        done = subprocess.run(crawl_command(base_url, db_path, "-s", "VIEW_COUNTS=auto", spider="webplus_demo"),
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        db = open_db(db_path)
        counts = {r["title"]: r["view_count"] for r in db["articles"].rows}
        assert counts == {a.title: site.view_count(a) for a in site.articles}
        assert {r["method"] for r in db["view_counts"].rows} == {"direct"}
        assert db.execute("select count(*) from failures").fetchone()[0] == 0
        # A day later, `newscrawl counts` reads them again from the WP_VisitCount span's URL.
        site.advance_day()
        refresh = subprocess.run([sys.executable, "-m", "newscrawl.cli", "counts", "webplus_demo", "--db", str(db_path),
                                  "--base-url", base_url, "-s", "DOWNLOAD_DELAY=0"],
                                 cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert (refresh.returncode, refresh.stderr) == (0, ""), refresh.stderr[-2000:]
    counts = {r["title"]: r["view_count"] for r in db["articles"].rows}
    assert counts == {a.title: site.view_count(a) for a in site.articles}
    per_article = db.execute("select count(*) from view_counts group by article_id").fetchall()
    assert {n for (n,) in per_article} == {2} and len(per_article) == db["articles"].count
