"""The `newscrawl` command: a thin layer over the crawler, the extractor and the archive.

One module per kind of work: crawling (crawl, counts), reading (summary, search, show,
stats, export), pages (extract, reextract), reading_room (datasette, report).
"""
from newscrawl.cli.base import cli
from newscrawl.cli import crawling, pages, reading, reading_room  # noqa: F401  (they add their commands to cli)
from newscrawl.cli import discovering  # noqa: F401  (newscrawl discover)
from newscrawl.cli import cluster  # noqa: F401  (newscrawl ingest)
from newscrawl.cli.reading_room import metadata_for, serve_datasette  # noqa: F401


def main():
    cli(prog_name="newscrawl")
