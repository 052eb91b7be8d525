"""One crawl run for cron and for people: lock, crawl, record, and say how it went."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from newscrawl.plan import CrawlPlan


@dataclass
class RunOutcome:
    status: str  # ok | failed | archive_locked | <Scrapy's finish reason>
    run: dict | None  # the crawl_runs row, when the run got the archive

    @property
    def exit_code(self) -> int:
        return 0 if self.status in ("ok", "archive_locked") else 1

    def summary(self) -> str:
        """One line a cron mail can show in full."""
        if self.status == "archive_locked":
            return "newscrawl: another crawl holds the archive; nothing done"
        if self.run is None:
            return f"newscrawl: {self.status}"
        r = self.run
        kinds = json.loads(r.get("failures_by_kind") or "{}")
        failures = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"
        return (
            f"newscrawl: {r['portal']} run {r['id']} {r['status']}: {r['new_articles']} new, "
            f"{r['updated_articles']} updated, {r['duplicate_articles']} duplicate, "
            f"{r['requests']} requests; failures: {failures}"
        )


def crawl(portal: str, arguments: dict[str, str], settings: dict[str, object]) -> RunOutcome:
    """Run the portal's spider in this process and report the run it recorded."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from archive.store import open_database

    from newscrawl.viewcounts import MODES

    CrawlPlan.from_arguments(**{k: v for k, v in arguments.items() if k != "base_url"})  # fail fast, one line
    project = get_project_settings()
    project.setdict(settings, priority="cmdline")
    if str(project.get("VIEW_COUNTS")).lower() not in MODES:
        raise ValueError(f"VIEW_COUNTS must be one of {', '.join(MODES)}, got {project.get('VIEW_COUNTS')!r}")
    process = CrawlerProcess(project)
    crawler = process.create_crawler(portal)
    process.crawl(crawler, **arguments)
    process.start()
    stats = crawler.stats.get_stats()
    if stats.get("newscrawl/archive_locked"):
        return RunOutcome("archive_locked", None)
    run_id = stats.get("newscrawl/run_id")
    if run_id is None:
        return RunOutcome(stats.get("finish_reason") or "failed", None)
    db = open_database(project.get("ARCHIVE_PATH"), create=False)
    try:
        run = db["crawl_runs"].get(run_id)
    finally:
        db.conn.close()
    return RunOutcome(run["status"], run)
