"""Writing to the archive: one article per content, every URL and column it was seen under."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from pathlib import Path
from typing import Protocol

from sqlite_utils import Database

from archive.assets import AssetStore
from archive.frontier import Frontier
from archive.runs import RunRecords, now
from archive.schema import NewerSchemaError, migrations, refuse_newer

# SQLite's INTEGER: a larger number cannot be stored, so it is refused as bad data.
SQLITE_INT_RANGE = range(-(2**63), 2**63)


class Article(Protocol):
    """What the archive reads of an article: the crawler's item (`newscrawl.items.Article`)
    is one. Storage knows the shape, not the crawler."""

    url: str
    portal: str
    column: str
    title: str
    source: str
    published_at: str | None
    published_raw: str
    body_text: str
    body_html: str
    images: list  # of objects with url and caption
    attachments: list  # of objects with url and name
    credits: dict[str, list[str]]
    related: list[str]
    view_count: int | None
    view_count_method: str | None
    extraction: str
    cms: str  # the CMS family the page came from: vsb, webplus, generic
    published_precision: str | None  # day | minute | second: how much of published_at was printed
    fetched_at: str | None
    raw_html: bytes | None  # the page as fetched, stored compressed when given
    http_status: int | None
    http_headers: dict | None
    assets: list  # archive.assets.Asset: the images and attachments fetched (crawl --assets)


class ArchiveError(Exception):
    """The archive cannot be opened or used (missing, corrupt, not a NewsCrawl archive)."""


class BadData(ValueError):
    """A value the portal served that the archive cannot hold (an article, not the archive, is at fault)."""


def content_hash(title: str, body_text: str) -> str:
    """Identity of an article's content: the same text posted in two columns hashes alike."""
    return hashlib.sha256(f"{title.strip()}\n{body_text.strip()}".encode()).hexdigest()


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def open_database(path: str | Path, *, create: bool = True) -> Database:
    """The archive at ``path`` with its schema up to date (WAL, foreign keys on)."""
    path = Path(path)
    if not create and not path.exists():
        raise ArchiveError(f"no archive at {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        db = Database(conn)
        if not migrations.applied(db) and db.table_names():
            # Someone else's database: adding our tables to it would be a surprise.
            raise ArchiveError(f"{path} is not a NewsCrawl archive")
        refuse_newer(db, path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path} is not a usable SQLite archive: {exc}") from exc
    except NewerSchemaError as exc:
        conn.close()
        raise ArchiveError(str(exc)) from exc
    except ArchiveError:
        conn.close()
        raise
    return db


class Archive(Frontier, RunRecords, AssetStore):
    """The write side of the archive, used by the pipelines and the maintenance commands."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = open_database(self.path)

    def close(self) -> None:
        self.db.conn.close()

    # -- articles ----------------------------------------------------------------------

    def is_archived(self, url: str) -> bool:
        """True when ``url`` (canonical) is already an article's URL: the crawl need not fetch it."""
        return self.article_id_for_url(url) is not None

    def urls_published_since(self, portal: str, since: str) -> list[str]:
        """Canonical URLs of the portal's articles published at or after ``since`` (ISO)."""
        rows = self.db.execute(
            "select canonical_url from articles where portal = ? and published_at >= ? order by published_at desc",
            [portal, since],
        )
        return [r[0] for r in rows]

    def article_id_for_url(self, url: str) -> int | None:
        row = self.db.execute("select article_id from article_urls where url = ?", [url]).fetchone()
        return row[0] if row else None

    def save(self, article: Article, seen_at: str | None = None, done: tuple[str, ...] = (),
             resolve: bool = False, run_id: int | None = None) -> str:
        """Store ``article``; returns ``new``, ``updated``, ``duplicate`` or ``unchanged``.

        Deduplication: the URL is looked up first (a re-crawl), then the content hash within
        the portal (the same article posted under another URL or column). A changed text
        keeps the previous version in ``revisions``. Every row of the article, and the
        removal of its URL (and the URLs in ``done``) from the frontier, is one transaction:
        a kill leaves the article wholly stored or not at all. With ``resolve``, a failure
        of its URL is resolved in the same transaction, as `resolve_failure` would with
        ``run_id``: one commit per article, not two.
        """
        _check_integers(article)
        seen_at = seen_at or now()
        digest = content_hash(article.title, article.body_text)
        with self.db.atomic():
            self._finished((article.url, *done))
            result = self._save(article, digest, seen_at)
            if getattr(article, "assets", None):  # fetched by `crawl --assets`; re-extraction has none
                self._link_assets(self.article_id_for_url(article.url), article.assets)
            if resolve:
                self._resolve_failure(article.url, run_id)
            return result

    def _save(self, article: Article, digest: str, seen_at: str) -> str:
        article_id = self.article_id_for_url(article.url)
        if article_id is None:
            row = self.db.execute(
                "select id from articles where portal = ? and content_hash = ?", [article.portal, digest]
            ).fetchone()
            if row:
                article_id = row[0]
                self._seen_under(article_id, article, seen_at)
                self._merge_related(article_id, article.related)
                self._observe(article_id, article, seen_at)
                return "duplicate"
            article_id = self._insert(article, digest, seen_at)
            self._seen_under(article_id, article, seen_at)
            return "new"
        self._seen_under(article_id, article, seen_at)
        current = self.db["articles"].get(article_id)
        if current["content_hash"] == digest:
            self._observe(article_id, article, seen_at)
            return "unchanged"
        self._revise(current, article, digest, seen_at)
        return "updated"

    def _merge_related(self, article_id: int, related: list[str]) -> None:
        """A copy of the article (another URL, another column) may carry the related links
        the stored one lacks: the crawl reads one box per article, and the copy without it can
        be stored first. The article keeps every link either copy listed, in order."""
        if not related:
            return
        stored = json.loads(self.db.execute("select related from articles where id = ?", [article_id]).fetchone()[0] or "[]")
        merged = stored + [url for url in related if url not in stored]
        if merged != stored:
            self.db.execute("update articles set related = ? where id = ?", [_json(merged), article_id])

    def stored_fields(self, article: Article) -> dict:
        """The ``articles`` columns ``article`` would be stored as, to compare with what is."""
        return self._fields(article, content_hash(article.title, article.body_text))

    def _fields(self, article: Article, digest: str) -> dict:
        return {
            "canonical_url": article.url,
            "portal": article.portal,
            "column": article.column,
            "title": article.title,
            "source": article.source,
            "published_at": article.published_at,
            "published_raw": article.published_raw,
            "body_text": article.body_text,
            "body_html": article.body_html,
            "credits": _json(article.credits),
            "images": _json([vars(i) for i in article.images]),
            "attachments": _json([vars(a) for a in article.attachments]),
            "related": _json(article.related),
            "content_hash": digest,
            "extraction": article.extraction,
            "cms": article.cms,
            "published_precision": article.published_precision,
            "fetched_at": article.fetched_at,
        }

    def _insert(self, article: Article, digest: str, seen_at: str) -> int:
        row = self._fields(article, digest) | {
            "view_count": article.view_count,
            "first_seen_at": seen_at,
            "last_seen_at": seen_at,
        }
        article_id = self._insert_rows("articles", [row])
        self._write_parts(article_id, article)
        self._record_view_count(article_id, article, seen_at, first=True)
        self._store_page(article_id, article)
        return article_id

    def reextracted(self, article_id: int, article: Article) -> bool:
        """Replace article ``article_id``'s fields by a re-extraction of its stored page.

        Not a visit: ``last_seen_at`` and view counts stay as they are. A changed title or
        body keeps the previous version in ``revisions``, as a re-crawl would; returns
        whether it did.
        """
        digest = content_hash(article.title, article.body_text)
        with self.db.atomic():
            current = self.db["articles"].get(article_id)
            revised = current["content_hash"] != digest
            if revised:
                self._keep_revision(current, now())
            self._replace_fields(article_id, article, digest)
        return revised

    def _revise(self, current: dict, article: Article, digest: str, seen_at: str) -> None:
        self._keep_revision(current, seen_at)
        self._replace_fields(current["id"], article, digest)
        self._observe(current["id"], article, seen_at)

    def _keep_revision(self, current: dict, replaced_at: str) -> None:
        # The version being replaced was first seen when the one before it was replaced.
        previous = self.db.execute(
            "select max(replaced_at) from revisions where article_id = ?", [current["id"]]
        ).fetchone()[0]
        self.db["revisions"].insert(
            {
                "article_id": current["id"],
                "title": current["title"],
                "body_text": current["body_text"],
                "body_html": current["body_html"],
                "content_hash": current["content_hash"],
                "first_seen_at": previous or current["first_seen_at"],
                "replaced_at": replaced_at,
            }
        )

    def _replace_fields(self, article_id: int, article: Article, digest: str) -> None:
        fields = self._fields(article, digest)
        fields.pop("canonical_url")  # the article keeps its first URL as its identity
        self.db["articles"].update(article_id, fields)
        self._write_parts(article_id, article)

    def _observe(self, article_id: int, article: Article, seen_at: str) -> None:
        """A visit that found nothing new still records when, its view count, and the page."""
        update = {"last_seen_at": seen_at}
        if article.view_count is not None:
            update["view_count"] = article.view_count
        self.db["articles"].update(article_id, update)
        self._record_view_count(article_id, article, seen_at)
        self._store_page(article_id, article)

    def _record_view_count(self, article_id: int, article: Article, seen_at: str, *, first: bool = False) -> None:
        """One observation of the article's counter; the same reading at the same moment (a
        cross-post's two URLs share one counter, read together) is one observation, not two.
        A ``first`` save has no earlier reading to look for."""
        if article.view_count is None:
            return
        reading = [article_id, seen_at, article.view_count, article.view_count_method]
        if first or self.db.execute("select 1 from view_counts where article_id = ? and observed_at = ? and count = ? "
                                    "and method is ?", reading).fetchone() is None:
            self._insert_rows("view_counts", [dict(zip(("article_id", "observed_at", "count", "method"), reading))])

    def _write_parts(self, article_id: int, article: Article) -> None:
        for table in ("credits", "images", "attachments"):
            self.db.execute(f"delete from {table} where article_id = ?", [article_id])
        self._insert_rows("credits", [
            {"article_id": article_id, "role": role, "name": name, "position": i}
            for role, names in article.credits.items()
            for i, name in enumerate(names)
        ])
        self._insert_rows("images", [
            {"article_id": article_id, "position": i, "url": im.url, "caption": im.caption}
            for i, im in enumerate(article.images)
        ])
        self._insert_rows("attachments", [
            {"article_id": article_id, "position": i, "url": at.url, "name": at.name}
            for i, at in enumerate(article.attachments)
        ])

    def _insert_rows(self, table: str, rows: list[dict], upsert_on: str | None = None) -> int | None:
        """Insert ``rows`` (dicts with the same keys) into ``table``; with ``upsert_on`` (its
        primary key), a row already there is updated instead. Plain SQL rather than
        sqlite-utils' ``insert``: that reads the table's schema on every call, which was a
        tenth of the cost of storing an article. Returns the last row's rowid."""
        if not rows:
            return None
        columns = list(rows[0])
        sql = (f"insert into [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
               f"values ({', '.join('?' * len(columns))})")
        if upsert_on is not None:
            sql += f" on conflict([{upsert_on}]) do update set " + ", ".join(
                f"[{c}] = excluded.[{c}]" for c in columns if c != upsert_on)
        if len(rows) == 1:
            return self.db.conn.execute(sql, list(rows[0].values())).lastrowid
        self.db.conn.executemany(sql, [list(r.values()) for r in rows])
        return None

    def _seen_under(self, article_id: int, article: Article, seen_at: str) -> None:
        self.db.execute(
            """insert into article_urls (url, article_id, column, first_seen_at, last_seen_at)
               values (?, ?, ?, ?, ?)
               on conflict(url) do update set last_seen_at = excluded.last_seen_at""",
            [article.url, article_id, article.column, seen_at, seen_at],
        )
        if article.column:
            self.db.execute(
                "insert or ignore into article_columns (article_id, column, first_seen_at) values (?, ?, ?)",
                [article_id, article.column, seen_at],
            )

    def _store_page(self, article_id: int, article: Article) -> None:
        if article.raw_html is None:
            return
        self._insert_rows("pages", [{
            "url": article.url,
            "article_id": article_id,
            "fetched_at": article.fetched_at,
            "status": article.http_status,
            "headers": _json(article.http_headers or {}),
            "html_zlib": zlib.compress(article.raw_html, 6),
        }], upsert_on="url")

    # -- view counts without the pages -------------------------------------------------

    def article_ids(self, portal: str, since: str | None = None) -> list[int]:
        """The portal's articles (published at or after ``since``, ISO, when given), newest first."""
        rows = self.db.execute(
            "select id from articles where portal = ? and (? is null or published_at >= ?) order by published_at desc, id",
            [portal, since, since],
        )
        return [r[0] for r in rows]

    def latest_pages(self, article_ids: list[int]) -> list[dict]:
        """The page each article was last fetched as (``article_id``, ``url``, ``html``,
        ``headers``): what its view counter is read from, one page per article however many
        URLs it was seen under."""
        if not article_ids:
            return []
        marks = ",".join("?" * len(article_ids))
        rows = self.db.execute(
            f"""select article_id, url, html_zlib, headers from pages where article_id in ({marks})
                order by article_id, fetched_at desc, url""",
            list(article_ids),
        )
        pages: dict[int, dict] = {}
        for article_id, url, html, headers in rows:
            if article_id not in pages:
                pages[article_id] = {"article_id": article_id, "url": url, "html": zlib.decompress(html),
                                     "headers": json.loads(headers or "{}")}
        return [pages[i] for i in article_ids if i in pages]

    def record_view_counts(self, readings: list[tuple[int, int, str]], observed_at: str | None = None) -> None:
        """Append one observation per ``(article_id, count, method)`` and make it each
        article's latest count, in one transaction."""
        stamp = observed_at or now()
        for _, count, _ in readings:
            if count not in SQLITE_INT_RANGE:
                raise BadData(f"view count {count} is out of range for the archive")
        with self.db.atomic():
            self.db["view_counts"].insert_all(
                {"article_id": a, "observed_at": stamp, "count": c, "method": m} for a, c, m in readings)
            self.db.conn.executemany("update articles set view_count = ? where id = ?",
                                     [(c, a) for a, c, _ in readings])

    def archived_before(self, url: str, stamp: str) -> bool:
        """Was ``url`` (canonical) first archived before ``stamp`` (ISO, UTC)?"""
        row = self.db.execute("select first_seen_at from article_urls where url = ?", [url]).fetchone()
        return row is not None and row[0] < stamp


def _check_integers(article: Article) -> None:
    if article.view_count is not None and article.view_count not in SQLITE_INT_RANGE:
        raise BadData(f"view count {article.view_count} is out of range for the archive")
    if article.http_status is not None and article.http_status not in SQLITE_INT_RANGE:
        raise BadData(f"HTTP status {article.http_status} is out of range")
