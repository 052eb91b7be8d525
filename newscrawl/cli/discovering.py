"""`newscrawl discover`: find a portal's CMS and columns from its home page, and write its profile."""
from __future__ import annotations

import os

import click

from newscrawl.cli.base import cli, echo, echo_json, http_url, json_option, whole_number


def _settings(overrides: tuple[str, ...]):
    """The project's crawl settings, ``-s NAME=VALUE`` last: discovery is as polite as a crawl."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.UsageError(f"-s needs NAME=VALUE, got {item!r}")
        settings.set(name, value, priority="cmdline")
    return settings


def _spiders_dir(settings) -> str:
    """Where new spiders go, as `scrapy genspider` decides: the folder of NEWSPIDER_MODULE."""
    from importlib import import_module

    module = import_module(settings.get("NEWSPIDER_MODULE") or "spiders")
    folder = os.path.dirname(module.__file__)
    relative = os.path.relpath(folder)
    return folder if relative.startswith("..") else relative


@cli.command()
@click.argument("url", callback=http_url)
@click.option("--name", help="The portal's name (a Python identifier; default: from the host, news.xjtu.edu.cn -> xjtu).")
@click.option("--write", is_flag=True, help="Write the profile as spiders/NAME.py (see --spiders-dir).")
@click.option("--force", is_flag=True, help="With --write: replace an existing profile file.")
@click.option("--spiders-dir", type=click.Path(file_okay=False),
              help="Where --write puts the profile (default: the folder of NEWSPIDER_MODULE, spiders/).")
@click.option("--max-columns", type=whole_number(1), default=30, show_default=True,
              help="Check at most this many navigation links (each costs a list page and an article).")
@json_option
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting.")
def discover(url, name, write, force, spiders_dir, max_columns, as_json, overrides):
    """Read the portal whose home page is URL: its CMS (vsb, webplus), the columns its
    navigation names with their list pages, and a sample article of each.

    It asks for robots.txt, the home page, and one list page and one article per column, on
    the portal's host only, as the crawl's User-Agent and DOWNLOAD_DELAY apart. Exit status
    1 when there is no portal to crawl there (one line says why), 2 for a bad command line.
    """
    from newscrawl.discover import DiscoveryError, check_name, name_for, write_profile
    from newscrawl.discover import discover as find

    name = name or name_for(url)
    problem = check_name(name)
    if problem:
        raise click.BadParameter(problem, param_hint="--name")
    settings = _settings(overrides)
    target = os.path.join(spiders_dir or _spiders_dir(settings), f"{name}.py")
    if write and os.path.exists(target) and not force:
        raise click.ClickException(f"{target} exists: pick another --name, or --force to replace it")
    try:
        found = find(url, settings, max_columns=max_columns)
        portal = found.portal(name)
        written = write_profile(portal, found, os.path.dirname(target), force=force) if write else None
    except (DiscoveryError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        echo_json({**found.as_dict(), "name": name, "written": str(written) if written else None})
        return
    how = "its markers" if found.recognised_by == "markers" else "the shapes of its links"
    echo(f"{found.cms} portal {portal.title} at {found.base_url} (recognised by {how}): "
         f"{len(found.columns)} columns, {len(found.requests)} requests")
    width = max(len(c.slug) for c in found.columns)
    for column in found.columns:
        echo(f"  {column.slug:<{width}}  {column.name}  {column.list_url}  ({column.listed} articles on its first page)")
        sample = f"does not extract: {column.sample_error}" if column.sample_error else column.sample_title
        echo(f"  {'':<{width}}  sample: {column.sample_url}  {sample}")
    for skipped in found.skipped:
        later = " (for now: `crawl --url` tries it again; a profile should list it)" if skipped.kind == "unreachable" else ""
        echo(f"skipped {skipped.name} ({skipped.url}): {skipped.reason}{later}")
    if written:
        echo(f"wrote {written}: review it, then `newscrawl crawl {name}`")
    else:
        echo(f"`newscrawl discover {url} --write` writes it as {target}")
