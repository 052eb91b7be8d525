"""`newscrawl search`: Chinese full text of any length, filters, ranking and snippets."""
import json

import pytest

from archive.query import Filters, open_readonly
from archive.search import search
from archive.store import Archive
from newscrawl.items import Article


def ids(newscrawl, *args) -> list[int]:
    result = newscrawl("search", *args, "--json")
    assert result.exit_code == 0, result.output
    return [hit["id"] for hit in json.loads(result.output)]


def containing(db_path, *terms) -> set[int]:
    """The articles whose title, body, source or credits contain every term, found the slow obvious way."""
    db = open_readonly(db_path)
    rows = db.execute("select id, title, body_text, coalesce(source, ''), coalesce(credits, '') from articles").fetchall()
    return {row[0] for row in rows if all(any(t.lower() in text.lower() for text in row[1:]) for t in terms)}


def test_three_or_more_characters_use_the_index(newscrawl):
    assert ids(newscrawl, "天津科创中心") == [1]


@pytest.mark.parametrize(
    "query",
    ["梅", "津", "西迁", "交大", "天津", "科创中心", "天津 科创", "科创中心 交大", "西迁 精神 报告会", "AI", "ai 电力", "开放 梅园"],
)
def test_any_query_finds_exactly_the_articles_containing_every_term(newscrawl, news_db, query):
    found = ids(newscrawl, query, "--limit", "100")
    assert set(found) == containing(news_db, *query.split())
    assert len(found) == len(set(found))


def test_short_term_search_is_not_empty(newscrawl):
    # Guards the parametrized test above against passing on two empty sets.
    assert set(ids(newscrawl, "梅")) == {4, 9}
    assert set(ids(newscrawl, "西迁")) == {2, 7}


def test_quoted_phrase_keeps_its_space(newscrawl):
    assert ids(newscrawl, '"天津 科创"') == []
    assert set(ids(newscrawl, '"在天津"')) == {1, 11}


def test_title_match_ranks_first(newscrawl):
    # 科创中心 is in the title of 1 and 11, only in the body of 8.
    found = ids(newscrawl, "科创中心")
    assert set(found[:2]) == {1, 11} and found[2:] == [8]


def test_portal_filter(newscrawl):
    assert ids(newscrawl, "科创中心", "--portal", "tju") == [11]


def test_column_filter_includes_every_column_an_article_appeared_under(newscrawl):
    # Article 1 was first seen in 今日交大, later also in 综合新闻.
    assert set(ids(newscrawl, "科创", "--column", "综合新闻")) == {1}


def test_date_range_filter_is_inclusive(newscrawl):
    assert set(ids(newscrawl, "科创中心", "--since", "2024-12-20", "--until", "2024-12-20")) == {1}
    assert set(ids(newscrawl, "科创中心", "--since", "2024-12")) == {1, 11}
    assert set(ids(newscrawl, "科创中心", "--until", "2021")) == {8}


def test_credit_filter_by_role_and_name_or_name_only(newscrawl):
    assert set(ids(newscrawl, "的", "--credit", "摄影=王某")) == {5, 9}
    assert set(ids(newscrawl, "学", "--credit", "摄影=王某")) == {1, 3, 5, 9, 11}
    assert set(ids(newscrawl, "学", "--credit", "王某")) == {1, 3, 5, 9, 11}
    assert ids(newscrawl, "学", "--credit", "文字=王某") == []


def test_index_snippet_marks_the_match(newscrawl):
    (hit,) = json.loads(newscrawl("search", "滨海新区", "--json").output)
    assert "[滨海新区]" in hit["snippet"]


def test_short_term_snippet_marks_every_match(newscrawl):
    hits = {h["id"]: h for h in json.loads(newscrawl("search", "梅", "--json").output)}
    assert hits[9]["snippet"].count("[梅]") == 3
    assert "[梅]园" in hits[4]["snippet"]


def test_mixed_query_snippet_marks_short_and_long_terms(newscrawl):
    (hit,) = json.loads(newscrawl("search", "交大 共建科创", "--json").output)
    assert "[共建科创]" in hit["snippet"] or "[交大]" in hit["snippet"]


def test_limit(newscrawl):
    assert len(ids(newscrawl, "学", "--limit", "2")) == 2


def test_text_output_lists_id_date_title_snippet_and_url(newscrawl):
    result = newscrawl("search", "天津科创中心")
    # Article 1 was seen under two columns: both are named.
    assert result.output.splitlines() == [
        "#1  2024-12-20  xjtu/今日交大、综合新闻  天津科创中心正式揭牌",
        "    12月20日，西安交通大学[天津科创中心]在天津滨海新区正式揭牌。 科创中心将围绕智能制造开展成果转…",
        "    https://news.xjtu.edu.cn/info/1002/1001.htm",
        "1 of 1 articles",
    ]


def test_raw_mode_takes_fts_syntax(newscrawl):
    assert set(ids(newscrawl, "西迁精神 OR 滨海新区", "--raw")) == {1, 2, 7}
    assert set(ids(newscrawl, "科创中心 NOT 天津大学", "--raw")) == {1, 8}


def test_index_follows_revised_text(writable_db):
    archive = Archive(writable_db)
    article = Article(url="https://news.xjtu.edu.cn/info/1003/2003.htm", portal="xjtu", title="运动会", body_text="秋季运动会开幕")
    archive.save(article)
    archive.save(Article(**{**vars(article), "body_text": "秋季田径运动会延期"}))
    archive.close()
    db = open_readonly(writable_db)
    assert [h.title for h in search(db, "田径运动会", Filters(portal="xjtu"))] == ["运动会"]
    assert search(db, "运动会开幕", Filters(portal="xjtu")) == []


def test_snippet_marks_the_whole_match_of_a_long_term(newscrawl):
    result = newscrawl("search", "天津科创中心")
    assert "[天津科创中心]" in result.output


def test_a_filter_alone_lists_its_articles(newscrawl):
    result = newscrawl("search", "--credit", "摄影=王某")
    assert result.exit_code == 0 and result.output.count("\n#") + result.output.startswith("#") == 5


def test_nothing_to_search_for_is_a_clear_error(newscrawl):
    result = newscrawl("search")
    assert result.exit_code == 2 and "give a QUERY" in result.output  # a usage error


@pytest.mark.parametrize("term", ["强", "李强", "鼎", "春", "鼎春", "青", "青松"])
def test_short_terms_at_the_very_end_of_a_text_are_found(writable_db, term):
    # An occurrence in a text's last two characters starts no trigram: the end-of-text
    # indexes (migration m003) must find it, as a scan would.
    archive = Archive(writable_db)
    archive.save(Article(url="https://news.xjtu.edu.cn/info/1003/3001.htm", portal="xjtu", title="鼎", body_text="记者李强"))
    archive.save(Article(url="https://news.xjtu.edu.cn/info/1003/3002.htm", portal="xjtu", title="迎春", body_text="松柏长青松"))
    archive.save(Article(url="https://news.xjtu.edu.cn/info/1003/3003.htm", portal="xjtu", title="鼎春", body_text="青"))
    archive.close()
    found = {h.id for h in search(open_readonly(writable_db), term, limit=100)}
    assert found == containing(writable_db, term) and found
