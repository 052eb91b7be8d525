"""`newscrawl datasette` and `newscrawl report`: the archive as pages and charts."""
from __future__ import annotations

import socket
from pathlib import Path

import click

from archive.query import open_readonly, writable
from newscrawl.cli.base import File, cli, db_option, echo, whole_number

INSTALL_DATASETTE = "pip install 'newscrawl[datasette]'"


@cli.command()
@db_option
@click.option("--port", default=8001, show_default=True, type=whole_number(1, 65535), help="Port on 127.0.0.1.")
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
@click.option("--html", "output", required=True, type=File(path_type=Path),
              help="The page to write (self-contained: no network needed to open it); never the archive.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--article", "articles", multiple=True, type=whole_number(1, 2**63 - 1),
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
    echo(f"wrote the charts of {db_path} to {output}")
