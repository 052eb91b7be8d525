"""The `newscrawl` command: a thin layer over the archive and the extractor."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archive.store import ArchiveError, open_database

DEFAULT_DB = "archive/news.db"


def _db(path: str):
    try:
        return open_database(path, create=False)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
@click.version_option(package_name="newscrawl")
def cli():
    """Crawl university news portals into a SQLite archive, and read the archive."""


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The URL the page was fetched from (links resolve against it).")
@click.option("--portal", "portal_name", default=None, help="Portal profile to use (default: generic VSB rules).")
def extract(file: Path, url: str, portal_name: str | None):
    """Print the article extracted from a saved page FILE, as JSON."""
    from newscrawl.extract import ExtractionError
    from newscrawl.extract import extract as extract_article
    from newscrawl.profile import GENERIC_VSB
    from spiders import portals

    portal = GENERIC_VSB
    if portal_name:
        known = portals()
        if portal_name not in known:
            raise click.ClickException(f"unknown portal {portal_name!r}; known: {', '.join(sorted(known))}")
        portal = known[portal_name]
    try:
        article = extract_article(file.read_bytes(), url, portal)
    except ExtractionError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    click.echo(json.dumps(article.to_dict(), ensure_ascii=False, indent=2))


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--url", "show_url", default=None, help="Also print this article's fields.")
def summary(db_path: str, show_url: str | None):
    """Articles per portal and column, failures, and optionally one article."""
    db = _db(db_path)
    total = db.execute("select count(*) from articles").fetchone()[0]
    click.echo(f"{total} articles in {db_path}")
    rows = db.execute(
        """select a.portal, c.column, count(*) from article_columns c join articles a on a.id = c.article_id
           group by a.portal, c.column order by a.portal, count(*) desc"""
    ).fetchall()
    for portal, column, count in rows:
        click.echo(f"  {portal:<10} {column:<12} {count:>6}")
    urls = db.execute("select count(*) from article_urls").fetchone()[0]
    failures = db.execute("select count(*) from failures where resolved_at is null").fetchone()[0]
    click.echo(f"{urls} URLs seen, {failures} unresolved failures")
    methods = db.execute(  # how each article's latest count was read
        """select v.method, count(*) from view_counts v
           join (select max(id) id from view_counts group by article_id) latest using (id) group by v.method"""
    ).fetchall()
    counted = sum(n for _, n in methods)
    click.echo(f"{counted} of {total} articles have a view count" + "".join(f", {n} read {m}" for m, n in methods))
    if show_url:
        row = db.execute(
            "select a.* from articles a join article_urls u on u.article_id = a.id where u.url = ?", [show_url]
        ).fetchone()
        if row is None:
            raise click.ClickException(f"no article at {show_url}")
        cols = [d[0] for d in db.execute("select * from articles limit 0").description]
        article = dict(zip(cols, row))
        for key in ("title", "portal", "column", "source", "published_at", "view_count"):
            click.echo(f"{key:>13}: {article[key]}")
        click.echo(f"{'credits':>13}: {article['credits']}")
        click.echo(f"{'images':>13}: {len(json.loads(article['images']))}")
        click.echo(f"{'body_text':>13}: {article['body_text'][:120]}…")


def main():
    cli(prog_name="newscrawl")


if __name__ == "__main__":
    sys.exit(main())
