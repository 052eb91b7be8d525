"""Portals without code: read a portal's home page, find its CMS and columns, and make its profile.

`discover(url, settings)` returns a `Discovery` (the columns with their list pages and a
sample article each); `write_profile` writes it as spiders/<name>.py for a person to
review; `spider_class(url, settings)` makes the spider `newscrawl crawl --url` runs.
"""
from newscrawl.discover.fetch import FetchConfig
from newscrawl.discover.survey import Discovery, DiscoveryError, FoundColumn, Skipped, discover
from newscrawl.discover.writing import check_name, name_for, profile_source, spider_class, write_profile

__all__ = ["Discovery", "DiscoveryError", "FetchConfig", "FoundColumn", "Skipped", "check_name", "discover", "name_for",
           "profile_source", "spider_class", "write_profile"]
