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

    @property
    def exit_code(self) -> int:
        return 0 if self.status in ("ok", "archive_locked") else 1

    def summary(self) -> str:
        """One line a cron mail can show in full."""
        if self.status == "archive_locked":
            return "newscrawl: another crawl holds the archive; nothing done"
        r = self.record
        if r is None or r.run_id is None:
            return f"newscrawl: {self.status}" + (f": {self.reason}" if self.reason else "")
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
    plan = CrawlPlan.from_arguments(**{k: v for k, v in arguments.items() if k != "base_url"})  # fail fast, one line
    process, crawler = _crawler(portal, settings)
    crawler.spidercls.portal.select_columns(plan.columns)  # an unknown column: one line, before any request
    process.crawl(crawler, **arguments)
    process.start()
    return outcome_of(crawler)


def counts(portal: str, arguments: dict[str, str], settings: dict[str, object]) -> RunOutcome:
    """Re-read the view counts of ``portal``'s archived articles (spiders/counts.py) in this
    process, under the archive's lock like a crawl, and report how the run went."""
    process, crawler = _crawler("counts", settings)
    process.crawl(crawler, portal=portal, **arguments)
    process.start()
    outcome = outcome_of(crawler)
    outcome.command = "counts"
    return outcome


def _crawler(spider: str, settings: dict[str, object]):
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from newscrawl.viewcounts.config import ViewCountConfig

    project = get_project_settings()
    project.set("ARCHIVE_ENABLED", True, priority="command")
    project.setdict(settings, priority="cmdline")
    ViewCountConfig.from_settings(project)  # a bad VIEW_COUNTS: one line, before any request
    process = CrawlerProcess(project)
    return process, process.create_crawler(spider)


def outcome_of(crawler) -> RunOutcome:
    """How the finished ``crawler``'s run went, from its storage extension's record."""
    from newscrawl.storage import CrawlStorage

    stats = crawler.stats.get_stats()
    try:
        storage = crawler.get_extension(CrawlStorage)
    except RuntimeError:  # the crawl failed before Scrapy built its extensions
        storage = None
    record = storage.record if storage is not None else None
    if record is None:
        return RunOutcome("failed", None, stats.get("newscrawl/fatal") or f"closed: {stats.get('finish_reason')}")
    if record.status == "running":  # the crawl ended without its storage closing it
        record.status = "failed"
    return RunOutcome(record.status, record, record.reason)
