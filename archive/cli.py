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


@cli.command()
@click.argument("portal")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--since", help="Backfill: articles published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Backfill: articles published on or before this date.")
@click.option("--columns", help="Comma-separated column slugs (default: all).")
@click.option("--max-pages", type=int, help="Walk at most this many list pages per column.")
@click.option("--full", is_flag=True, help="Walk every list page, not only up to the first page with nothing new.")
@click.option("--refresh-days", type=int, help="Also re-visit archived articles of the last N days.")
@click.option("--base-url", help="Crawl a mirror or the bundled portal instead of the real site.")
@click.option("--wait", type=float, default=0, show_default=True, help="Seconds to wait for a running crawl to finish.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting.")
@click.option("-v", "--verbose", is_flag=True, help="Log progress (default: quiet unless something is wrong).")
def crawl(portal, db_path, since, until, columns, max_pages, full, refresh_days, base_url, wait, overrides, verbose):
    """Crawl PORTAL into the archive, for cron: one run at a time, quiet when all is well.

    Exit status 0 when the run went well (or another run holds the archive), 1 when pages
    failed; then one summary line goes to stderr.
    """
    from newscrawl import run
    from spiders import portals

    if portal not in portals():
        raise click.ClickException(f"unknown portal {portal!r}; known: {', '.join(sorted(portals()))}")
    arguments = {k: str(v) for k, v in dict(since=since, until=until, columns=columns, max_pages=max_pages,
                                            refresh_days=refresh_days, base_url=base_url).items() if v}
    if full:
        arguments["full"] = "1"
    settings = {"ARCHIVE_PATH": db_path, "ARCHIVE_LOCK_WAIT": wait, "LOG_LEVEL": "INFO" if verbose else "ERROR"}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.ClickException(f"-s needs NAME=VALUE, got {item!r}")
        settings[name] = value
    try:
        outcome = run.crawl(portal, arguments, settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if outcome.exit_code or verbose:
        click.echo(outcome.summary(), err=True)
    elif outcome.status == "archive_locked" and verbose:
        click.echo("newscrawl: another crawl holds the archive; nothing done", err=True)
    sys.exit(outcome.exit_code)


def main():
    cli(prog_name="newscrawl")


if __name__ == "__main__":
    sys.exit(main())
