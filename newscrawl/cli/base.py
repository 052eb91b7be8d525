"""What every `newscrawl` command shares: one-line errors, exit codes, safe printing, options."""
from __future__ import annotations

import contextlib
import functools
import math
import sqlite3
import sys
from urllib.parse import urlsplit

import click

from archive.query import QueryError
from archive.schema import NewerSchemaError
from archive.store import ArchiveError
from archive.terminal import dumps, printable

DEFAULT_DB = "archive/news.db"


def one_line(exc: Exception) -> str:
    """What went wrong, for a person, in one line."""
    from archive.export import ExportError

    if isinstance(exc, (ArchiveError, NewerSchemaError, ExportError)):
        return str(exc)
    if isinstance(exc, sqlite3.DatabaseError):
        return f"the archive could not be read: {exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return f"internal error, {type(exc).__name__}: {exc} (`newscrawl --debug …` shows the traceback)"


class Command(click.Command):
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
                if isinstance(value, str) and not isinstance(param.type, click.Path) and not is_utf8(value):
                    raise click.BadParameter(f"{value!r} is not UTF-8 text", ctx=ctx, param=param)
        return rest


def is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")  # undecodable bytes of argv arrive as lone surrogates, which fail
    except UnicodeEncodeError:
        return False
    return True


class Group(click.Group):
    """Every error is one line on stderr: exit 2 when the command line is wrong in itself
    (an unknown option, a value out of range, an output that is the archive), 1 when the
    files or the system say no (no archive there, disk full). ``--debug`` shows the
    traceback of anything but a usage error."""

    command_class = Command

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
            raise click.ClickException(one_line(exc)) from exc

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


def progress(items, label: str):
    """A progress bar when a person watches (stdout is a terminal); the bare items otherwise."""
    if sys.stdout.isatty():
        return click.progressbar(items, label=label, file=sys.stderr)
    return contextlib.nullcontext(items)


def echo(text: str = "", **kwargs) -> None:
    """Print text from the archive or the command line, which a terminal must not act on."""
    click.echo(printable(text), **kwargs)


def echo_json(data) -> None:
    click.echo(dumps(data, indent=2))


def whole_number(minimum: int, maximum: int | None = None) -> click.IntRange:
    kind = click.IntRange(minimum, maximum)
    kind.name = "whole number"  # click says "integer range", as if a range were wanted
    return kind


class Seconds(click.ParamType):
    """A number of seconds to wait: finite and not negative (``nan`` compared false to every
    limit and waited for ever)."""

    name = "seconds"

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not (math.isfinite(number) and number >= 0):
            self.fail(f"{value!r} is not a number of seconds (0 or more)", param, ctx)
        return number


seconds = Seconds()


class File(click.Path):
    """A file name that is not empty (pathlib would read "" as ".", the current directory)."""

    def __init__(self, **kwargs):
        super().__init__(dir_okay=False, **kwargs)

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value:
            self.fail("an empty file name: give a file", param, ctx)
        return super().convert(value, param, ctx)


def http_url(ctx, param, value: str) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # a port beyond 65535 or not a number raises here
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a URL ({exc}): give the page's http(s) address", ctx=ctx, param=param)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not an http(s) URL: give the page's address, e.g. https://news.xjtu.edu.cn/info/1002/1001.htm", ctx=ctx, param=param)
    return value


db_option = click.option(
    "--db", "db_path", default=DEFAULT_DB, show_default=True, type=File(),
    help="Archive file.",
)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def column_name(column: str | None, portal: str | None) -> str | None:
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

        return func(*args, filters=Filters(portal, column_name(column, portal), since, until, credit), **kwargs)

    return wrapper


@click.group(cls=Group)
@click.version_option(package_name="newscrawl")
@click.option("--debug", is_flag=True, help="Show the Python traceback of an error instead of one line.")
def cli(debug: bool):
    """Crawl university news portals into a SQLite archive, and read the archive."""
