"""The yardstick of bench/cpu_bench.py: a bare Scrapy spider that fetches a list of URLs and
does nothing else (no parsing, no items), with the concurrency the demo crawls with.

    python bench/bare_fetch.py URLS_FILE
"""
from __future__ import annotations

import sys

import scrapy
from scrapy.crawler import CrawlerProcess


class BareFetch(scrapy.Spider):
    name = "bare_fetch"

    def __init__(self, urls_file: str, **kwargs):
        super().__init__(**kwargs)
        self.urls_file = urls_file

    async def start(self):
        with open(self.urls_file, encoding="utf-8") as lines:
            for url in lines:
                yield scrapy.Request(url.strip(), callback=self.parse, dont_filter=True)

    def parse(self, response, **kwargs):
        return None


if __name__ == "__main__":
    process = CrawlerProcess({
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": True,  # as NewsCrawl does: one robots.txt request
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    })
    process.crawl(BareFetch, urls_file=sys.argv[1])
    process.start()
