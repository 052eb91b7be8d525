"""An article page to an Article: pure, no I/O, driven by the selector lists of the portal and its CMS family."""
from __future__ import annotations

import re

from lxml import etree
from parsel import Selector

from newscrawl.extract.counter import page_counter
from newscrawl.extract.credits import merge_credits, parse_credits
from newscrawl.extract.dates import date_precision, find_date, parse_date
from newscrawl.extract.fields import (
    ExtractionError,
    Reading,
    attachments,
    body_lines,
    head_lines,
    images,
    info_fields,
    meta,
)
from newscrawl.extract.generic import detect_cms, extract_fields
from newscrawl.extract.page import css_xpath, decode_html, parse_html
from newscrawl.extract.text import clean_html, hidden, normalise_line, text_lines
from newscrawl.items import Article
from newscrawl.profile import GENERIC, GENERIC_VSB, Portal
from newscrawl.urls import canonical_url

__all__ = ["ExtractionError", "extract"]


def extract(body: bytes | str, url: str, portal: Portal = GENERIC_VSB, *, column: str = "") -> Article:
    """The article at ``url`` from its HTML; ``column`` is the listing's guess if the page has none.

    Raises ExtractionError, and nothing else, when the page yields no article: whatever
    else a hostile page provokes is a failure of that page, recorded with the others.
    """
    try:
        return _extract(body, url, portal, column)
    except ExtractionError:
        raise
    except Exception as exc:
        raise ExtractionError(f"unexpected {type(exc).__name__}: {exc}") from exc


def _extract(body: bytes | str, url: str, portal: Portal, column: str) -> Article:
    text = decode_html(body)
    if not text.strip():
        raise ExtractionError("empty page")
    sel = Selector(root=parse_html(text), type="html")
    cms = detect_cms(text)
    rules = _rules(portal, cms)
    root = _first(sel, rules.selector("article_root")) if rules else None
    body_sel = _first(root, rules.selector("body")) if root is not None else None
    if body_sel is None:
        if rules and any(sel.css(q) for q in rules.selector("body") if "::" not in q):
            # The content block is there and empty: an article without its text, not a
            # different template. Guessing a body from the page furniture would be wrong data.
            raise ExtractionError("no article body (the content block is empty)")
        if rules and any(sel.css(q) for q in rules.selector("list_page")):
            raise ExtractionError(f"a list page of a {rules.cms} column, not an article")
        return _article(extract_fields(text, url), sel, text, url, portal, rules or portal, column, cms)
    body_el = _innermost(body_sel)

    fields = info_fields(head_lines(root.root, body_el))
    lines, credits_body, body_copy = body_lines(body_el)
    published = _labelled(root, rules.selector("published"))
    reading = Reading(
        title=_title(sel, root, body_el, rules),
        source=(meta(sel, "ContentSource") or _labelled(root, rules.selector("source"), credits=False)
                or fields.get("source") or "").strip(),
        published_raw=meta(sel, "PubDate") or find_date(published) or fields.get("date") or "",
        lines=lines,
        body_copy=body_copy,
        credits=merge_credits(fields["credits"], credits_body, _credits_after(root, body_el, rules.selector("credits_after"))),
        images=images(body_copy, url),
        attachments=attachments(root.root, url),
        rules=rules.cms,
    )
    return _article(reading, sel, text, url, portal, rules, column, cms)


def _rules(portal: Portal, cms: str) -> Portal | None:
    """Whose rules read a page the markers say is ``cms``: the portal's own, a family's, or
    none (the generic heuristics).

    Without a profile (a GENERIC portal) a family's rules read only pages that carry its
    markers. A profile's rules read its pages, unless they are another family's output (a
    WebPlus sub-site of a VSB portal): then that family's shared rules read them.
    """
    if portal in GENERIC.values():
        return GENERIC.get(cms)
    if cms in (portal.cms, "generic"):
        return portal
    return GENERIC[cms]


def _labelled(root, queries, *, credits: bool = True) -> str:
    """The first non-empty text of ``queries`` without the label it starts with
    ("发布者：党委宣传部" -> "党委宣传部"); with ``credits=False`` a credit line
    (编辑：张三, which some templates print in the same class as 发布者) is passed over."""
    for query in queries:
        for item in root.css(query):
            text = normalise_line(item.xpath("string()").get(""))
            if not credits and parse_credits(text):
                continue
            value = _LABEL_PREFIX.sub("", text, count=1)
            if value:
                return value
    return ""


def _credits_after(root, body_el, queries) -> dict[str, list[str]]:
    """Credit lines of ``queries`` standing after the body in the article's box (编辑：…,
    责任编辑：… below the text); a line that is no credit, or hidden, counts for nothing."""
    found = [item.root for query in queries for item in root.css(query) if not isinstance(item.root, str)]
    if not found:
        return {}
    order = {el: i for i, el in enumerate(root.root.iter())}
    body_at = order[body_el]
    credits: dict[str, list[str]] = {}
    for el in found:
        if order.get(el, -1) <= body_at or _inside(el, body_el) or hidden(el, root.root):
            continue
        for line in text_lines(el):
            credits = merge_credits(credits, parse_credits(line) or {})
    return credits


_LABEL_PREFIX = re.compile(r"^[^:：\d]{1,8}[:：]\s*")


def _article(reading: Reading, sel: Selector, text: str, url: str, portal: Portal, rules: Portal, column: str,
             cms: str) -> Article:
    """The one place an Article is made from a page's reading, whichever rules read it.
    (When it was fetched is the crawl's to say, not the page's.)"""
    raw_date = reading.published_raw
    return Article(
        url=canonical_url(url, scheme=_scheme(url, portal)),
        # Without a profile, the rules that read the page are all the portal there is.
        portal=rules.name if portal in GENERIC.values() else portal.name,
        column=_column(sel, rules) or column,
        title=reading.title,
        source=reading.source,
        published_at=parse_date(raw_date, portal.timezone) if raw_date else None,
        published_raw=raw_date,
        published_precision=date_precision(raw_date) if raw_date else None,
        body_text="\n".join(reading.lines),
        body_html=clean_html(reading.body_copy, url),
        images=reading.images,
        attachments=reading.attachments,
        credits=reading.credits,
        counter=page_counter(text, url, rules.family.counter),
        extraction=reading.rules,
        cms=cms,
    )


def _scheme(url: str, portal: Portal) -> str | None:
    """Articles of the portal take its scheme (http and https are one page); others keep theirs."""
    host = re.sub(r"^[a-z]+://", "", url).split("/", 1)[0].split(":", 1)[0].lower()
    return portal.base_url.split("://", 1)[0] if host == portal.host else None


def _first(sel, queries):
    for query in queries:
        found = sel.css(query)
        for item in found:
            if isinstance(item.root, str):
                if item.root.strip():
                    return item
            elif normalise_line(item.root.text_content()) or item.root.xpath(".//img"):
                return item
    return None


def _innermost(body_sel):
    """Some templates nest the body container in a copy of itself (with prev/next links
    beside the inner copy): the innermost container holds just the article."""
    el = body_sel.root
    while True:
        inner = [e for e in el.iterdescendants() if isinstance(e.tag, str) and e.get("class") == el.get("class") and e.tag == el.tag and e.get("id") == el.get("id")]
        if not inner:
            return el
        el = inner[0]


def _inside(el, ancestor) -> bool:
    return any(a is ancestor for a in el.iterancestors()) or el is ancestor


def _title(sel, root, body_el, portal: Portal) -> str:
    before_body = set()
    for el in root.root.iter():
        if el is body_el:
            break
        before_body.add(el)
    for query in portal.selector("title"):
        if "::attr" in query:
            value = normalise_line(sel.css(query).get() or "")
            if value:
                return value
            continue
        for item in root.css(query):
            if _inside(item.root, body_el) or _inside(body_el, item.root) or item.root not in before_body:
                continue  # inside the body, a wrapper around it, or a box after it (相关文章)
            value = normalise_line(item.root.text_content())
            if value:
                return value
    raw = normalise_line(sel.css("title::text").get() or "")
    if portal.title_suffix and raw.endswith(portal.title_suffix):
        return raw[: -len(portal.title_suffix)].rstrip("-_| ")
    return raw.rsplit("-", 1)[0].strip() if "-" in raw else raw


def _column(sel: Selector, portal: Portal) -> str:
    """The breadcrumb's last link (before 正文 on VSB); without a breadcrumb, the column's
    name where the family's template shows it, or the ColumnName meta."""
    end = portal.family.crumb_end
    for query in portal.selector("breadcrumb"):
        for crumb in css_xpath(query)(sel.root):
            links = [normalise_line(a.text_content()) for a in _LINKS(crumb)]
            links = [t for t in links if t]
            if links and end in crumb.text_content():
                return links[-1]
    for query in portal.selector("column"):
        for item in sel.css(query):
            name = normalise_line(item.xpath("string()").get(""))
            if name:
                return name
    return meta(sel, "ColumnName") or _labelled_crumb(sel.root)


_LINKS = css_xpath("a")
# A breadcrumb no class gives away is still told by its label: 当前位置：首页 -> 资料下载 -> 学位资料.
# The label opens its text (考点所在位置 in a notice is no breadcrumb).
_CRUMB_LABEL = etree.XPath(
    "//body//*[text()[starts-with(normalize-space(.), '当前位置') or starts-with(normalize-space(.), '您现在的位置')"
    " or starts-with(normalize-space(.), '您的位置') or starts-with(normalize-space(.), '所在位置')]]"
)
_CRUMB_LEVELS = 3  # how far above its label a trail's links may stand


def _labelled_crumb(root) -> str:
    """The last link after a breadcrumb's label, in the nearest block around the label that
    has links; "" when the trail is the home page alone, or has no links near its label."""
    for label in _CRUMB_LABEL(root):
        for block in [label, *label.iterancestors()][: _CRUMB_LEVELS + 1]:
            order = {el: i for i, el in enumerate(block.iter())}
            links = [normalise_line(a.text_content()) for a in _LINKS(block) if order[a] > order[label]]
            links = [t for t in links if t]
            if links:
                return links[-1] if len(links) > 1 else ""
    return ""

