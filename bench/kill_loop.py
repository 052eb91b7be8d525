"""Kill loop: `kill -9` crawls of the bundled portal at random moments, resume, prove nothing is lost.

    python bench/kill_loop.py [--articles 1000] [--kills 20] [--seed 1] [--view-counts off]

Serves a bundled portal (with articles only related boxes link to, and cross-posts) and runs
`newscrawl crawl xjtu` as cron would into one archive; each run is killed with SIGKILL at a
random moment (seeded) and the next one resumes, until ``--kills`` kills have landed; a last
run goes to its end. Then the archive must be whole: SQLite and FTS integrity checks pass,
every article of the portal is archived exactly once under each of its URLs with all its
rows, the frontier is empty, and every killed run is recorded ``killed``. Prints figures;
exits 1 on any violation. Not a test (`make kill-loop`); tests/test_durability.py runs a
small version of it.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from newscrawl.demo import cron_command  # noqa: E402
from newscrawl.replica import Site, serve  # noqa: E402

# When to kill a running crawl: waits, then True to kill it, False if it ended first.
Moment = Callable[[subprocess.Popen, Path], bool]


@dataclass
class Run:
    """One `newscrawl crawl` process of the loop."""

    pid: int
    killed: bool
    returncode: int
    seconds: float
    articles_before: int
    articles_after: int
    stderr: str


def count(db: Path, table: str = "articles") -> int:
    """Rows of ``table`` now, read-only (0 while the archive or its schema does not exist yet)."""
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(f"select count(*) from [{table}]").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def after(seconds: float) -> Moment:
    """Kill ``seconds`` after the start: a random moment is the point, not a synchronisation."""

    def moment(proc: subprocess.Popen, db: Path) -> bool:
        try:
            proc.wait(timeout=seconds)
            return False
        except subprocess.TimeoutExpired:
            return True

    return moment


def into_crawl(site: Site, seconds: float) -> Moment:
    """Kill ``seconds`` after the run's first request reaches the portal: a moment of the crawl
    itself rather than of Python starting up."""
    wait = after(seconds)

    def moment(proc: subprocess.Popen, db: Path) -> bool:
        before = requests(site)
        while requests(site) == before:
            if proc.poll() is not None:
                return False
            time.sleep(0.005)
        return wait(proc, db)

    return moment


def requests(site: Site) -> int:
    while True:
        try:
            return sum(site.requests.values())
        except RuntimeError:  # a server thread added a path meanwhile
            continue


def once_archived(articles: int, timeout: float = 120) -> Moment:
    """Kill as soon as the archive holds ``articles`` articles (a kill that surely lands mid-crawl)."""

    def moment(proc: subprocess.Popen, db: Path) -> bool:
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if count(db) >= articles:
                return True
            if time.monotonic() > deadline:
                raise TimeoutError(f"the archive never reached {articles} articles")
            time.sleep(0.01)
        return False

    return moment


def never(proc: subprocess.Popen, db: Path) -> bool:
    proc.wait(timeout=600)
    return False


def crawl(base_url: str, db: Path, moment: Moment, *extra: str) -> Run:
    """One `newscrawl crawl` of the portal into ``db``, killed with SIGKILL when ``moment`` says."""
    before = count(db)
    started = time.monotonic()
    with tempfile.TemporaryFile() as err:
        # Its own process group, so that what it started (a browser) goes too once it is killed.
        proc = subprocess.Popen(cron_command(base_url, db, *extra), cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)
        try:
            killed = moment(proc, db)
        except BaseException:
            kill(proc)
            raise
        if killed:
            kill(proc)
        proc.wait()
        seconds = time.monotonic() - started
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return Run(proc.pid, killed, proc.returncode, seconds, before, count(db), stderr)


def kill(proc: subprocess.Popen) -> None:
    """``kill -9`` the crawl, then whatever it left in its process group."""
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def expected_urls(site: Site, base_url: str) -> dict[str, object]:
    """Every URL the portal publishes an article under -> the article (related-only ones have one)."""
    return {base_url + path: art for art in site.articles for path in (art.paths if art.listed else [art.path])}


def check_archive(db: Path, site: Site, base_url: str, failed: frozenset[str] = frozenset()) -> tuple[list[str], dict]:
    """Violations of "every article of the portal exactly once, with all its rows", and figures.

    ``failed``: paths of articles that must be recorded failures (and not archived) instead."""
    problems: list[str] = []
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        integrity = [r[0] for r in conn.execute("pragma integrity_check")]
        if integrity != ["ok"]:
            problems.append(f"PRAGMA integrity_check: {integrity[:5]}")
        try:
            conn.execute("insert into articles_fts(articles_fts) values('integrity-check')")
            conn.commit()
        except sqlite3.Error as exc:
            problems.append(f"FTS integrity-check: {exc}")
        orphans = conn.execute("pragma foreign_key_check").fetchall()
        if orphans:
            problems.append(f"{len(orphans)} rows point to no article, e.g. {tuple(orphans[0])}")

        urls = dict(conn.execute("select url, article_id from article_urls").fetchall())
        rows = {r["id"]: r for r in conn.execute("select * from articles")}
        wanted = {u: a for u, a in expected_urls(site, base_url).items() if u.removeprefix(base_url) not in failed}
        matched: dict[int, object] = {}
        missing, missing_urls = [], []
        urls_of_article: dict[int, list[str]] = {}
        for url, art in wanted.items():
            urls_of_article.setdefault(id(art), []).append(url)
        for art in site.articles:
            art_urls = urls_of_article.get(id(art))
            if not art_urls:
                continue  # a recorded failure
            ids = {urls.get(u) for u in art_urls} - {None}
            if not ids:
                missing.append(f"{art.path} {art.title}")
                continue
            unarchived = [u.removeprefix(base_url) for u in art_urls if u not in urls]
            if unarchived:
                missing_urls.append(f"{', '.join(unarchived)} (of {art.title})")
            if len(ids) > 1:
                problems.append(f"the URLs of {art.title} lead to {len(ids)} article rows: {sorted(ids)}")
            article_id = min(ids)
            row = rows[article_id]
            if article_id in matched:
                problems.append(f"{art.title} and {matched[article_id].title} are one row ({article_id})")
            matched[article_id] = art
            if row["title"] != art.title:
                problems.append(f"{art.path}: title {row['title']!r}, the portal says {art.title!r}")
            if row["canonical_url"] not in art_urls:
                problems.append(f"{art.path}: canonical URL {row['canonical_url']} is none of its URLs")
            if json.loads(row["credits"]) != art.credits:
                problems.append(f"{art.path}: credits {row['credits']} are not the portal's {art.credits}")
            if len(json.loads(row["images"])) != len(art.images):
                problems.append(f"{art.path}: {len(json.loads(row['images']))} images, the portal has {len(art.images)}")
        if missing:
            problems.append(f"{len(missing)} articles lost, e.g. {missing[:3]}")
        if missing_urls:
            problems.append(f"{len(missing_urls)} URLs of archived articles lost, e.g. {missing_urls[:3]}")
        extra_rows = len(rows) - len(matched)
        if extra_rows:
            strays = [rows[i]["canonical_url"] for i in rows if i not in matched][:3]
            problems.append(f"{extra_rows} article rows are no article of the portal (duplicates?), e.g. {strays}")
        stray_urls = set(urls) - set(wanted)
        if stray_urls:
            problems.append(f"{len(stray_urls)} archived URLs the portal does not publish, e.g. {sorted(stray_urls)[:3]}")
        for what, sql in (("content", "select content_hash, count(*) from articles group by content_hash"),
                          ("title", "select title, count(*) from articles group by title")):
            twice = [r[0] for r in conn.execute(sql + " having count(*) > 1")]
            if twice:
                problems.append(f"{len(twice)} articles stored more than once by {what}, e.g. {twice[:2]}")
        problems += _parts(conn, rows, urls)
        # A recorded failure may stay on the frontier: the next run tries it again either way.
        left = [r[0] for r in conn.execute("select url from frontier") if r[0].removeprefix(base_url) not in failed]
        frontier = len(left)
        if left:
            problems.append(f"the frontier still holds {frontier} pages, e.g. {left[:3]}")
        unresolved = {r[0].removeprefix(base_url) for r in conn.execute("select url from failures where resolved_at is null")}
        if unresolved != set(failed):
            problems.append(f"unresolved failures {sorted(unresolved)}, expected {sorted(failed)}")
    finally:
        conn.close()
    figures = {
        "expected": len(urls_of_article), "archived": len(rows), "extra_rows": extra_rows,
        "urls_expected": len(wanted), "urls_archived": len(urls), "frontier": frontier,
        "integrity": integrity[0] if len(integrity) == 1 else "; ".join(integrity[:3]),
    }
    return problems, figures


def _parts(conn: sqlite3.Connection, rows: dict, urls: dict[str, int]) -> list[str]:
    """Each article's rows in credits, images, attachments, pages and article_urls agree with it."""
    problems = []

    def grouped(sql: str) -> dict[int, list[tuple]]:
        out: dict[int, list[tuple]] = {}
        for r in conn.execute(sql):
            out.setdefault(r[0], []).append(tuple(r[1:]))
        return out

    credits = grouped("select article_id, role, position, name from credits order by article_id, role, position")
    images = grouped("select article_id, url, caption from images order by article_id, position")
    attachments = grouped("select article_id, url, name from attachments order by article_id, position")
    pages = {r[0] for r in conn.execute("select url from pages")}
    urls_of: dict[int, list[str]] = {}
    for url, article_id in urls.items():
        urls_of.setdefault(article_id, []).append(url)
    for article_id, row in rows.items():
        where = f"article {article_id} ({row['canonical_url']})"
        wanted = sorted((role, i, name) for role, names in json.loads(row["credits"]).items()
                        for i, name in enumerate(names))
        if sorted(credits.get(article_id, [])) != wanted:
            problems.append(f"{where}: credits rows {credits.get(article_id, [])} are not its credits {wanted}")
        if images.get(article_id, []) != [(i["url"], i["caption"]) for i in json.loads(row["images"])]:
            problems.append(f"{where}: images rows do not match its images")
        if attachments.get(article_id, []) != [(a["url"], a["name"]) for a in json.loads(row["attachments"])]:
            problems.append(f"{where}: attachments rows do not match its attachments")
        if not urls_of.get(article_id):
            problems.append(f"{where}: no article_urls row")
        unpaged = [u for u in urls_of.get(article_id, []) if u not in pages]
        if unpaged:
            problems.append(f"{where}: no pages row for {unpaged}")
    return problems[:20] + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else [])


def check_runs(db: Path, runs: list[Run]) -> tuple[list[str], dict]:
    """Each killed run is recorded ``killed`` (or not at all, if killed before it was), each
    finished one as its exit code says, and the last one ``ok``."""
    problems = []
    conn = sqlite3.connect(db)
    try:
        recorded = {pid: (status, reason) for pid, status, reason in
                    conn.execute("select pid, status, reason from crawl_runs order by id")}
        statuses = [r[0] for r in conn.execute("select status from crawl_runs order by id")]
    finally:
        conn.close()
    unrecorded = 0
    for n, run in enumerate(runs, 1):
        status, reason = recorded.get(run.pid, (None, None))
        if run.killed:
            if status is None:
                unrecorded += 1
            elif status != "killed" and not (status == "ok" and n < len(runs)):
                problems.append(f"run {n} (pid {run.pid}) was killed but is recorded {status!r}")
            elif status == "killed" and not reason:
                problems.append(f"run {n} is recorded killed without a reason")
        elif status is None:
            problems.append(f"run {n} (pid {run.pid}) ran to its end (exit {run.returncode}) but is not recorded")
        elif (status == "ok") != (run.returncode == 0):
            problems.append(f"run {n} exited {run.returncode} but is recorded {status!r}: {run.stderr.strip()[-300:]}")
    last = runs[-1]
    if last.killed or last.returncode != 0 or statuses[-1:] != ["ok"]:
        problems.append(f"the last run exited {last.returncode} recorded {statuses[-1:]}: {last.stderr.strip()[-300:]}")
    if "running" in statuses:
        problems.append(f"{statuses.count('running')} runs are still recorded running")
    figures = {status: statuses.count(status) for status in dict.fromkeys(statuses)}
    figures["unrecorded"] = unrecorded
    return problems, figures


def kill_loop(site: Site, base_url: str, db: Path, moments: list[Moment], *extra: str,
              report: Callable[[str], None] = lambda line: None) -> list[Run]:
    """Crawl, killing at each of ``moments`` in turn (a run that ends first does not use its
    moment up), then one last crawl without a kill. Returns the runs."""
    runs: list[Run] = []
    pending = list(moments)
    while pending:
        run = crawl(base_url, db, pending[0], *extra)
        runs.append(run)
        if run.killed:
            pending.pop(0)
        report(f"run {len(runs):>3}: {'killed' if run.killed else f'exit {run.returncode}'} after "
               f"{run.seconds:5.2f} s; articles {run.articles_before} -> {run.articles_after}, "
               f"frontier {count(db, 'frontier')}")
        if len(runs) > 5 * len(moments) + 10:
            raise RuntimeError("the crawl keeps ending before its kill: make the portal larger or slower")
    runs.append(crawl(base_url, db, never, *extra))
    report(f"run {len(runs):>3}: exit {runs[-1].returncode} after {runs[-1].seconds:5.2f} s (no kill); "
           f"articles {runs[-1].articles_before} -> {runs[-1].articles_after}")
    return runs


def verify(db: Path, site: Site, base_url: str, runs: list[Run]) -> tuple[list[str], dict]:
    problems, figures = check_archive(db, site, base_url)
    run_problems, run_figures = check_runs(db, runs)
    return problems + run_problems, {**figures, "runs": run_figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1, help="The portal's content and the kill moments.")
    parser.add_argument("--earliest", type=float, default=0.3, help="Seconds into a run a kill may land (see --clock).")
    parser.add_argument("--latest", type=float, default=4.0)
    parser.add_argument("--clock", choices=("crawl", "start"), default="crawl",
                        help="Count the seconds from the run's first request to the portal, or from its start.")
    parser.add_argument("--latency", type=float, default=0.6,
                        help="Seconds each article page takes (slow enough that every kill lands mid-crawl).")
    parser.add_argument("--view-counts", default="off", help="VIEW_COUNTS of the crawls (off keeps it fast).")
    parser.add_argument("--port", type=int, default=0, help="The portal's port (default: a free one).")
    parser.add_argument("--db", type=Path, help="Archive to build (default: a temporary file).")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    moments = [rng.uniform(args.earliest, args.latest) for _ in range(args.kills)]
    site = Site(articles=args.articles, seed=args.seed, latency=args.latency)
    with tempfile.TemporaryDirectory() as tmp:
        db = (args.db or Path(tmp) / "news.db").resolve()
        if db.exists():
            parser.error(f"{db} exists: the loop starts from an empty archive")
        started = time.monotonic()
        with serve(site, port=args.port) as base_url:
            unlisted = sum(not a.listed for a in site.articles)
            cross = sum(a.alias_id is not None for a in site.articles)
            print(f"bundled portal {base_url}: {len(site.articles)} articles ({unlisted} related-only, "
                  f"{cross} cross-posted), {args.latency:g} s per article page; VIEW_COUNTS={args.view_counts}; "
                  f"{args.kills} kills {args.earliest:g}–{args.latest:g} s into each run's "
                  f"{'crawl' if args.clock == 'crawl' else 'process'} (seed {args.seed})", flush=True)
            when = [into_crawl(site, s) if args.clock == "crawl" else after(s) for s in moments]
            runs = kill_loop(site, base_url, db, when, "-s", f"VIEW_COUNTS={args.view_counts}",
                             report=lambda line: print(line, flush=True))
            wall = time.monotonic() - started
            problems, figures = verify(db, site, base_url, runs)
        kills = [r for r in runs if r.killed]
        mid = sum(r.articles_after < len(site.articles) for r in kills)
        progressed = sum(r.articles_after > r.articles_before for r in kills)
        print()
        print(f"kills:      {len(kills)} ({mid} with articles still missing, {progressed} after archiving some; "
              f"{figures['runs']['unrecorded']} before the run was recorded)")
        print(f"runs:       {len(runs)} processes; crawl_runs: "
              + ", ".join(f"{n} {s}" for s, n in figures["runs"].items() if s != "unrecorded"))
        print(f"articles:   expected {figures['expected']}, archived {figures['archived']}, "
              f"extra rows {figures['extra_rows']}; URLs expected {figures['urls_expected']}, "
              f"archived {figures['urls_archived']}")
        print(f"frontier:   {figures['frontier']} pages left; integrity_check: {figures['integrity']}")
        print(f"wall time:  {wall:.1f} s (the last run {runs[-1].seconds:.1f} s)")
        if problems:
            print(f"\n{len(problems)} violations:", file=sys.stderr)
            for p in problems:
                print(f"  {p}", file=sys.stderr)
            return 1
        print("violations: none")
        return 0


if __name__ == "__main__":
    sys.exit(main())
