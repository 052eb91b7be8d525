"""Crawl workers on many machines sharing one frontier in Redis, and one writer of the archive.

A crawl started with ``REDIS_URL`` (``newscrawl crawl PORTAL --redis URL``) is a *worker*:
the add-on (`addon`) swaps in a scheduler whose queue lives in Redis (`scheduler`, `queue`),
a storage that hands everything to Redis instead of opening the archive (`storage`), a start
that only the first worker of a run makes (`start`) and a rate limit the whole cluster
shares (`limiter`). ``newscrawl ingest`` runs the one *writer* (`writer`), which drains what
the workers hand over into the SQLite archive and tells them what is archived.

Redis layout (``keys``): a run's queue is a sorted set of requests; a request a worker took
is *leased* (a sorted set of deadlines, renewed while the worker works on it) and goes back
to the queue when its lease expires, so a killed worker loses nothing; it is acknowledged
(the lease deleted) only once everything its response produced is in Redis.

Built after scrapy-redis's design (its key names, its request serialisation, a sorted-set
priority queue, a set of fingerprints), not on the package: see `scheduler` for why.
"""
