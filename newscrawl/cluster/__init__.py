"""Crawl workers on many machines sharing one frontier in Redis, and one writer of the archive.

A crawl started with ``REDIS_URL`` (``newscrawl crawl PORTAL --redis URL``) is a *worker*:
the add-on (`addon`) swaps in scrapy-redis's scheduler, queue and dupefilter, changed where
they must be (`scheduler`, `queue`), a storage that hands everything to Redis instead of
opening the archive (`storage`), a start that only the first worker of a run makes
(`start`) and a portal's concurrency and delay held for the whole cluster (`limiter`). ``newscrawl ingest`` runs
the one *writer* (`writer`), which drains what the workers hand over into the SQLite
archive and tells them what is archived.

A request a worker takes from the queue is *leased* (a deadline in a sorted set beside the
queue, renewed while the worker works on it) and goes back to the queue when its lease
expires, so a killed worker loses nothing; it is acknowledged (the lease deleted) only once
everything its response produced is in Redis.
"""
