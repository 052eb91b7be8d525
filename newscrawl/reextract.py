"""Re-running the current extractor over the stored pages, so a fixed rule fixes old articles."""
from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass, field

from archive.store import Archive
from newscrawl.extract import ExtractionError, extract
from newscrawl.pipelines import normalise, why_not_an_article
from newscrawl.profile import GENERIC_VSB

# The columns extraction decides; the rest (identity, visits, view counts, related
# articles filled by the spider) is not the extractor's to change.
EXTRACTED = (
    "title", "column", "source", "published_at", "published_raw", "body_text", "body_html",
    "credits", "images", "attachments", "extraction", "cms", "published_precision",
)


@dataclass
class Change:
    """What a re-extraction did to one article."""

    article_id: int
    url: str
    fields: list[str] = field(default_factory=list)
    revised: bool = False  # the title or body changed: the old version is kept as a revision
    error: str | None = None


@dataclass
class Report:
    pages: int = 0
    changed: int = 0
    revised: int = 0
    failed: int = 0
    fields: Counter = field(default_factory=Counter)

    def add(self, change: Change) -> None:
        self.pages += 1
        self.failed += change.error is not None
        self.changed += bool(change.fields)
        self.revised += change.revised
        self.fields.update(change.fields)


class Reextraction:
    """One pass of the extractor over the stored pages of an archive (no network).

    Each article is re-read from one page: the one under its canonical URL if stored,
    else the latest fetched.
    """

    def __init__(self, archive: Archive, portal: str | None = None, *, dry_run: bool = False):
        from newscrawl.portals import portals

        self.archive = archive
        self.dry_run = dry_run
        self.profiles = portals()
        where, params = ("where a.portal = ?", [portal]) if portal else ("", [])
        rows = archive.db.execute(
            f"""select a.id, p.url, p.url = a.canonical_url, p.fetched_at from articles a
                join pages p on p.article_id = a.id {where} order by a.id""",
            params,
        )
        best: dict[int, tuple] = {}
        for article_id, url, canonical, fetched_at in rows:
            key = (canonical, fetched_at or "", url)
            if article_id not in best or key > best[article_id]:
                best[article_id] = key
        self.todo: list[tuple[int, str]] = [(article_id, key[2]) for article_id, key in best.items()]

    def __len__(self) -> int:
        return len(self.todo)

    def __iter__(self):
        return iter(self.todo)

    def run(self, article_id: int, url: str) -> Change:
        """Re-extract one article from its page at ``url`` and store what changed."""
        db = self.archive.db
        current = db["articles"].get(article_id)
        html_zlib, fetched_at, column = db.execute(
            """select p.html_zlib, p.fetched_at, u.column from pages p
               left join article_urls u on u.url = p.url where p.url = ?""",
            [url],
        ).fetchone()
        change = Change(article_id, url)
        portal = self.profiles.get(current["portal"], GENERIC_VSB)
        try:
            article = extract(zlib.decompress(html_zlib), url, portal, column=column or current["column"] or "")
        except (ExtractionError, zlib.error) as exc:
            change.error = str(exc)
            return change
        problem = why_not_an_article(normalise(article))
        if problem:
            change.error = f"extraction gives no article ({problem}); article left as it was"
            return change
        article.portal = current["portal"]
        article.fetched_at = fetched_at
        article.related = json.loads(current["related"] or "[]")
        new = self.archive.stored_fields(article)
        change.fields = [key for key in EXTRACTED if new[key] != current[key]]
        change.revised = new["content_hash"] != current["content_hash"]
        if change.fields and not self.dry_run:
            self.archive.reextracted(article_id, article)
        return change
