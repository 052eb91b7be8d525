"""`newscrawl reextract`: the current extractor over the stored pages, no network."""
import socket

import pytest
from tests.archive_data import read_page, vsb_page

from archive.query import open_readonly
from archive.store import Archive

URL = "https://news.xjtu.edu.cn/info/1002/1099.htm"


@pytest.fixture
def stale_db(writable_db):
    """An article stored by an older extractor: it missed the photographer and the source,
    and took the site name for the title. The page it was read from is stored as fetched."""
    page = vsb_page("新校区图书馆落成", "今日交大", "2025-01-20T10:00:00+08:00", "基建处", ["新图书馆今日落成启用。"], {"文字": ["基建处"], "摄影": ["王某"]}, [])
    article = read_page(page, URL, "xjtu", "2025-02-06T01:00:00+00:00")
    article.title, article.source, article.credits = "西安交通大学新闻网", "", {"文字": ["基建处"]}
    archive = Archive(writable_db)
    archive.save(article, seen_at="2025-02-06T01:00:00+00:00")
    archive.close()
    return writable_db


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("reextract opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_reports_what_changed_per_article_and_in_total(newscrawl, stale_db, no_network):
    result = newscrawl("reextract", db=stale_db)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"#13 {URL}: title, source, credits (earlier text kept as a revision)",
        "13 pages re-read: 1 articles changed, 1 with new text, 12 unchanged, 0 failed",
        "fields: title 1, source 1, credits 1",
    ]


def test_updates_the_article_and_keeps_the_old_title_as_a_revision(newscrawl, stale_db, no_network):
    newscrawl("reextract", db=stale_db)
    db = open_readonly(stale_db)
    article = db["articles"].get(13)
    assert (article["title"], article["source"]) == ("新校区图书馆落成", "基建处")
    assert [r["title"] for r in db["revisions"].rows_where("article_id = 13")] == ["西安交通大学新闻网"]
    # The credit rows follow, so the photographer can now be searched for.
    assert ("摄影", "王某") in [(r["role"], r["name"]) for r in db["credits"].rows_where("article_id = 13")]
    # Not a visit: when it was last seen does not change.
    assert article["last_seen_at"] == "2025-02-06T01:00:00+00:00"


def test_a_second_run_finds_nothing_to_change(newscrawl, stale_db, no_network):
    newscrawl("reextract", db=stale_db)
    assert newscrawl("reextract", db=stale_db).output.splitlines()[-1] == (
        "13 pages re-read: 0 articles changed, 0 with new text, 13 unchanged, 0 failed"
    )


def test_dry_run_writes_nothing(newscrawl, stale_db, no_network):
    before = stale_db.read_bytes()
    result = newscrawl("reextract", "--dry-run", db=stale_db)
    assert "1 articles would change" in result.output
    assert stale_db.read_bytes() == before


def test_portal_option_limits_the_pass(newscrawl, stale_db, no_network):
    assert newscrawl("reextract", "--portal", "tju", db=stale_db).output.startswith("2 pages re-read: 0 articles changed")



def test_reextract_refuses_while_a_crawl_writes_the_archive(writable_db, newscrawl):
    from archive.lock import ArchiveLock

    lock = ArchiveLock(writable_db)
    assert lock.acquire()
    try:
        result = newscrawl("reextract", db=writable_db)
    finally:
        lock.release()
    assert result.exit_code == 1 and "a crawl is writing" in result.output
