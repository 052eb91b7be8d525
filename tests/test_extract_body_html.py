"""body_html says what body_text says: credit lines and bylines cut from one are cut from the other, on every path."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import html as lxml_html

from newscrawl.extract import extract
from newscrawl.extract.text import text_lines
from newscrawl.profile import GENERIC_VSB, GENERIC_WEBPLUS

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted(
    p.with_name(p.name.removesuffix(".expected.json") + ".html")
    for p in FIXTURES.glob("**/*.expected.json")
    if not {"articles", "article_count"} & set(json.loads(p.read_text(encoding="utf-8")))
)


def html_lines(body_html: str) -> list[str]:
    return text_lines(lxml_html.fromstring(f"<div>{body_html}</div>")) if body_html else []


@pytest.mark.parametrize("path", PAGES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_body_html_reads_as_body_text_on_every_capture(path):
    url = json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))["url"]
    article = extract(path.read_bytes(), url)
    assert html_lines(article.body_html) == article.body_text.splitlines()


VSB_PAGE = """<html><head><meta name="ArticleTitle" content="学院召开安全工作会议"></head><body>
<form name="_newscontent_fromname"><h1>学院召开安全工作会议</h1><p>发布时间：2025-05-08 10:00</p>
<div id="vsb_content"><div class="v_news_content">{body}</div></div>
<script>_showDynClicks("wbnews", 1, 2)</script><a href="/info/1002/3.htm">x</a></form></body></html>"""
WEBPLUS_PAGE = """<html><body><div portletmode="simpleArticleAttri"><h1 class="arti_title">学院召开安全工作会议</h1>
<p class="arti_metas"><span class="arti_update">发布时间：2025-05-08</span></p>
<div class="wp_articlecontent">{body}</div></div>
<span class="WP_VisitCount" url="/_visitcountdisplay?siteId=1&type=3&articleId=2">0</span></body></html>"""
GENERIC_PAGE = """<html><head><title>学院召开安全工作会议_某某学院</title></head><body>
<div class="main"><h1>学院召开安全工作会议</h1><p>2025-05-08</p><div class="content">{body}</div></div></body></html>"""
PATHS = {
    "profile": (VSB_PAGE, GENERIC_VSB, "vsb", "https://www.example.edu.cn/info/1002/3.htm"),
    "family": (WEBPLUS_PAGE, GENERIC_WEBPLUS, "webplus", "https://www.example.edu.cn/2025/0508/c1a2/page.htm"),
    "generic": (GENERIC_PAGE, GENERIC_VSB, "generic", "https://www.example.edu.cn/news/77.html"),
}
# A byline opening the text, a credit line sharing a paragraph with the text (a <br>
# between), a closing byline, and text that names roles without being credits.
BODY = """<p>本网讯（记者 <span>李四</span> 摄影 王五）5月7日，学院召开春夏季安全工作会议，部署消防和实验室安全等重点工作。</p>
<p>会议要求各单位压实责任，材料报学院学生科进行审核：逐项签字。编辑部主任出席会议。</p>
<p>会议强调，要开展隐患排查，确保校园安全稳定。（通讯员 张三）<br>编辑：<strong>孙八</strong>　审核：周九</p>"""


@pytest.mark.parametrize("path", PATHS)
def test_credits_and_bylines_leave_body_html_as_they_leave_body_text(path):
    page, portal, rules, url = PATHS[path]
    article = extract(page.format(body=BODY), url, portal)
    assert article.extraction == rules
    assert article.credits == {"记者": ["李四"], "摄影": ["王五"], "编辑": ["孙八"], "审核": ["周九"], "通讯员": ["张三"]}
    assert article.body_text.splitlines() == [
        "本网讯5月7日，学院召开春夏季安全工作会议，部署消防和实验室安全等重点工作。",
        "会议要求各单位压实责任，材料报学院学生科进行审核：逐项签字。编辑部主任出席会议。",
        "会议强调，要开展隐患排查，确保校园安全稳定。",
    ]
    assert html_lines(article.body_html) == article.body_text.splitlines()
    for gone in ("李四", "王五", "张三", "孙八", "周九", "编辑："):
        assert gone not in article.body_html


def test_markup_around_a_cut_byline_is_kept():
    article = extract(GENERIC_PAGE.format(body=BODY.replace("5月7日", "<b>5月7日</b>")), PATHS["generic"][3])
    assert article.body_html.startswith("<p>本网讯<b>5月7日</b>，学院召开")


def test_private_use_characters_are_text_and_the_bylines_beside_them_still_leave_the_html():
    """Lines know their slots in the tree by walking it, not by characters written into it:
    a page's own private-use characters (any plane) are text like any other."""
    own = "\U00100001\U000f0000\ue000"
    body = BODY.replace("部署消防", f"部署{own}消防").replace("确保校园", f"确保{own}校园")
    article = extract(GENERIC_PAGE.format(body=body), PATHS["generic"][3])
    assert article.body_text.count(own) == 2
    assert article.credits == {"记者": ["李四"], "摄影": ["王五"], "编辑": ["孙八"], "审核": ["周九"], "通讯员": ["张三"]}
    assert html_lines(article.body_html) == article.body_text.splitlines()
    for gone in ("李四", "张三", "孙八"):
        assert gone not in article.body_html


def test_a_byline_between_runs_of_blanks_leaves_the_tree_reading_as_the_text():
    body = BODY.replace("本网讯（记者 <span>李四</span> 摄影 王五）5月7日", "本网讯&nbsp;&nbsp;（记者 李四 摄影 王五）&nbsp;\u3000 5月7日")
    article = extract(GENERIC_PAGE.format(body=body), PATHS["generic"][3])
    assert article.body_text.startswith("本网讯5月7日，学院召开")
    assert html_lines(article.body_html) == article.body_text.splitlines()
