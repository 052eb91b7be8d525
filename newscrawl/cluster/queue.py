"""A run's shared request queue in Redis, whose requests are leased rather than popped.

scrapy-redis's PriorityQueue pops a request destructively: a worker killed while fetching
it loses it. Here a pop moves the request into a lease (its deadline in a sorted set, the request beside it in
a hash) in one Lua script; the worker renews its leases while it works on them and deletes a
lease (``ack``) when the request is done; anyone who finds a lease past its deadline puts
the request back in the queue. Deadlines are on Redis's clock, so machines need not agree.
"""
from __future__ import annotations

from scrapy_redis.queue import PriorityQueue

# The current time in ms on Redis's clock, as `now`, for the Lua scripts of the cluster.
NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "

# KEYS queue, leases, leased, lease_ids; ARGV lease (ms) -> {id, request} or nil
_POP = NOW + """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return false end
redis.call('ZREM', KEYS[1], item[1])
local id = redis.call('INCR', KEYS[4])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), id)
redis.call('HSET', KEYS[3], id, item[1], id .. ':score', item[2])
return {id, item[1]}
"""

# KEYS queue, the run's fingerprints; ARGV fingerprint, score, request -> 1 when queued, 0 when seen before.
# One script: a worker killed between marking a request seen and queueing it would lose it.
_PUSH_UNSEEN = """
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return 1
"""

# KEYS leases; ARGV lease (ms), ids...: only leases that still exist are renewed
_RENEW = NOW + """
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
_RELEASE = NOW + """
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


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue (a sorted set; its serialisation and push), whose
    requests are leased when taken. ``key`` is the queue's; the leases live beside it."""

    def __init__(self, server, spider, key, serializer=None, lease: float = 60):
        super().__init__(server, spider, key, serializer)
        self.leases_key, self.leased_key, self.ids_key = f"{self.key}:leases", f"{self.key}:leased", f"{self.key}:lease-ids"
        self.lease_ms = int(lease * 1000)
        self._pop = server.register_script(_POP)
        self._push_unseen = server.register_script(_PUSH_UNSEEN)
        self._renew = server.register_script(_RENEW)
        self._ack = server.register_script(_ACK)
        self._release = server.register_script(_RELEASE)

    def push_unseen(self, request, seen_key: str, fingerprint: str) -> bool:
        """Queue ``request`` unless ``fingerprint`` is in ``seen_key`` already (and add it
        there), at once; True when queued."""
        data = self._encode_request(request)
        return bool(self._push_unseen(keys=[self.key, seen_key], args=[fingerprint, -request.priority, data]))

    def pop(self, timeout=0):
        raise NotImplementedError("a leased queue is taken from with pop_leased(), and its leases acknowledged")

    def pop_leased(self):
        """The next request and its lease id, or (None, None)."""
        found = self._pop(keys=[self.key, self.leases_key, self.leased_key, self.ids_key], args=[self.lease_ms])
        if not found:
            return None, None
        lease, data = found
        return self._decode_request(data), int(lease)

    def renew(self, leases) -> None:
        if leases:
            self._renew(keys=[self.leases_key], args=[self.lease_ms, *leases])

    def ack(self, leases) -> None:
        if leases:
            self._ack(keys=[self.leases_key, self.leased_key], args=list(leases))

    def release(self, leases=()) -> int:
        """Put the requests of ``leases`` back in the queue; none given: those of every
        lease past its deadline (a worker that died). Returns how many went back."""
        if not leases and not self.server.exists(self.leases_key):
            return 0
        return self._release(keys=[self.key, self.leases_key, self.leased_key], args=list(leases))

    def leases(self) -> int:
        return self.server.zcard(self.leases_key)
