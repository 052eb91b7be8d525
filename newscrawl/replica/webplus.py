"""The bundled portal as a WebPlus/苏迪 (sudy) site serves it: the same articles, WebPlus's URLs and markup.

Beside the VSB replica (`newscrawl.replica.site`), so both CMS families are crawled end to
end. What differs is WebPlus's: columns at ``/<column-id>/list.htm`` paged ``listN.htm``
(N counting up from 2 for older pages), articles at ``/YYYY/MMDD/c<column>a<article>/page.htm``
where the date is the day the article was created in the CMS (not its publication date),
and a view counter that the page's script reads from ``/_visitcountdisplay``.
"""
from __future__ import annotations

import hashlib
import html
import math
import re
from datetime import timedelta
from importlib import resources
from string import Template
from urllib.parse import urlsplit

from newscrawl.replica import media
from newscrawl.replica.content import COLUMN_BY_ID, COLUMNS, PER_PAGE, ReplicaArticle
from newscrawl.replica.site import HOME_ARTICLES, Site

_PACKAGE = resources.files("newscrawl.replica")
_ARTICLE = Template(_PACKAGE.joinpath("templates/webplus_article.html").read_text(encoding="utf-8"))
_LIST = Template(_PACKAGE.joinpath("templates/webplus_list.html").read_text(encoding="utf-8"))
# main.htm: the column nav (the header), then a news portlet of each column's newest articles.
_HOME = Template(_PACKAGE.joinpath("templates/webplus_home.html").read_text(encoding="utf-8"))
# The column's name and breadcrumb, above its list and above each of its articles.
_COLUMN_HEAD = Template(_PACKAGE.joinpath("templates/webplus_column.html").read_text(encoding="utf-8"))
_STATIC = {
    "/_js/jquery.sudy.wp.visitcount.js": "static/webplus_visitcount.js",
}
SITE_ID = 55  # WebPlus's siteId, in the counter's URL
COUNTER = "/_visitcountdisplay"
_LIST_PATH = re.compile(r"/(\d+)/list(\d*)\.htm")
ROBOTS_TXT = "User-agent: *\nDisallow: /_web/\nDisallow: /_wp3services/\n"


def created(art: ReplicaArticle):
    """When the article was created in the CMS, the date in its URL: up to two days before
    it was published, so a reader that takes the URL's date for the publication date is wrong."""
    return art.published - timedelta(days=art.id % 3)


def article_paths(art: ReplicaArticle) -> list[str]:
    """The article's URLs on the WebPlus portal: its own column's first, then a cross-post's."""
    day = created(art)
    ids = [art.id] + ([art.alias_id] if art.alias_id is not None else [])
    return [f"/{day:%Y}/{day:%m%d}/c{column}a{article}/page.htm" for column, article in zip(art.columns, ids)]


def attachment_path(art: ReplicaArticle, index: int) -> str:
    digest = hashlib.sha1(f"{art.id}/{index}".encode()).hexdigest()
    return f"/_upload/article/files/{digest[:2]}/{digest[2:4]}/{digest[4:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}.pdf"


def attachments(art: ReplicaArticle) -> list[tuple[str, str]]:
    """(path, name) of the article's attachments as WebPlus keeps them (under /_upload/)."""
    return [(attachment_path(art, i), name) for i, (_href, name) in enumerate(art.attachments)]


def body_text(art: ReplicaArticle) -> str:
    """What a correct extractor returns: WebPlus puts the attachment links inside the
    article's text, so their names are lines of it (after the text, before the credits)."""
    return "\n".join([art.body_text] * bool(art.body_text) + [name for _path, name in attachments(art)])


class WebPlusSite(Site):
    """The bundled portal as WebPlus serves it. A WebPlus article page has no related box, so
    every article is listed in its columns (the VSB replica hides a few behind related links)."""

    def _index(self) -> None:
        self.by_path: dict[str, ReplicaArticle] = {}
        self.by_id: dict[int, ReplicaArticle] = {}
        self.by_clickid = {}
        self.lists: dict[int, list[tuple[str, ReplicaArticle]]] = {c.id: [] for c in COLUMNS}
        self.column_of: dict[str, int] = {}
        for art in sorted(self.articles, key=lambda a: a.published, reverse=True):
            self.by_id[art.id] = art
            for column_id, path in zip(art.columns, article_paths(art)):
                self.by_path[path] = art
                self.column_of[path] = column_id
                self.lists[column_id].append((path, art))

    def is_article_page(self, path: str) -> bool:
        return urlsplit(path).path in self.by_path

    def _route(self, path: str, query: dict[str, list[str]]):
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, ROBOTS_TXT.encode()
        if path in ("/", "/main.htm"):
            return self._page(self._home())
        m = _LIST_PATH.fullmatch(path)
        if m:
            return self._page(self._webplus_list(int(m.group(1)), int(m.group(2) or 1), bool(m.group(2))))
        if path in self.by_path:
            return self._page(self._webplus_article(self.by_path[path], path))
        if path == COUNTER:
            art = self.by_id.get(int(query.get("articleId", ["0"])[0] or 0))
            if art is None or query.get("siteId", [""])[0] != str(SITE_ID):
                raise KeyError(path)
            return 200, {"Content-Type": "text/html;charset=UTF-8"}, str(self.view_count(art)).encode()
        if path in _STATIC:
            return 200, {"Content-Type": "application/javascript"}, _PACKAGE.joinpath(_STATIC[path]).read_bytes()
        if path.startswith("/_upload/article/files/") and path.endswith(".pdf"):
            return 200, {"Content-Type": "application/pdf"}, media.attachment(path.rsplit("/", 1)[1])
        if path.endswith((".jpg", ".png", ".gif")):
            content_type, body = media.image(path)
            return 200, {"Content-Type": content_type}, body
        if path.endswith((".css", ".js")):
            return 200, {"Content-Type": "text/css" if path.endswith(".css") else "application/javascript"}, b""
        raise KeyError(path)

    # -- pages ---------------------------------------------------------------------------
    def _home(self) -> str:
        blocks = "\n".join(
            f'<div class="post post{n}" frag="窗口{n}"><div class="tt"><h3 class="tit"><span class="title">{c.name}</span></h3>'
            f'<div class="more_btn"><a class="more" href="/{c.id}/list.htm" target="_self">更多</a></div></div>'
            f'<div class="con"><div id="wp_news_w{n}"><ul class="news_list clearfix">'
            + "".join(f"<li class=\"news n{i}\"><span class=\"news_title\"><a href='{p}' target='_blank' "
                      f"title='{html.escape(a.title)}'>{html.escape(a.title)}</a></span>"
                      f"<span class=\"news_meta\">{a.published:%Y-%m-%d}</span></li>"
                      for i, (p, a) in enumerate(self.lists[c.id][:HOME_ARTICLES], start=1))
            + "</ul></div></div></div>"
            for n, c in enumerate(COLUMNS, start=11)
        )
        return _HOME.substitute(header=_header(), site_id=SITE_ID, blocks=blocks)

    def _webplus_list(self, column_id: int, number: int, numbered: bool) -> str:
        column = COLUMN_BY_ID[column_id]
        entries = self.lists[column_id]
        pages = max(1, math.ceil(len(entries) / PER_PAGE))
        if not 1 <= number <= pages or (numbered and number == 1):  # page 1 is list.htm only
            raise KeyError(column_id)
        rows = "\n".join(
            f"<li class=\"news n{i + 1} clearfix\"><span class=\"news_title\"><a href='{p}' target='_blank' "
            f"title='{html.escape(a.title)}'>{html.escape(a.title)}</a></span>"
            f"<span class=\"news_meta\">{a.published:%Y-%m-%d}</span></li>"
            for i, (p, a) in enumerate(entries[(number - 1) * PER_PAGE : number * PER_PAGE])
        )

        def link(n: int) -> str:
            return f"/{column_id}/list.htm" if n == 1 else f"/{column_id}/list{n}.htm"

        void = "javascript:void(0);"
        pager = (
            f'<a class="first" href="{link(1) if number > 1 else void}" target="_self"><span>第一页</span></a>'
            f'<a class="prev" href="{link(number - 1) if number > 1 else void}" target="_self"><span>&lt;&lt;上一页</span></a>'
            f'<a class="next" href="{link(number + 1) if number < pages else void}" target="_self"><span>下一页&gt;&gt;</span></a>'
            f'<a class="last" href="{link(pages) if number < pages else void}" target="_self"><span>尾页</span></a>'
        )
        return _LIST.substitute(
            header=_header(), column_head=_column_head(column_id), site_id=SITE_ID, column_name=column.name, column_id=column_id, rows=rows,
            per_page=PER_PAGE, total=len(entries), page=number, pages=pages, pager=pager,
        )

    def _webplus_article(self, art: ReplicaArticle, path: str) -> str:
        column_id = self.column_of[path]
        first = art.blocks[0][1] if art.blocks else ""
        return _ARTICLE.substitute(
            header=_header(),
            site_id=SITE_ID,
            title=html.escape(art.title),
            description=html.escape(first[:100]),
            column_head=_column_head(column_id),
            source=html.escape(art.source),
            date=f"{art.published:%Y-%m-%d %H:%M}",
            article_id=art.id,  # the counter is the article's, under whichever column it is read
            body=_body_html(art),
        )


def _column_head(column_id: int) -> str:
    return _COLUMN_HEAD.substitute(column_id=column_id, column_name=COLUMN_BY_ID[column_id].name).rstrip("\n")


def _header() -> str:
    items = "".join(f'<li class="menu-item i{n}"><a class="menu-link" href="/{c.id}/list.htm" target="_self">{c.name}</a></li>'
                    for n, c in enumerate(COLUMNS, start=2))
    return ('<div class="wrapper header" id="header"><div class="inner">'
            '<div class="sitelogo"><a href="/main.htm"><img src="/_upload/tpl/00/37/55/template55/images/logo.png" alt="示例大学新闻网" /></a></div>'
            f'<nav class="wp-menu" frag="窗口2"><ul class="wp-menu"><li class="menu-item i1"><a class="menu-link" href="/main.htm" target="_self">首页</a></li>{items}</ul></nav>'
            '</div></div>')


def _body_html(art: ReplicaArticle) -> str:
    """The article's text as WebPlus's editor writes it: paragraphs, centred photos with
    their captions, attachment links, and the credits right-aligned at the end."""
    out = []
    for kind, text in art.blocks:
        if kind == "h":
            out.append(f'<p style="text-indent:2em;"><strong>{html.escape(text)}</strong></p>')
        elif kind == "img":
            src, caption = text.split("|", 1)
            name = src.rsplit("/", 1)[-1]
            out.append(f'<p style="text-align:center;"><img data-layer="photo" src="{src}" original-src="{src}" '
                       f"sudyfile-attr=\"{{'title':'{name}'}}\" style=\"width:600px;\" /></p>")
            if caption:
                out.append(f'<p style="text-align:center;">{html.escape(caption)}</p>')
        else:
            out.append(f'<p style="text-indent:2em;"><span style="font-size:16px;">{html.escape(text)}</span></p>')
    for path, name in attachments(art):
        out.append(f"<p><a href=\"{path}\" sudyfile-attr=\"{{'title':'{html.escape(name)}'}}\">{html.escape(name)}</a></p>")
    for paragraph in art.credit_lines:
        lines = "<br />".join(html.escape(line) for line in paragraph.split("\n"))
        out.append(f'<p style="text-align:right;">{lines}</p>')
    return "\n".join(out)
