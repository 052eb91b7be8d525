"""What the archive holds: articles per portal, column and year; open failures; recent runs."""
from __future__ import annotations

import json

from sqlite_utils import Database

from archive.query import MAX_INTEGER
from archive.terminal import pad


def _one(db: Database, sql: str, params: list = ()):
    return db.execute(sql, params).fetchone()[0]


def _pairs(db: Database, sql: str) -> list[list]:
    return [list(r) for r in db.execute(sql).fetchall()]


def stats(db: Database, runs: int = 10, *, crawling: bool = True, left: dict | None = None) -> dict:
    """Counts an archivist checks first, as plain data (what ``--json`` prints).

    ``crawling``: whether a crawl holds the archive now; when none does, a run still marked
    ``running`` ended without saying so (it was killed) and is shown as ``killed`` — unless
    ``left`` (the outcome a run on a full disk left in the lock file) says how it ended."""
    reason = ", reason" if "reason" in db["crawl_runs"].columns_dict else ", null as reason"
    recent = db.execute(
        f"""select id, portal, started_at, finished_at, status, requests, new_articles, updated_articles,
                  duplicate_articles, failures, failures_by_kind, arguments{reason}
           from crawl_runs order by started_at desc, id desc limit ?""",
        [min(runs, MAX_INTEGER)],
    )
    names = [d[0] for d in recent.description]
    crawl_runs = []
    for row in recent.fetchall():
        run = dict(zip(names, row))
        run["failures_by_kind"] = json.loads(run["failures_by_kind"] or "{}")
        run["kind"] = run_kind(json.loads(run.pop("arguments") or "{}"))
        # What a run did to the view counts: its portal's articles whose counter it read.
        run["view_counts_read"] = _one(
            db,
            """select count(distinct v.article_id) from view_counts v join articles a on a.id = v.article_id
               where a.portal = ? and v.observed_at >= ? and v.observed_at <= coalesce(?, '9999')""",
            [run["portal"], run["started_at"], run["finished_at"]],
        )
        if run["status"] == "running" and not crawling:
            if left and left.get("run_id") == run["id"]:
                run["status"], run["reason"] = left.get("status"), left.get("reason")
            else:
                run["status"], run["reason"] = "killed", "the process ended without finishing the run"
        crawl_runs.append(run)
    return {
        "articles": _one(db, "select count(*) from articles"),
        "urls": _one(db, "select count(*) from article_urls"),
        "pages": _one(db, "select count(*) from pages"),
        "revisions": _one(db, "select count(*) from revisions"),
        "by_portal": _pairs(db, "select portal, count(*) from articles group by portal order by count(*) desc, portal"),
        # An article posted under two columns counts in both.
        "by_column": _pairs(
            db,
            """select a.portal, c.column, count(*) from article_columns c join articles a on a.id = c.article_id
               group by a.portal, c.column order by a.portal, count(*) desc, c.column"""
        ),
        "by_year": _pairs(
            db,
            """select coalesce(substr(published_at, 1, 4), 'unknown') as year, count(*) from articles
               group by year order by year"""
        ),
        "unresolved_failures": _pairs(
            db, "select kind, count(*) from failures where resolved_at is null group by kind order by count(*) desc, kind"
        ),
        "crawl_runs": crawl_runs,
    }


def run_kind(arguments: dict) -> str:
    """What a run was, from the arguments it was started with: a crawl (cron), a backfill, a
    refresh of recent articles, or `newscrawl counts` (view counts only)."""
    if arguments.get("counts"):
        return "counts"
    if arguments.get("since") or arguments.get("until") or arguments.get("full"):
        return "backfill"
    if arguments.get("refresh_days"):
        return f"refresh {arguments['refresh_days']} days"
    return "crawl"


def render_stats(data: dict) -> str:
    """The stats as a short report for the terminal."""
    out = [
        f"{data['articles']} articles ({data['urls']} URLs, {data['pages']} stored pages, {data['revisions']} revisions)",
        "",
        "By portal",
    ]
    out += [f"  {portal:<12} {n:>7}" for portal, n in data["by_portal"]]
    out.append("By column")
    out += [f"  {pad(portal, 12)} {pad(column or '(none)', 14)} {n:>7}" for portal, column, n in data["by_column"]]
    out.append("By year published")
    out += [f"  {year:<12} {n:>7}" for year, n in data["by_year"]]
    failures = data["unresolved_failures"]
    out.append(f"Unresolved failures: {sum(n for _, n in failures)}")
    out += [f"  {kind:<12} {n:>7}" for kind, n in failures]
    out.append("Last crawl runs")
    if not data["crawl_runs"]:
        out.append("  (none recorded)")
    for run in data["crawl_runs"]:
        out.append(
            f"  #{run['id']} {run['portal']} {run['kind']} {run['started_at']} – {run['finished_at'] or '…'} "
            f"{run['status']}: {run['requests'] or 0} requests, "
            + ("" if run["kind"] == "counts" else f"{run['new_articles'] or 0} new, {run['updated_articles'] or 0} "
               f"updated, {run['duplicate_articles'] or 0} duplicate, ")
            + f"{run['view_counts_read']} view counts read, {run['failures'] or 0} failures"
            + (f"; {run['reason']}" if run.get("reason") else "")
        )
    return "\n".join(out) + "\n"
