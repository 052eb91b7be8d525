"""``scrapy crawl``: the one Scrapy command that archives, and whose exit status tells how
the run went, as ``newscrawl crawl`` does.

Scrapy's own exits 0 whatever the spider met; a backfill driven by a script (or a
person reading ``$?``) would take a failed or interrupted run for a good one."""
from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl

from newscrawl.run import outcome_of


class Command(ScrapyCrawl):
    default_settings = {**ScrapyCrawl.default_settings, "ARCHIVE_ENABLED": True}

    def _create_crawler(self, spidercls):
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args, opts) -> None:
        super().run(args, opts)
        outcome = outcome_of(self.crawler)
        if outcome.exit_code:
            print(outcome.summary(), file=sys.stderr)
            self.exitcode = outcome.exit_code
