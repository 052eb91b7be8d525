"""Reading the archive: opening it read-only, finding an article, and the shared filters."""
from __future__ import annotations

import os
import re
import sqlite3
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from archive.schema import NewerSchemaError, refuse_newer
from archive.store import ArchiveError


class QueryError(ArchiveError):
    """What was asked for is malformed in itself (a date, a credit, an id, query syntax):
    the command line, not the archive, is at fault."""


def readonly_uri(path: str | Path) -> str:
    """The SQLite URI that opens ``path`` read-only.

    ``immutable=1`` when this process could not write the file or its directory (a file of
    another user, a read-only mount, a DVD): SQLite would otherwise want to create the
    ``-shm`` file of a WAL archive there, and refuse to open it at all. Only then, because
    an immutable reader does not see a crawl that writes meanwhile.
    """
    path = Path(path).resolve()
    uri = f"file:{quote(os.fsencode(path))}?mode=ro"
    return uri if writable(path) else uri + "&immutable=1"


def writable(path: str | Path) -> bool:
    """Whether this process may write ``path`` and its directory (``access(2)`` also says
    no on a read-only mount, even to root)."""
    path = Path(path).resolve()
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def existing_file(path: str | Path) -> Path:
    """``path``, if it is a regular file: else ``ArchiveError`` saying what is there instead."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ArchiveError(f"no archive at {path}") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise ArchiveError(f"cannot open {path}: {getattr(exc, 'strerror', None) or exc}") from exc
    if stat.S_ISDIR(mode):
        raise ArchiveError(f"{path} is a directory, not an archive")
    if not stat.S_ISREG(mode):
        raise ArchiveError(f"{path} is not a regular file, so not an archive")
    return path


def open_readonly(path: str | Path) -> Database:
    """The existing archive at ``path``, opened so that nothing can write to it.

    Read commands use this instead of ``open_database``, which would create a missing
    file or apply pending migrations: reading must never change an archive. An archive
    written by a newer NewsCrawl is refused (``NewerSchemaError``): this code could misread it.
    """
    path = existing_file(path)
    try:
        conn = sqlite3.connect(readonly_uri(path), uri=True, check_same_thread=False)
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type in ('table', 'view')")}
        applied = set()
        if "_sqlite_migrations" in tables:
            applied = {r[0] for r in conn.execute("select name from _sqlite_migrations where migration_set = 'newscrawl'")}
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path} is not a usable SQLite archive: {exc}") from exc
    if "m001_initial" not in applied or "articles" not in tables:
        conn.close()
        raise ArchiveError(f"{path} is not a NewsCrawl archive")
    db = Database(conn)
    try:
        refuse_newer(db, path)
    except NewerSchemaError:
        conn.close()
        raise
    return db


def has_search_index(db: Database) -> bool:
    """Whether the archive has the FTS index (an archive from before m002 has not)."""
    return db["articles_fts"].exists()


MAX_INTEGER = 2**63 - 1  # SQLite's largest: no id is larger, and a larger LIMIT cannot be bound


def resolve_article(db: Database, url_or_id: str, url_forms: Iterable[str] = ()) -> int:
    """The id of the article an id or a URL names; ``url_forms`` are other forms of that URL
    to try (http/https, index.htm, query…: the crawler's canonical forms)."""
    key = url_or_id.strip()
    if key.lstrip("#").isdecimal():  # what int() reads: ٣ is 3, ² is no number
        article_id = int(key.lstrip("#"))
        if article_id <= MAX_INTEGER and db.execute("select 1 from articles where id = ?", [article_id]).fetchone():
            return article_id
        raise ArchiveError(f"no article with id {article_id}")
    if "://" not in key:
        raise QueryError(f"{key!r} is neither an article id (12 or #12) nor a URL")
    for url in dict.fromkeys([key, *url_forms]):
        row = db.execute(
            """select article_id from article_urls where url = ?
               union all select id from articles where canonical_url = ? limit 1""",
            [url, url],
        ).fetchone()
        if row:
            return row[0]
    raise ArchiveError(f"no article at {key}")


END_OF_TIME = "9999-12-31\uffff"
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def date_bound(value: str, *, end: bool = False) -> str:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as a bound on ``published_at`` (ISO text).

    ``end`` gives the first day after the period, so ``--until 2024-12`` includes all of
    December. Dates compare as the portal printed them (its own time zone).
    """
    m = _DATE.match(value.strip())
    if not m:
        raise QueryError(f"malformed date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
    try:
        start = date(year, month, day)
    except ValueError as exc:
        raise QueryError(f"malformed date {value!r}: {exc}") from exc
    if not end:
        return start.isoformat()
    try:
        if m[3]:
            return date.fromordinal(start.toordinal() + 1).isoformat()
        if m[2]:
            return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)).isoformat()
        return date(year + 1, 1, 1).isoformat()
    except ValueError:  # the period ends with year 9999: the bound sorts after all its times
        return END_OF_TIME


@dataclass
class Filters:
    """What narrows a search or an export, in the words of the command line."""

    portal: str | None = None
    column: str | None = None
    since: str | None = None  # YYYY[-MM[-DD]], inclusive
    until: str | None = None  # YYYY[-MM[-DD]], inclusive
    credit: str | None = None  # "name" or "role=name"

    def where(self, alias: str = "a") -> tuple[list[str], list]:
        """SQL conditions on ``articles`` (as ``alias``) and their parameters."""
        clauses: list[str] = []
        params: list = []
        if self.portal:
            clauses.append(f"{alias}.portal = ?")
            params.append(self.portal)
        if self.column:
            # Any column the article was seen under, not only the first one.
            clauses.append(f"{alias}.id in (select article_id from article_columns where column = ?)")
            params.append(self.column)
        if self.since:
            clauses.append(f"{alias}.published_at >= ?")
            params.append(date_bound(self.since))
        if self.until:
            clauses.append(f"{alias}.published_at < ?")
            params.append(date_bound(self.until, end=True))
        if self.credit:
            role, sep, name = self.credit.partition("=")
            if not sep:
                role, name = "", role
            role, name = role.strip(), name.strip()
            if not name:
                raise QueryError(f"malformed credit {self.credit!r}: use NAME or ROLE=NAME (摄影=王某)")
            sql = "select article_id from credits where name = ?"
            params.append(name)
            if role:
                sql += " and role = ?"
                params.append(role)
            clauses.append(f"{alias}.id in ({sql})")
        return clauses, params
