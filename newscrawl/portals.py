"""The portals the project declares, found as Scrapy finds spiders (its spider loader)."""
from __future__ import annotations

import os

from newscrawl.profile import Portal


def portals() -> dict[str, Portal]:
    """Every declared portal by name: the ``portal`` of each spider in ``SPIDER_MODULES``."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    loader = get_spider_loader(get_project_settings())
    found = {}
    for name in loader.list():
        portal = getattr(loader.load(name), "portal", None)
        if portal is not None:
            found[portal.name] = portal
    return found


# Portals that exist only as newscrawl.replica serves them (their base URL is a placeholder):
# crawled with a --base-url, never by `crawl --all`.
BUNDLED = frozenset({"webplus_demo"})


def scheduled() -> dict[str, Portal]:
    """The portals `newscrawl crawl --all` crawls: every declared one with a real site."""
    return {name: portal for name, portal in portals().items() if name not in BUNDLED}
