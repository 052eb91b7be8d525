"""`newscrawl crawl` and `newscrawl counts`: the runs cron starts."""
from __future__ import annotations

import sys

import click

from newscrawl.cli.base import DEFAULT_DB, cli, echo, whole_number


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
        echo(outcome.summary(), err=True)
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
@click.option("--assets", is_flag=True, help="Also download the articles' images and attachments into the archive.")
@click.option("--redis", "redis_url", envvar="REDIS_URL", metavar="URL",
              help="Work as one of a cluster's workers: share the frontier in Redis (redis://host:port/db); "
                   "`newscrawl ingest` writes the archive.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting.")
@click.option("-v", "--verbose", is_flag=True, help="Log progress (default: quiet unless something is wrong).")
def crawl(portal, db_path, since, until, columns, related, max_pages, full, refresh_days, base_url, wait, assets,
          redis_url, overrides, verbose):
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
    if assets:
        settings.setdefault("ASSETS_ENABLED", True)
    if redis_url:
        settings.setdefault("REDIS_URL", redis_url)
    _run(run.crawl, portal, arguments, settings, verbose)


@cli.command()
@click.argument("portal")
@click.option("--days", type=whole_number(1), help="Only articles published in the last N days (default: all).")
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
