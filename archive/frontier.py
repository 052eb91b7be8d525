"""The archive's frontier: pages a crawl discovered and has not finished, so a kill loses none."""
from __future__ import annotations

from archive.runs import now


class Frontier:
    """What earlier runs left to visit, for `archive.store.Archive` (which has the ``db``)."""

    def discovered(self, portal: str, entries: list[dict], source: str = "", done: tuple[str, ...] = ()) -> None:
        """Remember pages to visit (``url``, ``kind``, ``column``, ``page``,
        ``walk_started_at``) and forget the pages in ``done`` (the page that named them,
        say), in one transaction."""
        stamp = now()
        with self.db.atomic():
            self._finished(done)
            self.db.conn.executemany(
                """insert or ignore into frontier (url, portal, kind, column, page, source, discovered_at, walk_started_at)
                   values (?, ?, ?, ?, ?, ?, ?, ?)""",
                [(e["url"], portal, e.get("kind", "article"), e.get("column", ""), e.get("page"), source, stamp,
                  e.get("walk_started_at")) for e in entries],
            )

    def _finished(self, urls) -> None:
        """Pages done with: their frontier rows go (inside the caller's transaction)."""
        self.db.conn.executemany("delete from frontier where url = ?", [(u,) for u in dict.fromkeys(urls) if u])

    def pending(self, portal: str, kind: str) -> list[dict]:
        """The frontier of ``portal``: pages of ``kind`` discovered by earlier runs and not yet done."""
        return list(self.db.query(
            "select url, column, page, walk_started_at from frontier where portal = ? and kind = ? "
            "order by discovered_at, rowid",
            [portal, kind],
        ))
