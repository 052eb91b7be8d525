"""Search finds what the page shows: credits and source as well as title and body; how many
matched in all; the column under which an article was found."""
import json

import pytest
from sqlite_utils import Database

from archive.query import Filters, open_readonly
from archive.schema import migrations
from archive.search import count, index_covers_every_column, search


def ids(newscrawl, *args) -> set[int]:
    result = newscrawl("search", *args, "--json", "--limit", "100")
    assert result.exit_code == 0, result.output
    return {hit["id"] for hit in json.loads(result.output)}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("周某", {7, 8}),  # 编辑: 周某, in the credits of 7 and 8 only (two characters: the short path)
        ("学生记者团", {9}),  # 文字: 学生记者团, in no text (the index)
        ("能动学院", {5}),  # the source (and 文字) of 5, in no text
        ("光明日报", {8}),  # source and title
        ("周某 西迁", {7}),  # one term in the credits, one in the body
    ],
)
def test_a_name_or_source_is_found_wherever_the_page_shows_it(newscrawl, news_db, query, expected):
    body_only = open_readonly(news_db).execute("select count(*) from articles where body_text like '%学生记者团%'").fetchone()[0]
    assert body_only == 0  # the test would prove nothing if the text named them
    assert ids(newscrawl, query) == expected


def test_a_credit_match_shows_the_credit_line(newscrawl):
    (hit,) = json.loads(newscrawl("search", "学生记者团", "--json").output)
    assert "文字：[学生记者团]" in hit["snippet"]


def test_text_output_says_how_many_matched_in_all(newscrawl, news_db):
    total = count(open_readonly(news_db), "学")
    assert total > 2
    lines = newscrawl("search", "学", "--limit", "2").output.splitlines()
    assert lines[-1] == f"2 of {total} articles; --limit {total} shows them all, --offset 2 the next {min(total - 2, 2)}"
    assert len([line for line in lines if line.startswith("#")]) == 2


def test_offset_pages_through_every_result_once_in_order(newscrawl, news_db):
    """--offset N leaves out the first N: pages of any size, put together, are the whole result."""
    every = [hit["id"] for hit in json.loads(newscrawl("search", "学", "--limit", "100", "--json").output)]
    assert len(every) > 3
    for size in (1, 2, 3):
        paged = []
        for offset in range(0, len(every) + size, size):
            paged += [hit["id"] for hit in json.loads(newscrawl("search", "学", "--limit", str(size), "--offset", str(offset), "--json").output)]
        assert paged == every
    last = newscrawl("search", "学", "--limit", "2", "--offset", "2").output.splitlines()[-1]
    assert last.startswith(f"3–4 of {len(every)} articles")
    past = newscrawl("search", "学", "--offset", str(len(every)))
    assert past.exit_code == 0 and f"no articles found past the first {len(every)} ({len(every)} in all)" in past.output


def test_a_hit_is_labelled_with_the_column_it_was_found_under(newscrawl):
    # Article 1 is under 今日交大 (1002/1001.htm) and 综合新闻 (1003/2009.htm).
    lines = newscrawl("search", "天津科创中心", "--column", "综合新闻").output.splitlines()
    assert lines[0] == "#1  2024-12-20  xjtu/综合新闻  天津科创中心正式揭牌"
    assert lines[2] == "    https://news.xjtu.edu.cn/info/1003/2009.htm"
    (hit,) = json.loads(newscrawl("search", "天津科创中心", "--json").output)
    assert hit["columns"] == ["今日交大", "综合新闻"] and hit["column"] == "今日交大"


def _old_archive(path):
    """An archive as NewsCrawl wrote it before credits were searchable, with one article."""
    db = Database(path)
    migrations.apply(db, stop_before="m006_search_credits")
    db["articles"].insert({"id": 1, "canonical_url": "https://news.xjtu.edu.cn/info/1002/1.htm", "portal": "xjtu",
                           "title": "校园新闻", "body_text": "正文", "source": "党委宣传部", "content_hash": "x",
                           "credits": json.dumps({"编辑": ["欧阳明月"]}, ensure_ascii=False)})
    return db


def test_an_old_archive_is_searched_by_scanning_until_it_is_upgraded(tmp_path):
    _old_archive(tmp_path / "old.db").close()
    db = open_readonly(tmp_path / "old.db")
    assert not index_covers_every_column(db)
    assert [h.id for h in search(db, "欧阳明月")] == [1]


def test_the_upgrade_indexes_credits_and_follows_their_changes(tmp_path):
    db = _old_archive(tmp_path / "old.db")
    migrations.apply(db)
    assert index_covers_every_column(db)
    match = "select rowid from articles_fts where articles_fts match ?"
    assert db.execute(match, ['"欧阳明月"']).fetchall() == [(1,)]
    assert db.execute(match, ['"宣传部"']).fetchall() == [(1,)]
    db["articles"].update(1, {"credits": json.dumps({"编辑": ["司马光明"]}, ensure_ascii=False)})
    assert db.execute(match, ['"欧阳明月"']).fetchall() == []
    assert [h.id for h in search(db, "司马光明")] == [1]
    assert [h.id for h in search(db, "司马")] == [1]  # the short path through the vocabulary
    db["articles"].delete(1)
    assert db.execute(match, ['"司马光明"']).fetchall() == []


def test_count_agrees_with_the_hits(news_db):
    db = open_readonly(news_db)
    for query, filters in [("科创中心", None), ("王某", None), ("梅", Filters(since="2024"))]:
        assert count(db, query, filters) == len(search(db, query, filters, limit=1000))


@pytest.mark.parametrize("line", ["编辑：周某", "编辑:周某", "\"编辑： 周某\""])
def test_a_credit_line_as_the_page_prints_it_finds_what_the_credit_filter_finds(newscrawl, line):
    """Credits are kept as data (role -> names), so the printed line is in no searched text:
    a term that reads as one is asked of the credits."""
    assert ids(newscrawl, line) == ids(newscrawl, "--credit", "编辑=周某") == {7, 8}
    assert ids(newscrawl, f"{line} 西迁") == {7}  # with another term, both must hold


def test_a_credit_line_names_every_name_and_its_role(newscrawl, news_db):
    db = open_readonly(news_db)
    role, name = db.execute("select role, name from credits where article_id = 7 order by position").fetchone()
    assert ids(newscrawl, f"{role}：{name}") >= {7}
    assert ids(newscrawl, f"审稿人：{name}") == set()  # no such role: a plain term, in no text
