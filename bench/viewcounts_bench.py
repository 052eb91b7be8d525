"""`make bench`: view counts in `browser` and `auto` mode on 1,000 and 10,000 articles of the bundled portal.

Each crawl is a real `scrapy crawl xjtu` subprocess (the demo's command line). Printed per
crawl: articles archived per second of wall time (start-up included), the peak memory of
the crawl's process tree (Scrapy, the Playwright drivers, every Chromium process) as summed
RSS (pages the processes share are counted once per process) and as summed PSS (shared
pages divided among their sharers: what the tree really holds), and whether every
archived count equals the portal's own. A figure, not a test: nothing here passes or fails.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from sqlite_utils import Database

from newscrawl.demo import crawl_command
from newscrawl.replica import Site, serve

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    articles: int  # on the portal
    mode: str
    archived: int
    seconds: float
    peak_rss: int
    peak_pss: int
    correct: int
    sample: bool

    @property
    def rate(self) -> float:
        return self.archived / self.seconds


def sample_memory(pid: int, stop: threading.Event, peak: list[int]) -> None:
    """Sample RSS and PSS of ``pid`` and all its descendants every 0.2 s until ``stop``."""
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        rss = pss = 0
        for proc in [root, *root.children(recursive=True)]:
            try:
                info = proc.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss, pss = rss + info.rss, pss + info.pss
        peak[:] = max(peak[0], rss), max(peak[1], pss)
        stop.wait(0.2)


def crawl(articles: int, mode: str, *extra: str) -> Result:
    site = Site(articles=articles)
    with serve(site) as base_url, tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        cmd = crawl_command(base_url, db_path, "-s", f"VIEW_COUNTS={mode}", *extra)
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        stop, peak = threading.Event(), [0, 0]
        sampler = threading.Thread(target=sample_memory, args=(proc.pid, stop, peak), daemon=True)
        sampler.start()
        _, stderr = proc.communicate()
        seconds = time.monotonic() - started
        stop.set()
        sampler.join()
        if proc.returncode:
            sys.exit(f"crawl failed ({' '.join(cmd)}):\n{stderr[-3000:]}")
        db = Database(db_path)
        archived = correct = 0
        for art in site.articles:
            row = db.execute(
                "select a.view_count from articles a join article_urls u on u.article_id = a.id where u.url = ?",
                [base_url + art.path],
            ).fetchone()
            if row is not None:
                archived += 1
                correct += row[0] == site.view_count(art)
    return Result(articles, mode, archived, seconds, peak[0], peak[1], correct, sample=bool(extra))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    # `off` is the ceiling: the same crawl reading no counts at all.
    parser.add_argument("--modes", nargs="+", default=["browser", "auto", "off"])
    parser.add_argument("--max-minutes", type=float, default=25,
                        help="a browser crawl expected to take longer is measured on a sample")
    parser.add_argument("--sample", type=int, default=1000, help="articles in that sample")
    args = parser.parse_args(argv)
    results: list[Result] = []
    for size in sorted(args.sizes):
        for mode in args.modes:
            extra: tuple[str, ...] = ()
            known = [r for r in results if r.mode == mode]
            if known and size / known[-1].rate > args.max_minutes * 60:
                extra = ("-s", f"CLOSESPIDER_ITEMCOUNT={args.sample}")
                print(f"{mode} on {size:,} articles would take ~{size / known[-1].rate / 60:.0f} min: "
                      f"measuring the first {args.sample:,} articles of that portal instead", flush=True)
            result = crawl(size, mode, *extra)
            results.append(result)
            print(f"  done: {mode} {size:,} in {result.seconds:.0f} s", flush=True)
    print()
    print(f"{'portal':>8}  {'mode':<8} {'archived':>8} {'seconds':>8} {'articles/s':>10} {'peak RSS':>9} {'peak PSS':>9}  counts correct")
    for r in results:
        note = "  (sample)" if r.sample else ""
        ok = "yes" if r.correct == r.archived else "NO"
        correct = "- (reads none)" if r.mode == "off" else f"{ok} ({r.correct:,}/{r.archived:,})"
        print(f"{r.articles:>8,}  {r.mode:<8} {r.archived:>8,} {r.seconds:>8.1f} {r.rate:>10.2f} "
              f"{r.peak_rss / 2**20:>6.0f} MB {r.peak_pss / 2**20:>6.0f} MB  {correct}{note}")
    by = {(r.articles, r.mode): r for r in results}
    for size in sorted(args.sizes):
        if (size, "auto") in by and (size, "browser") in by:
            print(f"auto/browser speed at {size:,}: {by[size, 'auto'].rate / by[size, 'browser'].rate:.1f}x")
    small, large = min(args.sizes), max(args.sizes)
    for mode in args.modes:
        if small != large and (small, mode) in by and (large, mode) in by:
            big, little = by[large, mode], by[small, mode]
            print(f"peak memory {large:,} / {small:,} ({mode}): RSS {big.peak_rss / little.peak_rss:.2f}x, "
                  f"PSS {big.peak_pss / little.peak_pss:.2f}x" + (" (sample)" if big.sample else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
