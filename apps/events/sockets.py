"""At most `MAX_SOCKETS_PER_USER` open `/ws/coach` sockets per user.

Slots live in a Redis sorted set per user (member = socket id, score = expiry) when Redis is configured, so
the limit holds across web processes; an open socket refreshes its slot every `SLOT_REFRESH` seconds and a
crashed process's slots expire after `SLOT_TTL`. Without Redis (embedded default, one process) an in-process
table does the same.
"""
from __future__ import annotations

import asyncio
import time
import weakref

from django.conf import settings

MAX_SOCKETS_PER_USER = 5
SLOT_TTL = 60
SLOT_REFRESH = 20

_ACQUIRE = """
local key, now, ttl, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if not redis.call('ZSCORE', key, member) and redis.call('ZCARD', key) >= limit then
  return 0
end
redis.call('ZADD', key, now + ttl, member)
redis.call('EXPIRE', key, ttl * 2)
return 1
"""

_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_local: dict[str, dict[str, float]] = {}


def _key(user_id: str) -> str:
    return f"{settings.CACHE_KEY_PREFIX}:events:sockets:{user_id}"


def _redis():
    import redis.asyncio as redis

    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        _clients[loop] = client
    return client


async def socket_slot_acquire(*, user_id: str, socket_id: str) -> bool:
    """Take (or refresh) a slot; False when the user already has the maximum open."""
    now = time.time()
    if settings.REDIS_URL:
        result = await _redis().eval(_ACQUIRE, 1, _key(user_id), now, SLOT_TTL, MAX_SOCKETS_PER_USER, socket_id)
        return bool(result)
    slots = {k: v for k, v in _local.get(user_id, {}).items() if v > now}
    if socket_id not in slots and len(slots) >= MAX_SOCKETS_PER_USER:
        _local[user_id] = slots
        return False
    slots[socket_id] = now + SLOT_TTL
    _local[user_id] = slots
    return True


async def socket_slot_release(*, user_id: str, socket_id: str) -> None:
    if settings.REDIS_URL:
        await _redis().zrem(_key(user_id), socket_id)
        return
    _local.get(user_id, {}).pop(socket_id, None)
