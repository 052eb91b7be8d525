"""``scrapy crawl``: the one Scrapy command that archives, and whose exit status tells how
the run went, as ``newscrawl crawl`` does.

Scrapy's own exits 0 whatever the spider met; a backfill driven by a script (or a
person reading ``$?``) would take a failed or interrupted run for a good one."""
from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from newscrawl.run import outcome_of


class Command(ScrapyCrawl):
    default_settings = {**ScrapyCrawl.default_settings, "ARCHIVE_ENABLED": True}

    def _create_crawler(self, spidercls):
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args, opts) -> None:
        if len(args) == 1:
            self._check_arguments(args[0], opts.spargs)
        super().run(args, opts)
        outcome = outcome_of(self.crawler)
        if outcome.exit_code:
            print(outcome.summary(), file=sys.stderr)
            self.exitcode = outcome.exit_code

    def _check_arguments(self, name: str, arguments: dict) -> None:
        """A spider argument the spider would refuse (``-a since=2015-13-01``) is a usage error,
        one line and exit 2, before anything starts: Scrapy's own way is a traceback of the
        spider's construction and then another one of its stats."""
        try:
            spidercls = self.crawler_process.spider_loader.load(name)
        except KeyError:
            return  # Scrapy says "Spider not found" itself
        check = getattr(spidercls, "check_arguments", None)
        if check is not None:
            try:
                check(**arguments)
            except ValueError as exc:
                raise UsageError(str(exc), print_help=False) from None
