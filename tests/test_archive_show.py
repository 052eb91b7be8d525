"""`newscrawl show`: one article as it reads, found by id or by any form of its URL."""
import json

import pytest


def shown(newscrawl, key) -> dict:
    result = newscrawl("show", key, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize(
    "key",
    [
        "1",
        "#1",
        "https://news.xjtu.edu.cn/info/1002/1001.htm",
        "http://news.xjtu.edu.cn/info/1002/1001.htm",
        "https://NEWS.xjtu.edu.cn:443/info/1002/1001.htm?from=weixin#top",
        "https://news.xjtu.edu.cn/info/1003/2009.htm",  # the same article under its second column
        "https://news.xjtu.edu.cn/content.jsp?urltype=news.NewsContentUrl&wbtreeid=1002&wbnewsid=1001",
    ],
)
def test_any_form_of_id_or_url_finds_the_article(newscrawl, key):
    assert shown(newscrawl, key)["id"] == 1


def test_text_lists_every_url_and_column_with_credits_images_and_views(newscrawl):
    text = newscrawl("show", "1").output
    assert text.startswith("天津科创中心正式揭牌\n")
    assert "今日交大 (also under: 综合新闻)" in text
    assert "https://news.xjtu.edu.cn/info/1003/2009.htm  (综合新闻;" in text
    assert "摄影        王某" in text
    assert "揭牌仪式现场" in text.split("Images", 1)[1]
    assert "会议议程  https://news.xjtu.edu.cn/__local/f/议程.pdf" in text
    views = text.split("Views\n", 1)[1].splitlines()[:2]
    assert [line.split()[1] for line in views] == ["120", "152"]


def test_revisions_are_shown_with_when_they_were_seen_and_what_changed(newscrawl):
    text = newscrawl("show", "2").output
    revisions = text.split("Revisions (1 earlier version)\n", 1)[1]
    assert "seen 2025-02-01T00:00:00+00:00 – replaced 2025-02-05T00:00:00+00:00" in revisions
    assert "title was: 我校举行西迁精神宣讲报告会\n" in revisions
    assert "- 报告会在兴庆校区举行，老教授讲述西迁往事。" in revisions
    assert "+ 报告会在兴庆校区举行，老一辈教授讲述西迁往事。" in revisions


def test_json_has_the_old_version_in_full(newscrawl):
    (revision,) = shown(newscrawl, "2")["revisions"]
    assert revision["title"] == "我校举行西迁精神宣讲报告会"
    assert "老教授" in revision["body_text"]


def test_a_date_printed_without_a_time_is_shown_without_one():
    from archive.show import published

    assert published({"published_at": "2025-04-17T00:00:00+08:00", "published_precision": "day"}) == "2025-04-17"
    assert published({"published_at": "2025-04-17T00:00:00+08:00", "published_precision": "minute"}) == "2025-04-17T00:00+08:00"
    assert published({"published_at": "2025-04-17T08:30:15+08:00", "published_precision": "second"}) == "2025-04-17T08:30:15+08:00"
    assert published({"published_at": None, "published_precision": None}) is None
