"""`newscrawl crawl` and `newscrawl counts`: the runs cron starts."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from newscrawl.cli import overrides as given_settings
from newscrawl.cli.base import DEFAULT_DB, File, cli, echo, http_url, seconds, whole_number
from newscrawl.plan import MAX_DAYS


def _run_settings(db_path: str, wait: float, verbose: bool, overrides: tuple[str, ...]) -> dict[str, object]:
    """The Scrapy settings of a run the command line asked for (``-s NAME=VALUE`` last)."""
    return {"ARCHIVE_PATH": db_path, "ARCHIVE_LOCK_WAIT": wait, "LOG_LEVEL": "INFO" if verbose else "ERROR",
            **given_settings.parse(overrides)}


def _some_columns(ctx, param, value: str | None) -> str | None:
    """--columns given names at least one column (an empty $COLUMNS in a crontab crawled them all)."""
    if value is not None and not any(name.strip() for name in value.split(",")):
        raise click.BadParameter(f"{value!r} names no column: give slugs or names, or leave --columns out for all",
                                 ctx=ctx, param=param)
    return value


def _run(how, portal: str, arguments: dict, settings: dict, verbose: bool):
    """Run ``how`` (`newscrawl.run.counts`) and end as cron expects: quiet and 0 when all
    went well, else its summary line and its exit status."""
    _end(lambda: [how(portal, arguments, settings)], verbose)


def _end(runs, verbose: bool):
    """Call ``runs`` (-> RunOutcomes) and end as cron expects: quiet and 0 when every run
    went well, else one summary line per run that did not (with ``verbose``, one per run)
    and exit status 1."""
    from newscrawl.discover import DiscoveryError

    try:
        outcomes = runs()
    except ValueError as exc:  # a bad argument or setting, found before any request
        raise click.UsageError(str(exc)) from exc
    except DiscoveryError as exc:  # a --url whose home page shows no portal we can crawl
        raise click.ClickException(str(exc)) from exc
    for outcome in outcomes:
        if outcome.exit_code or verbose:
            echo(outcome.summary(), err=True)
    sys.exit(max(outcome.exit_code for outcome in outcomes))


def _crawled_portals(names: tuple[str, ...], every: bool, homes: dict[str, str]) -> list[str]:
    """The portals a `crawl` names (each once, in order), or with --all every scheduled one;
    then those given by home page (--url)."""
    from newscrawl.portals import portals, scheduled

    if every and names or not (every or names or homes):
        raise click.UsageError("name the portals to crawl, give --url, or give --all (not both)")
    taken = [name for name in homes if name in portals()]
    if taken:
        raise click.UsageError(f"--url {homes[taken[0]]}: the portal {taken[0]} has a profile; crawl it by name")
    if every:
        return sorted(scheduled()) + list(homes)
    unknown = [name for name in names if name not in portals()]
    if unknown:
        raise click.UsageError(f"unknown portal(s) {', '.join(unknown)}; known: {', '.join(sorted(portals()))}")
    return list(dict.fromkeys(names)) + list(homes)


def _homes(urls: tuple[str, ...]) -> dict[str, str]:
    """Portals without a profile, by the name `newscrawl discover` gives their home page."""
    from newscrawl.discover import name_for

    homes: dict[str, str] = {}
    for url in urls:
        homes.setdefault(name_for(url), url)
    return homes


def _base_urls(given: tuple[str, ...], portals: list[str]) -> dict[str, str]:
    """Each portal's ``--base-url``: ``PORTAL=URL`` for any of them, a bare URL for the only one."""
    urls: dict[str, str] = {}
    for item in given:
        name, sep, url = item.partition("=")
        if not (sep and re.fullmatch(r"\w+", name) and url):  # a bare URL (its query may hold "=")
            if len(portals) != 1:
                raise click.UsageError(f"--base-url {item} names no portal; with several portals, "
                                       "give --base-url PORTAL=URL for each")
            name, url = portals[0], item
        if name not in portals:
            raise click.UsageError(f"--base-url {item}: {name} is not crawled in this run ({', '.join(portals)})")
        if name in urls:
            raise click.UsageError(f"--base-url given twice for {name}")
        urls[name] = url
    return urls


@cli.command()
@click.argument("portal_names", metavar="PORTAL...", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Crawl every portal with a real site (not the bundled demo portal).")
@click.option("--url", "home_urls", multiple=True, callback=lambda ctx, param, values: [http_url(ctx, param, v) for v in values],
              metavar="URL", help="Also crawl the portal whose home page this is, with no profile: `newscrawl discover` "
                                  "finds its columns first (repeatable; for cron, `discover --write` once is cheaper).")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=File(), help="Archive file.")
@click.option("--since", metavar="DATE", help="Backfill: articles published on or after YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--until", metavar="DATE", help="Backfill: articles published on or before YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--columns", callback=_some_columns, help="Comma-separated columns, by slug (jdyw) or name (今日交大); default: all.")
@click.option("--related", type=click.Choice(["all", "same-column", "0"]),
              help="Related-article links to follow (default: all, or 0 when the crawl is limited).")
@click.option("--max-pages", type=whole_number(1), help="Walk at most this many list pages per column.")
@click.option("--full", is_flag=True, help="Walk every list page, not only up to the first page with nothing new.")
@click.option("--refresh-days", type=whole_number(1, MAX_DAYS), help="Also re-visit archived articles of the last N days.")
@click.option("--base-url", "base_urls", multiple=True, metavar="[PORTAL=]URL",
              help="Crawl a mirror or the bundled portal instead of the real site; "
                   "with several portals, PORTAL=URL for each (repeatable).")
@click.option("--wait", type=seconds, default=0, show_default=True, help="Seconds to wait for a running crawl to finish.")
@click.option("--assets", is_flag=True, help="Also download the articles' images and attachments into the archive.")
@click.option("--redis", "redis_url", envvar="REDIS_URL", metavar="URL",
              help="Work as one of a cluster's workers: share the frontier in Redis (redis://host:port/db); "
                   "`newscrawl ingest` writes the archive.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting.")
@click.option("-v", "--verbose", is_flag=True, help="Log progress (default: quiet unless something is wrong).")
def crawl(portal_names, every, home_urls, db_path, since, until, columns, related, max_pages, full, refresh_days, base_urls, wait,
          assets, redis_url, overrides, verbose):
    """Crawl PORTAL into the archive, for cron: one run at a time, quiet when all is well.
    Several portals (or --all) are crawled concurrently in one process, each with its own
    run, politeness and summary line.

    Exit status 0 when every run went well (or another crawl holds the archive), 1 when
    pages failed, a run was interrupted or could not write; then one summary line per run
    that did not goes to stderr. 2: the command line was wrong (an unknown portal or
    column, a bad date).
    """
    from newscrawl import run

    if redis_url and refresh_days:
        raise click.UsageError("--refresh-days re-reads the archive, which cluster workers never open: "
                               "run it without --redis where the archive is")
    homes = _homes(home_urls)
    names = _crawled_portals(portal_names, every, homes)
    urls = _base_urls(base_urls, [name for name in names if name not in homes])
    arguments = {k: str(v) for k, v in dict(since=since, until=until, columns=columns, related=related,
                                            max_pages=max_pages, refresh_days=refresh_days).items() if v is not None}
    if full:
        arguments["full"] = "1"
    runs = {name: arguments | ({"base_url": urls[name]} if name in urls else {}) for name in names}
    settings = _run_settings(db_path, wait, verbose, overrides)
    if assets:
        settings.setdefault("ASSETS_ENABLED", True)
    if redis_url:
        settings.setdefault("REDIS_URL", redis_url)
    _end(lambda: run.crawl_many(runs, settings, homes), verbose)


@cli.command()
@click.argument("portal")
@click.option("--days", type=whole_number(1, MAX_DAYS), help="Only articles published in the last N days (default: all).")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=File(), help="Archive file.")
@click.option("--base-url", help="Read the counters of a mirror or the bundled portal instead of the real site.")
@click.option("--wait", type=seconds, default=0, show_default=True, help="Seconds to wait for a running crawl to finish.")
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
    settings = _run_settings(db_path, wait, verbose, overrides)
    if not Path(db_path).exists():  # a typo in cron's --db would count nothing, quietly, for ever
        raise click.ClickException(f"no archive at {db_path}: `newscrawl crawl {portal} --db {db_path}` makes one")
    arguments = {k: str(v) for k, v in dict(days=days, base_url=base_url).items() if v}
    _run(run.counts, portal, arguments, settings, verbose)
