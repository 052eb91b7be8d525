"""Hostile pages: whatever bytes arrive, ``extract`` gives an Article or raises
ExtractionError, and ``extract_listing`` gives a Listing.

The examples are the pages seen failing (a thousand nested divs, a Word paste of unclosed
<font>s, URLs urllib rejects, numbers too long to be numbers); the properties mutate the
real captures in ``fixtures/real`` with hypothesis, deterministically (``derandomize``).
"""
from __future__ import annotations

import re
import tempfile
from functools import lru_cache
from pathlib import Path
from urllib.parse import urljoin

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from newscrawl.extract import ExtractionError, Listing, extract, extract_listing
from newscrawl.items import Article
from tests.test_extract_real import ARTICLES, LISTS, expected, portal_for

# Hypothesis caches what it reads of our modules under ./.hypothesis: not in the repository.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "newscrawl-hypothesis")
# Fast and the same on every run: no example database, no random seed, no deadline
# (the first extraction of a run also warms dateparser's caches).
HOSTILE = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SNIPPETS = (
    "<div>" * 1000,
    '<font face="宋体">' * 3000,
    "<span><b><i>" * 400,
    "<table><tr><td>" * 300,
    "</div>" * 500,
    '<img src="http://[x/a.jpg">',
    '<a href="http://[x/a.pdf">附件</a>',
    '<a href="http://example.com:99999999/info/1/2.htm">x</a>',
    '<a href="/info/1/' + "9" * 5000 + '.htm">x</a>',
    "共 " + "9" * 5000 + " 条 1/" + "9" * 5000,
    '<img src="JaVaScRiPt:alert(1)" onerror="alert(1)">',
    "\x00",
    "\x01\x0b\x1f",
    "<!--",
    "<![CDATA[",
    "<?xml version='1.0' encoding='utf-16'?>",
    '<meta charset="utf-16">',
    "<script>",
    "</body></html>",
    "&#0;&#xD800;&#x110000;",
    "\ufeff\ufffe\uffff",
    '<p title="' + "a" * 20000,
    '<a href="' + "%" * 3000 + '">x</a>',
)
ENCODINGS = (None, "gbk", "gb18030", "utf-16", "utf-16-le", "latin-1", "utf-8-sig")


def outcome(body: bytes, url: str, portal) -> Article | ExtractionError:
    """What ``extract`` gives; any exception but ExtractionError fails the test."""
    try:
        return extract(body, url, portal)
    except ExtractionError as exc:
        return exc


@lru_cache(maxsize=None)
def page(path: Path) -> tuple[bytes, str, object]:
    raw = path.read_bytes()
    url = expected(path)["url"]
    return raw, url, portal_for(url)


def inside_body(raw: bytes) -> int:
    """The offset just inside the article's body container."""
    found = (re.search(rb"""class=["']?v_news_content""", raw) or re.search(rb"""id=["']?vsb_content""", raw)
             or re.search(rb"""class=["']?wp_articlecontent""", raw))
    return raw.index(b">", found.end()) + 1


def with_body_prefix(path: Path, html: str) -> tuple[bytes, str, object]:
    """The real article with ``html`` at the start of its body."""
    raw, url, portal = page(path)
    at = inside_body(raw)
    return raw[:at] + html.encode() + raw[at:], url, portal


def squeezed(text: str) -> str:
    return re.sub(r"\s", "", text)


def capture(name: str) -> Path:
    return next(p for p in ARTICLES + LISTS if name in p.name)


# -- the cases seen failing -------------------------------------------------------------


def test_a_thousand_nested_divs_keep_the_article():
    paragraphs = "".join(f"<p>第{i}段：这是一段足够长的正文，用来确认深层嵌套不会丢掉文字。</p>" for i in range(5))
    html = f"<html><head><title>深层嵌套 - 某大学</title></head><body>{'<div>' * 1000}{paragraphs}{'</div>' * 1000}</body></html>"
    article = extract(html, "https://example.edu.cn/news/1.htm")
    assert article.body_text.splitlines() == [f"第{i}段：这是一段足够长的正文，用来确认深层嵌套不会丢掉文字。" for i in range(5)]


def test_a_thousand_nested_divs_inside_a_real_body():
    path = capture("xue-zai-wuda")
    closed = outcome(*with_body_prefix(path, "<div>" * 1000 + "</div>" * 1000))
    unclosed = outcome(*with_body_prefix(path, "<div>" * 1000))
    assert closed.body_text == expected(path)["body_text"]
    # Unclosed, the body's own </div> closes one of them: what follows the body joins it.
    assert squeezed(expected(path)["body_text"]) in squeezed(unclosed.body_text)


def test_word_paste_of_five_thousand_unclosed_font_tags_keeps_title_and_text():
    path = capture("word-vml")
    article = outcome(*with_body_prefix(path, '<font face="宋体" size="3">' * 5000))
    assert article.title == expected(path)["title"]
    assert article.body_text == expected(path)["body_text"]
    assert [i.url for i in article.images] == [i["url"] for i in expected(path)["images"]]


def test_image_whose_url_urllib_rejects_is_skipped_and_the_others_kept():
    path = capture("xiaoyou-fudaoyuan")
    body, url, portal = with_body_prefix(path, '<p><img src="http://[x/a.jpg"><img src="/extra.jpg"></p>')
    article = outcome(body, url, portal)
    assert [i.url for i in article.images] == [urljoin(url, "/extra.jpg")] + [i["url"] for i in expected(path)["images"]]
    assert "[x" not in article.body_html and urljoin(url, "/extra.jpg") in article.body_html


def test_attachments_and_links_whose_url_is_no_url_are_skipped_alone():
    path = capture("zhujiao-xuanpin")
    bad = '<p><a href="http://[x/a.pdf">坏附件一</a> <a href="http://example.com:99999999/b.docx">坏附件二</a></p>'
    article = outcome(*with_body_prefix(path, bad))
    assert article.attachments == outcome(*page(path)).attachments
    assert [a.url for a in article.attachments] == [a["url"] for a in expected(path)["attachments"]]
    assert "坏附件一 坏附件二" in article.body_text  # the words stay, only the addresses go


def test_nul_bytes_and_control_characters_change_nothing():
    path = capture("lanqiaobei")
    raw, url, portal = page(path)
    article = outcome(raw.replace(b"<p", b"\x00<p\x01").replace(b"</td>", b"\x0b</td>"), url, portal)
    assert (article.title, article.body_text) == (expected(path)["title"], expected(path)["body_text"])


def test_page_url_that_is_no_url_is_an_extraction_error():
    raw, _, portal = page(capture("lanqiaobei"))
    with pytest.raises(ExtractionError, match="Invalid IPv6 URL"):
        extract(raw, "http://[x/info/1038/1009.htm", portal)


def test_anything_unexpected_becomes_an_extraction_error(monkeypatch):
    def broken(html, url, kind):
        raise RuntimeError("boom")

    monkeypatch.setattr("newscrawl.extract.article.page_counter", broken)
    with pytest.raises(ExtractionError, match="^unexpected RuntimeError: boom$"):
        extract(*page(capture("lanqiaobei")))


LIST = "list-xwzx-xyxw-page1"


def listing_of(replace: dict[str, str]) -> tuple[Listing, dict]:
    path = capture(LIST)
    raw, url, portal = page(path)
    text = raw.decode("utf-8-sig")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return extract_listing(text.encode(), url, portal), expected(path)


def test_list_page_with_bad_hrefs_keeps_the_other_articles_and_counts_the_skipped():
    listing, want = listing_of({
        'href="../info/1038/5586.htm"': 'href="http://[x/info/1038/5586.htm"',
        'href="../info/1038/5570.htm"': 'href="http://cst.nuc.edu.cn:99999999/info/1038/5570.htm"',
    })
    lost = {"http://cst.nuc.edu.cn/info/1038/5586.htm", "http://cst.nuc.edu.cn/info/1038/5570.htm"}
    assert [a.url for a in listing.articles] == [a["url"] for a in want["articles"] if a["url"] not in lost]
    assert listing.skipped == 2
    assert listing.next_page == want["next_page"]


def test_list_page_reads_no_skipped_links_when_there_are_none():
    listing, want = listing_of({})
    assert listing.skipped == 0 and len(listing.articles) == len(want["articles"])


def test_malformed_next_page_link_is_no_next_page():
    listing, want = listing_of({'href="xyxw/29.htm" class="Next">下页': 'href="http://[x/29.htm" class="Next">下页'})
    assert listing.next_page is None
    assert [a.url for a in listing.articles] == [a["url"] for a in want["articles"]]


def test_pager_with_a_count_too_long_to_be_one_is_no_pager():
    listing, want = listing_of({"共299条": "共" + "9" * 5000 + "条"})
    assert (listing.total, listing.page, listing.pages) == (None, None, None)
    assert [a.url for a in listing.articles] == [a["url"] for a in want["articles"]]


# -- properties -------------------------------------------------------------------------


@st.composite
def mutated(draw, paths):
    """A real capture with bytes cut, hostile snippets and random bytes put in, and
    perhaps re-encoded in a charset its <meta> does not declare."""
    raw, url, portal = page(draw(st.sampled_from(paths)))
    body = bytearray(raw)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        kind = draw(st.sampled_from(("cut", "snippet", "bytes")))
        if kind == "cut":
            del body[at : at + draw(st.integers(1, 4000))]
        elif kind == "snippet":
            body[at:at] = draw(st.sampled_from(SNIPPETS)).encode("utf-8", "surrogatepass")
        else:
            body[at:at] = draw(st.binary(min_size=1, max_size=64))
    encoding = draw(st.sampled_from(ENCODINGS))
    if encoding:
        body = bytearray(bytes(body).decode("utf-8", "replace").encode(encoding, "replace"))
    return bytes(body), url, portal


@settings(HOSTILE, max_examples=150)
@given(mutated(ARTICLES))
def test_mutated_article_is_an_article_or_an_extraction_error(case):
    assert isinstance(outcome(*case), (Article, ExtractionError))


@settings(HOSTILE, max_examples=100)
@given(mutated(LISTS))
def test_mutated_list_page_is_a_listing(case):
    listing = extract_listing(*case)
    assert isinstance(listing, Listing) and listing.skipped >= 0


# The nesting goes just inside a family's body container: pages of other templates have none.
FAMILY_ARTICLES = [p for p in ARTICLES if expected(p).get("cms") != "generic"]


@settings(HOSTILE, max_examples=60)
@given(
    path=st.sampled_from(FAMILY_ARTICLES),
    tag=st.sampled_from(("div", "font", "span", "b", "p", "table", "td", "li", "ul", "blockquote", "h1", "a")),
    depth=st.integers(0, 2500),
    closed=st.booleans(),
)
def test_nesting_at_any_depth_loses_no_text(path, tag, depth, closed):
    nest = f"<{tag}>" * depth + (f"</{tag}>" * depth if closed else "")
    article = outcome(*with_body_prefix(path, nest))
    assert isinstance(article, Article)
    want = expected(path)["body_text"]
    if tag in ("font", "span", "b"):  # formatting tags: the text reads the same
        assert article.body_text == want
    else:  # blocks may add line breaks, and unclosed ones take in what follows the body
        assert squeezed(want) in squeezed(article.body_text)


@settings(HOSTILE, max_examples=200)
@given(st.binary(max_size=3000), st.sampled_from(("http://example.edu.cn/info/1/2.htm", "https://[::1]/a")))
def test_random_bytes(body, url):
    assert isinstance(outcome(body, url, portal_for(expected(ARTICLES[0])["url"])), (Article, ExtractionError))
    assert isinstance(extract_listing(body, url), Listing)
