"""The archive's write side on a real SQLite file."""
import json

import pytest

from archive.store import Archive, ArchiveError, open_database
from newscrawl.items import Article, Image


def make_article(url="https://news.xjtu.edu.cn/info/1002/1.htm", column="今日交大", body="第一段\n第二段", **kw):
    return Article(
        url=url,
        portal="xjtu",
        column=column,
        title=kw.pop("title", "标题"),
        body_text=body,
        body_html="<p>第一段</p><p>第二段</p>",
        credits={"编辑": ["徐琛"], "文字": ["校友部", "技术转移中心"]},
        images=[Image("https://news.xjtu.edu.cn/a.jpg", "图注")],
        published_at="2024-12-20T17:19:00+08:00",
        raw_html="<html>页面</html>".encode(),
        **kw,
    )


@pytest.fixture
def archive(tmp_path):
    a = Archive(tmp_path / "news.db")
    yield a
    a.close()


def test_new_then_unchanged(archive):
    assert archive.save(make_article()) == "new"
    assert archive.save(make_article()) == "unchanged"
    assert archive.db["articles"].count == 1
    assert archive.db["pages"].count == 1


def test_same_content_in_another_column_is_one_article_with_both_urls(archive):
    archive.save(make_article())
    assert archive.save(make_article(url="https://news.xjtu.edu.cn/info/1003/9.htm", column="综合新闻")) == "duplicate"
    assert archive.db["articles"].count == 1
    urls = {r["url"]: r["column"] for r in archive.db["article_urls"].rows}
    assert urls == {"https://news.xjtu.edu.cn/info/1002/1.htm": "今日交大", "https://news.xjtu.edu.cn/info/1003/9.htm": "综合新闻"}
    assert {r["column"] for r in archive.db["article_columns"].rows} == {"今日交大", "综合新闻"}


def test_changed_text_keeps_the_old_version_as_a_revision(archive):
    archive.save(make_article())
    assert archive.save(make_article(body="第一段（更正）\n第二段")) == "updated"
    article = next(archive.db["articles"].rows)
    assert article["body_text"] == "第一段（更正）\n第二段"
    revision = next(archive.db["revisions"].rows)
    assert revision["body_text"] == "第一段\n第二段"


def test_credits_are_rows_for_filtering(archive):
    archive.save(make_article())
    rows = sorted((r["role"], r["name"]) for r in archive.db["credits"].rows)
    assert rows == [("文字", "技术转移中心"), ("文字", "校友部"), ("编辑", "徐琛")]


def test_raw_html_is_kept_compressed(archive):
    import zlib

    archive.save(make_article())
    page = next(archive.db["pages"].rows)
    assert zlib.decompress(page["html_zlib"]).decode() == "<html>页面</html>"


def test_failures_accumulate_attempts_and_resolve(archive):
    url = "https://news.xjtu.edu.cn/info/1002/2.htm"
    archive.record_failure(url, "xjtu", "http", "HTTP 500")
    archive.record_failure(url, "xjtu", "http", "HTTP 503")
    row = archive.db["failures"].get(url)
    assert (row["attempts"], row["reason"], row["resolved_at"]) == (2, "HTTP 503", None)
    assert archive.unresolved_failures("xjtu") == [url]
    archive.resolve_failure(url)
    assert archive.unresolved_failures("xjtu") == []


def test_reopening_applies_no_migration_twice(tmp_path):
    Archive(tmp_path / "a.db").close()
    db = open_database(tmp_path / "a.db")
    names = [r["name"] for r in db["_sqlite_migrations"].rows]
    assert names[:2] == ["m001_initial", "m002_search"] and len(names) == len(set(names))


def test_missing_or_corrupt_archive_is_a_clear_error(tmp_path):
    with pytest.raises(ArchiveError, match="no archive"):
        open_database(tmp_path / "missing.db", create=False)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ArchiveError, match="not a usable SQLite archive"):
        open_database(bad)


def test_a_cross_post_keeps_the_related_links_of_either_copy(archive):
    """The copy read second skips its box (one request less); whichever copy lands first,
    the article keeps every link either box named."""
    archive.save(make_article(url="https://news.xjtu.edu.cn/info/1003/9.htm", column="综合新闻"))
    archive.save(make_article(related=["https://news.xjtu.edu.cn/info/1002/5.htm", "https://news.xjtu.edu.cn/info/1002/6.htm"]))
    archive.save(make_article(url="https://news.xjtu.edu.cn/info/1004/7.htm", column="学术动态",
                              related=["https://news.xjtu.edu.cn/info/1002/6.htm", "https://news.xjtu.edu.cn/info/1002/8.htm"]))
    assert archive.db["articles"].count == 1
    assert json.loads(next(archive.db["articles"].rows)["related"]) == [
        "https://news.xjtu.edu.cn/info/1002/5.htm", "https://news.xjtu.edu.cn/info/1002/6.htm", "https://news.xjtu.edu.cn/info/1002/8.htm"]


def test_a_cross_posts_one_counter_read_at_one_moment_is_one_observation(archive):
    archive.save(make_article(view_count=10, view_count_method="batch"), seen_at="2025-02-01T00:00:00+00:00")
    archive.save(make_article(url="https://news.xjtu.edu.cn/info/1003/9.htm", column="综合新闻", view_count=10,
                              view_count_method="batch"), seen_at="2025-02-01T00:00:00+00:00")
    archive.save(make_article(view_count=10, view_count_method="batch"), seen_at="2025-02-02T00:00:00+00:00")
    rows = [(r["observed_at"][:10], r["count"]) for r in archive.db["view_counts"].rows_where(order_by="id")]
    assert rows == [("2025-02-01", 10), ("2025-02-02", 10)]  # a day later it is a reading of its own


def test_every_view_count_reading_is_kept_and_the_article_shows_the_latest(archive):
    archive.save(make_article(view_count=10, view_count_method="direct"))
    archive.save(make_article(view_count=12, view_count_method="browser"))
    counts = [(r["count"], r["method"]) for r in archive.db["view_counts"].rows_where(order_by="id")]
    assert counts == [(10, "direct"), (12, "browser")]
    assert next(archive.db["articles"].rows)["view_count"] == 12


def test_an_archive_from_an_older_release_upgrades_in_place(tmp_path):
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    from archive.schema import m001_initial

    first_release = Migrations("newscrawl")
    first_release()(m001_initial)
    old = Database(tmp_path / "old.db")
    first_release.apply(old)  # the schema of the first release, with an article in it
    old["articles"].insert({"id": 1, "canonical_url": "https://news.xjtu.edu.cn/info/1002/1.htm", "portal": "xjtu",
                            "title": "旧档案里的文章", "body_text": "西迁精神", "content_hash": "x"})
    old.conn.close()
    db = open_database(tmp_path / "old.db")
    assert db["articles"].count == 1
    assert db.execute("select rowid from articles_fts where articles_fts match '西迁精神'").fetchall() == [(1,)]
    assert db["articles_fts_vocab"].exists()


def test_an_article_is_written_whole_or_not_at_all(archive, monkeypatch):
    """A failure after the article row (here: writing its page) leaves no trace of it."""
    def broken(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(archive, "_store_page", broken)
    with pytest.raises(OSError):
        archive.save(make_article())
    for table in ("articles", "article_urls", "credits", "images", "articles_fts"):
        assert archive.db.execute(f"select count(*) from {table}").fetchone()[0] == 0, table


def test_one_save_is_one_transaction(archive):
    statements = []
    archive.db.conn.set_trace_callback(statements.append)
    archive.save(make_article())
    archive.db.conn.set_trace_callback(None)
    assert [s for s in statements if s.split()[0].upper() in ("BEGIN", "COMMIT")] == ["BEGIN", "COMMIT"]


def test_saving_an_article_takes_it_off_the_frontier(archive):
    url = "https://news.xjtu.edu.cn/info/1002/1.htm"
    related = "https://news.xjtu.edu.cn/info/1002/2.htm"
    archive.discovered("xjtu", [{"url": url, "column": "今日交大"}, {"url": related}], source="list")
    assert [r["url"] for r in archive.pending("xjtu", "article")] == [url, related]
    archive.save(make_article(), done=("https://news.xjtu.edu.cn/info/1002/1.htm?from=list",))
    assert [r["url"] for r in archive.pending("xjtu", "article")] == [related]


def test_a_list_page_is_done_in_the_transaction_that_remembers_what_it_named(archive):
    page1, page2 = "https://news.xjtu.edu.cn/index/jdyw.htm", "https://news.xjtu.edu.cn/index/jdyw/9.htm"
    archive.discovered("xjtu", [{"url": page1, "kind": "list", "column": "jdyw", "page": 1}])
    archive.discovered("xjtu", [{"url": page2, "kind": "list", "column": "jdyw", "page": 2}], source=page1, done=(page1,))
    assert archive.pending("xjtu", "list") == [{"url": page2, "column": "jdyw", "page": 2, "walk_started_at": None}]


def test_a_run_left_running_is_marked_killed_by_the_next(archive):
    first = archive.start_run("xjtu", {})
    second = archive.start_run("xjtu", {})
    runs = {r["id"]: r["status"] for r in archive.db["crawl_runs"].rows}
    assert runs == {first: "killed", second: "running"}


def test_numbers_the_archive_cannot_hold_are_bad_data_not_a_crash(archive):
    from archive.store import BadData

    for count in (2**63, 10**30, -(2**63) - 1):
        with pytest.raises(BadData):
            archive.save(make_article(view_count=count))
    assert archive.db["articles"].count == 0


def test_an_archive_of_a_newer_schema_is_refused(tmp_path):
    Archive(tmp_path / "a.db").close()
    db = open_database(tmp_path / "a.db")
    db["_sqlite_migrations"].insert({"migration_set": "newscrawl", "name": "m999_future", "applied_at": "2030-01-01"})
    db.conn.commit()
    db.conn.close()
    with pytest.raises(ArchiveError, match="m999_future.*newer"):
        open_database(tmp_path / "a.db")
