"""End to end: `scrapy crawl xjtu` against the bundled portal into a temporary archive."""
from __future__ import annotations

import json

import pytest

from newscrawl.replica import SEED, Site, serve
from tests.conftest import article_row, crawled_twice, open_db, run_crawl


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One portal crawled twice into one archive: (site, base_url, db, requests of run 1)."""
    yield from crawled_twice(Site(articles=150, seed=3), tmp_path_factory.mktemp("archive") / "news.db")


_article = article_row


def test_every_article_archived_exactly_once(crawled):
    site, base_url, db, _ = crawled
    assert db["articles"].count == len(site.articles)
    ids = {_article(db, base_url, art.path)["id"] for art in site.articles}
    assert len(ids) == len(site.articles)


def test_unlisted_articles_are_reached_through_related_links(crawled):
    site, base_url, db, _ = crawled
    unlisted = [a for a in site.articles if not a.listed]
    assert unlisted, "the portal should hold articles only the related boxes link to"
    for art in unlisted:
        assert _article(db, base_url, art.path)["title"] == art.title


def test_cross_posted_article_is_one_row_with_both_urls_and_columns(crawled):
    site, base_url, db, _ = crawled
    cross = [a for a in site.articles if a.alias_id is not None]
    assert cross
    for art in cross:
        first, second = (_article(db, base_url, p) for p in art.paths)
        assert first["id"] == second["id"]
        columns = {r["column"] for r in db["article_columns"].rows_where("article_id = ?", [first["id"]])}
        assert columns == set(art.column_names)


def test_fields_match_the_portal_for_every_article(crawled):
    site, base_url, db, _ = crawled
    for art in site.articles:
        row = _article(db, base_url, art.path)
        assert (row["title"], row["source"], row["published_at"]) == (art.title, art.source, art.published_iso)
        assert row["body_text"] == art.body_text, art.path
        assert json.loads(row["credits"]) == art.credits, art.path


def test_seed_article_every_field(crawled):
    _, base_url, db, _ = crawled
    row = _article(db, base_url, SEED.path)
    assert row["canonical_url"] == base_url + "/info/1002/213245.htm"
    assert row["portal"] == "xjtu"
    assert row["column"] == "今日交大"
    assert row["title"] == "西安交通大学国家技术转移中心天津科创中心启动仪式举行"
    assert row["source"] == "交大新闻网"
    assert row["published_at"] == "2024-12-20T17:19:00+08:00"
    assert row["published_raw"] == "2024-12-20 17:19"
    assert json.loads(row["credits"]) == {
        "文字": ["校友部", "技术转移中心", "天津滨海新区组织部", "天津校友会"],
        "图片": ["天津电视台", "天津校友会"],
        "编辑": ["徐琛"],
    }
    lines = row["body_text"].split("\n")
    assert lines[0].startswith("为深化校地企一体联动,推动产学研深度融合,")
    assert lines[1] == "启动科创中心,推进校地高质量发展" and lines[7] == "凝聚校友力量,推动共同发展"
    assert lines[-1] == "西安交大校友部、国家技术转移中心有关负责同志参加相关活动。" and len(lines) == 13
    assert not any(word in row["body_text"] for word in ("浏览量", "文字:", "编辑:", "关闭", "相关文章", "读取内容中", "新闻网首页"))
    assert "<script" not in row["body_html"] and "<strong>启动科创中心,推进校地高质量发展</strong>" in row["body_html"]
    assert json.loads(row["images"]) == []  # the real page's photos are not in its text: the copy has none
    assert json.loads(row["attachments"]) == []
    related = json.loads(row["related"])
    assert len(related) >= 3 and all(u.startswith(base_url + "/info/") for u in related)
    credit_rows = [(r["role"], r["name"]) for r in db["credits"].rows_where("article_id = ?", [row["id"]], order_by="role, position")]
    assert ("编辑", "徐琛") in credit_rows and len(credit_rows) == 7
    assert row["fetched_at"]


def test_raw_html_is_kept_compressed(crawled):
    import zlib

    _, base_url, db, _ = crawled
    page = db["pages"].get(base_url + SEED.path)
    html = zlib.decompress(page["html_zlib"]).decode("utf-8")
    assert "_showDynClicks" in html and page["status"] == 200


def test_no_article_requested_twice_in_a_run(crawled):
    site, _, _, first_requests = crawled
    article_requests = {p: n for p, n in first_requests.items() if p.startswith("/info/")}
    assert set(article_requests) == {p for a in site.articles for p in (a.paths if a.listed else [a.path])}
    assert max(article_requests.values()) == 1


def test_robots_txt_is_read(crawled):
    site, *_ = crawled
    assert site.requests["/robots.txt"] >= 1


def test_second_crawl_adds_nothing(crawled):
    site, _, db, _ = crawled
    runs = list(db["crawl_runs"].rows_where(order_by="id"))
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert runs[0]["new_articles"] == len(site.articles)
    assert runs[1]["new_articles"] == 0 and runs[1]["updated_articles"] == 0
    assert db["articles"].count == len(site.articles)
    assert db["revisions"].count == 0
    assert db.execute("select count(*) from failures").fetchone()[0] == 0


def test_pages_without_title_or_body_are_recorded_failures_and_the_crawl_goes_on(tmp_path):
    site = Site(articles=40, seed=5, broken=True)
    db_path = tmp_path / "news.db"
    with serve(site) as base_url:
        done = run_crawl(base_url, db_path, failing=True)
    assert "failed" in done.stderr.splitlines()[-1] and "validation 1" in done.stderr.splitlines()[-1]
    db = open_db(db_path)
    assert db["articles"].count == len(site.articles)
    failures = {r["url"].removeprefix(base_url): (r["kind"], r["reason"]) for r in db["failures"].rows}
    assert failures["/info/1002/199001.htm"][0] == "extraction"
    assert "body" in failures["/info/1002/199001.htm"][1]
    assert failures["/info/1002/199002.htm"] == ("validation", "missing title")
    assert failures["/info/1002/199003.htm"] == ("redirect", "max redirections reached")
    run = next(db["crawl_runs"].rows)
    assert run["status"] == "failed" and run["failures"] == 3
