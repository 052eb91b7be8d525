"""Extraction against real captured pages (VSB, WebPlus, other templates), field by field, with values written by hand.

Each ``tests/fixtures/real/<host>/X.html`` has ``X.expected.json`` beside it, written by
reading the page (not by running the extractor). Responses are built from the raw bytes,
so BOMs, CRLF and undeclared charsets reach the extractor as the portal sent them. A page
whose expected ``cms`` is "generic" comes from a template no family rule knows: it is
held to what the generic reader must get (GENERIC_READER_FIELDS), not to the breadcrumb
column a profile would name.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse

from newscrawl.extract import extract, extract_listing
from newscrawl.profile import GENERIC_VSB
from newscrawl.portals import portals

REAL = Path(__file__).parent / "fixtures" / "real"
ARTICLE_FIELDS = ("title", "source", "published_at", "column", "credits", "body_text", "images", "attachments")
# What a portal it has never seen must still get right from VSB markers alone.
GENERIC_FIELDS = ("title", "published_at", "body_text")
# What the text-density reader must get on a template no rule knows.
GENERIC_READER_FIELDS = ("title", "source", "published_at", "credits", "body_text", "images", "attachments")
LIST_FIELDS = ("urls", "titles", "next_page", "page", "pages", "total")


def _captures(kind: str) -> list[Path]:
    found = []
    for path in sorted(REAL.glob("*/*.expected.json")):
        is_list = "articles" in json.loads(path.read_text(encoding="utf-8"))
        if is_list == (kind == "list"):
            found.append(path.with_name(path.name.removesuffix(".expected.json") + ".html"))
    return found


ARTICLES = _captures("article")
LISTS = _captures("list")


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@lru_cache(maxsize=None)
def expected(path: Path) -> dict:
    return json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))


def response(path: Path) -> HtmlResponse:
    return HtmlResponse(url=expected(path)["url"], body=path.read_bytes())


def portal_for(url: str):
    """The portal's profile; a site without one is read by its CMS family's shared rules."""
    host = urlsplit(url).hostname
    return next((p for p in portals().values() if p.host == host), GENERIC_VSB)


@lru_cache(maxsize=None)
def article(path: Path, generic: bool = False) -> dict:
    resp = response(path)
    portal = GENERIC_VSB if generic else portal_for(resp.url)
    return asdict(extract(resp.body, resp.url, portal))


@lru_cache(maxsize=None)
def listing(path: Path) -> dict:
    resp = response(path)
    found = extract_listing(resp.body, resp.url, portal_for(resp.url))
    return {
        "urls": [a.url for a in found.articles],
        "titles": [a.title for a in found.articles],
        "next_page": found.next_page,
        "page": found.page,
        "pages": found.pages,
        "total": found.total,
    }


def test_every_capture_has_expected_values():
    assert len(ARTICLES) >= 12 and len(LISTS) >= 5
    for html in REAL.glob("*/*.html"):
        assert html.with_name(html.stem + ".expected.json").exists(), html


def _fields_of(path: Path) -> tuple[str, ...]:
    return GENERIC_READER_FIELDS if expected(path).get("cms") == "generic" else ARTICLE_FIELDS


def _case(path: Path, field: str):
    """A field NewsCrawl is known to misread on this page (the capture's ``known_misses``, with
    why) is a strict xfail: the page keeps its true value, and the fix has to remove the entry."""
    why = expected(path).get("known_misses", {}).get(field)
    return pytest.param(path, field, marks=pytest.mark.xfail(strict=True, reason=why)) if why else (path, field)


@pytest.mark.parametrize(
    "path, field", [_case(p, f) for p in ARTICLES for f in _fields_of(p)], ids=lambda v: _id(v) if isinstance(v, Path) else v
)
def test_article_field(path, field):
    assert article(path)[field] == expected(path)[field]


# Written down for the later captures: how much of the date the page printed, the family
# that made the page, its view counter.
OPTIONAL_FIELDS = ("published_precision", "cms", "counter")


@pytest.mark.parametrize(
    "path, field", [(p, f) for p in ARTICLES for f in OPTIONAL_FIELDS if f in expected(p)], ids=lambda v: _id(v) if isinstance(v, Path) else v
)
def test_article_optional_field(path, field):
    assert article(path)[field] == expected(path)[field]


@pytest.mark.parametrize("path", ARTICLES, ids=_id)
def test_body_html_holds_the_body_text_and_no_credit(path):
    found = article(path)
    names = {n for names in found["credits"].values() for n in names}
    assert all(f">{name}<" not in found["body_html"] for name in names)
    assert (found["body_html"] == "") == (found["body_text"] == "" and not found["images"])


@pytest.mark.parametrize("path", ARTICLES, ids=_id)
def test_article_is_read_by_its_familys_rules(path):
    assert article(path)["extraction"] == expected(path).get("cms", "vsb")


@pytest.mark.parametrize("field", GENERIC_FIELDS)
@pytest.mark.parametrize("path", ARTICLES, ids=_id)
def test_generic_vsb_profile_without_portal(path, field):
    assert article(path, generic=True)[field] == expected(path)[field]


@pytest.mark.parametrize("field", LIST_FIELDS)
@pytest.mark.parametrize("path", LISTS, ids=_id)
def test_list_field(path, field):
    exp = expected(path)
    want = {
        "urls": [a["url"] for a in exp["articles"]],
        "titles": [a["title"] for a in exp["articles"]],
    }.get(field, exp.get(field))
    assert listing(path)[field] == want
