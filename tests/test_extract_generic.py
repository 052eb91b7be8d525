"""The heuristic extractor: pages no VSB rule reads, and real VSB pages read without any rule."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from newscrawl.extract import ExtractionError, extract
from newscrawl.extract.dates import parse_date
from newscrawl.extract.generic import MIN_BODY_CHARS, detect_cms, extract_fields, is_vsb
from newscrawl.extract.page import decode_html

FIXTURES = Path(__file__).parent / "fixtures"
WORDPRESS = FIXTURES / "generic" / "wordpress-post.html"
REAL_ARTICLES = sorted(
    p.with_name(p.name.removesuffix(".expected.json") + ".html")
    for p in (FIXTURES / "real").glob("*/*.expected.json")
    if "articles" not in json.loads(p.read_text(encoding="utf-8"))
)
REAL_LISTS = sorted((FIXTURES / "real").glob("*/list-*.html"))
# Hand-written pages of templates no rule knows, one trap each (see each page's markup).
HAND_WRITTEN = sorted(
    p.with_name(p.name.removesuffix(".expected.json") + ".html")
    for p in (FIXTURES / "generic").glob("*.expected.json")
    if p.name != "wordpress-post.expected.json"
)
FIELDS = ("title", "source", "published_at", "column", "credits", "body_text", "images", "attachments")


def _expected(html: Path) -> dict:
    return json.loads(html.with_name(html.stem + ".expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def wordpress() -> dict:
    return asdict(extract(WORDPRESS.read_bytes(), _expected(WORDPRESS)["url"]))


@pytest.mark.parametrize("field", FIELDS)
def test_non_vsb_article_field(wordpress, field):
    assert wordpress[field] == _expected(WORDPRESS)[field]


def test_published_precision_follows_what_the_page_printed(wordpress):
    assert wordpress["published_precision"] == "minute"  # the post prints 10:05, no seconds


@pytest.mark.parametrize("field", (*FIELDS, "published_precision"))
@pytest.mark.parametrize("path", HAND_WRITTEN, ids=lambda p: p.stem)
def test_hand_written_page_field(path, field):
    exp = _expected(path)
    article = asdict(extract(path.read_bytes(), exp["url"]))
    assert article[field] == exp[field]


def test_non_vsb_article_is_marked_generic(wordpress):
    assert wordpress["extraction"] == "generic"


def test_each_real_page_carries_the_markers_of_its_family():
    for page in REAL_ARTICLES + REAL_LISTS:
        assert detect_cms(decode_html(page.read_bytes())) == _expected(page).get("cms", "vsb"), page


def test_no_vsb_markers_on_a_wordpress_page():
    assert not is_vsb(decode_html(WORDPRESS.read_bytes()))


# Text density finds no body in a page of pictures or one attachment: those the family's
# rules read (tests/test_extract_real.py), and the heuristics alone say there is no article.
TEXT_ARTICLES = [p for p in REAL_ARTICLES if len(_expected(p)["body_text"]) >= MIN_BODY_CHARS]


@pytest.mark.parametrize("path", sorted(set(REAL_ARTICLES) - set(TEXT_ARTICLES)), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_heuristics_alone_find_no_article_in_a_page_without_text(path):
    with pytest.raises(ExtractionError, match="too little text|no block of text"):
        extract_fields(decode_html(path.read_bytes()), _expected(path)["url"])


@pytest.mark.parametrize("field", ("title", "published_at", "body_text", "source", "credits"))
@pytest.mark.parametrize("path", TEXT_ARTICLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_heuristics_alone_read_real_vsb_pages(path, field):
    """The fallback is good enough to stand in for the VSB rules on any of these templates."""
    exp = _expected(path)
    found = extract_fields(decode_html(path.read_bytes()), exp["url"])
    got = {
        "title": found.title,
        "published_at": parse_date(found.published_raw) if found.published_raw else None,
        "body_text": "\n".join(found.lines),
        "source": found.source,
        "credits": found.credits,
    }[field]
    assert got == exp[field]


@pytest.mark.parametrize("path", REAL_LISTS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_list_page_is_no_article(path):
    with pytest.raises(ExtractionError):
        extract(path.read_bytes(), _expected(path)["url"])


def test_a_page_without_text_is_no_article():
    with pytest.raises(ExtractionError):
        extract("<html><body><nav><a href='/'>首页</a></nav><p>短</p></body></html>", "https://example.edu.cn/a")


def test_a_footer_inside_the_body_container_is_not_body_text():
    html = """<html><head><title>学校召开安全工作会议_某某学院</title></head><body>
    <div class="main"><h1>学校召开安全工作会议</h1><p>2025-05-08</p>
    <div><p>5月7日，学校召开春夏季安全工作会议，部署校园消防、实验室和交通安全等重点工作。</p>
    <p>会议要求各单位压实责任，开展隐患排查，确保校园安全稳定。</p>
    <p>版权所有 © 2025 某某学院 地址：某市大学路1号</p></div></div></body></html>"""
    article = extract(html, "https://www.example.edu.cn/news/2025/0508/77.html")
    assert article.body_text.splitlines()[-1] == "会议要求各单位压实责任，开展隐患排查，确保校园安全稳定。"


CRUMB_PAGE = """<html><head><title>学院召开安全工作会议_某某学院</title></head><body>
{crumb}<div class="main"><h1>学院召开安全工作会议</h1><p>2025-05-08</p>
<div><p>5月7日，学院召开春夏季安全工作会议，部署校园消防、实验室和交通安全等重点工作。</p>
<p>会议要求各单位压实责任，开展隐患排查，考点所在位置：<a href="/map.htm">校园地图</a>、<a href="/b.htm">教学楼</a>。</p></div></div>
<div class="foot"><a href="/about.htm">关于我们</a><a href="/contact.htm">联系我们</a></div></body></html>"""


@pytest.mark.parametrize(
    "crumb, column",
    [
        ('<td><span>您现在的位置：</span><span><a href="/">网站首页</a></span>－&gt;<span><a href="/zl/">资料下载</a></span></td>', "资料下载"),
        ('<div>当前位置：<a href="/">首页</a></div>', ""),  # the home page alone names no column
        ("<div><div><div><div>当前位置：</div></div></div></div>", ""),  # no links near the label: not the footer's
        ("", ""),  # 考点所在位置 in the text is no breadcrumb
    ],
)
def test_a_breadcrumb_known_by_its_label_names_the_column(crumb, column):
    article = extract(CRUMB_PAGE.format(crumb=f"<table><tr>{crumb}</tr></table>" if crumb.startswith("<td") else crumb),
                      "https://www.example.edu.cn/news/2025/77.html")
    assert article.column == column


def test_a_date_line_inside_the_title_block_is_not_title():
    # uc.whu.edu.cn's template: <div class="title_nei"><b>标题</b><i>时间：2024-11-27</i></div>
    body = "<p>" + "各学院：请按通知要求组织学生报名，逾期不再受理。" * 8 + "</p>"
    html = (f"<html><head><title>关于辅修专业报名的通知-本科生院</title></head><body>"
            f"<div class='title_nei'><b>关于辅修专业报名的通知</b><i>时间：2024-11-27</i></div>"
            f"<div class='content'>{body}</div></body></html>")
    found = extract_fields(html, "https://example.edu.cn/info/1/2.htm")
    assert found.title == "关于辅修专业报名的通知"
    assert parse_date(found.published_raw) == "2024-11-27T00:00:00+08:00"
