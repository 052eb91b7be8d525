"""A column's list page to the article links it holds and the next page of the column (VSB or WebPlus)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree

from newscrawl.extract.dates import DATE_RE, find_date, parse_date
from newscrawl.extract.page import css_xpath, decode_html, parse_html
from newscrawl.extract.text import join_url, normalise_line, text_lines
from newscrawl.extract.generic import detect_cms
from newscrawl.profile import GENERIC, GENERIC_VSB, Portal
from newscrawl.urls import canonical_url


@dataclass
class ListedArticle:
    url: str
    title: str = ""
    published_at: str | None = None  # the list's date, day precision: enough to stop a walk


@dataclass
class Listing:
    articles: list[ListedArticle] = field(default_factory=list)
    next_page: str | None = None
    page: int | None = None  # k of "k/P" in the pager
    pages: int | None = None
    total: int | None = None
    skipped: int = 0  # links of the list whose address is no URL: left out, counted for the log


def _link_title(a) -> str:
    """The link's own words, without the date some templates put inside the link.

    The ``title`` attribute is only a fallback for truncated text ("…"): templates fill it
    with the site's name as often as with the article's title.
    """
    lines = [line for line in text_lines(a) if not DATE_RE.fullmatch(line)]
    text = " ".join(lines)
    full = normalise_line(a.get("title") or "")
    if full and (not text or (text.endswith(("...", "…")) and full.startswith(text.rstrip(".…")))):
        return full
    return text


def extract_listing(body: bytes | str, url: str, portal: Portal = GENERIC_VSB) -> Listing:
    """Article links in page order (each once) and the 下页 link, from a list page of the
    portal's CMS family (of the family its markers name, without a profile)."""
    text = decode_html(body)
    if portal in GENERIC.values():
        portal = GENERIC.get(detect_cms(text), portal)
    root = parse_html(text)
    pattern = re.compile(portal.article_pattern)
    listing = Listing()
    seen = set()
    for query in portal.selector("list_links"):
        for a in css_xpath(query)(root):
            href = a.get("tppabs") or a.get("href") or ""
            try:
                # content.jsp?…wbnewsid= is VSB's other address of /info/C/A.htm: one article.
                absolute = canonical_url(urljoin(url, href.strip()))
            except ValueError:  # a host or port no URL can have (http://[x/): this link only is lost
                listing.skipped += 1
                continue
            if not pattern.search(absolute.split("?", 1)[0]) or absolute in seen:
                continue
            seen.add(absolute)
            title = _link_title(a)
            row = _ROW(a)
            raw = find_date(_STRING(row[0])) if row else None
            listing.articles.append(ListedArticle(absolute, title, parse_date(raw, portal.timezone) if raw else None))
        if listing.articles:
            break
    for query in portal.selector("next_page"):
        a = css_xpath(query)(root)
        if a:
            href = a[0].get("tppabs") or a[0].get("href")
            # WebPlus's last page keeps its 下一页 link, pointing at javascript:void(0).
            following = join_url(url, href) if href else ""
            if following.startswith(("http://", "https://")):
                listing.next_page = following
                break
    m = re.search(portal.family.pager, _BODY_TEXT(root))
    if m:
        listing.total, listing.page, listing.pages = (int(g) for g in m.groups())
    return listing


# Compiled once: an XPath given as a string is compiled again on every call, for every link.
_ROW = etree.XPath("ancestor::li[1]")
_STRING = etree.XPath("string()")
_BODY_TEXT = etree.XPath("string(//body)")
