"""Reading the archive: opening it read-only, finding an article, and the shared filters."""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from archive.store import ArchiveError
from newscrawl.urls import canonical_url


def open_readonly(path: str | Path) -> Database:
    """The existing archive at ``path``, opened so that nothing can write to it.

    Read commands use this instead of ``open_database``, which would create a missing
    file or apply pending migrations: reading must never change an archive.
    """
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"no archive at {path}")
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, check_same_thread=False)
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type in ('table', 'view')")}
        applied = set()
        if "_sqlite_migrations" in tables:
            applied = {r[0] for r in conn.execute("select name from _sqlite_migrations where migration_set = 'newscrawl'")}
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path} is not a usable SQLite archive: {exc}") from exc
    if "m001_initial" not in applied or "articles" not in tables:
        conn.close()
        raise ArchiveError(f"{path} is not a NewsCrawl archive")
    return Database(conn)


def has_search_index(db: Database) -> bool:
    """Whether the archive has the FTS index (an archive from before m002 has not)."""
    return db["articles_fts"].exists()


def resolve_article(db: Database, url_or_id: str) -> int:
    """The id of the article an id or any URL form of it names (http/https, index.htm, query…)."""
    key = url_or_id.strip()
    if key.lstrip("#").isdigit():
        article_id = int(key.lstrip("#"))
        if db.execute("select 1 from articles where id = ?", [article_id]).fetchone():
            return article_id
        raise ArchiveError(f"no article with id {article_id}")
    if "://" not in key:
        raise ArchiveError(f"{key!r} is neither an article id nor a URL")
    candidates = [key]
    for scheme in (None, "https", "http"):
        try:
            candidates.append(canonical_url(key, scheme=scheme))
        except ValueError:
            pass
    for url in dict.fromkeys(candidates):
        row = db.execute(
            """select article_id from article_urls where url = ?
               union all select id from articles where canonical_url = ? limit 1""",
            [url, url],
        ).fetchone()
        if row:
            return row[0]
    raise ArchiveError(f"no article at {key}")


_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def date_bound(value: str, *, end: bool = False) -> str:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as a bound on ``published_at`` (ISO text).

    ``end`` gives the first day after the period, so ``--until 2024-12`` includes all of
    December. Dates compare as the portal printed them (its own time zone).
    """
    m = _DATE.match(value.strip())
    if not m:
        raise ArchiveError(f"malformed date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
    try:
        start = date(year, month, day)
    except ValueError as exc:
        raise ArchiveError(f"malformed date {value!r}: {exc}") from exc
    if not end:
        return start.isoformat()
    if m[3]:
        return date.fromordinal(start.toordinal() + 1).isoformat()
    if m[2]:
        return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)).isoformat()
    return date(year + 1, 1, 1).isoformat()


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
                raise ArchiveError(f"malformed credit {self.credit!r}: use NAME or ROLE=NAME (摄影=王某)")
            sql = "select article_id from credits where name = ?"
            params.append(name)
            if role:
                sql += " and role = ?"
                params.append(role)
            clauses.append(f"{alias}.id in ({sql})")
        return clauses, params
