"""The `newscrawl` command: a thin layer over the archive and the extractor."""
from __future__ import annotations

import contextlib
import functools
import json
import socket
import sqlite3
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from archive.query import QueryError, open_readonly, writable
from archive.schema import NewerSchemaError
from archive.store import ArchiveError
from archive.terminal import dumps, printable

DEFAULT_DB = "archive/news.db"
MAX_PAGE_BYTES = 64 * 2**20  # a saved news page is well under this; /dev/zero is not
INSTALL_DATASETTE = "pip install 'newscrawl[datasette]'"


def _one_line(exc: Exception) -> str:
    """What went wrong, for a person, in one line."""
    from archive.export import ExportError

    if isinstance(exc, (ArchiveError, NewerSchemaError, ExportError)):
        return str(exc)
    if isinstance(exc, sqlite3.DatabaseError):
        return f"the archive could not be read: {exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return f"internal error, {type(exc).__name__}: {exc} (`newscrawl --debug …` shows the traceback)"


class _Command(click.Command):
    """A command whose text arguments are text: a NUL or bytes that are not UTF-8 are a usage
    error here, not a crash in SQLite or the terminal. (File names may be any bytes.)"""

    def parse_args(self, ctx, args):
        for arg in args:
            if "\0" in arg:
                raise click.UsageError(f"argument {arg!r} contains a NUL character", ctx=ctx)
        rest = super().parse_args(ctx, args)
        for param in self.params:
            values = ctx.params.get(param.name)
            for value in values if isinstance(values, tuple) else [values]:
                if isinstance(value, str) and not isinstance(param.type, click.Path) and not _is_utf8(value):
                    raise click.BadParameter(f"{value!r} is not UTF-8 text", ctx=ctx, param=param)
        return rest


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")  # undecodable bytes of argv arrive as lone surrogates, which fail
    except UnicodeEncodeError:
        return False
    return True


class _Group(click.Group):
    """Every error is one line on stderr: exit 2 when the command line is wrong in itself
    (an unknown option, a value out of range, an output that is the archive), 1 when the
    files or the system say no (no archive there, disk full). ``--debug`` shows the
    traceback of anything but a usage error."""

    command_class = _Command

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise  # click's own ways to end (--help, Ctrl-C), and a reader that has seen enough
        except QueryError as exc:
            raise click.UsageError(str(exc)) from exc
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(_one_line(exc)) from exc

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            if not standalone_mode:
                raise
            message = " ".join(exc.format_message().split())  # click lists choices on lines of their own
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                message += f" (see {exc.ctx.command_path} --help)"
            click.echo(printable(f"Error: {message}"), err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            if not standalone_mode:
                raise
            click.echo("Aborted!", err=True)
            sys.exit(1)
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def _progress(items, label: str):
    """A progress bar when a person watches (stdout is a terminal); the bare items otherwise."""
    if sys.stdout.isatty():
        return click.progressbar(items, label=label, file=sys.stderr)
    return contextlib.nullcontext(items)


def _echo(text: str = "", **kwargs) -> None:
    """Print text from the archive or the command line, which a terminal must not act on."""
    click.echo(printable(text), **kwargs)


def _echo_json(data) -> None:
    click.echo(dumps(data, indent=2))


def _whole_number(minimum: int, maximum: int | None = None) -> click.IntRange:
    kind = click.IntRange(minimum, maximum)
    kind.name = "whole number"  # click says "integer range", as if a range were wanted
    return kind


class _File(click.Path):
    """A file name that is not empty (pathlib would read "" as ".", the current directory)."""

    def __init__(self, **kwargs):
        super().__init__(dir_okay=False, **kwargs)

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value:
            self.fail("an empty file name: give a file", param, ctx)
        return super().convert(value, param, ctx)


def _http_url(ctx, param, value: str) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # a port beyond 65535 or not a number raises here
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a URL ({exc}): give the page's http(s) address", ctx=ctx, param=param)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an http(s) URL: give the page's address, e.g. https://news.xjtu.edu.cn/info/1002/1001.htm", ctx=ctx, param=param)
    return value


db_option = click.option(
    "--db", "db_path", default=DEFAULT_DB, show_default=True, type=_File(),
    help="Archive file.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def _column_name(column: str | None, portal: str | None) -> str | None:
    """The archive keeps columns by the name the portal shows; a slug (jdyw, as ``crawl
    --columns`` takes) names the same column."""
    if not column:
        return column
    from newscrawl.portals import portals

    for profile in portals().values():
        if portal in (None, profile.name):
            for known in profile.columns:
                if column == known.slug:
                    return known.name
    return column


def filter_options(func):
    """--portal, --column, --since, --until, --credit: the same filters for search and export."""

    @click.option("--portal", default=None, help="Only this portal (e.g. xjtu).")
    @click.option("--column", default=None, help="Only articles that appeared under this column: 今日交大 or its slug, jdyw.")
    @click.option("--since", default=None, metavar="DATE", help="Published on or after YYYY, YYYY-MM or YYYY-MM-DD.")
    @click.option("--until", default=None, metavar="DATE", help="Published on or before YYYY, YYYY-MM or YYYY-MM-DD.")
    @click.option("--credit", default=None, metavar="[ROLE=]NAME", help="Credited to NAME (in ROLE): 王某 or 摄影=王某.")
    @functools.wraps(func)
    def wrapper(*args, portal, column, since, until, credit, **kwargs):
        from archive.query import Filters

        return func(*args, filters=Filters(portal, _column_name(column, portal), since, until, credit), **kwargs)

    return wrapper


@click.group(cls=_Group)
@click.version_option(package_name="newscrawl")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an error instead of one line.")
def cli(debug: bool):
    """Crawl university news portals into a SQLite archive, and read the archive."""


@cli.command()
@click.argument("file", type=_File(exists=True, path_type=Path))
@click.option("--url", required=True, callback=_http_url, help="The URL the page was fetched from (links resolve against it).")
@click.option("--portal", "portal_name", default=None, help="Portal profile to use (default: generic VSB rules).")
def extract(file: Path, url: str, portal_name: str | None):
    """Print the article extracted from a saved page FILE, as JSON."""
    from newscrawl.extract import ExtractionError
    from newscrawl.extract import extract as extract_article
    from newscrawl.profile import GENERIC_VSB
    from newscrawl.portals import portals

    portal = GENERIC_VSB
    if portal_name:
        known = portals()
        if portal_name not in known:
            raise click.BadParameter(f"unknown portal {portal_name!r}; known: {', '.join(sorted(known))}", param_hint="'--portal'")
        portal = known[portal_name]
    with file.open("rb") as fp:
        page = fp.read(MAX_PAGE_BYTES + 1)  # a device or a pipe may never end
    if len(page) > MAX_PAGE_BYTES:
        raise click.ClickException(f"{file} is larger than {MAX_PAGE_BYTES >> 20} MiB: not a saved page")
    try:
        article = extract_article(page, url, portal)
    except ExtractionError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    _echo_json(article.to_dict())


@cli.command()
@db_option
@click.option("--url", "show_url", default=None, help="Also print this article's fields.")
def summary(db_path: str, show_url: str | None):
    """Articles per portal and column, failures, and optionally one article."""
    db = open_readonly(db_path)
    total = db.execute("select count(*) from articles").fetchone()[0]
    _echo(f"{total} articles in {db_path}")
    rows = db.execute(
        """select a.portal, c.column, count(*) from article_columns c join articles a on a.id = c.article_id
           group by a.portal, c.column order by a.portal, count(*) desc"""
    ).fetchall()
    for portal, column, count in rows:
        _echo(f"  {portal:<10} {column:<12} {count:>6}")
    urls = db.execute("select count(*) from article_urls").fetchone()[0]
    failures = db.execute("select count(*) from failures where resolved_at is null").fetchone()[0]
    _echo(f"{urls} URLs seen, {failures} unresolved failures")
    methods = db.execute(  # how each article's latest count was read
        """select v.method, count(*) from view_counts v
           join (select max(id) id from view_counts group by article_id) latest using (id) group by v.method"""
    ).fetchall()
    counted = sum(n for _, n in methods)
    _echo(f"{counted} of {total} articles have a view count" + "".join(f", {n} read {m}" for m, n in methods))
    if show_url:
        row = db.execute(
            "select a.* from articles a join article_urls u on u.article_id = a.id where u.url = ?", [show_url]
        ).fetchone()
        if row is None:
            raise click.ClickException(f"no article at {show_url}")
        cols = [d[0] for d in db.execute("select * from articles limit 0").description]
        article = dict(zip(cols, row))
        for key in ("title", "portal", "column", "source", "published_at", "view_count"):
            _echo(f"{key:>13}: {article[key]}")
        _echo(f"{'credits':>13}: {article['credits']}")
        _echo(f"{'images':>13}: {len(json.loads(article['images']))}")
        _echo(f"{'body_text':>13}: {article['body_text'][:120]}…")


def _run_settings(db_path: str, wait: float, verbose: bool, overrides: tuple[str, ...]) -> dict[str, object]:
    """The Scrapy settings of a run the command line asked for (``-s NAME=VALUE`` last)."""
    settings = {"ARCHIVE_PATH": db_path, "ARCHIVE_LOCK_WAIT": wait, "LOG_LEVEL": "INFO" if verbose else "ERROR"}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.UsageError(f"-s needs NAME=VALUE, got {item!r}")
        settings[name] = value
    return settings


def _run(how, portal: str, arguments: dict, settings: dict, verbose: bool):
    """Run ``how`` (`newscrawl.run.crawl` or ``counts``) and end as cron expects: quiet and 0
    when all went well, else its summary line and its exit status."""
    try:
        outcome = how(portal, arguments, settings)
    except ValueError as exc:  # a bad argument or setting, found before any request
        raise click.UsageError(str(exc)) from exc
    if outcome.exit_code or verbose:
        _echo(outcome.summary(), err=True)
    sys.exit(outcome.exit_code)


@cli.command()
@click.argument("portal")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--since", metavar="DATE", help="Backfill: articles published on or after YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--until", metavar="DATE", help="Backfill: articles published on or before YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--columns", help="Comma-separated columns, by slug (jdyw) or name (今日交大); default: all.")
@click.option("--related", type=click.Choice(["all", "same-column", "0"]),
              help="Related-article links to follow (default: all, or 0 when the crawl is limited).")
@click.option("--max-pages", type=int, help="Walk at most this many list pages per column.")
@click.option("--full", is_flag=True, help="Walk every list page, not only up to the first page with nothing new.")
@click.option("--refresh-days", type=int, help="Also re-visit archived articles of the last N days.")
@click.option("--base-url", help="Crawl a mirror or the bundled portal instead of the real site.")
@click.option("--wait", type=float, default=0, show_default=True, help="Seconds to wait for a running crawl to finish.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting.")
@click.option("-v", "--verbose", is_flag=True, help="Log progress (default: quiet unless something is wrong).")
def crawl(portal, db_path, since, until, columns, related, max_pages, full, refresh_days, base_url, wait, overrides,
          verbose):
    """Crawl PORTAL into the archive, for cron: one run at a time, quiet when all is well.

    Exit status 0 when the run went well (or another run holds the archive), 1 when pages
    failed, the run was interrupted or could not write; then one summary line goes to
    stderr. 2: the command line was wrong (an unknown portal or column, a bad date).
    """
    from newscrawl import run
    from newscrawl.portals import portals

    if portal not in portals():
        raise click.UsageError(f"unknown portal {portal!r}; known: {', '.join(sorted(portals()))}")
    arguments = {k: str(v) for k, v in dict(since=since, until=until, columns=columns, related=related,
                                            max_pages=max_pages, refresh_days=refresh_days,
                                            base_url=base_url).items() if v}
    if full:
        arguments["full"] = "1"
    settings = _run_settings(db_path, wait, verbose, overrides)
    _run(run.crawl, portal, arguments, settings, verbose)


@cli.command()
@click.argument("portal")
@click.option("--days", type=_whole_number(1), help="Only articles published in the last N days (default: all).")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--base-url", help="Read the counters of a mirror or the bundled portal instead of the real site.")
@click.option("--wait", type=float, default=0, show_default=True, help="Seconds to wait for a running crawl to finish.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting.")
@click.option("-v", "--verbose", is_flag=True, help="Log progress (default: quiet unless something is wrong).")
def counts(portal, days, db_path, base_url, wait, overrides, verbose):
    """Re-read the view counts of PORTAL's archived articles, for cron: one observation each,
    without fetching their pages (VIEW_COUNTS_BATCH_SIZE counters per request where the portal's
    batch counter allows). Exit status and summary line as for `crawl`.
    """
    from newscrawl import run
    from newscrawl.portals import portals

    if portal not in portals():
        raise click.UsageError(f"unknown portal {portal!r}; known: {', '.join(sorted(portals()))}")
    arguments = {k: str(v) for k, v in dict(days=days, base_url=base_url).items() if v}
    settings = _run_settings(db_path, wait, verbose, overrides)
    _run(run.counts, portal, arguments, settings, verbose)


@cli.command()
@click.argument("query", required=False, default="")
@filter_options
@click.option("--limit", default=20, show_default=True, type=_whole_number(1), help="At most this many results.")
@click.option("--raw", is_flag=True, help="QUERY is FTS5 syntax (AND, OR, NOT, NEAR, \"phrases\"), terms of 3+ characters.")
@db_option
@json_option
def search(query: str, filters, limit: int, raw: bool, db_path: str, as_json: bool):
    """Articles whose title, body, source or credits contain every term of QUERY, best first.

    Terms are separated by spaces; "quote" a phrase that contains a space. Terms of any
    length work: 天津科创中心, 交大 (two characters), 校 (one), 徐琛 (a credited name).
    The last line says how many were found in all ("20 of 312 articles").
    """
    from archive.search import count, search as run_search

    if not query.strip() and not any(vars(filters).values()):
        raise click.UsageError("give a QUERY, a filter (--credit, --column, --since …), or both")
    db = open_readonly(db_path)
    hits = run_search(db, query, filters, limit=limit, raw=raw)
    if as_json:
        _echo_json([hit.to_dict() for hit in hits])
        return
    if not hits:
        click.echo("no articles found", err=True)
        return
    for hit in hits:
        date = (hit.published_at or "")[:10] or "undated"
        # The column searched for, or every column the article appeared under.
        columns = hit.column if filters.column else "、".join(hit.columns)
        _echo(f"#{hit.id}  {date}  {hit.portal}/{columns}  {hit.title}")
        _echo(f"    {hit.snippet}")
        _echo(f"    {hit.url}")
    total = len(hits) if len(hits) < limit else count(db, query, filters, raw=raw)
    more = f"; --limit {total} shows them all" if total > len(hits) else ""
    _echo(f"{len(hits)} of {total} articles{more}")


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
        _echo_json(record)
    else:
        _echo(render_article(record), nl=False)


@cli.command()
@db_option
@json_option
@click.option("--runs", default=10, show_default=True, type=_whole_number(0), help="How many recent crawl runs to list.")
def stats(db_path: str, as_json: bool, runs: int):
    """Articles per portal, column and year; unresolved failures; the last crawl runs."""
    from archive.lock import ArchiveLock
    from archive.stats import render_stats, stats as collect

    lock = ArchiveLock(db_path)
    left = (lock.note() or {}).get("outcome")
    data = collect(open_readonly(db_path), runs=runs, crawling=lock.is_held(), left=left)
    if as_json:
        _echo_json(data)
    else:
        _echo(render_stats(data), nl=False)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "warc", "wacz"]), required=True, help="Output format.")
@click.option("-o", "--output", required=True, type=_File(path_type=Path),
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
    fetched (HTTP status, headers, date) and their requests, for web archive tools. wacz:
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
                _progress(ids, f"exporting {len(ids)} articles") as items:
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
        _echo(f"wrote {count} pages to {output} (from {len(ids)} articles)")
    elif fmt == "wacz":
        unstored = f"; {len(ids) - count} with no stored page left out" if count < len(ids) else ""
        _echo(f"wrote {count} articles as pages to {output}{unstored}")
    else:
        _echo(f"wrote {count} articles to {output}")


@cli.command()
@click.option("--portal", default=None, help="Only this portal's articles.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@db_option
def reextract(portal: str | None, dry_run: bool, db_path: str):
    """Re-run the current extractor over the stored pages, and update what it reads differently.

    No network: the pages are the ones stored at crawl time. A changed title or body keeps
    the old version as a revision (see `show`).
    """
    from archive.lock import ArchiveLock
    from newscrawl.reextract import Reextraction, Report
    from archive.store import Archive

    open_readonly(db_path).conn.close()  # an archive of ours, not a file the migrations would make one
    lock = ArchiveLock(db_path)
    if not dry_run and not lock.acquire():
        raise click.ClickException(f"a crawl is writing {db_path}; run reextract when it has finished")
    report = Report()
    try:
        archive = Archive(db_path)
        try:
            job = Reextraction(archive, portal, dry_run=dry_run)
            with _progress(job, f"re-extracting {len(job)} articles") as items:
                changes = [job.run(article_id, url) for article_id, url in items]
        finally:
            archive.close()
    finally:
        lock.release()
    for change in changes:
        report.add(change)
        if change.error:
            _echo(f"#{change.article_id} {change.url}: failed: {change.error}")
        elif change.fields:
            note = " (earlier text kept as a revision)" if change.revised else ""
            _echo(f"#{change.article_id} {change.url}: {', '.join(change.fields)}{note}")
    verb = "would change" if dry_run else "changed"
    click.echo(
        f"{report.pages} pages re-read: {report.changed} articles {verb}, {report.revised} with new text, "
        f"{report.pages - report.changed - report.failed} unchanged, {report.failed} failed"
    )
    if report.fields:
        click.echo("fields: " + ", ".join(f"{name} {n}" for name, n in report.fields.most_common()))


@cli.command()
@db_option
@click.option("--port", default=8001, show_default=True, type=_whole_number(1, 65535), help="Port on 127.0.0.1.")
def datasette(db_path: str, port: int):
    """Browse and search the archive in Datasette, with titles and ready-made queries.

    The shipped metadata names the database `news`; this names it after your file.
    Datasette reads the file read-only (immutable when you may not write it) and runs in
    this process: when it ends, nothing is left serving.
    """
    open_readonly(db_path).conn.close()  # a clear error for a missing, foreign or newer file
    try:
        import uvicorn  # noqa: F401  (Datasette's server)
        import datasette_dashboards  # noqa: F401  (the charts)
        from datasette.app import Datasette  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(f"Datasette or its plugins are not installed: run {INSTALL_DATASETTE}") from exc
    with socket.socket() as probe:  # uvicorn would say this in a dozen lines of log
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise click.ClickException(f"cannot serve on 127.0.0.1:{port}: {exc.strerror}; choose another --port") from exc
    try:
        serve_datasette(Path(db_path), port, immutable=not writable(db_path))
    except KeyboardInterrupt:
        pass


def serve_datasette(db_path: Path, port: int, *, immutable: bool) -> None:
    """Datasette on 127.0.0.1:``port`` in this process, until SIGINT or SIGTERM."""
    import asyncio

    import uvicorn

    from newscrawl.datasette import build

    ds = build(db_path, immutable=immutable)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host="127.0.0.1", port=port, log_level="info", lifespan="on")


def metadata_for(db_path: Path) -> dict:
    """The shipped Datasette metadata, keyed by ``db_path``'s name as Datasette names it."""
    from newscrawl.datasette import metadata_for

    return metadata_for(db_path)


@cli.command()
@click.option("--html", "output", required=True, type=_File(path_type=Path),
              help="The page to write (self-contained: no network needed to open it); never the archive.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--article", "articles", multiple=True, type=_whole_number(1, 2**63 - 1),
              help="An article whose view counts to draw (repeatable; default: the five most read).")
@db_option
def report(output: Path, force: bool, articles: tuple[int, ...], db_path: str):
    """Write the archive's charts as one HTML page, for people who will never run Datasette.

    Articles per month per column, view counts over time and the most-read articles per
    month, the same charts `newscrawl datasette` shows, drawn as SVG inside the page.
    """
    from archive.export import OutputIsArchive

    db = open_readonly(db_path)
    try:
        import vl_convert  # noqa: F401  (draws the charts)
    except ImportError as exc:
        raise click.ClickException(f"the charts need vl-convert: run {INSTALL_DATASETTE}") from exc
    from newscrawl.report import write_report

    try:
        write_report(db, Path(db_path), output, force=force, articles=list(articles))
    except OutputIsArchive as exc:
        raise click.BadParameter(str(exc), param_hint="'--html'") from exc
    _echo(f"wrote the charts of {db_path} to {output}")


def main():
    cli(prog_name="newscrawl")


if __name__ == "__main__":
    sys.exit(main())
