"""How view counts are read right now: the live strategy and its moves, each said once."""
from __future__ import annotations

import logging
from enum import Enum

from newscrawl.viewcounts.browser import INSTALL_CHROMIUM
from newscrawl.viewcounts.endpoint import VSB_BATCH_ENDPOINT, VSB_ENDPOINT

logger = logging.getLogger(__package__)  # one logger for all of view counts


class Strategy(Enum):
    """A way of reading counts. VIEW_COUNTS picks the first; what the crawl finds moves it on."""

    OFF = "off"
    LEARNING = "learning"  # auto: an article is rendered to learn the endpoint
    LEARNED = "learned"  # auto: counts read from the learned endpoint, a sample rendered again
    DIRECT = "direct"  # counts read from VSB's endpoint, unchecked
    BROWSER = "browser"  # every article rendered
    NO_BROWSER = "no browser"  # the browser is all that is left, and there is none: no counts


_FIRST = {"auto": Strategy.LEARNING, "browser": Strategy.BROWSER, "direct": Strategy.DIRECT, "off": Strategy.OFF}


class ReaderState:
    """The reader's strategy and the endpoint it reads counts from (``LEARNED``, ``DIRECT``).

    It moves only through `learned`, `fall_back` and `without_browser`, which say why in the
    log and the stats (``newscrawl/view_counts/fell_back``, ``.../no_browser``).
    """

    def __init__(self, crawler, asked: str):
        self.crawler = crawler
        self.asked = asked  # VIEW_COUNTS
        self.strategy = _FIRST[asked]
        self.template: str | None = VSB_ENDPOINT if asked == "direct" else None
        self.no_browser: str | None = None  # why Chromium cannot render, once that is known

    def learned(self, template: str, page_url: str) -> None:
        self.strategy, self.template = Strategy.LEARNED, template
        logger.info("view counts: learned %s from %s; reading counts directly", template, page_url)

    def fall_back(self, reason: str) -> None:
        """The browser for the rest of the crawl; the first reason is the one said."""
        if self.strategy in (Strategy.BROWSER, Strategy.NO_BROWSER):
            return
        self.crawler.stats.set_value("newscrawl/view_counts/fell_back", reason)
        logger.warning("view counts: using the browser for %s from now on: %s", self.crawler.spider.name, reason)
        # Chromium already found missing stays missing.
        self.strategy = Strategy.NO_BROWSER if self.no_browser else Strategy.BROWSER
        self.template = None

    def without_browser(self, problem: str) -> bool:
        """No Chromium for the rest of this run. ``auto`` reads every count through VSB's
        counter from now on, saying so once (True). ``browser`` cannot do what it was asked:
        the run stops with one line and reason ``no_browser`` (False). An ``auto`` run that
        went back to the browser because direct readings disagreed goes on without counts."""
        stats, first = self.crawler.stats, self.no_browser is None
        self.no_browser = problem
        if self.asked == "browser":
            self.strategy = Strategy.NO_BROWSER
            if first:  # a warning: the run's summary line (from newscrawl/fatal) is the one that counts
                message = f"view counts: VIEW_COUNTS=browser, but {problem} ({INSTALL_CHROMIUM})"
                stats.set_value("newscrawl/view_counts/no_browser", message)
                stats.set_value("newscrawl/fatal", message)
                logger.warning(message)
            return False
        if self.strategy in (Strategy.BROWSER, Strategy.NO_BROWSER):
            self.strategy = Strategy.NO_BROWSER
            if first:
                stats.set_value("newscrawl/view_counts/no_browser", problem)
                logger.warning("view counts: %s; the rest of the run reads no counts (%s)", problem, INSTALL_CHROMIUM)
            return False
        if self.strategy is not Strategy.DIRECT:
            stats.set_value("newscrawl/view_counts/no_browser", problem)
            logger.warning("view counts: %s; reading counts through VSB's counter directly (%s)", problem, INSTALL_CHROMIUM)
            self.strategy, self.template = Strategy.DIRECT, VSB_ENDPOINT
        return True


class Batch(Enum):
    """How the batch counter (a list of counters per request) is used, beside `Strategy`."""

    UNTRIED = "untried"  # auto: the first list page that needs reading is rendered to learn it
    LEARNED = "learned"  # counts read from the batch endpoint a rendered list page was seen to use
    DIRECT = "direct"  # VSB's batch counter, unchecked (VIEW_COUNTS=direct, or auto without Chromium)
    NONE = "none"  # counts are read one by one, the way `Strategy` says


_FIRST_BATCH = {"auto": Batch.UNTRIED, "direct": Batch.DIRECT, "browser": Batch.NONE, "off": Batch.NONE}


class BatchState:
    """Whether counts are read in batches, and from which endpoint. It moves only through
    `learned`, `unchecked` and `give_up`; giving up is said once, in the log and the stats
    (``newscrawl/view_counts/batch_given_up``), and the counts are then read one by one."""

    def __init__(self, crawler, asked: str, size: int):
        self.crawler = crawler
        self.strategy = _FIRST_BATCH[asked] if size > 1 else Batch.NONE
        self.template: str | None = VSB_BATCH_ENDPOINT if self.strategy is Batch.DIRECT else None

    def learned(self, template: str, page_url: str) -> None:
        self.strategy, self.template = Batch.LEARNED, template
        logger.info("view counts: learned the batch counter %s from %s; reading list pages' counts in batches",
                    template, page_url)

    def unchecked(self) -> None:
        """No browser to check it with: VSB's batch counter, as VIEW_COUNTS=direct uses it."""
        if self.strategy is Batch.UNTRIED:
            self.strategy, self.template = Batch.DIRECT, VSB_BATCH_ENDPOINT

    def give_up(self, reason: str) -> None:
        if self.strategy is Batch.NONE:
            return
        self.strategy, self.template = Batch.NONE, None
        self.crawler.stats.set_value("newscrawl/view_counts/batch_given_up", reason)
        logger.warning("view counts: reading counts one by one from now on, not in batches: %s", reason)
