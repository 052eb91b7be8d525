"""Full crawl vs. incremental cron run of the bundled portal: time and requests (not a test).

    python bench/crawl_bench.py [--articles 10000]

Runs `newscrawl crawl xjtu` as cron would (with the demo's local overrides: no politeness
delay on our own machine), first into an empty archive, then again with nothing new, then
after the portal publishes 20 articles.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlite_utils import Database  # noqa: E402

from newscrawl.demo import cron_command  # noqa: E402
from newscrawl.replica import Site, serve  # noqa: E402


def crawl(base_url: str, db: Path) -> float:
    cmd = cron_command(base_url, db)
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"crawl failed: {done.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    site = Site(articles=args.articles)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, serve(site) as base_url:
        db = Path(tmp) / "news.db"
        for label, before in (("full crawl", None), ("cron, nothing new", None), ("cron, 20 new", lambda: site.add_articles(20))):
            if before:
                before()
            site.requests.clear()
            seconds = crawl(base_url, db)
            requests = sum(site.requests.values())
            archived = Database(db)["articles"].count
            rows.append((label, seconds, requests, archived))
    print(f"bundled portal: {args.articles} articles, {len(site.articles)} at the end")
    print(f"{'run':<20} {'seconds':>9} {'requests':>9} {'archived':>9}")
    for label, seconds, requests, archived in rows:
        print(f"{label:<20} {seconds:>9.2f} {requests:>9} {archived:>9}")
    print(f"full crawl: {args.articles / rows[0][1]:.0f} articles/s")

if __name__ == "__main__":
    main()
