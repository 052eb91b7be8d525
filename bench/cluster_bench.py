"""Cluster figures (`make bench-cluster`): 1, 2 and 4 workers on the bundled portal with
latency (articles/s, speed-up), Redis memory per queued request, and the writer's
articles/s into SQLite. Prints figures; asserts nothing."""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrapy import Request  # noqa: E402

from newscrawl.cluster import keys as k  # noqa: E402
from newscrawl.cluster.demo import worker_command  # noqa: E402
from newscrawl.cluster.local import redis_server  # noqa: E402
from newscrawl.cluster.queue import LeasedQueue  # noqa: E402
from newscrawl.cluster.writer import Writer  # noqa: E402
from newscrawl.replica import Site, serve  # noqa: E402


def crawl(workers: int, articles: int, latency: float, concurrency: int, tmp: Path) -> dict:
    """``workers`` workers crawl a fresh portal; the writer drains their outbox afterwards,
    so the crawl's and the writer's speeds are measured apart."""
    site = Site(articles=articles, seed=workers, latency=latency)
    db = tmp / f"bench-{workers}.db"
    with redis_server() as url, serve(site) as base_url:
        seeding = Writer(url, str(db))  # tells Redis what is archived (nothing), then lets the crawl run alone
        seeding.open()
        seeding.close()
        extra = ("-s", f"CONCURRENT_REQUESTS={concurrency}", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}",
                 "-s", "VIEW_COUNTS=direct", "-s", "CLUSTER_WRITER_WAIT=0")
        started = time.monotonic()
        procs = [subprocess.Popen(worker_command(base_url, url, *extra), cwd=ROOT, stderr=subprocess.DEVNULL)
                 for _ in range(workers)]
        for proc in procs:
            proc.wait()
        crawl_seconds = time.monotonic() - started
        server = k.connect(url)
        queued = server.llen(k.OUTBOX)
        writer = Writer(url, str(db))
        writer.open()
        report = writer.drain(until_idle=True, idle_seconds=0)
        writer.close()
    fetched = sum(n for p, n in site.requests.items() if p.startswith("/info/"))
    return {"workers": workers, "seconds": crawl_seconds, "articles": report.results["new"], "stored": sum(report.results.values()),
            "pages": fetched, "outbox": queued, "writer": report.articles_per_second}


def memory_per_request(count: int = 20000) -> float:
    """Bytes of Redis memory per queued article request (as the spider makes them)."""
    from spiders.xjtu import XjtuSpider

    spider = XjtuSpider()
    with redis_server() as url:
        server = k.connect(url)
        before = server.info("memory")["used_memory"]
        queue = LeasedQueue(server, spider, "bench:requests")
        for i in range(count):
            queue.push(Request(f"https://news.xjtu.edu.cn/info/1002/{200000 + i}.htm", callback=spider.parse_article,
                               errback=spider.on_error, cb_kwargs={"column": "今日交大"}, dont_filter=True))
        return (server.info("memory")["used_memory"] - before) / count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the portal takes per article page")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent requests per worker")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args(argv)
    print(f"bundled portal: {args.articles} articles, {args.latency * 1000:.0f} ms per article page, "
          f"{args.concurrency} concurrent requests per worker, no delay; 2 cores", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (int(w) for w in args.workers.split(",")):
            rows.append(crawl(workers, args.articles, args.latency, args.concurrency, Path(tmp)))
            r = rows[-1]
            print(f"{r['workers']} worker(s): {r['articles']} articles in {r['seconds']:.1f} s = "
                  f"{r['articles'] / r['seconds']:.1f} articles/s (speed-up {rows[0]['seconds'] / r['seconds']:.2f}x), "
                  f"{r['pages']} article pages fetched once each; the writer then took the {r['outbox']} entries "
                  f"({r['stored']} articles, cross-posts included) at {r['writer']:.0f} articles/s", flush=True)
    print(f"Redis memory per queued article request: {memory_per_request():.0f} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
