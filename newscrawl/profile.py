"""Portal profiles: what a portal is (base URL, columns) and where it departs from VSB rules."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from newscrawl.urls import in_scope


@dataclass(frozen=True)
class Column:
    """A news column: its first list page (``path``) and the name the portal shows."""

    path: str  # e.g. "index/jdyw.htm"; pagination is index/jdyw/N.htm counting down
    name: str

    @property
    def slug(self) -> str:
        """The column's short name in URLs and on the command line (``jdyw``)."""
        return self.path.rsplit("/", 1)[-1].removesuffix(".htm")


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
}


@dataclass(frozen=True)
class Portal:
    """A university news portal, declared as data.

    Only what differs from the VSB defaults needs to be given: most portals are a name, a
    base URL and their columns.
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
    # Articles live at /info/<column-id>/<article-id>.htm on VSB.
    article_pattern: str = r"/info/\d+/\d+\.htm$"
    # Politeness this portal asks for beyond the project defaults (None: the defaults):
    # requests at a time to its host, and seconds between them.
    concurrency: int | None = None
    delay: float | None = None
    # Other hosts whose pages count as this portal's (a crawl never leaves the portal else).
    extra_hosts: tuple[str, ...] = ()

    def __post_init__(self):
        if not self.name or not self.name.isidentifier():
            raise ValueError(f"portal name must be an identifier, got {self.name!r}")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"portal {self.name}: base_url must be http(s)://host, got {self.base_url!r}")
        if not self.columns:
            raise ValueError(f"portal {self.name}: needs at least one column")
        unknown = set(self.selectors) - set(VSB_SELECTORS)
        if unknown:
            raise ValueError(f"portal {self.name}: unknown selector keys {sorted(unknown)}")

    def selector(self, key: str) -> tuple[str, ...]:
        return tuple(self.selectors.get(key, ())) + VSB_SELECTORS[key]

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
