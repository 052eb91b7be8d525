"""The archivist's commands: summary, search, show, stats, export. All open the archive read-only."""
from __future__ import annotations

import json
from pathlib import Path

import click

from archive.query import open_readonly, writable
from archive.terminal import pad, width
from newscrawl.cli.base import File, cli, db_option, echo, echo_json, filter_options, json_option, progress, whole_number


@cli.command()
@db_option
@click.option("--url", "show_url", default=None, help="Also print this article's fields.")
def summary(db_path: str, show_url: str | None):
    """Articles per portal and column, failures, and optionally one article."""
    db = open_readonly(db_path)
    total = db.execute("select count(*) from articles").fetchone()[0]
    echo(f"{total} articles in {db_path}")
    rows = db.execute(
        """select a.portal, c.column, count(*) from article_columns c join articles a on a.id = c.article_id
           group by a.portal, c.column order by a.portal, count(*) desc"""
    ).fetchall()
    portals, columns = (max([width(row[i]) for row in rows] + [8]) for i in (0, 1))
    for portal, column, count in rows:
        echo(f"  {pad(portal, portals)}  {pad(column, columns)}  {count:>6}")
    urls = db.execute("select count(*) from article_urls").fetchone()[0]
    failures = db.execute("select count(*) from failures where resolved_at is null").fetchone()[0]
    echo(f"{urls} URLs seen, {failures} unresolved failures")
    methods = db.execute(  # how each article's latest count was read
        """select v.method, count(*) from view_counts v
           join (select max(id) id from view_counts group by article_id) latest using (id) group by v.method"""
    ).fetchall()
    counted = sum(n for _, n in methods)
    echo(f"{counted} of {total} articles have a view count" + "".join(f", {n} read {m}" for m, n in methods))
    if show_url:
        row = db.execute(
            "select a.* from articles a join article_urls u on u.article_id = a.id where u.url = ?", [show_url]
        ).fetchone()
        if row is None:
            raise click.ClickException(f"no article at {show_url}")
        cols = [d[0] for d in db.execute("select * from articles limit 0").description]
        article = dict(zip(cols, row))
        for key in ("title", "portal", "column", "source", "published_at", "view_count"):
            echo(f"{key:>13}: {article[key]}")
        echo(f"{'credits':>13}: {article['credits']}")
        echo(f"{'images':>13}: {len(json.loads(article['images']))}")
        echo(f"{'body_text':>13}: {article['body_text'][:120]}…")


@cli.command()
@click.argument("query", required=False, default="")
@filter_options
@click.option("--limit", default=20, show_default=True, type=whole_number(1), help="At most this many results.")
@click.option("--offset", default=0, type=whole_number(0), help="Leave out the first N results: the next page.")
@click.option("--raw", is_flag=True, help="QUERY is FTS5 syntax (AND, OR, NOT, NEAR, \"phrases\"), terms of 3+ characters.")
@db_option
@json_option
def search(query: str, filters, limit: int, offset: int, raw: bool, db_path: str, as_json: bool):
    """Articles whose title, body, source or credits contain every term of QUERY, best first.

    Terms are separated by spaces; "quote" a phrase that contains a space. Terms of any
    length work: 天津科创中心, 交大 (two characters), 校 (one), 徐琛 (a credited name).
    The last line says how many were found in all ("20 of 312 articles"); --offset 20 shows
    the next ones.
    """
    from archive.search import count, search as run_search

    if not query.strip() and not any(vars(filters).values()):
        raise click.UsageError("give a QUERY, a filter (--credit, --column, --since …), or both")
    db = open_readonly(db_path)
    hits = run_search(db, query, filters, limit=limit, offset=offset, raw=raw)
    if as_json:
        echo_json([hit.to_dict() for hit in hits])
        return
    if not hits:
        past = f" past the first {offset} ({count(db, query, filters, raw=raw)} in all)" if offset else ""
        click.echo(f"no articles found{past}", err=True)
        return
    for hit in hits:
        date = (hit.published_at or "")[:10] or "undated"
        # The column searched for, or every column the article appeared under.
        columns = hit.column if filters.column else "、".join(hit.columns)
        echo(f"#{hit.id}  {date}  {hit.portal}/{columns}  {hit.title}")
        echo(f"    {hit.snippet}")
        echo(f"    {hit.url}")
    total = offset + len(hits) if len(hits) < limit else count(db, query, filters, raw=raw)
    shown = f"{offset + 1}–{offset + len(hits)}" if offset else f"{len(hits)}"
    rest = total - offset - len(hits)
    if not rest:
        more = ""
    elif offset:
        more = f"; --offset {offset + len(hits)} shows the next {min(rest, limit)}"
    else:
        more = f"; --limit {total} shows them all, --offset {len(hits)} the next {min(rest, limit)}"
    echo(f"{shown} of {total} articles{more}")


@cli.command()
@click.argument("article", metavar="URL_OR_ID")
@db_option
@json_option
def show(article: str, db_path: str, as_json: bool):
    """One article as it reads, with where it appeared, its view counts and earlier versions.

    URL_OR_ID is the id search prints (#12 or 12) or any URL the article was seen under,
    in any form (http or https, with index.htm or a query string).
    """
    from archive.query import resolve_article
    from newscrawl.urls import url_forms
    from archive.show import load_article, render_article

    db = open_readonly(db_path)
    record = load_article(db, resolve_article(db, article, url_forms(article)))
    if as_json:
        echo_json(record)
    else:
        echo(render_article(record), nl=False)


@cli.command()
@db_option
@json_option
@click.option("--runs", default=10, show_default=True, type=whole_number(0), help="How many recent crawl runs to list.")
def stats(db_path: str, as_json: bool, runs: int):
    """Articles per portal, column and year; unresolved failures; the last crawl runs."""
    from archive.lock import ArchiveLock
    from archive.stats import render_stats, stats as collect

    lock = ArchiveLock(db_path)
    left = (lock.note() or {}).get("outcome")
    data = collect(open_readonly(db_path), runs=runs, crawling=lock.is_held(), left=left)
    if as_json:
        echo_json(data)
    else:
        echo(render_stats(data), nl=False)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "warc", "wacz"]), required=True, help="Output format.")
@click.option("-o", "--output", required=True, type=File(path_type=Path),
              help="File to write (.warc.gz: compressed WARC; .wacz); never the archive.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--query", default=None, help="Only articles matching this search query.")
@click.option("--raw", is_flag=True, help="--query is FTS5 syntax.")
@filter_options
@db_option
def export(fmt: str, output: Path, force: bool, query: str | None, raw: bool, filters, db_path: str):
    """Write the selected articles (all by default) to a file.

    jsonl: one article a line, as `show --json`. csv: one row an article, for a
    spreadsheet (a cell that would start a formula starts with '). warc: the pages as
    fetched (HTTP status, headers, date) and their requests, with the images and attachments
    `crawl --assets` kept, for web archive tools. wacz:
    that WARC with its index and a list of the articles (title, date, text), one file that
    ReplayWeb.page and pywb open. The file appears when it is complete; an existing one is
    replaced only with --force.
    """
    from archive import export as exporting

    db = open_readonly(db_path)
    ids = exporting.selected_ids(db, query, filters, raw=raw)
    if fmt in ("warc", "wacz"):
        mode, text = "wb", {}
    else:
        mode, text = "w", {"encoding": "utf-8-sig" if fmt == "csv" else "utf-8", "newline": ""}
    try:
        with exporting.open_output(output, Path(db_path), mode, force=force, **text) as fp, \
                progress(ids, f"exporting {len(ids)} articles") as items:
            if fmt == "jsonl":
                count = exporting.write_jsonl(db, items, fp)
            elif fmt == "csv":
                count = exporting.write_csv(db, items, fp)
            elif fmt == "warc":
                count = exporting.write_warc(db, items, fp, gzip=output.name.endswith(".gz"), filename=output.name)
            else:
                folder = output.resolve().parent
                count = exporting.write_wacz(db, items, fp, title=f"NewsCrawl: {output.stem}",
                                             workdir=folder if writable(folder) else None)
    except exporting.OutputIsArchive as exc:
        raise click.BadParameter(str(exc), param_hint="'-o' / '--output'") from exc
    if fmt == "warc":
        echo(f"wrote {count} pages to {output} (from {len(ids)} articles)")
    elif fmt == "wacz":
        unstored = f"; {len(ids) - count} with no stored page left out" if count < len(ids) else ""
        echo(f"wrote {count} articles as pages to {output}{unstored}")
    else:
        echo(f"wrote {count} articles to {output}")
