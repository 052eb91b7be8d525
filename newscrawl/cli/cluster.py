"""`newscrawl ingest`: the cluster's one writer of the archive (see newscrawl/cluster/)."""
from __future__ import annotations

import logging
import sys

import click

from newscrawl.cli.base import DEFAULT_DB, cli, echo


@cli.command()
@click.option("--redis", "redis_url", envvar="REDIS_URL", required=True, metavar="URL",
              help="The cluster's Redis (redis://host:port/db), as the workers were given it.")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Archive file.")
@click.option("--until-done", is_flag=True,
              help="Stop once the workers' runs are over and everything they handed over is archived "
                   "(default: run until stopped, as a service).")
@click.option("-v", "--verbose", is_flag=True, help="Log what is ingested.")
def ingest(redis_url, db_path, until_done, verbose):
    """Write what the cluster's workers hand over (`newscrawl crawl PORTAL --redis URL`) into
    the archive, as the only process that opens it: articles through the same deduplicating
    store as a local crawl, failures, view counts and the runs. It tells the workers what is
    archived, so their runs stay incremental. Stopped and started again, it loses and
    repeats nothing. Exit 1 with one line when it cannot run.
    """
    from newscrawl.cluster.writer import WriterError, ingest as run_ingest

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    try:
        report = run_ingest(redis_url, db_path, until_idle=until_done)
    except (WriterError, ValueError) as exc:
        echo(f"newscrawl ingest: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(1)
    echo(report.summary())
