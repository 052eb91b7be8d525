"""The Scrapy add-on that makes a crawl with REDIS_URL a cluster worker (and does nothing without)."""
from __future__ import annotations

from newscrawl.cluster.keys import DUPEFILTER_KEY, QUEUE_KEY


class ClusterAddon:
    """Registered in newscrawl/settings.py (ADDONS), so ``newscrawl crawl xjtu --redis URL``
    and ``scrapy crawl xjtu -s REDIS_URL=URL`` both become workers: scrapy-redis's
    scheduler, queue and dupefilter, changed where they must be (`scheduler`), a storage
    that hands over to the writer instead of opening the archive (`storage`; ArchiveStorage
    steps aside), the start made once per run (`start`) and each portal's concurrency and
    delay held cluster-wide (`limiter`)."""

    def update_settings(self, settings) -> None:
        if not settings.get("REDIS_URL") or not settings.getbool("ARCHIVE_ENABLED"):
            return  # not a crawl (`scrapy shell`, `fetch`, `check` never join a run)
        settings.set("SCHEDULER", "newscrawl.cluster.scheduler.ClusterScheduler", priority="addon")
        settings.set("SCHEDULER_QUEUE_KEY", QUEUE_KEY, priority="addon")
        settings.set("SCHEDULER_DUPEFILTER_KEY", DUPEFILTER_KEY, priority="addon")
        settings.set_in_component_priority_dict("EXTENSIONS", "newscrawl.cluster.storage.ClusterStorage", 100)
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", "newscrawl.cluster.start.ClusterStartMiddleware", 0)
        # Last before the download, so a host slot is held only while the request is out and the
        # moment reserved is close to the moment it is sent.
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", "newscrawl.cluster.limiter.ClusterRateLimiter",
                                                990)
