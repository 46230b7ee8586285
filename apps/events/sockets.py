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


def _origin_tuple(scheme: str, host: str, port: int | None) -> tuple[str, str, int]:
    return scheme, host.lower().rstrip("."), port or {"http": 80, "https": 443}.get(scheme, 0)


def origin_parse(origin: str) -> tuple[str, str, int] | None:
    """`scheme://host[:port]` as (scheme, host, port) with the default port filled in; None if not that."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return None
    return _origin_tuple(parts.scheme, parts.hostname, port)


def socket_origin_allowed(*, origin: str | None, scheme: str, host: str | None) -> bool:
    """The page that opens a socket must be our own site: the same scheme, host and port as the socket's
    own address (`Host` must be one of ALLOWED_HOSTS), or an origin listed in CSRF_TRUSTED_ORIGINS."""
    from django.http.request import split_domain_port, validate_host

    wanted = origin_parse(origin) if origin else None
    if wanted is None:
        return False
    if any(origin_parse(trusted) == wanted for trusted in settings.CSRF_TRUSTED_ORIGINS):
        return True
    if not host:
        return False
    domain, port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    page_scheme = "https" if scheme in ("wss", "https") else "http"
    try:
        own = _origin_tuple(page_scheme, domain.strip("[]"), int(port) if port else None)
    except ValueError:
        return False
    return own == wanted


class SameOriginValidator:
    """ASGI middleware for WebSocket routes: a handshake from another origin is refused (HTTP 403)."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            headers = {key.lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}
            if not socket_origin_allowed(origin=headers.get(b"origin"), scheme=scope.get("scheme", "ws"),
                                         host=headers.get(b"host")):
                from channels.security.websocket import WebsocketDenier

                denier = WebsocketDenier()
                return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
