"""CPU of Chromium per launch and per render, for each Debian Chromium installed (not a test).

    python bench/chromium_bench.py [--renders 6]

Renders articles of the bundled portal the way the view-count reader does (images, fonts,
media and stylesheets aborted; waits until the counter shows a number), once with one render
and once with ``--renders``, in Debian's full browser and in its headless shell, and prints
wall and CPU seconds of the browser's process tree. Why settings.py prefers the shell.
"""
from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import async_playwright  # noqa: E402

from newscrawl import settings  # noqa: E402
from newscrawl.replica import Site, serve  # noqa: E402
from newscrawl.viewcounts.browser import abort_request  # noqa: E402

CHROMIUMS = {"full browser": "/usr/bin/chromium", "headless shell": "/usr/bin/chromium-headless-shell"}
_COUNTER_SHOWN = "() => /\\d/.test((document.querySelector('[id^=dynclicks_]') || {}).textContent || '')"


async def render(executable: str, urls: list[str]) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, headless=True,
                                          args=settings.PLAYWRIGHT_LAUNCH_OPTIONS["args"])
        context = await browser.new_context()

        async def route(r):
            await (r.abort() if abort_request(r.request) else r.continue_())

        await context.route("**/*", route)
        for url in urls:
            page = await context.new_page()
            await page.goto(url, wait_until="domcontentloaded")
            await page.wait_for_function(_COUNTER_SHOWN, timeout=15_000)
            await page.close()
        await browser.close()


def measured(executable: str, urls: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (the Playwright driver and Chromium: this process's children)."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    asyncio.run(render(executable, urls))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - start, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=6)
    args = parser.parse_args()
    site = Site(articles=max(args.renders, 10))
    print(f"{'chromium':16s} {'1 render: wall s':>17s} {'CPU s':>6s} {args.renders:>3d} renders: wall s {'CPU s':>6s}"
          f" {'CPU s/render':>12s}")
    with serve(site) as base_url:
        urls = [base_url + art.path for art in site.articles[:args.renders]]
        for label, executable in CHROMIUMS.items():
            if not Path(executable).exists():
                print(f"{label:16s} not installed ({executable})")
                continue
            one, many = measured(executable, urls[:1]), measured(executable, urls)
            per = (many[1] - one[1]) / max(args.renders - 1, 1)
            print(f"{label:16s} {one[0]:17.2f} {one[1]:6.2f} {many[0]:19.2f} {many[1]:6.2f} {per:12.2f}")
    print(f"the crawl launches {settings.PLAYWRIGHT_LAUNCH_OPTIONS['executable_path']}")


if __name__ == "__main__":
    main()
