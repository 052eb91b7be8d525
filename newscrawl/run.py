"""One crawl run for cron and for people: lock, crawl, record, and say how it went."""
from __future__ import annotations

import os
from dataclasses import dataclass

from newscrawl.plan import CrawlPlan
from newscrawl.storage import RunRecord


@dataclass
class RunOutcome:
    status: str  # ok | failed | interrupted | archive_locked | archive_stuck
    record: RunRecord | None  # what the run did, when it got as far as the archive
    reason: str = ""
    command: str = "crawl"  # crawl | counts
    portal: str = ""

    @property
    def exit_code(self) -> int:
        return 0 if self.status in ("ok", "archive_locked") else 1

    def summary(self) -> str:
        """One line a cron mail can show in full."""
        who = f"{self.portal}: " if self.portal else ""
        if self.status == "archive_locked":
            return f"newscrawl: {who}another crawl holds the archive; nothing done"
        r = self.record
        if r is None or r.run_id is None:
            return f"newscrawl: {who}{self.status}" + (f": {self.reason}" if self.reason else "")
        failures = ", ".join(f"{k} {n}" for k, n in sorted(r.failures.items())) or "none"
        if self.command == "counts":
            did = f"{r.results['counted']} view counts read"
        else:
            did = f"{r.results['new']} new, {r.results['updated']} updated, {r.results['duplicate']} duplicate"
        line = f"newscrawl: {r.portal} {self.command} run {r.run_id} {r.status}: {did}, {r.requests} requests; failures: {failures}"
        if self.command == "crawl":  # the crawl's line as cron mails have always shown it
            line = line.replace(" crawl run ", " run ", 1)
        return line + (f"; {r.reason}" if r.reason else "")


def crawl(portal: str, arguments: dict[str, str], settings: dict[str, object]) -> RunOutcome:
    """Run the portal's spider in this process and report how the run went."""
    return crawl_many({portal: arguments}, settings)[0]


def crawl_many(runs: dict[str, dict[str, str]], settings: dict[str, object],
               homes: dict[str, str] | None = None) -> list[RunOutcome]:
    """Crawl several portals (name -> spider arguments) concurrently in this process, one
    crawler each in one CrawlerProcess, and report how each run went, in the same order.
    A portal in ``homes`` (name -> home page URL) has no profile: `newscrawl.discover`
    reads its home page first and makes its spider.

    Each crawler has its own copy of the settings, its spider's own (a profile's delay and
    concurrency) and its own downloader slots, run record and failures; they share the
    archive's lock (newscrawl.storage.ArchiveSession)."""
    plans = {portal: CrawlPlan.from_arguments(**{k: v for k, v in arguments.items() if k != "base_url"})
             for portal, arguments in runs.items()}  # fail fast, one line, before any request
    if len(runs) > 1:
        # One progress line per crawler would fight over the terminal (rich draws one live
        # display at a time): several portals show none unless asked.
        settings = {"PROGRESS": "off", **settings}
    process = _process(settings)
    homes = homes or {}
    spiders = {portal: _discovered(homes[portal], portal, process.settings) if portal in homes else portal
               for portal in runs}
    crawlers = {portal: process.create_crawler(spiders[portal]) for portal in runs}
    for portal, crawler in crawlers.items():  # an unknown column: one line, before any request
        crawler.spidercls.portal.select_columns(plans[portal].columns)
    for portal, crawler in crawlers.items():
        process.crawl(crawler, **runs[portal])
    process.start()
    return [outcome_of(crawler, portal) for portal, crawler in crawlers.items()]


def _discovered(home: str, name: str, settings):
    """The spider of a portal given by its home page: discovered here, or, for a cluster
    worker, once for the whole cluster (the first worker discovers, the others read its profile)."""
    if settings.get("REDIS_URL"):
        from newscrawl.cluster.discovery import spider_class
    else:
        from newscrawl.discover import spider_class
    return spider_class(home, settings, name=name)


def counts(portal: str, arguments: dict[str, str], settings: dict[str, object]) -> RunOutcome:
    """Re-read the view counts of ``portal``'s archived articles (spiders/counts.py) in this
    process, under the archive's lock like a crawl, and report how the run went."""
    process = _process(settings)
    crawler = process.create_crawler("counts")
    process.crawl(crawler, portal=portal, **arguments)
    process.start()
    outcome = outcome_of(crawler, portal)
    outcome.command = "counts"
    return outcome


def _process(settings: dict[str, object]):
    """A CrawlerProcess with the project's settings and the command line's."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from newscrawl.viewcounts.config import ViewCountConfig

    project = get_project_settings()
    project.set("ARCHIVE_ENABLED", True, priority="command")
    project.setdict(settings, priority="cmdline")
    ViewCountConfig.from_settings(project)  # a bad VIEW_COUNTS: one line, before any request
    return CrawlerProcess(project)


def outcome_of(crawler, portal: str = "") -> RunOutcome:
    """How the finished ``crawler``'s run (of ``portal``) went, from its storage extension's record."""
    from newscrawl.storage import CrawlStorage

    stats = crawler.stats.get_stats()
    try:
        storage = crawler.get_extension(CrawlStorage)
    except RuntimeError:  # the crawl failed before Scrapy built its extensions
        storage = None
    record = storage.record if storage is not None else None
    if record is None:
        return RunOutcome("failed", None, stats.get("newscrawl/fatal") or f"closed: {stats.get('finish_reason')}",
                          portal=portal)
    if record.status == "running":  # the crawl ended without its storage closing it
        record.status = "failed"
    return RunOutcome(record.status, record, record.reason, portal=record.portal)
