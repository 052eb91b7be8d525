"""`crawl --url` in a cluster: one worker discovers a portal's profile, the others read it from Redis.

Discovery reads the home page, each column's list page and a sample article: every worker
doing it would multiply that load on the university by the number of workers, outside the
cluster's limits, and start each worker's crawl later. The first worker to ask discovers
(holding a short lock); the others wait for the profile it leaves in Redis
(CLUSTER_DISCOVERY_TTL, 6 h: a cron run of the day shares one, the next day's discovers afresh).
"""
from __future__ import annotations

import logging
import pickle
import time

from newscrawl.cluster.keys import SpiderKeys, connect, worker_name
from newscrawl.discover import spider_class as discovered_spider_class
from newscrawl.discover.writing import class_name
from spiders.base import PortalSpider

logger = logging.getLogger(__name__)

_LOCK_SECONDS = 300  # longer than discovery takes (some 10 requests); a worker killed meanwhile frees it then


def spider_class(url: str, settings, name: str) -> type[PortalSpider]:
    """The spider of the portal at ``url`` (named ``name``), its profile discovered by the
    first worker that asked and kept in Redis for the others. Redis unreachable: this
    worker discovers alone (and its crawl then says Redis is unreachable, in one line).
    Raises DiscoveryError as `newscrawl.discover.spider_class` does."""
    import redis

    try:
        server = connect(settings.get("REDIS_URL"))
        portal = _shared_profile(server, SpiderKeys(name), url, settings, name)
    except (redis.RedisError, OSError, ValueError):  # (a DiscoveryError is none of these)
        return discovered_spider_class(url, settings, name=name)
    return type(class_name(name), (PortalSpider,), {"name": name, "portal": portal, "__module__": __name__,
                                                    "__doc__": f"{portal.title}, discovered at {url} by a worker."})


def _shared_profile(server, keys: SpiderKeys, url: str, settings, name: str):
    ttl = int(settings.getfloat("CLUSTER_DISCOVERY_TTL", 6 * 3600))
    key = f"{keys.discovered}:{url}"
    while True:
        found = server.get(key)
        if found is not None:
            return pickle.loads(found)
        if server.set(f"{key}:lock", worker_name(), nx=True, ex=_LOCK_SECONDS):
            try:
                portal = discovered_spider_class(url, settings, name=name).portal
                server.set(key, pickle.dumps(portal, protocol=pickle.HIGHEST_PROTOCOL), ex=ttl)
                return portal
            finally:
                server.delete(f"{key}:lock")
        logger.info("another worker is discovering %s; waiting for its profile", url)
        while server.exists(f"{key}:lock") and not server.exists(key):
            time.sleep(0.1)  # (before the crawl starts: nothing else of this process waits on it)
        # The profile is there, or the discovering worker gave up (DiscoveryError, killed): try again.

