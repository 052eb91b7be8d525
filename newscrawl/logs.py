"""Log records made to read as one line: cron mails what a crawl logs at ERROR."""
from __future__ import annotations

import logging


class OneLineRobotsErrors(logging.Filter):
    """Scrapy logs a robots.txt that cannot be fetched as an ERROR with a traceback (≈70
    lines for a portal that is down). The crawl goes on without it and its pages fail on
    their own, recorded and summed up in the run's line; so: a one-line warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.exc_info:
            error = record.exc_info[1]
            record.msg, record.args = "robots.txt unavailable (%s: %s); crawling without it", (
                type(error).__name__, str(error).splitlines()[0] if str(error) else "")
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class QuietRobotsErrors:
    """Extension installing `OneLineRobotsErrors` on Scrapy's robots.txt middleware logger."""

    _filter = OneLineRobotsErrors()

    @classmethod
    def from_crawler(cls, crawler):
        logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(cls._filter)
        return cls()
