"""The bundled portal: a VSB news site modelled on news.xjtu.edu.cn, rendered from content.

A `Site` answers paths with (status, headers, body) and keeps count of what was asked,
so tests can check how polite and how incremental a crawl was.
"""
from __future__ import annotations

import hashlib
import html
import json
import math
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from string import Template
from urllib.parse import parse_qs, urlsplit

from newscrawl.replica import media
from newscrawl.replica.content import COLUMN_BY_ID, COLUMNS, OWNER, PER_PAGE, ReplicaArticle, generate

_PACKAGE = resources.files("newscrawl.replica")
_ARTICLE = Template(_PACKAGE.joinpath("templates/article.html").read_text(encoding="utf-8"))
_LIST = Template(_PACKAGE.joinpath("templates/list.html").read_text(encoding="utf-8"))
_HEADER = _PACKAGE.joinpath("templates/header.html").read_text(encoding="utf-8")  # logo and column nav
# The home page: the column nav, then each column's newest articles (what `newscrawl discover` reads).
_HOME = Template(_PACKAGE.joinpath("templates/home.html").read_text(encoding="utf-8"))
HOME_ARTICLES = 5  # per column on the home page
_STATIC = {
    "/system/resource/js/dynclicks.js": "static/dynclicks.js",
    "/system/resource/js/news/related.js": "static/related.js",
    "/system/resource/js/counter.js": "static/counter.js",
}
_DYNCLICKS = "/system/resource/code/news/click/dynclicks.jsp"
_DYNCLICKS_BATCH = "/system/resource/code/news/click/dynclicksbatch.jsp"  # a list page's counts at once
ROBOTS_TXT = "User-agent: *\nDisallow: /admin/\nDisallow: /system/resource/code/datainput.jsp\n"


@dataclass
class Faults:
    """Deterministic trouble: the first ``attempts`` requests of a ``share`` of paths fail.

    ``hang`` of them hang for ``hang_seconds`` instead of answering 5xx, so both retries on
    errors and retries on timeouts are exercised; later attempts succeed.
    """

    share: float = 0.0
    hang: float = 0.0
    truncate: float = 0.0  # of the faulted paths, this share is cut off mid-page instead
    hang_seconds: float = 3.0
    attempts: int = 1
    statuses: tuple[int, ...] = (500, 502, 503)
    # Exact paths (with query) whose first N requests hang, e.g. one article's counter.
    hang_paths: dict[str, int] = field(default_factory=dict)

    def roll(self, path: str) -> float:
        return int(hashlib.sha1(path.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


class Site:
    """The portal's state: its articles, the day (view counts grow daily), what was requested."""

    def __init__(self, articles: int = 300, seed: int = 0, *, charset: str = "utf-8", faults: Faults | None = None,
                 broken: bool = False, latency: float = 0.0, plain_count_offset: int = 0):
        self.seed = seed
        # A counter that tells plain requests (no browser's Sec-Fetch-Mode) another number:
        # what `auto` view counts must notice and fall back to the browser for.
        self.plain_count_offset = plain_count_offset
        self.latency = latency  # seconds each article page takes, to make a crawl last
        # Pages a template change would produce: listed, but no body / no title.
        self.broken = _broken_pages() if broken else []
        # A redirect loop between two URLs of one listed "article".
        loop = "/info/1002/199003.htm"
        self.redirects = {loop: loop + "?from=loop", loop + "?from=loop": loop} if broken else {}
        self.charset = charset
        self.faults = faults or Faults()
        self.articles: list[ReplicaArticle] = generate(articles, seed)
        self.day = 0
        self.requests: Counter[str] = Counter()
        # (time.monotonic(), path) of every request, for the rate a portal sees (bench, cluster tests).
        self.request_log: list[tuple[float, str]] = []
        # Requests being answered right now, and the most at once: the concurrency a portal
        # sees (the cluster's per-portal limit is checked against it).
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()
        self._index()

    # -- content -------------------------------------------------------------------------
    def _index(self) -> None:
        self.by_path: dict[str, ReplicaArticle] = {}
        self.by_id: dict[int, ReplicaArticle] = {}
        self.lists: dict[int, list[tuple[str, ReplicaArticle]]] = {c.id: [] for c in COLUMNS}
        # A dict, not a scan: a 10,000-article portal answers 10,000 counter requests.
        self.by_clickid = {art.clickid: art for art in reversed(self.articles)}  # the first one wins
        for art in sorted(self.articles, key=lambda a: a.published, reverse=True):
            self.by_id[art.id] = art
            if art.alias_id is not None:
                self.by_id[art.alias_id] = art
            for column_id, path in zip(art.columns, art.paths):
                self.by_path[path] = art
                if art.listed:
                    self.lists[column_id].append((path, art))
        for art in self.broken:
            self.by_path[art.path] = self.by_id[art.id] = art
            self.lists[art.columns[0]].insert(0, (art.path, art))
        for path in list(self.redirects)[:1]:
            self.lists[1002].insert(0, (path, self.broken[0]))

    def add_articles(self, count: int) -> list[ReplicaArticle]:
        """Publish ``count`` new articles, newer than every existing one."""
        with self._lock:
            newest = max(a.published for a in self.articles)
            first_id = max(max(a.id, a.alias_id or 0) for a in self.articles) + 1
            new = generate(count, self.seed + len(self.articles), first_id=first_id,
                           start=newest + timedelta(hours=1), include_seed=False)
            known = {a.title for a in self.articles}
            for art in new:  # titles must stay unique across batches
                while art.title in known:
                    art.title += "（续）"
                known.add(art.title)
                art.related = [r for r in art.related if r in {a.id for a in new}]
            self.articles.extend(new)
            self._index()
            return new

    def advance_day(self, days: int = 1) -> None:
        """Let time pass on the portal: every article's view count grows."""
        self.day += days

    def view_count(self, art: ReplicaArticle) -> int:
        return art.base_views + self.day * (art.clickid % 7 + 1)

    def article_for_clickid(self, clickid: int) -> ReplicaArticle | None:
        return self.by_clickid.get(clickid)

    # -- HTTP ---------------------------------------------------------------------------
    def is_article_page(self, path: str) -> bool:
        """Whether ``path`` (with its query) is an article page: those take ``latency``."""
        return path.startswith("/info/")

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count one request in flight while the server answers it (latency included)."""
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def handle(self, raw_path: str, headers=None) -> tuple[int, dict[str, str], bytes]:
        """The response to a GET of ``raw_path`` (path and query) with request ``headers``."""
        with self._lock:
            self.requests[raw_path] += 1
            self.request_log.append((time.monotonic(), raw_path))
            attempt = self.requests[raw_path]
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        fault = self._fault(raw_path, attempt)
        if fault:
            return fault
        try:
            status, response_headers, body = self._route(path, query)
            if self.plain_count_offset and path in (_DYNCLICKS, _DYNCLICKS_BATCH) and not (headers or {}).get("Sec-Fetch-Mode"):
                body = ",".join(str(int(n) + self.plain_count_offset) for n in body.split(b",")).encode()
            return status, response_headers, body
        except KeyError:
            return 404, {"Content-Type": "text/html"}, b"<html><body><h1>404 Not Found</h1></body></html>"

    def _fault(self, raw_path: str, attempt: int):
        f = self.faults
        if attempt <= f.hang_paths.get(raw_path, 0):
            return "hang", {}, b""
        if not f.share or raw_path == "/robots.txt" or attempt > f.attempts:
            return None
        roll = f.roll(raw_path)
        if roll >= f.share:
            return None
        if roll < f.hang:
            return "hang", {}, b""  # the server sleeps, then drops the connection
        if roll < f.hang + f.truncate and urlsplit(raw_path).path.endswith(".htm"):  # pages are cut off, not counts
            status, headers, body = self._route(urlsplit(raw_path).path, parse_qs(urlsplit(raw_path).query))
            return "truncate", headers, body[: len(body) // 2]
        return f.statuses[int(roll * 1000) % len(f.statuses)], {"Content-Type": "text/html"}, b"<h1>Server Error</h1>"

    def _route(self, path: str, query: dict[str, list[str]]):
        if path in self.redirects:
            return 302, {"Location": self.redirects[path]}, b""
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, ROBOTS_TXT.encode()
        if path in ("/", "/index.htm"):
            return self._page(self._home())
        if path.startswith("/index/"):
            return self._page(self._list(path[len("/index/"):]))
        if path.startswith("/info/"):
            return self._page(self._article(self.by_path[path], path))
        if path == "/content.jsp":  # VSB's dynamic alias of an article page
            art = self.by_id[int(query["wbnewsid"][0])]
            return self._page(self._article(art, art.path))
        if path == _DYNCLICKS:
            art = self.article_for_clickid(int(query["clickid"][0]))
            if art is None or query.get("owner", [""])[0] != str(OWNER):
                raise KeyError(path)
            return 200, {"Content-Type": "text/html"}, str(self.view_count(art)).encode()
        if path == _DYNCLICKS_BATCH:  # VSB's batch counter: the counts, comma-separated, in the order asked
            arts = [self.article_for_clickid(int(c)) for c in query["clickids"][0].split(",")]
            if None in arts or query.get("owner", [""])[0] != str(OWNER):
                raise KeyError(path)
            return 200, {"Content-Type": "text/html"}, ",".join(str(self.view_count(a)) for a in arts).encode()
        if path == "/system/resource/code/news/related.jsp":
            art = self.by_id[int(query["newsid"][0])]
            related = [{"url": self.by_id[r].path, "title": self.by_id[r].title} for r in art.related]
            return 200, {"Content-Type": "application/json"}, json.dumps(related, ensure_ascii=False).encode()
        if path in _STATIC:
            text = _PACKAGE.joinpath(_STATIC[path]).read_bytes()
            return 200, {"Content-Type": "application/javascript"}, text
        if path == "/system/_content/download.jsp":
            return 200, {"Content-Type": "application/pdf"}, media.attachment(query.get("wbfileid", [""])[0])
        if path.endswith((".jpg", ".png")):
            content_type, body = media.image(path)
            return 200, {"Content-Type": content_type}, body
        if path.endswith((".css", ".woff2")):
            return 200, {"Content-Type": "text/css"}, b""
        raise KeyError(path)

    def _page(self, text: str):
        if self.charset.lower() != "utf-8":
            text = text.replace('charset=UTF-8"', f'charset={self.charset}"')
        return 200, {"Content-Type": "text/html"}, text.encode(self.charset)

    def _home(self) -> str:
        blocks = "\n".join(
            f'<div class="column-block"><div class="block-title"><span>{c.name}</span>'
            f'<a class="more" href="index/{c.slug}.htm">更多&gt;&gt;</a></div><ul>'
            + "".join(f'<li><a href="info/{p.split("/info/", 1)[1]}" title="{html.escape(a.title)}">{html.escape(a.title)}</a>'
                      f'<span>{a.published:%Y-%m-%d}</span></li>' for p, a in self.lists[c.id][:HOME_ARTICLES])
            + "</ul></div>"
            for c in COLUMNS
        )
        return _HOME.substitute(header=_HEADER, owner=OWNER, blocks=blocks)

    def _list(self, rest: str) -> str:
        slug, _, page_part = rest.removesuffix(".htm").partition("/")
        column = next((c for c in COLUMNS if c.slug == slug), None)
        if column is None:  # a column the portal has not: 404, not a dropped connection
            raise KeyError(rest)
        entries = self.lists[column.id]
        pages = max(1, math.ceil(len(entries) / PER_PAGE))
        number = int(page_part) if page_part else pages  # the first page is pages; files count down
        if not 1 <= number <= pages or (page_part and number == pages):
            raise KeyError(rest)
        index = pages - number  # 0 for the newest page
        shown = entries[index * PER_PAGE : (index + 1) * PER_PAGE]
        rows = "\n".join(
            f'<li id="line_u8_{i}"><a href="../{"../" if page_part else ""}info/{p.split("/info/", 1)[1]}" '
            f'title="{html.escape(a.title)}">{html.escape(a.title)}</a><span>{a.published:%Y-%m-%d}</span>'
            f'<em>浏览：<span id="dynclicks_u8_{a.clickid}" name="dynclicks_u8_{a.clickid}"></span></em></li>'
            for i, (p, a) in enumerate(shown)
        )
        # As VSB list pages do: one request fills every row's counter.
        batch = (f"_showDynClickBatch([{','.join(repr(f'dynclicks_u8_{a.clickid}') for _, a in shown)}],"
                 f"[{','.join(str(a.clickid) for _, a in shown)}],\"wbnews\", {OWNER})")
        prefix = "" if page_part else f"{slug}/"
        first = "../" + slug + ".htm" if page_part else slug + ".htm"

        def link(n: int) -> str:
            return first if n == pages else f"{prefix}{n}.htm"

        pager = (
            (f'<a href="{first}" class="Prev">首页</a><a href="{link(number + 1)}" class="Prev">上页</a>'
             if number < pages else '<span class="PrevDisabled">首页</span><span class="PrevDisabled">上页</span>')
            + (f'<a href="{link(number - 1)}" class="Next">下页</a><a href="{link(1)}" class="Next">尾页</a>'
               if number > 1 else '<span class="NextDisabled">下页</span><span class="NextDisabled">尾页</span>')
        )
        return _LIST.substitute(
            header=_HEADER, column_name=column.name, column_id=column.id, owner=OWNER, rows=rows, batch=batch,
            total=len(entries), page=index + 1, pages=pages, pager=pager,
        )

    def _article(self, art: ReplicaArticle, path: str) -> str:
        column_id = int(path.split("/")[2])
        column = COLUMN_BY_ID[column_id]
        article_id = int(path.rsplit("/", 1)[1].removesuffix(".htm"))
        return _ARTICLE.substitute(
            header=_HEADER,
            title=html.escape(art.title),
            column_name=column.name,
            column_slug=column.slug,
            column_id=column_id,
            article_id=article_id,
            date=f"{art.published:%Y-%m-%d %H:%M}",
            source=html.escape(art.source),
            path=path,
            owner=OWNER,
            clickid=art.clickid,
            body=_body_html(art),
            attachments=_attachments_html(art),
        )


def _broken_pages() -> list[ReplicaArticle]:
    from newscrawl.replica.content import SHANGHAI
    from datetime import datetime

    when = datetime(2024, 12, 1, 9, 0, tzinfo=SHANGHAI)
    return [
        ReplicaArticle(id=199001, columns=[1002], title="只有标题没有正文", source="交大新闻网", published=when,
                       blocks=[], credit_lines=[], credits={}, clickid=199001),
        ReplicaArticle(id=199002, columns=[1002], title="", source="交大新闻网", published=when,
                       blocks=[("p", "正文还在，标题却不见了。")], credit_lines=[], credits={}, clickid=199002),
    ]


def _body_html(art: ReplicaArticle) -> str:
    out = []
    for kind, text in art.blocks:
        if kind == "h":
            out.append(f'<p style="text-indent:2em;"><strong>{html.escape(text)}</strong></p>')
        elif kind == "img":
            src, caption = text.split("|", 1)
            out.append(f'<p style="text-align: center;"><img src="{src}" width="600" vsbhref="vurl" '
                       f'vurl="{src}" vheight="" vwidth="600" orisrc="{src}" class="img_vsb_content"></p>')
            if caption:
                out.append(f'<p style="text-align: center;"><span style="font-family: 楷体;">{html.escape(caption)}</span></p>')
        else:
            out.append(f'<p style="text-indent:2em;">{html.escape(text)}</p>')
    for paragraph in art.credit_lines:
        lines = "<br>".join(html.escape(line) for line in paragraph.split("\n"))
        out.append(f'<p style="text-align: right;">{lines}</p>')
    return "\n".join(out)


def _attachments_html(art: ReplicaArticle) -> str:
    if not art.attachments:
        return ""
    items = "".join(f'<li>附件【<a href="{html.escape(href)}" target="_blank">{html.escape(name)}</a>】已下载<span id="nattach{art.id}"></span>次</li>'
                    for href, name in art.attachments)
    return f'<ul style="list-style-type:none;">{items}</ul>'
