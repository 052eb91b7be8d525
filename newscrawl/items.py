"""The article item and its parts: what extraction produces and the pipelines store."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class Image:
    url: str
    caption: str = ""


@dataclass
class Attachment:
    url: str
    name: str = ""


@dataclass
class Article:
    """One article page as the portal published it.

    Raw strings the portal printed (``published_raw``) are kept beside their parsed value
    so a wrong parse can be diagnosed and re-done from the archive alone.
    """

    url: str
    portal: str = ""
    column: str = ""
    title: str = ""
    source: str = ""
    published_at: str | None = None  # ISO 8601, Asia/Shanghai (+08:00)
    published_raw: str = ""
    # day | minute | second: how much of published_at the page printed (a day-only date is
    # stored at midnight, which this tells apart from a printed 00:00); None without a date.
    published_precision: str | None = None
    body_text: str = ""
    body_html: str = ""
    images: list[Image] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    credits: dict[str, list[str]] = field(default_factory=dict)
    related: list[str] = field(default_factory=list)
    view_count: int | None = None
    view_count_method: str | None = None  # browser | direct: how the count was read
    # How the page's view counter can be read: {"clicktype", "owner", "clickid"} on VSB;
    # {"kind": "webplus", "url", "site_id", "article_id", "type"} on WebPlus (GET url answers the count).
    counter: dict | None = None
    extraction: str = "vsb"  # "vsb", "webplus" or "generic": which rules produced the fields
    # The CMS whose output the page is, by its markers: "vsb", "webplus" or "generic" (none
    # recognised); "" when no page was read. Not always the rules used: see extraction.
    cms: str = ""
    fetched_at: str | None = None
    # Pipeline-only data (_PIPELINE_ONLY), never part of the article's identity nor exported.
    raw_html: bytes | None = field(default=None, repr=False)
    http_status: int | None = None
    http_headers: dict | None = field(default=None, repr=False)
    requested_url: str | None = None  # the URL asked for, before redirects: its frontier row goes with it
    # Images and attachments fetched with `crawl --assets` (archive.assets.Asset, bytes included).
    assets: list = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        """The article as data (what feed exports and ``newscrawl extract`` write)."""
        data = asdict(self)
        return {key: data[key] for key in EXPORTED_FIELDS}


# Everything but the crawl's own bookkeeping (the raw page travels to the archive, not to
# feed exports: `scrapy crawl xjtu -O articles.jsonl`).
_PIPELINE_ONLY = {"raw_html", "http_status", "http_headers", "requested_url", "assets"}
EXPORTED_FIELDS = tuple(f.name for f in fields(Article) if f.name not in _PIPELINE_ONLY)


@dataclass
class PageFailure:
    """A page that could not be fetched or extracted: stored as data, retried next run."""

    url: str
    portal: str
    # http | network | redirect | offsite | too_large | truncated | encoding | extraction |
    # validation | view_count | asset (an image or attachment not stored: crawl --assets) |
    # internal (an unexpected exception: a bug, recorded, not lost)
    kind: str
    reason: str
