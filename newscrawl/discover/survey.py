"""What a portal's pages say about it: its CMS, the columns its navigation names, and a sample article of each."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

from parsel import Selector
from scrapy.settings import Settings

from newscrawl.discover.fetch import Fetcher, FetchConfig, FetchError, Page, origin
from newscrawl.extract import ExtractionError, extract, extract_listing
from newscrawl.extract.generic import detect_cms
from newscrawl.extract.page import parse_html
from newscrawl.extract.text import normalise_line
from newscrawl.profile import FAMILIES, GENERIC, Column, Portal
from newscrawl.urls import in_scope

# A column's list page, by family: VSB's index/jdyw.htm (any .htm that is not an article nor
# a later page like index/jdyw/2.htm), WebPlus's /1002/list.htm (not list2.htm).
LIST_PAGE = {
    "vsb": re.compile(r"^/(?:[^/]+/)*[^/]+\.htm$"),
    "webplus": re.compile(r"^/(?:[^/]+/)+list\.htm$"),
}
_LATER_PAGE = re.compile(r"/\d+\.htm$")
# A site's (or a sub-site's: english/index.htm) home page, no column of it.
_HOME_PAGE = re.compile(r"(?:^|/)(?:index|main)\.html?$|/$")
# The navigation: <nav>, or a block whose class or id says nav / menu / 导航 (daohang).
_NAV_LINKS = ("//a[@href][ancestor-or-self::*[self::nav or re:test(concat(' ', @class, ' ', @id, ' '), "
              "'nav|menu|daohang', 'i')]]")
_REGEX_NS = {"re": "http://exslt.org/regular-expressions"}
_TITLE_PARTS = re.compile(r"\s*[-_|｜–—]+\s*")
MAX_COLUMNS = 30  # nav links checked (each costs a list page and an article): real navs list dozens


class DiscoveryError(Exception):
    """Discovery found no portal it can crawl there; the message is one line for a person."""


# Where VSB answers the related box its articles fill with _showRelated(owner, newsid): the
# only way to the articles no list page names, so a discovered profile must not lack it.
VSB_RELATED = "system/resource/code/news/related.jsp?owner={owner}&newsid={newsid}"


@dataclass
class FoundColumn:
    name: str
    path: str  # relative to the portal's base URL, as a profile's Column has it
    list_url: str
    listed: int  # articles on its first list page
    sample_url: str
    sample_title: str = ""
    sample_error: str = ""  # why the sample article did not extract, if it did not
    title_suffix: str = ""  # what the CMS appends to the sample's <title>
    related: bool = False  # the sample fills a 相关文章 box by VSB's _showRelated(owner, newsid)

    @property
    def slug(self) -> str:
        return Column(self.path, self.name).slug


@dataclass
class Skipped:
    url: str
    name: str
    reason: str
    # "unreachable": its list page could not be had for now (network, 429/5xx after the
    # retries): a crawl tries it, and records it as failed if it still cannot have it.
    # "other_family": its pages are the other CMS family's. "": no news column.
    kind: str = ""


@dataclass
class Discovery:
    """What discovery found at ``url``: enough to write a profile (``portal()``)."""

    url: str  # the home page asked for
    base_url: str
    cms: str  # vsb | webplus
    recognised_by: str  # "markers" (the home page is that CMS's output) or "links" (its links have that CMS's shapes)
    title: str
    columns: list[FoundColumn]
    skipped: list[Skipped] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    title_suffix: str = ""
    related_endpoint: str | None = None

    def portal(self, name: str, *, unreachable: bool = False) -> Portal:
        """The profile: the columns found, in navigation order, and the first one's sample
        article; with ``unreachable``, also the columns whose list page could not be had for
        now (a crawl asks for them again, and a column still down is a recorded failure
        rather than a column left out without a word)."""
        sample = next((c for c in self.columns if not c.sample_error), self.columns[0])
        columns = [Column(c.path, c.name) for c in self.columns]
        if unreachable:
            columns += [Column(urlsplit(s.url).path.lstrip("/"), s.name) for s in self.skipped if s.kind == "unreachable"]
        return Portal(
            name=name,
            title=self.title or urlsplit(self.base_url).netloc,
            base_url=self.base_url,
            columns=tuple(columns),
            cms=self.cms,
            sample_article=urlsplit(sample.sample_url).path.lstrip("/"),
            title_suffix=self.title_suffix,
            related_endpoint=self.related_endpoint,
        )

    def as_dict(self) -> dict:
        data = asdict(self)
        for column, found in zip(data["columns"], self.columns):
            column["slug"] = found.slug
        return data


def discover(url: str, settings=None, *, max_columns: int = MAX_COLUMNS) -> Discovery:
    """Read the portal whose home page is at ``url`` under the crawl ``settings`` (a Scrapy
    Settings; None: NewsCrawl's defaults): its CMS, the columns its navigation links to, each column's list page and
    first listed article. Raises DiscoveryError (one line) when there is nothing to crawl."""
    if _absolute(url, url) is None:
        raise DiscoveryError(f"{url!r} is not an http(s) URL")
    if settings is None:
        settings = Settings()
        settings.setmodule("newscrawl.settings", priority="project")
    base_url = origin(url)
    fetcher = Fetcher(base_url, FetchConfig.from_settings(settings))
    try:
        home = _html_page(fetcher, url, "the home page")
        doc = parse_html(home.text)
        cms, recognised_by = _family(home, doc)
        candidates, dropped = _nav_columns(doc, home.url, base_url, cms)
        if not candidates:
            raise DiscoveryError(f"{url}: {_why_no_nav(doc, dropped, cms)}")
        columns, skipped = _check_columns(fetcher, candidates[:max_columns], cms)
        skipped += [Skipped(u, n, "not checked: more than --max-columns links in the navigation")
                    for u, n in candidates[max_columns:]]
        if not columns:
            reasons = "; ".join(f"{s.name} ({s.url}): {s.reason}" for s in skipped[:3])
            raise DiscoveryError(f"{url}: none of the {len(candidates)} column(s) in the navigation lists {cms} articles ({reasons})")
    except FetchError as exc:
        raise DiscoveryError(str(exc)) from exc
    return Discovery(url=url, base_url=base_url, cms=cms, recognised_by=recognised_by, title=_site_title(doc),
                     columns=columns, skipped=skipped, requests=list(fetcher.requested),
                     title_suffix=next((c.title_suffix for c in columns if c.title_suffix), ""),
                     related_endpoint=VSB_RELATED if cms == "vsb" and any(c.related for c in columns) else None)


def _html_page(fetcher: Fetcher, url: str, what: str) -> Page:
    page = fetcher.get(url)
    if page.status != 200:
        raise FetchError(f"{url}: {what} answered HTTP {page.status}", transient=page.status in fetcher.config.retry_codes)
    if not page.is_html:
        raise FetchError(f"{url}: {what} is not HTML ({page.content_type or 'no Content-Type'})")
    if not page.text.strip():
        raise FetchError(f"{url}: {what} is empty")
    return page


def _family(home: Page, doc) -> tuple[str, str]:
    """The CMS family the home page is the output of, by its markers, else by the shapes of
    its links (a home page template may carry no marker); neither is no portal we can crawl."""
    cms = detect_cms(home.text)
    if cms in FAMILIES:
        return cms, "markers"
    paths = [urlsplit(_absolute(home.url, href) or "").path for href in doc.xpath("//a/@href")]
    for family in ("webplus", "vsb"):
        pattern = re.compile(FAMILIES[family].article_pattern)
        if any(pattern.search(p) for p in paths):
            return family, "links"
    raise DiscoveryError(f"{home.url}: not a VSB or WebPlus portal (the home page has neither's markers nor links to "
                         "their article pages); discover knows those two CMS families")


def _nav_columns(doc, home_url: str, base_url: str, cms: str) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """(list URL, name) of each column the navigation links to, in its order, each once;
    and how many nav links were dropped, by why."""
    pattern, article = LIST_PAGE[cms], re.compile(FAMILIES[cms].article_pattern)
    found: dict[str, str] = {}
    dropped = {"off the portal": 0, "not a list page": 0, "without a name": 0}
    for a in doc.xpath(_NAV_LINKS, namespaces=_REGEX_NS):
        url = _absolute(home_url, a.get("href"))
        if url is None or not in_scope(url, base_url):
            dropped["off the portal" if url and url.startswith(("http://", "https://")) else "not a list page"] += 1
            continue
        path = urlsplit(url).path
        if not pattern.match(path) or article.search(path) or _LATER_PAGE.search(path) or _HOME_PAGE.search(path):
            dropped["not a list page"] += 1
            continue
        name = normalise_line(a.text_content()) or normalise_line(a.get("title") or "")
        if not name:
            dropped["without a name"] += 1
            continue
        found.setdefault(url, name)
    return list(found.items()), dropped


def _absolute(base: str, href: str | None) -> str | None:
    """``href`` as an absolute http(s) URL without query or fragment; None for javascript:,
    mailto: and links no URL can be made of."""
    if not href or not href.strip():
        return None
    try:
        parts = urlsplit(urljoin(base, href.strip()))
        parts.port  # noqa: B018 (a port that is no number raises here)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


def _why_no_nav(doc, dropped: dict[str, int], cms: str) -> str:
    if not doc.xpath(_NAV_LINKS, namespaces=_REGEX_NS):
        return "no column navigation on the home page (no <nav> or nav/menu block with links)"
    counts = ", ".join(f"{n} {why}" for why, n in dropped.items() if n)
    return f"the navigation links to no {cms} list page on the portal ({counts})"


def _check_columns(fetcher: Fetcher, candidates: list[tuple[str, str]], cms: str):
    """Each candidate's first list page and first listed article: the columns that list
    articles, and the rest with the reason."""
    rules = GENERIC[cms]
    columns: list[FoundColumn] = []
    skipped: list[Skipped] = []
    seen_lists: dict[tuple[str, ...], str] = {}
    slugs: dict[str, str] = {}
    for url, name in candidates:
        try:
            page = _html_page(fetcher, url, "its list page")
        except FetchError as exc:
            skipped.append(Skipped(url, name, str(exc).removeprefix(f"{url}: "), "unreachable" if exc.transient else ""))
            continue
        other = _other_family(page, cms)
        if other:
            skipped.append(Skipped(url, name, other, "other_family"))
            continue
        listing = extract_listing(page.body, page.url, rules)
        listed = [a for a in listing.articles if in_scope(a.url, fetcher.base_url)]
        if not listed:
            skipped.append(Skipped(url, name, f"its list page lists no {cms} articles on the portal"))
            continue
        if listing.pages is None and not _has_list_rows(page, rules):
            # A page about the school (学院简介) with a sidebar of news links is no column.
            skipped.append(Skipped(url, name, f"not a {cms} list page (no list rows, no pager)"))
            continue
        key = tuple(a.url for a in listed)
        if key in seen_lists:  # a parent column showing its first child's list
            skipped.append(Skipped(url, name, f"lists the same articles as {seen_lists[key]}"))
            continue
        column = FoundColumn(name, urlsplit(url).path.lstrip("/"), url, len(listed), listed[0].url)
        if column.slug in slugs:  # the crawl keys a column's walk by its slug
            skipped.append(Skipped(url, name, f"same slug ({column.slug}) as {slugs[column.slug]}"))
            continue
        seen_lists[key], slugs[column.slug] = name, name
        _read_sample(fetcher, column, rules)
        columns.append(column)
    return columns, skipped


def _other_family(page: Page, cms: str) -> str:
    """Why ``page`` is no page of a ``cms`` portal's crawl, if its markers name the other family
    (a VSB portal whose newer columns run on WebPlus): the crawl reads every page of a portal
    by its family's rules, so what the other family's rules alone can read would fail each run."""
    family = detect_cms(page.text)
    if family in FAMILIES and family != cms:
        return f"a {family} page on a {cms} portal: a crawl reads a portal by one family's rules, and would fail on it every run"
    return ""


def _has_list_rows(page: Page, rules: Portal) -> bool:
    """Does the page hold the family's list rows (VSB's li#line_u…, WebPlus's wp_news_w…),
    not only article links somewhere (the catch-all a[href] every family ends with)?"""
    doc = Selector(root=parse_html(page.text), type="html")
    return any(doc.css(query) for query in rules.selector("list_links") if query != "a[href]")


def _read_sample(fetcher: Fetcher, column: FoundColumn, rules: Portal) -> None:
    """Fetch and extract the column's first listed article: its title, or why it failed."""
    try:
        page = _html_page(fetcher, column.sample_url, "the article")
        other = _other_family(page, rules.cms)
        if other:
            raise ExtractionError(other)
        article = extract(page.body, page.url, rules, column=column.name)
    except (FetchError, ExtractionError) as exc:
        column.sample_error = str(exc).removeprefix(f"{column.sample_url}: ")
        return
    column.sample_title = article.title
    column.related = "_showRelated(" in page.text
    column.title_suffix = _title_suffix(page, article.title)


def _title_suffix(page: Page, title: str) -> str:
    """What the CMS appends to an article's <title> ("-西安交通大学新闻网"), if the sample shows it."""
    found = parse_html(page.text).xpath("string(//title)")
    full = normalise_line(found) if isinstance(found, str) else ""
    if title and full.startswith(title) and full != title:
        return full[len(title):]
    return ""


def _site_title(doc) -> str:
    """The portal's name from the home page's <title>, without a "首页" part."""
    found = doc.xpath("string(//title)")
    parts = [p for p in _TITLE_PARTS.split(normalise_line(found) if isinstance(found, str) else "")
             if p and p not in ("首页", "主页", "网站首页", "Home", "home")]
    return " - ".join(parts)
