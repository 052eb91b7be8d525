"""`newscrawl stats`: what the archive holds, counted."""
import json


def test_counts_per_portal_column_and_year(newscrawl):
    data = json.loads(newscrawl("stats", "--json").output)
    assert (data["articles"], data["urls"], data["revisions"]) == (12, 13, 1)
    assert data["by_portal"] == [["xjtu", 10], ["tju", 2]]
    assert ["xjtu", "综合新闻", 4] in data["by_column"]  # 3 of its own and one seen there too
    assert data["by_year"] == [["2021", 1], ["2022", 1], ["2023", 4], ["2024", 4], ["2025", 2]]


def test_unresolved_failures_by_kind_and_last_runs(newscrawl):
    data = json.loads(newscrawl("stats", "--json").output)
    assert data["unresolved_failures"] == [["http", 2], ["extraction", 1]]
    (run,) = data["crawl_runs"]
    assert (run["status"], run["new_articles"], run["failures_by_kind"]) == ("failed", 10, {"http": 2, "extraction": 1})


def test_text_report(newscrawl):
    text = newscrawl("stats").output
    assert text.startswith("12 articles (13 URLs, 12 stored pages, 1 revisions)\n")
    assert "Unresolved failures: 3\n" in text


def test_a_run_left_running_reads_killed_unless_a_crawl_holds_the_archive(writable_db, newscrawl):
    from archive.lock import ArchiveLock
    from archive.store import Archive

    archive = Archive(writable_db)
    archive.db["crawl_runs"].insert({"portal": "xjtu", "started_at": "2099-01-01T00:00:00+00:00", "status": "running"})
    archive.db.conn.commit()
    archive.close()
    latest = json.loads(newscrawl("stats", "--json", db=writable_db).output)["crawl_runs"][0]
    assert latest["status"] == "killed" and "ended without finishing" in latest["reason"]
    lock = ArchiveLock(writable_db)
    lock.acquire()
    try:
        assert json.loads(newscrawl("stats", "--json", db=writable_db).output)["crawl_runs"][0]["status"] == "running"
    finally:
        lock.release()
