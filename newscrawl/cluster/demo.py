"""`make demo-cluster`: Redis, the bundled portal, two workers and the writer on this machine."""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from newscrawl.cluster import keys as k
from newscrawl.cluster.local import redis_server
from newscrawl.demo import SEED_PATH, cron_command, fresh_archive
from newscrawl.replica import Site, serve

ROOT = Path(__file__).resolve().parent.parent.parent


def writer_command(url: str, db: Path) -> list[str]:
    return [sys.executable, "-m", "newscrawl.cli", "ingest", "--redis", url, "--db", str(db), "--until-done"]


def worker_command(base_url: str, url: str, *extra: str) -> list[str]:
    """A worker on the bundled portal; its --db is never opened (only the writer's is)."""
    return cron_command(base_url, Path("/nonexistent/worker.db"), "--redis", url, "-v", *extra)


def wait_until_seeded(url: str, writer: subprocess.Popen, seconds: float = 60) -> None:
    """Workers ask Redis what is archived: let the writer tell it first."""
    server = k.connect(url)
    deadline = time.monotonic() + seconds
    while not server.exists(k.SEEDED):
        if writer.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the writer did not start (see its message above)")
        time.sleep(0.05)


def summary_line(stderr: str) -> str:
    return next((line for line in stderr.splitlines() if line.startswith("newscrawl:")), stderr.strip()[-300:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the portal takes per article page")
    parser.add_argument("--db", type=Path, default=Path("archive/cluster-demo.db"))
    args = parser.parse_args(argv)
    fresh_archive(args.db)
    site = Site(articles=args.articles, latency=args.latency)
    with redis_server() as url, serve(site) as base_url:
        print(f"redis-server {url}; bundled portal {base_url} ({len(site.articles)} articles, "
              f"{args.latency * 1000:.0f} ms a page); {args.workers} workers and the writer into {args.db} …", flush=True)
        started = time.monotonic()
        writer = subprocess.Popen(writer_command(url, args.db.resolve()), cwd=ROOT, stdout=subprocess.PIPE, text=True)
        wait_until_seeded(url, writer)
        workers = [subprocess.Popen(worker_command(base_url, url), cwd=ROOT, stderr=subprocess.PIPE, text=True)
                   for _ in range(args.workers)]
        codes = []
        for i, worker in enumerate(workers, 1):
            _, err = worker.communicate()
            codes.append(worker.returncode)
            print(f"worker {i}: {summary_line(err)}")
        out, _ = writer.communicate()
        codes.append(writer.returncode)
        print(f"writer:   {out.strip()}")
        print(f"{time.monotonic() - started:.1f} s; the portal served {sum(site.requests.values())} requests, "
              f"article pages at most {max(n for p, n in site.requests.items() if p.startswith('/info/'))} time(s) each\n",
              flush=True)
        summary = subprocess.run([sys.executable, "-m", "newscrawl.cli", "summary", "--db", str(args.db),
                                  "--url", base_url + SEED_PATH], cwd=ROOT)
        codes.append(summary.returncode)
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
