"""`make bench`: what a first crawl and a count-only refresh cost, on bundled portals of 2,000 and 10,000 articles.

    python bench/viewcounts_bench.py [--sizes 2000 10000] [--modes off auto browser] [--sample 1000]

For each portal size, one after the other on the same machine: NewsCrawl with
``VIEW_COUNTS=off`` (into a fresh archive), the bare-fetch yardstick (bench/bare_fetch.py: a
Scrapy spider fetching the same list and article pages and doing nothing else), NewsCrawl with
``auto`` and then `newscrawl counts` on its archive (the count-only refresh), and ``browser``
on the first ``--sample`` articles (CLOSESPIDER_ITEMCOUNT). Each is the demo's command line in
a subprocess, the portal served by this process.

Printed per run: wall and CPU seconds and their ratio to the yardstick of the same size
(CPU of the whole process tree: Scrapy, the Playwright driver, every Chromium); requests
the portal answered, per article archived, and what they take at a polite 1 request/s; peak
RSS and PSS of the process tree; whether every archived count equals the portal's own. A
figure, not a test: nothing here passes or fails. The machine's load average is printed
with the figures: other work on it slows every run alike, so compare ratios of one run.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from measure import Measured, is_page, load_average, run  # noqa: E402
from newscrawl.demo import LOCAL_OVERRIDES, crawl_command  # noqa: E402
from newscrawl.replica import Site, serve  # noqa: E402


@dataclass
class Run:
    size: int  # articles on the portal
    label: str
    measured: Measured
    requests: int  # answered by the portal, robots.txt and a browser's scripts included
    articles: int  # archived (for the refresh: view counts observed)
    correct: int | None  # archived counts equal to the portal's; None: reads none
    sample: bool = False

    @property
    def per_article(self) -> float:
        return self.requests / self.articles if self.articles else float("nan")


def requests_of(site: Site, action) -> tuple[Measured, int]:
    """``action()``'s measurement and the requests the portal answered meanwhile."""
    site.requests.clear()
    measured = action()
    return measured, sum(site.requests.values())


def archived_counts(db_path: Path, site: Site, base_url: str) -> tuple[int, int]:
    """Articles of the portal in the archive, and how many of them hold the portal's own count."""
    db = Database(db_path)
    counts = dict(db.execute(
        "select u.url, a.view_count from articles a join article_urls u on u.article_id = a.id").fetchall())
    archived = correct = 0
    for art in site.articles:
        url = base_url + art.path
        if url in counts:
            archived += 1
            correct += counts[url] == site.view_count(art)
    return archived, correct


def observed_correct(db_path: Path, site: Site, base_url: str, since_id: int) -> tuple[int, int]:
    """View counts observed after row ``since_id``, and how many equal the portal's count (of
    one of the article's URLs: a cross-posted article is one article with one counter)."""
    db = Database(db_path)
    by_path = {art.path: art for art in site.articles}
    rows = db.execute(
        "select v.count, group_concat(u.url, ' ') from view_counts v join article_urls u on u.article_id = v.article_id "
        "where v.id > ? group by v.id", [since_id]).fetchall()
    correct = sum(count in {site.view_count(by_path[p]) for p in (u.removeprefix(base_url) for u in urls.split()) if p in by_path}
                  for count, urls in rows)
    return len(rows), correct


def counts_command(base_url: str, db: Path) -> list[str]:
    """`newscrawl counts xjtu` as cron runs it, against the bundled portal."""
    cmd = [sys.executable, "-m", "newscrawl.cli", "counts", "xjtu", "--db", str(db), "--base-url", base_url]
    for key, value in LOCAL_OVERRIDES.items():
        if key != "LOG_LEVEL":
            cmd += ["-s", f"{key}={value}"]
    return cmd


def measure_size(size: int, modes: list[str], sample: int) -> list[Run]:
    site = Site(articles=size)
    runs: list[Run] = []
    with serve(site) as base_url, tempfile.TemporaryDirectory() as tmp:
        pages: list[str] = []
        for mode in ["off", *[m for m in modes if m != "off"]]:
            db = Path(tmp) / f"{mode}.db"
            extra = ("-s", f"CLOSESPIDER_ITEMCOUNT={sample}") if mode == "browser" and size > sample else ()
            # A crawl stopped by CLOSESPIDER_ITEMCOUNT did not finish: its status is 1.
            command = crawl_command(base_url, db, "-s", f"VIEW_COUNTS={mode}", *extra)
            measured, requests = requests_of(site, lambda: run(command, ok=(0, 1) if extra else (0,)))
            archived, correct = archived_counts(db, site, base_url)
            if mode == "off":
                pages = sorted(p for p in site.requests if is_page(p))
            runs.append(Run(size, mode, measured, requests, archived, None if mode == "off" else correct, bool(extra)))
            print(f"  {size:,} {mode}: {measured.wall:.0f} s", flush=True)
            if mode == "off":
                urls = Path(tmp) / "urls.txt"
                urls.write_text("".join(f"{base_url}{p}\n" for p in pages), encoding="utf-8")
                measured, requests = requests_of(site, lambda: run([sys.executable, str(ROOT / "bench" / "bare_fetch.py"), str(urls)]))
                runs.insert(0, Run(size, "bare fetch", measured, requests, archived, None))
                print(f"  {size:,} bare fetch: {measured.wall:.0f} s", flush=True)
            if mode == "auto":
                site.advance_day()  # the counts have grown since the crawl: the refresh must see the new ones
                last = Database(db).execute("select coalesce(max(id), 0) from view_counts").fetchone()[0]
                measured, requests = requests_of(site, lambda: run(counts_command(base_url, db)))
                observed, correct = observed_correct(db, site, base_url, last)
                runs.append(Run(size, "counts only", measured, requests, observed, correct))
                print(f"  {size:,} counts only: {measured.wall:.0f} s", flush=True)
    return runs


def politeness(requests: int) -> str:
    """How long ``requests`` take at one request a second, as h:mm."""
    minutes = round(requests / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def report(runs: list[Run], sizes: list[int], load_before: str) -> None:
    print(f"\nload average {load_before} before, {load_average()} after (2 cores; CPU counts the whole process tree)")
    print(f"{'portal':>7} {'run':<12} {'articles':>8} {'wall s':>7} {'CPU s':>7} {'wall ×':>7} {'CPU ×':>6} "
          f"{'req/art':>7} {'at 1/s':>6} {'RSS MB':>7} {'PSS MB':>7}  counts correct")
    for size in sizes:
        bare = next(r for r in runs if r.size == size and r.label == "bare fetch").measured
        for r in (r for r in runs if r.size == size):
            m = r.measured
            correct = "-" if r.correct is None else ("yes" if r.correct == r.articles else "NO") + f" ({r.correct:,}/{r.articles:,})"
            note = "  (first %s articles)" % f"{r.articles:,}" if r.sample else ""
            print(f"{size:>7,} {r.label:<12} {r.articles:>8,} {m.wall:>7.1f} {m.cpu:>7.1f} {m.wall / bare.wall:>7.2f} "
                  f"{m.cpu / bare.cpu:>6.2f} {r.per_article:>7.2f} {politeness(r.requests):>6} "
                  f"{m.peak_rss / 2**20:>7.0f} {m.peak_pss / 2**20:>7.0f}  {correct}{note}")
    print("(bare fetch: list and article pages only, as many as `off` fetched; articles = what `off` archived. "
          "counts only: articles = view counts observed. at 1/s: requests × 1 s, h:mm)")
    by = {(r.size, r.label): r for r in runs}
    for size in sizes:
        auto, browser = by.get((size, "auto")), by.get((size, "browser"))
        if auto and browser:
            rate = (auto.articles / auto.measured.wall) / (browser.articles / browser.measured.wall)
            print(f"auto/browser speed at {size:,}: {rate:.1f}x (articles per second of wall time)")
    small, large = min(sizes), max(sizes)
    if small != large:
        for label in ("bare fetch", "off", "auto", "browser", "counts only"):
            if (small, label) in by and (large, label) in by:
                big, little = by[large, label].measured, by[small, label].measured
                print(f"peak memory {large:,} / {small:,} articles ({label}): RSS {big.peak_rss / little.peak_rss:.2f}x, "
                      f"PSS {big.peak_pss / little.peak_pss:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    # `off` always runs: it says which pages the bare fetch fetches.
    parser.add_argument("--modes", nargs="+", default=["auto", "browser"], choices=["off", "auto", "browser"])
    parser.add_argument("--sample", type=int, default=1000, help="articles a browser crawl archives before it stops")
    args = parser.parse_args(argv)
    load_before = load_average()
    runs = [r for size in sorted(args.sizes) for r in measure_size(size, args.modes, args.sample)]
    report(runs, sorted(args.sizes), load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
