"""CPU and wall seconds of a NewsCrawl crawl against a bare fetch of the same pages (not a test).

    python bench/cpu_bench.py [--articles 2000] [--modes off,auto] [--repeat 1]

Serves the bundled portal in this process, crawls it with `scrapy crawl xjtu` (the demo's
local overrides) into a fresh archive for each VIEW_COUNTS mode, then has bench/bare_fetch.py
fetch the same list and article pages NewsCrawl fetched (no related boxes, no counters) and
do nothing else; and once more, every request of the first mode's crawl (related boxes and
counters too), which is what Scrapy's own handling of those requests costs. CPU is
user+system of the child process tree (RUSAGE_CHILDREN), so the portal's own work in this
process is not counted.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from measure import is_page, load_average, run  # noqa: E402
from newscrawl.demo import crawl_command  # noqa: E402
from newscrawl.replica import Site, serve  # noqa: E402


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of running ``cmd`` (and everything it starts)."""
    measured = run(cmd)
    return measured.wall, measured.cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--modes", default="off,auto")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the table shows the median")
    args = parser.parse_args()
    site = Site(articles=args.articles)
    load_before = load_average()
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, serve(site) as base_url:
        pages: list[str] = []
        every: list[str] = []  # every request of the first crawl: pages, related boxes, counters
        for _ in range(args.repeat):
            for mode in args.modes.split(","):
                db = Path(tmp) / f"{mode}.db"
                for sibling in Path(tmp).glob(f"{mode}.db*"):
                    sibling.unlink()
                site.requests.clear()
                results.setdefault(f"NewsCrawl {mode}", []).append(
                    timed(crawl_command(base_url, db, "-s", f"VIEW_COUNTS={mode}")))
                pages = pages or sorted(p for p in site.requests if is_page(p))
                every = every or sorted(p for p in site.requests if p != "/robots.txt")
            for label, paths in (("bare fetch", pages), ("bare, every req.", every)):
                urls = Path(tmp) / "urls.txt"
                urls.write_text("".join(f"{base_url}{p}\n" for p in paths), encoding="utf-8")
                results.setdefault(label, []).append(
                    timed([sys.executable, str(ROOT / "bench" / "bare_fetch.py"), str(urls)]))
    median = {label: sorted(runs)[len(runs) // 2] for label, runs in results.items()}
    bare_wall, bare_cpu = median["bare fetch"]
    print(f"bundled portal: {args.articles} articles; {len(pages)} list and article pages; median of {args.repeat}; "
          f"load average {load_before} before, {load_average()} after")
    print(f"(bare, every req.: the yardstick fetching all {len(every)} requests of the first mode's crawl, related "
          "boxes and counters too: what Scrapy alone spends on them)")
    print(f"{'run':<18} {'wall s':>8} {'CPU s':>8} {'wall ×':>7} {'CPU ×':>7}")
    for label, (wall, cpu) in median.items():
        print(f"{label:<18} {wall:>8.2f} {cpu:>8.2f} {wall / bare_wall:>7.2f} {cpu / bare_cpu:>7.2f}")


if __name__ == "__main__":
    main()
