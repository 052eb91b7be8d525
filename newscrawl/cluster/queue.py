"""A run's shared request queue in Redis, whose requests are leased rather than popped.

scrapy-redis pops a request destructively: a worker killed while fetching it loses it. Here
a pop moves the request into a lease (its deadline in a sorted set, the request beside it in
a hash) in one Lua script; the worker renews its leases while it works on them and deletes a
lease (``ack``) when the request is done; anyone who finds a lease past its deadline puts
the request back in the queue. Deadlines are on Redis's clock, so machines need not agree.
"""
from __future__ import annotations

import pickle

from scrapy.utils.request import request_from_dict

from newscrawl.cluster.keys import SpiderKeys

_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "

# KEYS queue, leases, leased, lease_ids; ARGV lease (ms) -> {id, request} or nil
_POP = _NOW + """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return false end
redis.call('ZREM', KEYS[1], item[1])
local id = redis.call('INCR', KEYS[4])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), id)
redis.call('HSET', KEYS[3], id, item[1], id .. ':score', item[2])
return {id, item[1]}
"""

# KEYS leases; ARGV lease (ms), ids...: only leases that still exist are renewed
_RENEW = _NOW + """
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
return 0
"""

# KEYS leases, leased; ARGV ids
_ACK = """
for i = 1, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
  redis.call('HDEL', KEYS[2], ARGV[i], ARGV[i] .. ':score')
end
return 0
"""

# KEYS queue, leases, leased; ARGV ids (none: every lease past its deadline) -> how many went back
_RELEASE = _NOW + """
local ids = ARGV
if #ids == 0 then ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now) end
local n = 0
for _, id in ipairs(ids) do
  local data = redis.call('HGET', KEYS[3], id)
  if data then
    redis.call('ZADD', KEYS[1], redis.call('HGET', KEYS[3], id .. ':score'), data)
    n = n + 1
  end
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id, id .. ':score')
end
return n
"""


class LeasedQueue:
    """The request queue of one spider's runs (shared by every worker of the spider)."""

    def __init__(self, server, keys: SpiderKeys, spider, lease: float):
        self.server = server
        self.keys = keys
        self.spider = spider
        self.lease_ms = int(lease * 1000)
        self._pop = server.register_script(_POP)
        self._renew = server.register_script(_RENEW)
        self._ack = server.register_script(_ACK)
        self._release = server.register_script(_RELEASE)

    # scrapy-redis's serialisation: the request as a dict (callbacks by name), pickled.
    def encode(self, request) -> bytes:
        return pickle.dumps(request.to_dict(spider=self.spider), protocol=pickle.HIGHEST_PROTOCOL)

    def decode(self, data: bytes):
        return request_from_dict(pickle.loads(data), spider=self.spider)

    def push(self, request) -> None:
        # ZADD through execute_command, as scrapy-redis does: zadd's signature differs
        # between redis-py versions.
        self.server.execute_command("ZADD", self.keys.queue, -request.priority, self.encode(request))

    def pop(self):
        """The next request and its lease id, or (None, None)."""
        found = self._pop(keys=[self.keys.queue, self.keys.leases, self.keys.leased, self.keys.lease_ids],
                          args=[self.lease_ms])
        if not found:
            return None, None
        lease, data = found
        return self.decode(data), int(lease)

    def renew(self, leases) -> None:
        if leases:
            self._renew(keys=[self.keys.leases], args=[self.lease_ms, *leases])

    def ack(self, leases) -> None:
        if leases:
            self._ack(keys=[self.keys.leases, self.keys.leased], args=list(leases))

    def release(self, leases=()) -> int:
        """Put the requests of ``leases`` back in the queue; none given: those of every
        lease past its deadline (a worker that died). Returns how many went back."""
        if not leases and not self.server.exists(self.keys.leases):
            return 0
        return self._release(keys=[self.keys.queue, self.keys.leases, self.keys.leased], args=list(leases))

    def __len__(self) -> int:
        return self.server.zcard(self.keys.queue)

    def leases(self) -> int:
        return self.server.zcard(self.keys.leases)
