"""The page's view counter: which endpoint and arguments fill in 浏览量 (VSB or WebPlus)."""
from __future__ import annotations

import html as html_entities
import re
from urllib.parse import parse_qs, urljoin, urlsplit

_DYNCLICKS = re.compile(r"""_showDynClicks\(\s*["'](\w+)["']\s*,\s*["']?(\d+)["']?\s*,\s*["']?(\d+)["']?\s*\)""")
# <span class="WP_VisitCount" url="/_visitcountdisplay?siteId=55&type=3&articleId=213245">
_VISITCOUNT_SPAN = re.compile(r"""<span\b[^>]*\bclass\s*=\s*["']?[^"'>]*\bWP_VisitCount\b[^>]*>""", re.I)
_URL_ATTR = re.compile(r"""\burl\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def find_counter(html: str) -> dict | None:
    """The arguments of VSB's ``_showDynClicks(clicktype, owner, clickid)``, if the page has it.

    clickid is not always the article id in the URL (a republished article keeps its old
    counter), so it is read from the script, never derived from the URL.
    """
    m = _DYNCLICKS.search(html)
    if not m:
        return None
    return {"clicktype": m.group(1), "owner": m.group(2), "clickid": m.group(3)}


def find_visit_counter(html: str, page_url: str = "") -> dict | None:
    """WebPlus's counter, if the page has one: ``{"kind": "webplus", "url", "site_id",
    "article_id", "type"}``. ``url`` is the WP_VisitCount span's ``url`` resolved against
    ``page_url``; a plain GET of it answers the count (the page's script writes that answer
    into the span). Read from the span, not made from the article's URL.
    """
    for span in _VISITCOUNT_SPAN.finditer(html):
        attr = _URL_ATTR.search(span.group(0))
        raw = html_entities.unescape(next((g for g in attr.groups() if g is not None), "")).strip() if attr else ""
        if not raw:
            continue
        try:
            url = urljoin(page_url, raw) if page_url else raw
            query = parse_qs(urlsplit(url).query)
        except ValueError:  # an address that is no URL: no counter rather than no article
            return None
        return {
            "kind": "webplus",
            "url": url,
            "site_id": query.get("siteId", [""])[0],
            "article_id": query.get("articleId", [""])[0],
            "type": query.get("type", [""])[0],
        }
    return None


def page_counter(html: str, url: str, kind: str) -> dict | None:
    """The counter of a page whose CMS family shows it as ``kind`` (a Family's ``counter``:
    ``dynclicks`` for VSB, ``visitcount`` for WebPlus)."""
    return find_counter(html) if kind == "dynclicks" else find_visit_counter(html, url)
