"""One article as a person reads it: text, pictures, credits, where it appeared, its history."""
from __future__ import annotations

import difflib
import json
import textwrap

from sqlite_utils import Database

from archive.assets import article_assets
from archive.terminal import pad

# The parts of an article kept in their own tables, each in the order a reader wants them.
PARTS = {
    "columns": "select column, first_seen_at from article_columns where article_id = ? order by first_seen_at, column",
    "urls": """select url, column, first_seen_at, last_seen_at from article_urls where article_id = ?
               order by first_seen_at, url""",
    "images": "select url, caption from images where article_id = ? order by position",
    "attachments": "select url, name from attachments where article_id = ? order by position",
    # A cross-post's two URLs read its one counter in the same moment: one reading, not two
    # (the store keeps one now; archives written before kept both).
    "view_counts": """select observed_at, count, method from view_counts where article_id = ?
                      group by observed_at, count, method order by observed_at, min(id)""",
    "revisions": """select title, body_text, first_seen_at, replaced_at from revisions where article_id = ?
                    order by replaced_at, id""",
}


def _rows(db: Database, sql: str, params: list) -> list[dict]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def load_article(db: Database, article_id: int) -> dict:
    """Everything the archive knows of one article, as plain data (what ``--json`` prints)."""
    (article,) = _rows(db, "select * from articles where id = ?", [article_id])
    record = {
        key: article[key]
        for key in (
            "id", "canonical_url", "portal", "column", "title", "source", "published_at", "published_raw",
            "body_text", "view_count", "extraction", "first_seen_at", "last_seen_at", "fetched_at",
        )
    }
    record["published_precision"] = article.get("published_precision")  # None before m008
    record["credits"] = json.loads(article["credits"] or "{}")
    record["related"] = json.loads(article["related"] or "[]")
    for key, sql in PARTS.items():
        record[key] = _rows(db, sql, [article_id])
    record["assets"] = article_assets(db, article_id)  # the images and attachments kept (crawl --assets)
    record["related_articles"] = related_articles(db, record["related"])
    return record


def related_articles(db: Database, urls: list[str]) -> list[dict]:
    """The related links the page showed, each with the archived article it names (id and
    title; None when the archive does not hold it), so a reader can follow them offline."""
    out = []
    for url in urls:
        row = db.execute(
            "select a.id, a.title from article_urls u join articles a on a.id = u.article_id where u.url = ?", [url]
        ).fetchone()
        out.append({"url": url, "id": row[0] if row else None, "title": row[1] if row else None})
    return out


def _label(name: str, value) -> str:
    return f"{pad(name, 11)} {value}"


def render_article(record: dict, width: int = 80) -> str:
    """The article as text: a header of fields, the body, then pictures, files and history."""
    out = [record["title"], "=" * min(width, 2 * len(record["title"])), ""]
    others = [c["column"] for c in record["columns"] if c["column"] != record["column"]]
    column = record["column"] or "—"
    out.append(_label("Column", column + (f" (also under: {', '.join(others)})" if others else "")))
    out.append(_label("Portal", record["portal"]))
    if record["source"]:
        out.append(_label("Source", record["source"]))
    out.append(_label("Published", published(record) or f"unknown ({record['published_raw'] or 'not printed'})"))
    for role, names in record["credits"].items():
        out.append(_label(role, "、".join(names)))
    out.append(_label("Archive id", record["id"]))
    for i, url in enumerate(record["urls"]):
        seen = f"  ({url['column'] or 'no column'}; seen {url['first_seen_at']} – {url['last_seen_at']})"
        out.append(_label("URLs" if i == 0 else "", url["url"] + seen))
    out += ["", record["body_text"], ""]
    kept = {asset["url"]: asset for asset in record.get("assets", ())}
    if record["images"]:
        out.append("Images" + _kept_count(record["images"], kept))
        out += [f"  {i}. {im['url']}{_kept(im['url'], kept)}" + (f"\n     {im['caption']}" if im["caption"] else "")
                for i, im in enumerate(record["images"], 1)]
    if record["attachments"]:
        out.append("Attachments" + _kept_count(record["attachments"], kept))
        out += [f"  {i}. {at['name'] or '(no name)'}  {at['url']}{_kept(at['url'], kept)}"
                for i, at in enumerate(record["attachments"], 1)]
    if record.get("related_articles"):
        out.append(f"Related articles ({len(record['related_articles'])})")
        out += [f"  #{r['id']}  {r['title']}" if r["id"] is not None else f"  (not in the archive)  {r['url']}"
                for r in record["related_articles"]]
    if record["view_counts"]:
        out.append("Views")
        out += [f"  {v['observed_at']}  {v['count']:>8}  ({v['method'] or 'unknown'})" for v in record["view_counts"]]
    if record["revisions"]:
        out.append(f"Revisions ({len(record['revisions'])} earlier version{'s' if len(record['revisions']) > 1 else ''})")
        newer = record["revisions"][1:] + [record]
        for old, new in zip(record["revisions"], newer):
            out.append(f"  seen {old['first_seen_at']} – replaced {old['replaced_at']}")
            if old["title"] != new["title"]:
                out.append(f"    title was: {old['title']}")
            out += ["    " + line for line in _changed_lines(old["body_text"], new["body_text"])]
    return "\n".join(line.rstrip() for line in out).rstrip() + "\n"


def _kept_count(parts: list[dict], kept: dict) -> str:
    """`` (2 of 3 stored in the archive)`` once the archive keeps any of the article's files."""
    if not kept:
        return ""
    return f" ({sum(p['url'] in kept for p in parts)} of {len(parts)} stored in the archive)"


def _kept(url: str, kept: dict) -> str:
    """How the archive keeps the file at ``url``: its type, size and sha256, or that it does not."""
    asset = kept.get(url)
    if asset is None:
        return "  [not stored]" if kept else ""
    return f"  [stored: {asset['content_type']}, {_size(asset['size'])}, sha256 {asset['sha256'][:12]}]"


def _size(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def _changed_lines(old: str, new: str) -> list[str]:
    """Body lines removed (-) and added (+) by a revision, wrapped for the terminal."""
    lines = []
    for line in difflib.ndiff((old or "").splitlines(), (new or "").splitlines()):
        if line[:1] in "-+":
            lines += textwrap.wrap(line, 76, subsequent_indent="  ") or [line]
    return lines


def published(record: dict) -> str | None:
    """``published_at`` as precise as the page printed it, with its zone: ``2025-04-17`` for a
    date without a time (not a midnight the page never said), ``2024-12-20T17:19+08:00`` for
    one to the minute (not seconds it never said)."""
    stamp = record.get("published_at")
    precision = record.get("published_precision")
    if stamp and precision == "day":
        return stamp[:10]
    if stamp and precision == "minute" and len(stamp) >= 19 and stamp[16:19] == ":00":
        return stamp[:16] + stamp[19:]
    return stamp
