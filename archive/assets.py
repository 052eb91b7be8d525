"""Images and attachments in the archive: each content once (by sha256), and which URL of which article it was."""
from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

ROLES = ("image", "attachment")


@dataclass
class Asset:
    """One image or attachment of an article, as the crawl fetched it (or found it stored).

    ``content`` is None when the archive already holds these bytes (the URL was fetched
    for another article, or by an earlier run): only the link is written then.
    """

    url: str
    role: str  # image | attachment
    sha256: str
    content_type: str
    size: int
    fetched_at: str
    content: bytes | None = None


class AssetStore:
    """The write side of assets, for `archive.store.Archive` (which has the ``db``)."""

    def stored_assets(self, urls: list[str]) -> dict[str, Asset]:
        """Which of ``urls`` the archive holds the bytes of (for any article), as bodiless `Asset`s."""
        return stored_assets(self.db, urls)

    def _link_assets(self, article_id: int, assets: list[Asset]) -> None:
        """Store ``assets`` (bytes once per sha256) and link them to ``article_id``, inside the
        caller's transaction; a URL that was a failure of kind ``asset`` is resolved."""
        if not assets:
            return
        self.db.conn.executemany(
            """insert or ignore into assets (sha256, content_type, size, content, first_url, fetched_at)
               values (?, ?, ?, ?, ?, ?)""",
            [(a.sha256, a.content_type, a.size, a.content, a.url, a.fetched_at) for a in assets if a.content is not None],
        )
        self.db.conn.executemany(
            """insert into article_assets (article_id, url, sha256, role, fetched_at) values (?, ?, ?, ?, ?)
               on conflict(article_id, url) do update set sha256 = excluded.sha256, role = excluded.role,
                 fetched_at = excluded.fetched_at""",
            [(article_id, a.url, a.sha256, a.role, a.fetched_at) for a in assets],
        )


def has_assets(db: Database) -> bool:
    """Is ``db`` an archive that can hold assets (m009)? An older one is read without them."""
    return db["article_assets"].exists()


def stored_assets(db: Database, urls: list[str]) -> dict[str, Asset]:
    """The stored content each of ``urls`` maps to (the latest fetch of that URL), bytes left out."""
    found: dict[str, Asset] = {}
    urls = list(dict.fromkeys(urls))
    for start in range(0, len(urls), 500):  # SQLite's limit on parameters
        chunk = urls[start:start + 500]
        rows = db.execute(
            f"""select l.url, l.role, s.sha256, s.content_type, s.size, l.fetched_at
                from article_assets l join assets s on s.sha256 = l.sha256
                where l.url in ({','.join('?' * len(chunk))}) order by l.fetched_at""",
            chunk,
        )
        for url, role, sha256, content_type, size, fetched_at in rows:
            found[url] = Asset(url, role, sha256, content_type, size, fetched_at)
    return found


def article_assets(db: Database, article_id: int) -> list[dict]:
    """The stored images and attachments of one article: ``url``, ``role``, ``sha256``,
    ``content_type``, ``size``, ``fetched_at`` (none for an archive older than m009)."""
    if not has_assets(db):
        return []
    cursor = db.execute(
        """select l.url, l.role, l.sha256, s.content_type, s.size, l.fetched_at
           from article_assets l join assets s on s.sha256 = l.sha256
           where l.article_id = ? order by l.role = 'attachment', l.url""",
        [article_id],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def asset_content(db: Database, sha256: str) -> tuple[str, bytes] | None:
    """(content type, bytes) of the stored asset ``sha256``, or None."""
    if not db["assets"].exists():
        return None
    row = db.execute("select content_type, content from assets where sha256 = ?", [sha256]).fetchone()
    return (row[0], row[1]) if row else None


def asset_records(db: Database, article_id: int) -> list[dict]:
    """The stored assets of one article with their bytes, a URL each: ``url``, ``sha256``,
    ``content_type``, ``fetched_at``, ``content`` (what a WARC replays)."""
    if not has_assets(db):
        return []
    cursor = db.execute(
        """select l.url, l.sha256, s.content_type, l.fetched_at, s.content
           from article_assets l join assets s on s.sha256 = l.sha256
           where l.article_id = ? order by l.fetched_at, l.url""",
        [article_id],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
