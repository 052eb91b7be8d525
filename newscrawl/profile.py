"""Portal profiles: what a portal is (base URL, columns, CMS family) and where it departs from its family's rules."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from newscrawl.urls import in_scope


@dataclass(frozen=True)
class Column:
    """A news column: its first list page (``path``) and the name the portal shows."""

    path: str  # VSB: "index/jdyw.htm" (then index/jdyw/N.htm counting down); WebPlus: "1002/list.htm"
    name: str

    @property
    def slug(self) -> str:
        """The column's short name in URLs and on the command line (``jdyw``; ``1002`` for
        WebPlus's ``1002/list.htm``, where every column's page is called list.htm)."""
        folder, _, page = self.path.rpartition("/")
        page = page.removesuffix(".htm")
        return folder.rsplit("/", 1)[-1] if page == "list" and folder else page


# Selectors are ordered lists: the first that yields a non-empty value wins. These are the
# shared rules of the VSB/博达 CMS; a portal overrides a key only where its template differs.
VSB_SELECTORS: dict[str, tuple[str, ...]] = {
    "article_root": ('form[name="_newscontent_fromname"]', "body"),
    "title": (
        'meta[name="ArticleTitle" i]::attr(content)',
        "h1",
        "h2",
        "h3",
        '[class*="title"]',
        '[class*="tit"]',
        'meta[name="pageTitle" i]::attr(content)',
    ),
    "body": (
        '[id^="vsb_content"] .v_news_content',
        '[id^="vsb_content"]',
        ".v_news_content",
    ),
    "breadcrumb": ('[class*="posi"]', '[class*="position"]', '[class*="bread"]', '[class*="dqwz"]', '[class*="location"]'),
    "list_links": ('li[id^="line_u"] a[href]', "a[href]"),
    "next_page": ('a.Next:contains("下页")', 'a:contains("下页")', 'a:contains("下一页")'),
    # VSB says source and date in its info line (and in <meta>): read from there, not by selector.
    "source": (),
    "published": (),
    # What marks a column's list page (see WEBPLUS_SELECTORS); VSB's lists hold too little
    # text for the generic reader to take one for an article.
    "list_page": (),
    # Where a template names the column when it has no breadcrumb (see WEBPLUS_SELECTORS).
    "column": (),
    # Credit lines standing after the body, outside it (see WEBPLUS_SELECTORS).
    "credits_after": (),
}

# WebPlus/苏迪 (sudy): an article is a "simpleArticleAttri" portlet holding .arti_title,
# .arti_metas (.arti_publisher, .arti_update, .arti_views) and the text in .wp_articlecontent;
# a column's list is a wp_news_wN portlet, its pager a ul.wp_paging.
WEBPLUS_SELECTORS: dict[str, tuple[str, ...]] = {
    "article_root": ('[portletmode="simpleArticleAttri"]', ".article", "body"),
    # Templates spell the classes arti_title or arti-title, col_path or column-path.
    "title": (".arti_title", ".arti-title", "h1", "h2", "h3", '[class*="title"]', 'meta[name="ArticleTitle" i]::attr(content)'),
    "body": (".wp_articlecontent", ".read", ".entry"),
    "breadcrumb": (".col_path", ".column-path", '[class*="posi"]', '[class*="bread"]', '[class*="location"]'),
    "list_links": ('[id^="wp_news_w"] a[href]', ".news_list a[href]", "a[href]"),
    "next_page": (".wp_paging a.next", 'a:contains("下一页")', 'a:contains("下页")'),
    "source": (".arti_publisher", ".arti_source"),
    "published": (".arti_update", ".arti-update", ".arti_date"),
    # A column's list: its simpleList portlet and its pager. A page with these and no article
    # body is a list page; the generic reader would take its pager box for the article.
    "list_page": ('[portletmode="simpleList"]', '[id^="wp_paging_w"]', "ul.wp_paging"),
    # Without a breadcrumb the column's simpleColumnAttri portlet still shows its name.
    "column": ('[portletmode="simpleColumnAttri"] .col_title', '[portletmode="simpleColumnAttri"] .column-title'),
    # Some templates print 编辑：… and 责任编辑：… as .arti_publisher lines below the text.
    "credits_after": (".arti_publisher",),
}


@dataclass(frozen=True)
class Family:
    """A CMS family: the rules every portal it runs shares, so a profile names only what differs."""

    name: str  # what Article.cms and Article.extraction say: vsb | webplus
    selectors: dict[str, tuple[str, ...]]
    # Where articles live (a regex on the URL's path): the crawl follows these, and only these.
    article_pattern: str
    # The pager's text with (total, page, pages), in that order: "共120条 1/6" on VSB.
    pager: str
    # The breadcrumb of an article page ends in this word ("正文"), or in the column ("").
    crumb_end: str
    # How its article pages show the view counter (see newscrawl.extract.counter): VSB's
    # _showDynClicks script ("dynclicks"), WebPlus's WP_VisitCount span ("visitcount").
    counter: str


FAMILIES: dict[str, Family] = {
    "vsb": Family(
        name="vsb",
        selectors=VSB_SELECTORS,
        # /info/<column-id>/<article-id>.htm
        article_pattern=r"/info/\d+/\d+\.htm$",
        # Counts of at most nine digits: a longer run is no pager of a news column.
        pager=r"共\s*(\d{1,9})\s*条.*?(?<!\d)(\d{1,9})\s*/\s*(\d{1,9})(?!\d)",
        crumb_end="正文",
        counter="dynclicks",
    ),
    "webplus": Family(
        name="webplus",
        selectors=WEBPLUS_SELECTORS,
        # /2025/0430/c1002a213245/page.htm: the date is when the article was created in the
        # CMS, not when it was published; .psp is the dynamic form of the same page.
        article_pattern=r"/\d{4}/\d{4}/c\d+a\d+/page\.(?:htm|psp)$",
        # 每页 20 记录 总共 300 记录 … 页码 1/15
        pager=r"总共\s*(\d{1,9})\s*记录[\s\S]*?页码\s*(\d{1,9})\s*/\s*(\d{1,9})(?!\d)",
        crumb_end="",
        counter="visitcount",
    ),
}


@dataclass(frozen=True)
class Portal:
    """A university news portal, declared as data.

    Only what differs from its CMS family's rules (``cms``: VSB unless said) needs to be
    given: most portals are a name, a base URL and their columns.
    """

    name: str
    title: str
    base_url: str
    columns: tuple[Column, ...]
    selectors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Suffix the CMS appends to <title>, stripped when the title comes from there.
    title_suffix: str = ""
    # Related articles are filled by JavaScript from this endpoint (relative to base_url);
    # ``{clickid}`` and ``{owner}`` come from the page's counter script.
    related_endpoint: str | None = None
    timezone: str = "Asia/Shanghai"
    # Where the portal's articles live; "" is its family's pattern (/info/C/A.htm on VSB).
    article_pattern: str = ""
    # Politeness this portal asks for beyond the project defaults (None: the defaults):
    # requests at a time to its host, and seconds between them.
    concurrency: int | None = None
    delay: float | None = None
    # Other hosts whose pages count as this portal's (a crawl never leaves the portal else).
    extra_hosts: tuple[str, ...] = ()
    # One article page of the portal (a path), the sample `scrapy check` reads (contracts).
    sample_article: str = ""
    # The CMS family the portal runs (a key of FAMILIES): vsb (VSB/博达) or webplus (WebPlus/苏迪).
    cms: str = "vsb"

    def __post_init__(self):
        if self.cms not in FAMILIES:
            raise ValueError(f"portal {self.name}: unknown cms {self.cms!r}; known: {', '.join(FAMILIES)}")
        if not self.article_pattern:
            object.__setattr__(self, "article_pattern", self.family.article_pattern)
        if not self.name or not self.name.isidentifier():
            raise ValueError(f"portal name must be an identifier, got {self.name!r}")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"portal {self.name}: base_url must be http(s)://host, got {self.base_url!r}")
        if not self.columns:
            raise ValueError(f"portal {self.name}: needs at least one column")
        unknown = set(self.selectors) - set(self.family.selectors)
        if unknown:
            raise ValueError(f"portal {self.name}: unknown selector keys {sorted(unknown)}")

    @property
    def family(self) -> Family:
        return FAMILIES[self.cms]

    def selector(self, key: str) -> tuple[str, ...]:
        """The portal's own selectors for ``key``, then its family's."""
        return tuple(self.selectors.get(key, ())) + self.family.selectors[key]

    def with_base_url(self, base_url: str) -> "Portal":
        """The same portal served elsewhere (the local replica, a mirror)."""
        return replace(self, base_url=base_url.rstrip("/"))

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    def select_columns(self, slugs: tuple[str, ...]) -> tuple[Column, ...]:
        """The columns named by ``slugs`` (all when none), each by slug (jdyw) or by name
        (今日交大); an unknown one is a ValueError naming the valid ones."""
        if not slugs:
            return self.columns
        known = {c.slug: c for c in self.columns} | {c.name: c for c in self.columns}
        unknown = [s for s in slugs if s not in known]
        if unknown:
            listed = ", ".join(f"{c.slug} ({c.name})" for c in self.columns)
            raise ValueError(f"unknown column(s) {', '.join(unknown)}; {self.name} has: {listed}")
        return tuple(dict.fromkeys(known[s] for s in slugs))

    def in_scope(self, url: str) -> bool:
        """May a crawl of this portal request ``url``? (see `newscrawl.urls.in_scope`)"""
        return in_scope(url, self.base_url, self.extra_hosts)


GENERIC_VSB = Portal(
    name="vsb",
    title="Any VSB/博达 portal",
    base_url="http://localhost",
    columns=(Column("index.htm", ""),),
)
GENERIC_WEBPLUS = Portal(
    name="webplus",
    title="Any WebPlus/苏迪 portal",
    base_url="http://localhost",
    columns=(Column("main.htm", ""),),
    cms="webplus",
)
# The rules a page with no profile is read by, once its CMS is recognised (see extract).
GENERIC = {"vsb": GENERIC_VSB, "webplus": GENERIC_WEBPLUS}
