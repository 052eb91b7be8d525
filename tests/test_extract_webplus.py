"""WebPlus/苏迪 pages of the bundled WebPlus portal, field by field, with values written by hand.

``tests/fixtures/webplus/X.html`` are pages as the portal serves them; ``X.expected.json``
beside each was written by reading the page. The article is a cross-post read under its
second column: its URL's date (0912) is not its publication date (09-14), and its counter
is article 200012's, not the 200301 of its URL.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from newscrawl.extract import extract, extract_listing
from newscrawl.extract.generic import detect_cms
from newscrawl.extract.page import decode_html
from newscrawl.profile import FAMILIES, GENERIC_VSB, Column, Portal
from newscrawl.replica import WebPlusSite
from spiders.webplus_demo import WebplusDemoSpider

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLE = FIXTURES / "webplus" / "article-c1002a200301.html"
LIST = FIXTURES / "webplus" / "list-1004-2.html"
LAST_LIST = FIXTURES / "webplus" / "list-1004-4.html"
PORTAL = WebplusDemoSpider.portal
ARTICLE_FIELDS = ("url", "portal", "cms", "extraction", "title", "source", "published_at", "published_raw", "column",
                  "credits", "body_text", "body_html", "images", "attachments", "counter")


def _expected(html: Path) -> dict:
    return json.loads(html.with_name(html.stem + ".expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def article() -> dict:
    return asdict(extract(ARTICLE.read_bytes(), _expected(ARTICLE)["url"], PORTAL))


@pytest.mark.parametrize("field", ARTICLE_FIELDS)
def test_article_field(article, field):
    assert article[field] == _expected(ARTICLE)[field]


@pytest.mark.parametrize("field", ("title", "source", "published_at", "column", "credits", "body_text", "images",
                                   "attachments", "counter", "cms", "extraction"))
def test_article_without_a_profile_is_read_by_the_webplus_rules(field):
    """No profile: the page's markers say WebPlus, and WebPlus's shared rules read it."""
    found = asdict(extract(ARTICLE.read_bytes(), _expected(ARTICLE)["url"]))
    assert found["portal"] == "webplus"
    assert found[field] == _expected(ARTICLE)[field]


def test_the_url_date_is_not_the_publication_date(article):
    assert "/2024/0912/" in article["url"] and article["published_at"].startswith("2024-09-14")


def _listing(path: Path, portal=PORTAL):
    found = extract_listing(path.read_bytes(), _expected(path)["url"], portal)
    return found


@pytest.mark.parametrize("portal", [PORTAL, GENERIC_VSB], ids=["profile", "no-profile"])
def test_list_page(portal):
    exp = _expected(LIST)
    found = _listing(LIST, portal)
    assert [(a.url, a.title, a.published_at) for a in found.articles] == [
        (a["url"], a["title"], a["published_at"]) for a in exp["articles"]
    ]
    assert (found.next_page, found.page, found.pages, found.total) == (exp["next_page"], exp["page"], exp["pages"],
                                                                      exp["total"])


def test_last_list_page_has_no_next_page():
    """Its 下一页 link is still there, pointing at javascript:void(0)."""
    exp = _expected(LAST_LIST)
    found = _listing(LAST_LIST)
    assert len(found.articles) == exp["article_count"]
    assert (found.next_page, found.page, found.pages, found.total) == (exp["next_page"], exp["page"], exp["pages"],
                                                                      exp["total"])


def test_cms_detected_on_each_family():
    assert detect_cms(decode_html(ARTICLE.read_bytes())) == "webplus"
    assert detect_cms(decode_html(LIST.read_bytes())) == "webplus"
    vsb = next((FIXTURES / "real").glob("*/article-*.html"))
    assert detect_cms(decode_html(vsb.read_bytes())) == "vsb"
    assert detect_cms(decode_html((FIXTURES / "generic" / "wordpress-post.html").read_bytes())) == "generic"


def test_generic_page_says_so():
    page = FIXTURES / "generic" / "wordpress-post.html"
    found = extract(page.read_bytes(), _expected(page)["url"])
    assert (found.cms, found.extraction) == ("generic", "generic")


def test_vsb_page_is_marked_vsb():
    vsb = next((FIXTURES / "real").glob("*/article-*.html"))
    found = extract(vsb.read_bytes(), _expected(vsb)["url"])
    assert (found.cms, found.extraction) == ("vsb", "vsb")


def test_family_supplies_the_defaults_and_a_portal_overrides_only_what_differs():
    portal = Portal(name="p", title="p", base_url="https://x.edu.cn", columns=(Column("12/list.htm", "要闻"),),
                    cms="webplus", selectors={"body": (".v_content",)})
    assert portal.article_pattern == FAMILIES["webplus"].article_pattern
    assert portal.selector("body")[0] == ".v_content" and ".wp_articlecontent" in portal.selector("body")
    assert portal.columns[0].slug == "12"
    assert Portal(name="v", title="v", base_url="https://x.edu.cn", columns=(Column("index/jdyw.htm", "x"),)).cms == "vsb"


def test_unknown_cms_is_refused():
    with pytest.raises(ValueError, match="unknown cms"):
        Portal(name="p", title="p", base_url="https://x.edu.cn", columns=(Column("a.htm", "a"),), cms="trs")


def test_the_counter_url_answers_the_count():
    """The URL extraction puts in the counter is the one the portal answers the count at."""
    site = WebPlusSite(articles=300, seed=0)
    counter = _expected(ARTICLE)["counter"]
    status, _, body = site.handle(counter["url"].removeprefix(PORTAL.base_url))
    assert status == 200 and int(body) == site.view_count(site.by_id[200012])


def _undated(page: str, body: str) -> str:
    """A WebPlus page that prints no date at all: no .arti_update, no <meta>."""
    return page.replace('<p class="arti_metas"><span class="arti_update">发布时间：2025-05-08</span></p>', "").format(body=body)


WEBPLUS_PAGE = """<html><body><div portletmode="simpleArticleAttri"><h1 class="arti_title">关于开展学生安全教育的通知</h1>
<p class="arti_metas"><span class="arti_update">发布时间：2025-05-08</span></p>
<div class="wp_articlecontent">{body}</div></div>
<span class="WP_VisitCount" url="/_visitcountdisplay?siteId=1&type=3&articleId=2">0</span></body></html>"""
URL = "https://www.example-webplus.edu.cn/2025/0430/c1002a213245/page.htm"


def test_a_page_that_prints_no_date_gets_none_not_its_urls_day():
    """The URL's 2025/0430 is when the article was made in the CMS: no publication date."""
    body = "<p>各学院：为增强学生安全意识，学校决定开展安全教育活动，请各学院认真组织，按时完成。</p>"
    article = extract(_undated(WEBPLUS_PAGE, body), URL)
    assert (article.extraction, article.published_at, article.published_precision) == ("webplus", None, None)


GENERIC_WEBPLUS_URL_PAGE = """<html><head><title>关于开展学生安全教育的通知-某某学院</title></head><body>
<div class="main"><h1>关于开展学生安全教育的通知</h1><div class="content">{body}</div></div></body></html>"""


@pytest.mark.parametrize(
    "last_line, published",
    [
        ("2025年5月6日", "2025-05-06T00:00:00+08:00"),  # the signature: a few days after the article was made
        ("请于2025年7月1日前报送材料。", None),  # a deadline two months on is no publication date
        ("2024年9月1日起施行的办法同时废止。", None),  # a date before the article existed
    ],
)
def test_a_date_read_from_the_text_must_fit_the_urls_day(last_line, published):
    body = ("<p>各学院：为增强学生安全意识，学校决定开展安全教育活动，请各学院认真组织，按时完成。</p>"
            f"<p>学生工作处</p><p>{last_line}</p>")
    article = extract(GENERIC_WEBPLUS_URL_PAGE.format(body=body), URL)
    assert article.extraction == "generic"
    assert article.published_at == published
    assert article.published_precision == ("day" if published else None)
