"""`python -m newscrawl.replica`: serve the bundled portal until Ctrl-C."""
from __future__ import annotations

import argparse
import threading

from newscrawl.replica import Site, WebPlusSite, serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=300, help="how many articles (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="content seed (same seed, same portal)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--cms", choices=("vsb", "webplus"), default="vsb", help="which CMS serves it (default vsb)")
    args = parser.parse_args(argv)
    site = (WebPlusSite if args.cms == "webplus" else Site)(articles=args.articles, seed=args.seed)
    home = "main.htm" if args.cms == "webplus" else "index.htm"
    with serve(site, port=args.port) as base_url:
        print(f"bundled {args.cms} portal with {len(site.articles)} articles at {base_url}/{home} (Ctrl-C stops)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
