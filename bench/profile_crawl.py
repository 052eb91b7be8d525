"""Where a crawl's CPU goes: a crawl of the bundled portal under cProfile, its top costs printed (not a test).

    python bench/profile_crawl.py [--articles 2000] [--modes off,auto] [--top 30] [--sort cumulative]

Serves the bundled portal in this process and runs the demo's `scrapy crawl xjtu` command
line under ``python -m cProfile`` for each VIEW_COUNTS mode, into a fresh archive. Prints
each function's share of the crawl's profiled time, cumulative (it and what it calls) and
own; the profile files are kept (``--keep DIR``) for snakeviz or pstats.
"""
from __future__ import annotations

import argparse
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newscrawl.demo import crawl_command  # noqa: E402
from newscrawl.replica import Site, serve  # noqa: E402


def profile(base_url: str, db: Path, out: Path, mode: str) -> pstats.Stats:
    cmd = crawl_command(base_url, db, "-s", f"VIEW_COUNTS={mode}")
    python, rest = cmd[0], cmd[1:]
    done = subprocess.run([python, "-m", "cProfile", "-o", str(out), *rest], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"crawl failed:\n{done.stderr[-2000:]}")
    return pstats.Stats(str(out))


def report(stats: pstats.Stats, top: int, sort: str) -> None:
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (path, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(path).name}:{line}({name})" if line else name
        rows.append((cumulative if sort == "cumulative" else own, cumulative, own, calls, where))
    rows.sort(reverse=True)
    print(f"{'cum %':>6} {'own %':>6} {'calls':>9}  function   (profiled total {total:.1f} s)")
    for _, cumulative, own, calls, where in rows[:top]:
        print(f"{100 * cumulative / total:>6.1f} {100 * own / total:>6.1f} {calls:>9}  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--modes", default="off,auto")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", choices=("cumulative", "own"), default="cumulative")
    parser.add_argument("--keep", type=Path, help="folder to keep the .prof files in")
    args = parser.parse_args()
    site = Site(articles=args.articles)
    with tempfile.TemporaryDirectory() as tmp, serve(site) as base_url:
        for mode in args.modes.split(","):
            folder = args.keep or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            stats = profile(base_url, Path(tmp) / f"{mode}.db", folder / f"{mode}.prof", mode)
            print(f"\nVIEW_COUNTS={mode}, {args.articles} articles: top {args.top} by {args.sort} time")
            report(stats, args.top, args.sort)


if __name__ == "__main__":
    main()
