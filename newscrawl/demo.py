"""`make demo`: serve the bundled replica portal, crawl it into an archive, print a summary."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from archive.lock import ArchiveLock
from newscrawl.replica import Site, serve

# Only what a crawl of a portal on our own machine must change: no politeness delay.
LOCAL_OVERRIDES = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "CONCURRENT_REQUESTS": "16",
    "LOG_LEVEL": "WARNING",
}
SEED_PATH = "/info/1002/213245.htm"
# What SQLite and the crawl keep beside an archive; the lock file stays (see fresh_archive).
SIBLINGS = ("-wal", "-shm", "-journal", ".reserve")


def crawl_command(base_url: str, db: Path, *extra: str, spider: str = "xjtu") -> list[str]:
    """The `scrapy crawl` command line that crawls the replica at ``base_url`` into ``db``."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"base_url={base_url}", "-s", f"ARCHIVE_PATH={db}"]
    for key, value in LOCAL_OVERRIDES.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd + list(extra)


def cron_command(base_url: str, db: Path, *extra: str, portal: str = "xjtu") -> list[str]:
    """The `newscrawl crawl` command line (as cron runs it) for the replica at ``base_url``;
    quiet, like cron's, so LOG_LEVEL is left to the command."""
    cmd = [sys.executable, "-m", "newscrawl.cli", "crawl", portal, "--db", str(db), "--base-url", base_url]
    for key, value in LOCAL_OVERRIDES.items():
        if key != "LOG_LEVEL":
            cmd += ["-s", f"{key}={value}"]
    return cmd + list(extra)


def fresh_archive(db: Path) -> None:
    """Delete ``db`` and its siblings so the demo starts empty: the portal gets a new port
    each run, so a second crawl into the old archive would store every URL again.

    Done under the archive's lock, so a crawl that is writing it is never pulled from under;
    the lock file itself is kept, emptied, since a waiting crawl may hold it open.
    """
    lock = ArchiveLock(db)
    if not lock.acquire():
        raise OSError(f"{db} is being written by another crawl")
    try:
        for path in (db, *(Path(f"{db}{suffix}") for suffix in SIBLINGS)):
            path.unlink(missing_ok=True)
    finally:
        lock.release()


def bundled(cms: str, articles: int):
    """The bundled portal of a CMS family: (site, the spider that crawls it, the seed's path)."""
    if cms == "webplus":
        from newscrawl.replica.content import SEED
        from newscrawl.replica.webplus import WebPlusSite, article_paths

        return WebPlusSite(articles=articles), "webplus_demo", article_paths(SEED)[0]
    return Site(articles=articles), "xjtu", SEED_PATH


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--db", type=Path, default=Path("archive/demo.db"))
    parser.add_argument("--cms", choices=("vsb", "webplus"), default="vsb", help="Which bundled portal to crawl.")
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    try:
        fresh_archive(args.db)
    except OSError as exc:
        print(f"cannot start a fresh archive: {exc}", file=sys.stderr)
        return 1
    site, spider, seed_path = bundled(args.cms, args.articles)
    with serve(site) as base_url:
        print(f"bundled {args.cms} portal: {base_url} ({len(site.articles)} articles); crawling into a fresh {args.db} …",
              flush=True)
        done = subprocess.run(crawl_command(base_url, args.db.resolve(), spider=spider), cwd=root)
        if done.returncode:
            return done.returncode
        print()
        return subprocess.run(
            [sys.executable, "-m", "newscrawl.cli", "summary", "--db", str(args.db), "--url", base_url + seed_path],
            cwd=root,
        ).returncode


if __name__ == "__main__":
    sys.exit(main())
