"""A hostile portal: the bundled VSB portal with traps a real portal or an attacker may set.

`HostilePortal` is a `Site` that serves the same articles as ``Site(articles, seed)`` but
turns chosen ones into traps (markup that breaks parsers, counters beyond SQLite's range,
redirects off the portal, gzip bombs, endless bodies, 429s) and adds links off the portal
to list pages, related boxes and 下页. It logs every request (time, Host header, path).
`Recorder` is the second server that links and redirects point to: it records every
connection it accepts, so a test can prove that nothing reached it.
"""
from __future__ import annotations

import html
import itertools
import json
import re
import socketserver
import struct
import threading
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Iterator
from urllib.parse import urlsplit

from newscrawl.replica import SEED, Site
from newscrawl.replica.content import COLUMNS, PER_PAGE, ReplicaArticle

# The traps, by name; a portal sets some of them (see the crawls in test_hostile_e2e.py).
MARKUP = ("nested_divs", "unclosed_fonts", "bad_img")  # article pages that break parsers
LOSS = ("bad_related_url", "huge_counters", "malformed_href")  # values urljoin/SQLite refuse
SCOPE = ("offsite_links", "offsite_redirect", "browser_offsite")  # ways off the portal
POLITENESS = ("retry_after",)
PAGINATION = ("pagination_cycle", "endless_pagination")
SIZE = ("gzip_bomb_zeros", "gzip_bomb_text", "endless_body", "endless_chunked", "dev_zero_next")

RETRY_AFTER = 5  # seconds; longer than the first retry backoff (2 s) so ignoring it shows
HUGE_COUNTS = (2**63, 10**30)  # SQLite's INTEGER ends at 2**63 - 1
BAD_URLS = ("http://[x/a.jpg", "http://[x/b.htm", "http://[x/c.htm")  # urlsplit: Invalid IPv6 URL
BOMB_SIZE = 2**30


@dataclass(frozen=True)
class Logged:
    at: float  # time.monotonic() when the request arrived
    host: str  # its Host header
    path: str  # path and query


class HostilePortal(Site):
    """``Site(articles, seed)`` with ``traps`` set; ``other`` is the `Recorder`'s base URL.

    ``secret`` is a file:// URL of a local file a crawl must never read. Set ``base_url``
    once the portal is served: links to the portal under another host name need its port.
    """

    def __init__(self, articles: int, seed: int, *, other: str, traps: tuple[str, ...], secret: str = ""):
        unknown = set(traps) - set(MARKUP + LOSS + SCOPE + POLITENESS + PAGINATION + SIZE)
        assert not unknown, f"unknown traps {unknown}"
        self.traps = frozenset(traps)
        self.other = other
        self.other_host_url = other.replace("127.0.0.1", "localhost")  # another host name, same machine
        self.secret = secret
        self.base_url = ""
        self.log: list[Logged] = []
        super().__init__(articles=articles, seed=seed)
        self.trapped: dict[str, ReplicaArticle] = self._choose()
        for trap, count in zip(("huge_counters_0", "huge_counters_1"), HUGE_COUNTS):
            if trap in self.trapped:
                self.trapped[trap].base_views = count

    # -- which articles carry which trap ---------------------------------------------------
    def _choose(self) -> dict[str, ReplicaArticle]:
        """Trap name -> the listed article that carries it. Never the seed, a cross-post, or
        the only way to an unlisted article, so a trap that fails its article takes no other
        article with it."""
        referrers: dict[int, list[int]] = {}
        for art in self.articles:
            for r in art.related:
                referrers.setdefault(r, []).append(art.id)
        sole = {refs[0] for aid, refs in referrers.items() if len(refs) == 1 and not self.by_id[aid].listed}
        usable = [a for a in sorted(self.articles, key=lambda a: a.id) if a.listed and a.alias_id is None and a.id != SEED.id]
        pages = [a for a in usable if a.id not in sole]
        roles = [t for t in MARKUP + ("huge_counters_0", "huge_counters_1", "offsite_redirect", "retry_after")
                 + SIZE[:4] if t in self.traps or t.removesuffix("_0").removesuffix("_1") in self.traps]
        assert len(roles) <= len(pages), "too few articles for these traps"
        chosen = dict(zip(roles, pages))
        # Related boxes are rewritten on articles that keep their own page, those whose box
        # also names an unlisted article first: losing the whole box then loses an article.
        boxes = [t for t in ("bad_related_url", "offsite_links") if t in self.traps]
        rest = [a for a in usable if a not in chosen.values()]
        rest.sort(key=lambda a: not any(not self.by_id[r].listed for r in a.related))
        chosen |= {f"box:{t}": a for t, a in zip(boxes, rest)}
        return chosen

    def trap_of(self, path: str) -> str | None:
        return next((t for t, a in self.trapped.items() if not t.startswith("box:") and a.path == path), None)

    # -- what the portal links, on the portal ------------------------------------------------
    def listed_paths(self) -> set[str]:
        """Article paths the list pages link (on the portal)."""
        return {p for entries in self.lists.values() for p, _ in entries}

    def related_paths(self, path: str) -> set[str]:
        """Article paths the related box of the article at ``path`` links (on the portal)."""
        art = self.by_path.get(path)
        return {self.by_id[r].path for r in art.related} if art else set()

    def offsite_targets(self) -> list[str]:
        """Links off the portal this portal hands out in list rows and related boxes."""
        port = urlsplit(self.other).port
        targets = [
            "http://evil.invalid/info/1002/1.htm",
            f"{self.other_host_url}/info/1002/2.htm",  # another host (resolves to this machine)
            f"{self.other}/info/1002/3.htm",  # the portal's host, another port
            "file:///etc/hostname",
            "ftp://127.0.0.1/x",
            f"ftp://127.0.0.1:{port}/info/1002/4.htm",
        ]
        if self.base_url:  # the portal itself under another host name: a real article
            targets.append(self.base_url.replace("127.0.0.1", "localhost") + self.articles[-1].path)
        return targets + ([self.secret] if self.secret else [])

    # -- HTTP ----------------------------------------------------------------------------------
    def handle(self, raw_path: str, headers=None):
        self.log.append(Logged(time.monotonic(), (headers or {}).get("Host", ""), raw_path))
        return super().handle(raw_path, headers)

    def _route(self, path: str, query: dict[str, list[str]]):
        trap = self.trap_of(path)
        if trap == "offsite_redirect":
            return 302, {"Location": self.other + path}, b""
        if trap == "retry_after" and self.requests[path] == 1:
            return 429, {"Content-Type": "text/html", "Retry-After": str(RETRY_AFTER)}, b"<h1>Too Many Requests</h1>"
        if trap in ("gzip_bomb_zeros", "gzip_bomb_text"):
            unit = b"\0" if trap == "gzip_bomb_zeros" else b"<p>"
            return 200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, gzip_bomb(unit, BOMB_SIZE)
        if trap in ("endless_body", "endless_chunked"):
            headers = {"Content-Type": "text/html; charset=UTF-8"}
            if trap == "endless_chunked":
                headers["Transfer-Encoding"] = "chunked"
            return "stream", headers, _endless(self.by_path[path].title, chunked=trap == "endless_chunked")
        if path.startswith("/index/") and re.fullmatch(r"/index/\w+/more\d+\.htm", path):
            return self._page(self._endless_list(path))
        status, headers, body = super()._route(path, query)
        if path == "/system/resource/code/news/related.jsp":
            body = self._related(int(query["newsid"][0]), body)
        return status, headers, body

    def _related(self, newsid: int, body: bytes) -> bytes:
        entries = json.loads(body)
        if self.trapped.get("box:bad_related_url", None) is self.by_id.get(newsid):
            entries.insert(len(entries) // 2, {"url": BAD_URLS[1], "title": "坏链接"})
        if self.trapped.get("box:offsite_links", None) is self.by_id.get(newsid):
            entries[1:1] = [{"url": u, "title": "站外链接"} for u in self.offsite_targets()]
        return json.dumps(entries, ensure_ascii=False).encode()

    def _article(self, art: ReplicaArticle, path: str) -> str:
        page = super()._article(art, path)
        if "browser_offsite" in self.traps:  # what a page's own scripts may ask a browser for
            page = page.replace("</head>", (
                f'<script src="{self.other}/evil.js"></script>'
                f'<link rel="prefetch" href="{self.other_host_url}/prefetch.htm">'
                f'<script>fetch("{self.other}/beacon").catch(function () {{}});</script></head>'))
        trap = self.trap_of(path)
        if trap not in MARKUP:
            return page
        start = page.index('<div class="v_news_content">') + len('<div class="v_news_content">')
        end = page.index("</div></div><div id=\"div_vote_id\">")
        body = page[start:end]
        if trap == "nested_divs":
            body = "<div>" * 1000 + body + "</div>" * 1000
        elif trap == "unclosed_fonts":  # a Word paste: font tags opened and never closed
            body = "".join(f'<font face="宋体" size="{i % 7 + 1}">' for i in range(3000)) + re.sub(
                r"(<p [^>]*>)", r'\1<font color="#333333">', body)
        elif trap == "bad_img":
            body = body + f'\n<p style="text-align: center;"><img src="{BAD_URLS[0]}" width="600"></p>\n'
        return page[:start] + body + page[end:]

    def _list(self, rest: str) -> str:
        page = super()._list(rest)
        slug, _, number = rest.removesuffix(".htm").partition("/")
        rows: list[tuple[str, str]] = []  # (href, title) to add among the real rows
        if "malformed_href" in self.traps and not number and slug == self._busiest().slug:
            rows.append((BAD_URLS[2], "链接写错的文章"))
        if "offsite_links" in self.traps and not number and slug == self._columns_by_size()[1].slug:
            rows += [(u, "站外文章") for u in self.offsite_targets()]
        if "dev_zero_next" in self.traps and not number and slug == self._columns_by_size()[1].slug:
            rows.append(("file:///dev/zero", "零"))
        if rows:
            page = _insert_rows(page, rows)
        if 'class="NextDisabled">下页' in page:  # the column's last page
            target = self._last_next(slug)
            if target:
                page = page.replace('<span class="NextDisabled">下页</span>',
                                    f'<a href="{html.escape(target)}" class="Next">下页</a>', 1)
        return page

    def _last_next(self, slug: str) -> str | None:
        """Where 下页 on a column's last page points, if anywhere."""
        by_size = [c.slug for c in self._columns_by_size()]
        if "pagination_cycle" in self.traps and slug == by_size[0]:
            return f"/index/{slug}.htm"  # back to page 1
        if "endless_pagination" in self.traps and slug == by_size[1]:
            return f"/index/{slug}/more1.htm"
        if "dev_zero_next" in self.traps and slug == by_size[2]:
            return "file:///dev/zero"
        if "offsite_links" in self.traps:
            port = urlsplit(self.other).port
            return {
                by_size[0]: f"{self.other}/index/{slug}/2.htm",  # the portal's host, another port
                by_size[1]: self.base_url.replace("127.0.0.1", "localhost") + f"/index/{slug}.htm",
                by_size[2]: self.secret or "file:///etc/hostname",
                by_size[3]: f"ftp://127.0.0.1:{port}/index/{slug}/2.htm",
            }[slug]
        return None

    def _endless_list(self, path: str) -> str:
        """Page N of a column that never ends: the column's newest rows again, 下页 to N+1."""
        slug, more = path.removeprefix("/index/").removesuffix(".htm").split("/")
        number = int(more.removeprefix("more"))
        page = super()._list(f"{slug}.htm").replace('href="../info/', 'href="/info/')
        pager = f'<a href="more{number + 1}.htm" class="Next">下页</a>'
        return re.sub(r'(<td nowrap align="left"><div>).*?(</div></td>)', lambda m: m[1] + pager + m[2], page, count=1)

    def _columns_by_size(self):
        return sorted(COLUMNS, key=lambda c: (-len(self.lists[c.id]), c.id))

    def _busiest(self):
        return self._columns_by_size()[0]

    def list_pages(self, slug: str) -> int:
        """How many list pages the column really has."""
        column = next(c for c in COLUMNS if c.slug == slug)
        return max(1, -(-len(self.lists[column.id]) // PER_PAGE))

    def offsite_copy(self, path: str) -> bytes | None:
        """What the second server answers for ``path``: the portal's page, marked as a copy."""
        art = self.by_path.get(path)
        if art is None:
            return None
        return Site._article(self, art, path).replace(html.escape(art.title), "离站副本" + html.escape(art.title)).encode()


def _insert_rows(page: str, rows: list[tuple[str, str]]) -> str:
    """``rows`` as list entries in the middle of the page's real ones."""
    lines = page.split("\n")
    real = [i for i, line in enumerate(lines) if line.startswith('<li id="line_u8_')]
    at = real[len(real) // 2] if real else lines.index("    <ul>") + 1
    new = [f'<li id="line_u8_x{i}"><a href="{html.escape(href)}" title="{html.escape(title)}">{html.escape(title)}</a>'
           f"<span>2024-12-01</span></li>" for i, (href, title) in enumerate(rows)]
    return "\n".join(lines[:at] + new + lines[at:])


def _endless(title: str, chunked: bool) -> Iterator[bytes]:
    """An article page that never ends."""
    head = (f'<html><head><meta charset="UTF-8"><title>{html.escape(title)}</title></head><body>'
            f'<div class="v_news_content">').encode()
    para = ("<p>" + "无穷无尽的正文。" * 64 + "</p>\n").encode() * 64
    for data in itertools.chain([head], itertools.repeat(para)):
        yield (b"%x\r\n%s\r\n" % (len(data), data)) if chunked else data


@cache
def gzip_bomb(unit: bytes, size: int) -> bytes:
    """``unit`` repeated to ``size`` bytes, gzipped about 1000:1, built in a fraction of a second.

    Each MiB is compressed once, flushed to a byte boundary with its dictionary reset, so the
    same compressed block can simply be repeated.
    """
    block = unit * (2**20 // len(unit))
    count = max(1, size // len(block))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    trailer = struct.pack("<II", crc, (len(block) * count) & 0xFFFFFFFF)
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + piece * count + end + trailer


# -- the second server -----------------------------------------------------------------------
class Recorder(socketserver.ThreadingTCPServer):
    """Accepts connections on 127.0.0.1 and records each (its first bytes, maybe none: an FTP
    client waits for a greeting). HTTP GETs get ``answer(path)`` (a page) or a 404."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, answer=lambda path: None):
        self.received: list[bytes] = []
        self.answer = answer
        super().__init__(("127.0.0.1", 0), _RecorderHandler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RecorderHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(2)
        try:
            data = self.request.recv(65536)
        except OSError:
            data = b""
        self.server.received.append(data)
        if not data.startswith(b"GET "):
            return
        path = data.split(b" ", 2)[1].decode("latin-1")
        body = self.server.answer(urlsplit(path).path)
        status = b"200 OK" if body else b"404 Not Found"
        body = body or b"<h1>404</h1>"
        self.request.sendall(b"HTTP/1.1 %s\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (status, len(body), body))


@contextmanager
def recording() -> Iterator[Recorder]:
    """A `Recorder` serving in a background thread for the duration of the block."""
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, name="recorder", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
