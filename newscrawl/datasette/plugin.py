"""Datasette plugin hooks of the reading room: compact articles, the article page, facets, search."""
from __future__ import annotations

import html
import json
import re
import urllib.parse
import zlib

from datasette import hookimpl
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import path_with_added_args, path_with_removed_args
from datasette.utils.asgi import BadRequest, NotFound, Response
from markupsafe import Markup, escape
from sqlite_utils import Database

from archive.query import QueryError
from archive.search import select
from archive.show import load_article, published
from newscrawl.extract.text import sanitise


# What the articles table shows unless asked for other columns (`_col`, `_nocol`), and
# what asks for every column (Datasette's own "show all columns" drops `_col`).
COMPACT = ("published_at", "portal", "column", "title", "source", "view_count", "credits")
ALL_COLUMNS = "_columns"
SEARCH = "_q"  # the CLI's search, as `_search` is answered for the articles table
CREDIT = "_credit"
# Every column an article appeared under (article_columns), as `newscrawl search --column`
# counts them: Datasette's own ``column=`` matches only the column it was first seen under.
COLUMN = "_column"


def _articles_path(datasette, path: str) -> tuple[str, str] | None:
    """(database, extension) when ``path`` is a database's articles table, else None."""
    m = re.fullmatch(r"/([^/]+)/articles(\.json|\.csv)?", path)
    if m and urllib.parse.unquote(m[1]) in datasette.databases:
        return m[1], m[2] or ""
    return None


@hookimpl
def asgi_wrapper(datasette):
    """Two changes to requests for the articles table, made before Datasette sees them.

    A page of articles with no choice of columns is sent to the compact columns (a
    redirect, so the address, Datasette's column menu and its links all carry them).
    ``_search`` becomes ``_q``, answered by archive/search.py as `newscrawl search` answers
    it: Datasette would hand every term to the trigram index, where a term of one or two
    characters matches nothing. ``_searchmode=raw`` keeps Datasette's FTS query syntax.
    """

    def wrap(app):
        async def inner(scope, receive, send):
            where = _articles_path(datasette, scope.get("path", "")) if scope["type"] == "http" else None
            if where and scope.get("method") in ("GET", "HEAD"):
                pairs = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
                keys = {k for k, _ in pairs}
                if "_search" in keys and "_searchmode" not in keys:
                    pairs = [(SEARCH if k == "_search" else k, v) for k, v in pairs]
                    scope = dict(scope, query_string=urllib.parse.urlencode(pairs).encode("latin-1"))
                if not where[1] and not keys & {"_col", "_nocol", ALL_COLUMNS}:
                    pairs += [("_col", c) for c in COMPACT]
                    location = scope.get("root_path", "") + scope["path"] + "?" + urllib.parse.urlencode(pairs)
                    await Response.redirect(location).asgi_send(send)
                    return
            await app(scope, receive, send)

        return inner

    return wrap


def _named(sql: str, params: list, prefix: str) -> tuple[str, dict]:
    """``sql`` with its ``?`` placeholders (outside quoted text) named, as Datasette binds them."""
    out, named, quote = [], {}, None
    for ch in sql:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            name = f"{prefix}{len(named)}"
            named[name] = params[len(named)]
            ch = ":" + name
        out.append(ch)
    return "".join(out), named


@hookimpl
def filters_from_request(request, database, table, datasette):
    """``_q`` (the search box), ``_credit`` (a credited name) and ``_column`` (a column it
    appeared under) narrow the articles."""
    if table != "articles" or not ({SEARCH, CREDIT, COLUMN} & set(request.args.keys())):
        return None

    async def inner():
        where, params, human = [], {}, []
        query = request.args.get(SEARCH, "").strip()
        if query:
            def selection(conn):
                return select(Database(conn), query)

            try:
                sel = await datasette.get_database(database).execute_fn(selection)
            except QueryError as exc:
                raise BadRequest(str(exc)) from exc
            sql, named = _named(*sel.sql("a.id", "a.id"), prefix="nc_search_")
            where.append(f"id in ({sql})")
            params.update(named)
            human.append(f'search matches "{query}"')
        for i, name in enumerate(request.args.getlist(CREDIT)):
            where.append(f"id in (select article_id from credits where name = :nc_credit_{i})")
            params[f"nc_credit_{i}"] = name
            human.append(f'credited to "{name}"')
        for i, name in enumerate(request.args.getlist(COLUMN)):
            where.append(f"id in (select article_id from article_columns where column = :nc_column_{i})")
            params[f"nc_column_{i}"] = name
            human.append(f'seen under column "{name}"')
        return FilterArguments(where, params, human, {"search": query, "supports_search": True})

    return inner


def credits_summary(value: str | None) -> str:
    """``{"文字": ["甲", "乙"], "摄影": ["丙"]}`` as ``文字 甲、乙 · 摄影 丙``."""
    try:
        credits = json.loads(value or "{}")
    except ValueError:
        return value or ""
    if not isinstance(credits, dict):
        return value or ""
    return " · ".join(f"{role} {'、'.join(map(str, names))}" for role, names in credits.items())


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """In the articles table: credits as one line, the title as a link to the article page."""
    if table != "articles":
        return None
    if column == "credits":
        return credits_summary(value)
    if column == "title" and value and "id" in row.keys():
        href = datasette.urls.row(database, table, str(row["id"]))
        return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')
    return None


class MonthFacet(Facet):
    """Articles by the month of a date column (``{"month": "published_at"}``)."""

    type = "month"

    async def facet_results(self):
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            column = source_and_config["config"]["simple"]
            sql = (f"select substr([{column}], 1, 7) as value, count(*) as count from ({self.sql}) "
                   f"where [{column}] is not null group by value order by value desc limit {size + 1}")
            rows = (await self.ds.execute(self.database, sql, self.params, truncate=False,
                                          custom_time_limit=self.ds.setting("facet_time_limit_ms"))).rows
            key = f"{column}__startswith"
            values = []
            for row in rows[:size]:
                selected = args.get(key) == row["value"]
                path = (path_with_removed_args(self.request, {key: row["value"]}) if selected
                        else path_with_added_args(self.request, {key: row["value"]}))
                values.append({"value": row["value"], "label": row["value"], "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, path), "selected": selected})
            results.append({"name": column, "type": self.type, "results": values,
                            "hideable": source_and_config["source"] != "metadata",
                            "toggle_url": path_with_removed_args(self.request, {"_facet_month": column}),
                            "truncated": len(rows) > size})
        return results, timed_out


class PartFacet(Facet):
    """Articles by a value of the table that holds one row per article and value (``part``:
    table, value column, the request argument that filters by it)."""

    part: tuple[str, str, str]

    async def facet_results(self):
        results = []
        table, column, argument = self.part
        chosen = set(self.request.args.getlist(argument))
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            sql = (f"select [{column}] as value, count(distinct article_id) as count from [{table}] "
                   f"where article_id in (select id from ({self.sql})) "
                   f"group by value order by count desc, value limit {size + 1}")
            rows = (await self.ds.execute(self.database, sql, self.params, truncate=False,
                                          custom_time_limit=self.ds.setting("facet_time_limit_ms"))).rows
            values = []
            for row in rows[:size]:
                selected = row["value"] in chosen
                path = (path_with_removed_args(self.request, {argument: row["value"]}) if selected
                        else path_with_added_args(self.request, {argument: row["value"]}))
                values.append({"value": row["value"], "label": row["value"], "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, path), "selected": selected})
            name = source_and_config["config"]["simple"]
            results.append({"name": name, "type": self.type, "results": values,
                            "hideable": source_and_config["source"] != "metadata",
                            "toggle_url": path_with_removed_args(self.request, {f"_facet_{self.type}": name}),
                            "truncated": len(rows) > size})
        return results, []


class CreditFacet(PartFacet):
    """Articles by the names in their credits (``{"credit": "credits"}``), from the credits table."""

    type = "credit"
    part = ("credits", "name", CREDIT)


class ColumnFacet(PartFacet):
    """Articles by every column they appeared under (``{"seen_under": "column"}``), from
    article_columns: a cross-posted article counts under both, as `newscrawl search --column` finds it."""

    type = "seen_under"
    part = ("article_columns", "column", COLUMN)


@hookimpl
def register_facet_classes():
    return [MonthFacet, CreditFacet, ColumnFacet]


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    """The article page's data: everything `newscrawl show` prints, and the pages stored."""
    if view_name != "row" or table != "articles" or request is None:
        return {}

    async def inner():
        try:
            article_id = int(request.url_vars["pks"])
        except (KeyError, ValueError):
            return {}

        def load(conn):
            db = Database(conn)
            if not db.execute("select 1 from articles where id = ?", [article_id]).fetchone():
                return None
            record = load_article(db, article_id)
            (record["body_html"],) = db.execute("select body_html from articles where id = ?", [article_id]).fetchone()
            record["pages"] = [dict(zip(("url", "fetched_at", "status"), r)) for r in db.execute(
                "select url, fetched_at, status from pages where article_id = ? order by fetched_at", [article_id])]
            return record

        record = await datasette.get_database(database).execute_fn(load)
        if record is None:
            return {}
        # Sanitised when stored; again here, so an archive written by an older, laxer
        # NewsCrawl cannot run a script in the reading room.
        stored = {a["url"]: datasette.urls.path(asset_path(a["sha256"])) for a in record["assets"]}
        record["body"] = Markup(served_from_archive(sanitise(record.pop("body_html") or ""), stored))
        record["stored"] = stored
        record["published_shown"] = (published(record) or "").replace("T", " ")
        max_views = max((v["count"] or 0 for v in record["view_counts"]), default=0)
        return {"article": record, "max_views": max_views}

    return inner


def asset_path(sha256: str) -> str:
    """Where the reading room serves a stored image or attachment (``crawl --assets``)."""
    return f"-/newscrawl/asset/{sha256}"


def served_from_archive(body: str, stored: dict[str, str]) -> str:
    """The (sanitised) body with the pictures and files the archive keeps read from it
    (``stored``: original URL → reading-room path), not from the portal."""
    def local(match: re.Match) -> str:
        url = html.unescape(match[2])
        return f'{match[1]}="{escape(stored[url])}"' if url in stored else match[0]

    return re.sub(r'\b(src|href)="([^"]*)"', local, body) if stored else body


@hookimpl
def register_routes():
    return [(r"^/-/archived-page/(?P<database>[^/]+)/(?P<article_id>\d+)$", archived_page),
            (r"^/-/newscrawl/asset/(?P<sha256>[0-9a-f]{64})$", stored_asset)]


# A stored file is the portal's bytes: never run as a page of the reading room's origin
# (an SVG may hold a script), never sniffed into another type.
ASSET_HEADERS = {"Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'",
                 "X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=31536000, immutable"}


async def stored_asset(datasette, request):
    """An image or attachment as the crawl fetched it, from whichever archive holds it: the
    address is its sha256, so any archive's copy is the same bytes. Never the portal."""
    sha256 = request.url_vars["sha256"]
    for database in datasette.databases.values():
        if not await database.table_exists("assets"):
            continue
        row = (await database.execute("select content_type, content from assets where sha256 = :sha256",
                                      {"sha256": sha256})).first()
        if row is not None:
            return Response(row["content"], content_type=row["content_type"], headers=dict(ASSET_HEADERS))
    raise NotFound("no stored image or attachment has this sha256")


# The stored page is the portal's HTML: shown sandboxed (no scripts, an origin of its own),
# with its pictures and styles loaded from where the page named them.
ARCHIVED_PAGE_POLICY = "sandbox; default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline' http: https:; font-src http: https: data:"


async def archived_page(datasette, request):
    """The page as the crawl fetched it (the latest stored for the article), decompressed."""
    database = request.url_vars["database"]
    if database not in datasette.databases:
        raise NotFound(f"no database {database}")
    rows = await datasette.get_database(database).execute(
        "select url, html_zlib, headers from pages where article_id = :id order by fetched_at desc limit 1",
        {"id": int(request.url_vars["article_id"])},
    )
    row = rows.first()
    if row is None:
        raise NotFound("no page stored for this article")
    try:
        headers = {k.lower(): v for k, v in json.loads(row["headers"] or "{}").items()}
    except (ValueError, AttributeError):
        headers = {}
    content_type = headers.get("content-type") or "text/html"
    if isinstance(content_type, list):
        content_type = content_type[0]
    if not str(content_type).lower().startswith("text/html"):
        content_type = "text/html"
    # Bytes as stored (UTF-8, GBK …): <base> makes the page's relative links name the portal.
    body = zlib.decompress(row["html_zlib"])
    base = f'<base href="{escape(row["url"])}">'.encode()
    head = re.search(rb"(?i)<head[^>]*>", body)
    body = body[: head.end()] + base + body[head.end():] if head else base + body
    return Response(body, content_type=str(content_type), headers={"Content-Security-Policy": ARCHIVED_PAGE_POLICY})
