"""Spiders: one shared VSB portal spider, and one small declarative class per portal."""
from __future__ import annotations


def portals() -> dict:
    """Every declared portal by name, found the way `scrapy list` finds spiders."""
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    loader = SpiderLoader(Settings({"SPIDER_MODULES": ["spiders"]}))
    found = {}
    for name in loader.list():
        portal = getattr(loader.load(name), "portal", None)
        if portal is not None:
            found[portal.name] = portal
    return found
