"""Commands that read pages without crawling: extract a saved page, re-extract the stored ones."""
from __future__ import annotations

from pathlib import Path

import click

from archive.query import open_readonly
from newscrawl.cli.base import File, cli, db_option, echo, echo_json, http_url, progress

MAX_PAGE_BYTES = 64 * 2**20  # a saved news page is well under this; /dev/zero is not


@cli.command()
@click.argument("file", type=File(exists=True, path_type=Path))
@click.option("--url", required=True, callback=http_url, help="The URL the page was fetched from (links resolve against it).")
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
    echo_json(article.to_dict())


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
            with progress(job, f"re-extracting {len(job)} articles") as items:
                changes = [job.run(article_id, url) for article_id, url in items]
        finally:
            archive.close()
    finally:
        lock.release()
    for change in changes:
        report.add(change)
        if change.error:
            echo(f"#{change.article_id} {change.url}: failed: {change.error}")
        elif change.fields:
            note = " (earlier text kept as a revision)" if change.revised else ""
            echo(f"#{change.article_id} {change.url}: {', '.join(change.fields)}{note}")
    verb = "would change" if dry_run else "changed"
    click.echo(
        f"{report.pages} pages re-read: {report.changed} articles {verb}, {report.revised} with new text, "
        f"{report.pages - report.changed - report.failed} unchanged, {report.failed} failed"
    )
    if report.fields:
        click.echo("fields: " + ", ".join(f"{name} {n}" for name, n in report.fields.most_common()))
