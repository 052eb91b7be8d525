"""Cluster figures (`make bench-cluster`): 1, 2 and 4 workers over 20 bundled portals with
latency (articles/s, speed-up), whether each portal's concurrency held across the workers,
the writer's articles/s into SQLite beside the crawl's, and Redis memory per queued request.
Prints figures; asserts nothing."""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scrapy import Request  # noqa: E402

from newscrawl.cluster import keys as k  # noqa: E402
from newscrawl.cluster.demo import wait_until_seeded, writer_command  # noqa: E402
from newscrawl.cluster.local import redis_server  # noqa: E402
from newscrawl.cluster.queue import LeasedQueue  # noqa: E402
from newscrawl.demo import LOCAL_OVERRIDES  # noqa: E402
from newscrawl.replica import Site, WebPlusSite, serve  # noqa: E402

PORTALS = 20
WEBPLUS_EVERY = 4  # every fourth portal is a WebPlus one, the others VSB


def portals(count: int, articles: int, seed: int) -> list[Site]:
    return [(WebPlusSite if i % WEBPLUS_EVERY == WEBPLUS_EVERY - 1 else Site)(articles=articles, seed=seed * 100 + i)
            for i in range(count)]


def worker_command(homes: list[str], url: str, concurrency: int, per_portal: int) -> list[str]:
    """A worker given every portal by its home page (`crawl --url …`, no profile); its --db
    is never opened. A worker crawls each portal with a crawler of its own, so
    CONCURRENT_REQUESTS is what one worker sends one portal at once (what one machine can
    carry, here), and CONCURRENT_REQUESTS_PER_DOMAIN what the portal allows the cluster."""
    cmd = [sys.executable, "-m", "newscrawl.cli", "crawl", *(a for home in homes for a in ("--url", home)),
           "--redis", url, "--db", "/nonexistent/worker.db", "-v"]
    settings = {**LOCAL_OVERRIDES, "CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": per_portal,
                "VIEW_COUNTS": "direct", "CLUSTER_WRITER_WAIT": 120}
    for key, value in settings.items():
        if key != "LOG_LEVEL":
            cmd += ["-s", f"{key}={value}"]
    return cmd


def crawl(workers: int, args, tmp: Path) -> dict:
    """``workers`` workers crawl 20 fresh portals (each on its own 127.0.0.x, as each
    university is its own host) while the writer ingests; Redis is watched meanwhile. The
    portals' latency begins with the first run: discovery is measured apart, unslowed."""
    sites = portals(args.portals, args.articles, seed=workers)
    db = tmp / f"bench-{workers}.db"
    with redis_server() as url, contextlib.ExitStack() as stack:
        homes = [stack.enter_context(serve(site, host=f"127.0.0.{2 + i}")) + "/" for i, site in enumerate(sites)]
        server = k.connect(url)
        writer = subprocess.Popen(writer_command(url, db), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        wait_until_seeded(url, writer)
        started = time.monotonic()
        logs = [stack.enter_context(open(tmp / f"worker-{workers}-{i}.log", "w+")) for i in range(workers)]
        procs = [subprocess.Popen(worker_command(homes, url, args.concurrency, args.per_portal), cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=log) for log in logs]
        crawling = last_end = None
        backlog = queued = leased = 0
        running = list(procs)
        while running:
            if crawling is None and next(server.scan_iter(match=f"{k.PREFIX}:*:runs", count=1000), None):
                crawling = time.monotonic()  # a first worker has discovered its portals and started a run
                for site in sites:
                    site.latency = args.latency
            backlog = max(backlog, server.llen(k.OUTBOX))
            queued_now = sum(server.zcard(key) for key in server.scan_iter(match=f"{k.PREFIX}:*:requests", count=1000))
            queued = max(queued, queued_now)
            leased = max(leased, sum(server.zcard(key) for key in
                                     server.scan_iter(match=f"{k.PREFIX}:*:requests:leases", count=1000)))
            running = [p for p in running if p.poll() is None]
            time.sleep(0.2)
        last_end = time.monotonic()
        outbox_at_end = server.llen(k.OUTBOX)
        redis_memory = server.info("memory")["used_memory_peak"]
        lines = [line for log in logs for line in log.seek(0) or log.read().splitlines() if line.startswith("newscrawl:")]
        out, err = writer.communicate(timeout=600)
        drained = time.monotonic()
    writer_line = out.strip() or err.strip()[-300:]
    new = int(m.group(1)) if (m := re.search(r"(\d+) new", writer_line)) else 0
    articles = sum(len(s.articles) for s in sites)
    pages = [n for s in sites for p, n in s.requests.items() if s.is_article_page(p)]
    return {"workers": workers, "wall": last_end - started, "discovery": (crawling or last_end) - started,
            "crawl": last_end - (crawling or started), "new": new, "articles": articles,
            "pages": len(pages), "fetched_twice": sum(1 for n in pages if n > 1), "most": max(pages, default=0),
            "peak": max(s.peak_in_flight for s in sites), "backlog": backlog, "outbox_at_end": outbox_at_end,
            "writer_lag": drained - last_end, "queued": queued, "leased": leased, "redis_peak": redis_memory,
            "writer_rate": float(m.group(1)) if (m := re.search(r"\((\d+) articles/s", writer_line)) else 0.0,
            "writer": writer_line, "workers_ok": sum(" ok: " in line for line in lines) / max(len(lines), 1),
            "failed_line": next((line for line in lines if " ok: " not in line), "")}


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


def report(r: dict, first: dict, args) -> str:
    rate = r["new"] / r["crawl"] if r["crawl"] else 0.0
    speedup = first["crawl"] / r["crawl"] if r["crawl"] else 0.0
    lines = [
        f"{r['workers']} worker(s): {r['new']}/{r['articles']} articles in {r['crawl']:.1f} s of crawl = {rate:.1f} "
        f"articles/s, speed-up {speedup:.2f}x (wall {r['wall']:.1f} s, of which {r['discovery']:.1f} s discovering the "
        f"{args.portals} portals before the first run began)",
        f"    portal side: at most {r['peak']} requests at once on any portal (limit {args.per_portal} for the "
        f"cluster); {r['pages']} article pages, {r['fetched_twice']} fetched more than once (discovery's samples, read once for the cluster), "
        f"none more than {r['most']} times",
        f"    writer: {r['writer_rate']:.0f} articles/s while writing = {r['writer_rate'] / rate if rate else 0:.0f}x "
        f"the crawl's rate; outbox at most {r['backlog']} entries, {r['outbox_at_end']} when the last worker ended, "
        f"archive complete {r['writer_lag']:.1f} s later (3 s of it --until-done's quiet wait)",
        f"    Redis: at most {r['queued']} requests queued and {r['leased']} leased; peak memory "
        f"{r['redis_peak'] / 1e6:.1f} MB",
    ]
    if r["workers_ok"] < 1:
        lines.append(f"    a worker did not end ok: {r['failed_line']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--portals", type=int, default=PORTALS)
    parser.add_argument("--articles", type=int, default=50, help="articles per portal")
    parser.add_argument("--latency", type=float, default=1.0, help="seconds a portal takes per article page")
    parser.add_argument("--concurrency", type=int, default=2,
                        help="concurrent requests of one worker to one portal (CONCURRENT_REQUESTS)")
    parser.add_argument("--per-portal", type=int, default=6,
                        help="concurrent requests per portal, for the whole cluster (CONCURRENT_REQUESTS_PER_DOMAIN)")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args(argv)
    print(f"{args.portals} bundled portals ({args.portals // WEBPLUS_EVERY} WebPlus, the rest VSB), each on its own "
          f"127.0.0.x: {args.articles} articles each, {args.latency * 1000:.0f} ms per article page; workers crawl "
          f"them all by home page (crawl --url ×{args.portals}); a worker sends a portal {args.concurrency} requests at "
          f"once, the portal allows the cluster {args.per_portal}, no delay; the writer ingests meanwhile; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (int(w) for w in args.workers.split(",")):
            rows.append(crawl(workers, args, Path(tmp)))
            print(report(rows[-1], rows[0], args), flush=True)
    print(f"Redis memory per queued article request: {memory_per_request():.0f} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
