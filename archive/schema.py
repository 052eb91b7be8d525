"""The archive's schema as sqlite-utils migrations, so an old archive upgrades in place."""
from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("newscrawl")


@migrations()
def m001_initial(db: Database) -> None:
    db["articles"].create(
        {
            "id": int,
            "canonical_url": str,
            "portal": str,
            "column": str,
            "title": str,
            "source": str,
            "published_at": str,
            "published_raw": str,
            "body_text": str,
            "body_html": str,
            "credits": str,  # JSON {role: [names]}; also one row per name in `credits`
            "images": str,  # JSON [{url, caption}]
            "attachments": str,  # JSON [{url, name}]
            "related": str,  # JSON [url]
            "view_count": int,
            "content_hash": str,
            "extraction": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "fetched_at": str,
        },
        pk="id",
        not_null={"canonical_url", "portal", "title", "content_hash"},
    )
    db["articles"].create_index(["canonical_url"], unique=True)
    db["articles"].create_index(["portal", "content_hash"])
    db["articles"].create_index(["portal", "column", "published_at"])
    db["articles"].create_index(["published_at"])

    # Every URL an article was seen under (http/https, two columns, index.htm ...).
    db["article_urls"].create(
        {"url": str, "article_id": int, "column": str, "first_seen_at": str, "last_seen_at": str},
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_urls"].create_index(["article_id"])
    db["article_columns"].create(
        {"article_id": int, "column": str, "first_seen_at": str},
        pk=("article_id", "column"),
        foreign_keys=[("article_id", "articles", "id")],
    )

    db["credits"].create(
        {"article_id": int, "role": str, "name": str, "position": int},
        pk=("article_id", "role", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["credits"].create_index(["name"])
    db["credits"].create_index(["role", "name"])
    db["images"].create(
        {"article_id": int, "position": int, "url": str, "caption": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["attachments"].create(
        {"article_id": int, "position": int, "url": str, "name": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )

    # The page as fetched, zlib-compressed, so extraction can be re-run without the network.
    db["pages"].create(
        {
            "url": str,
            "article_id": int,
            "fetched_at": str,
            "status": int,
            "headers": str,  # JSON
            "html_zlib": bytes,
        },
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["pages"].create_index(["article_id"])

    db["crawl_runs"].create(
        {
            "id": int,
            "portal": str,
            "started_at": str,
            "finished_at": str,
            "arguments": str,  # JSON
            "requests": int,
            "new_articles": int,
            "updated_articles": int,
            "duplicate_articles": int,
            "failures": int,
            "failures_by_kind": str,  # JSON {kind: count}
            "status": str,  # running | ok | failed | interrupted
        },
        pk="id",
    )

    # Failures are data: the URL, why, and when; the next run retries what is unresolved.
    db["failures"].create(
        {
            "url": str,
            "portal": str,
            "kind": str,  # http | network | redirect | truncated | encoding | extraction | validation | view_count
            "reason": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "attempts": int,
            "run_id": int,
            "resolved_at": str,
        },
        pk="url",
    )
    db["failures"].create_index(["portal", "resolved_at"])

    # A view count is an observation, not a constant: one row per reading, never overwritten.
    db["view_counts"].create(
        {"id": int, "article_id": int, "observed_at": str, "count": int, "method": str},
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["view_counts"].create_index(["article_id", "observed_at"])

    # Earlier versions of an article: a re-crawl that finds new text never overwrites silently.
    db["revisions"].create(
        {
            "id": int,
            "article_id": int,
            "title": str,
            "body_text": str,
            "body_html": str,
            "content_hash": str,
            "first_seen_at": str,
            "replaced_at": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["revisions"].create_index(["article_id"])


@migrations()
def m002_search(db: Database) -> None:
    """Full-text search over title and body, named and shaped the way sqlite-utils and
    Datasette expect (``articles_fts``, ``content=[articles]``) so both find it unaided."""
    # Trigram: Chinese has no spaces between words, so any 3+ character substring is a
    # term; shorter queries are answered by a scan (see archive/search.py).
    db.execute(
        "CREATE VIRTUAL TABLE [articles_fts] USING FTS5 (\n"
        "    [title], [body_text],\n    tokenize='trigram',\n    content=[articles]\n)"
    )
    db.execute("INSERT INTO [articles_fts] (rowid, [title], [body_text]) SELECT id, title, body_text FROM articles")
    # Plain statements, not executescript (which would commit the migration's transaction).
    # The update trigger fires only when the text changes: a visit that records a view
    # count or last_seen_at must not re-index the article.
    db.execute(
        """CREATE TRIGGER [articles_ai] AFTER INSERT ON [articles] BEGIN
             INSERT INTO [articles_fts] (rowid, [title], [body_text]) VALUES (new.id, new.title, new.body_text);
           END"""
    )
    db.execute(
        """CREATE TRIGGER [articles_ad] AFTER DELETE ON [articles] BEGIN
             INSERT INTO [articles_fts] ([articles_fts], rowid, [title], [body_text])
               VALUES ('delete', old.id, old.title, old.body_text);
           END"""
    )
    db.execute(
        """CREATE TRIGGER [articles_au] AFTER UPDATE OF [title], [body_text] ON [articles] BEGIN
             INSERT INTO [articles_fts] ([articles_fts], rowid, [title], [body_text])
               VALUES ('delete', old.id, old.title, old.body_text);
             INSERT INTO [articles_fts] (rowid, [title], [body_text]) VALUES (new.id, new.title, new.body_text);
           END"""
    )


@migrations()
def m003_short_terms(db: Database) -> None:
    """Make 1–2 character searches use the index instead of scanning every article.

    Every occurrence of a short term starts some trigram of the index, except in a text's
    last two characters. The vocabulary table lists the index's trigrams (so those that
    start with the term can be looked up), and indexes on each text's last characters
    cover the rest (see archive/search.py)."""
    db.execute("CREATE VIRTUAL TABLE [articles_fts_vocab] USING fts5vocab([articles_fts], 'row')")
    for column in ("title", "body_text"):
        for name, expr in (("end2", f"substr([{column}], -2)"), ("end1", f"substr([{column}], -1)"),
                           ("end21", f"substr([{column}], -2, 1)")):
            db.execute(f"CREATE INDEX [idx_articles_{column}_{name}] ON [articles] ({expr})")


class NewerSchemaError(Exception):
    """The archive was written by a newer NewsCrawl: reading or writing it could misread it."""


def refuse_newer(db: Database, path) -> None:
    """Raise ``NewerSchemaError`` when ``db`` holds migrations this code does not know."""
    known = {m.name for m in migrations._migrations}
    unknown = [m.name for m in migrations.applied(db) if m.name not in known]
    if unknown:
        ours = max(known)
        raise NewerSchemaError(
            f"{path} has schema {unknown[-1]}, newer than this NewsCrawl's ({ours}): upgrade NewsCrawl to use it"
        )


@migrations()
def m004_frontier(db: Database) -> None:
    """Pages a crawl has discovered but not yet finished, so a killed crawl loses none.

    A row is written before the page that named it is marked done, and removed in the
    transaction that archives the page (an article) or records what it led to (a list
    page); the next run fetches what is left first. ``crawl_runs.pid`` lets a later run
    tell a run that is still going from one that was killed."""
    db["frontier"].create(
        {
            "url": str,
            "portal": str,
            "kind": str,  # article | list
            "column": str,  # an article's column name, or a list page's column slug
            "page": int,  # a list page's number in its column's walk
            "source": str,  # the page that named it
            "discovered_at": str,
            # A list page's: when the walk of its column began. Articles archived since then
            # (through related links, say) are new to that walk, so a resumed walk goes on
            # past pages a killed run had reached some other way.
            "walk_started_at": str,
        },
        pk="url",
    )
    db["frontier"].create_index(["portal", "kind"])
    db["crawl_runs"].add_column("pid", int)
    db["crawl_runs"].add_column("reason", str)  # why a run that was not ok ended as it did


# What the full-text index covers, in order (bm25 weights and snippets count on it).
SEARCHED_COLUMNS = ("title", "body_text", "source", "credits")


@migrations()
def m006_search_credits(db: Database) -> None:
    """Search what the page shows: the source and the credits join title and body in the index.

    One query then finds 徐琛 whether the text or the credit line names them. The index is
    rebuilt with the new columns (same name and shape, so sqlite-utils and Datasette still
    find it), its triggers follow all four, and the end-of-text indexes of m003 cover the
    new columns for 1–2 character terms. ``credits`` is indexed as stored, JSON with the
    names as written (``{"编辑": ["徐琛"]}``)."""
    columns = ", ".join(f"[{c}]" for c in SEARCHED_COLUMNS)
    old = ", ".join(f"old.[{c}]" for c in SEARCHED_COLUMNS)
    new = ", ".join(f"new.[{c}]" for c in SEARCHED_COLUMNS)
    for trigger in ("articles_ai", "articles_ad", "articles_au"):
        db.execute(f"DROP TRIGGER IF EXISTS [{trigger}]")
    db.execute("DROP TABLE IF EXISTS [articles_fts_vocab]")
    db.execute("DROP TABLE IF EXISTS [articles_fts]")
    db.execute(
        f"CREATE VIRTUAL TABLE [articles_fts] USING FTS5 (\n    {columns},\n    tokenize='trigram',\n"
        "    content=[articles]\n)"
    )
    db.execute(f"INSERT INTO [articles_fts] (rowid, {columns}) SELECT id, {columns} FROM articles")
    db.execute(
        f"""CREATE TRIGGER [articles_ai] AFTER INSERT ON [articles] BEGIN
             INSERT INTO [articles_fts] (rowid, {columns}) VALUES (new.id, {new});
           END"""
    )
    db.execute(
        f"""CREATE TRIGGER [articles_ad] AFTER DELETE ON [articles] BEGIN
             INSERT INTO [articles_fts] ([articles_fts], rowid, {columns}) VALUES ('delete', old.id, {old});
           END"""
    )
    # As in m002, only a change of the searched text re-indexes an article.
    db.execute(
        f"""CREATE TRIGGER [articles_au] AFTER UPDATE OF {columns} ON [articles] BEGIN
             INSERT INTO [articles_fts] ([articles_fts], rowid, {columns}) VALUES ('delete', old.id, {old});
             INSERT INTO [articles_fts] (rowid, {columns}) VALUES (new.id, {new});
           END"""
    )
    db.execute("CREATE VIRTUAL TABLE [articles_fts_vocab] USING fts5vocab([articles_fts], 'row')")
    for column in ("source", "credits"):
        for name, expr in (("end2", f"substr([{column}], -2)"), ("end1", f"substr([{column}], -1)"),
                           ("end21", f"substr([{column}], -2, 1)")):
            db.execute(f"CREATE INDEX IF NOT EXISTS [idx_articles_{column}_{name}] ON [articles] ({expr})")


@migrations()
def m007_cms(db: Database) -> None:
    """Which CMS family served each article's page (vsb, webplus, generic), as detected;
    empty for articles archived before it was recorded."""
    db["articles"].add_column("cms", str)


@migrations()
def m008_published_precision(db: Database) -> None:
    """How much of ``published_at`` the page printed (day, minute, second): a day-only date
    is stored as that day's midnight and must not read as a time. NULL for older rows."""
    db["articles"].add_column("published_precision", str)


@migrations()
def m009_assets(db: Database) -> None:
    """Images and attachments kept in the archive (``crawl --assets``), so they outlive the portal.

    ``assets`` holds each content once, keyed by its sha256, however many URLs and articles
    name it; ``article_assets`` is the URL → content map, per article and role (image |
    attachment), with when that URL's bytes were fetched. A URL whose download failed has
    no row here (it is a failure of kind ``asset``, retried by the next run)."""
    db["assets"].create(
        {"sha256": str, "content_type": str, "size": int, "content": bytes, "first_url": str, "fetched_at": str},
        pk="sha256",
    )
    db["article_assets"].create(
        {"article_id": int, "url": str, "sha256": str, "role": str, "fetched_at": str},
        pk=("article_id", "url"),
        foreign_keys=[("article_id", "articles", "id"), ("sha256", "assets", "sha256")],
    )
    db["article_assets"].create_index(["url"])
    db["article_assets"].create_index(["sha256"])
