"""NewsCrawl: crawl university news portals (VSB/博达 CMS) into a SQLite archive."""

__version__ = "0.1.0"
