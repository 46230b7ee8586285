"""Per-user read cache: the answers of the hot read paths (dashboard summary, trade lists, label grid, chart,
trade page) kept in the shared cache while the user's data is unchanged.

Every write that changes what a user reads calls `user_data_changed(user_id)`: the user's data version (a
random token in the cache) is replaced then and again after its transaction commits, so every answer built
before is no longer found and the next read builds a fresh one. Writers: stored trades (`trade_upsert_many`), changed
prices, a finished scoring run (the `on_trades_scored` hook: labels, positions, reflections and rollups),
on-demand reflections and feedback votes.

Why it is correct under concurrency: a reader takes the version before it reads the database. A writer's
version changes only after its commit. So an answer stored under a version was read no earlier than that
version was current; an answer built from data older than a commit is stored under a version that the
commit's own bump replaced, where no later reader looks. An answer may also depend on versions outside the user's data (the
candles of a market): their cache keys (`outside`) are read in the same round trip as the user's version.

The cache is an accelerator only: when it is unreachable, answers are built from the database.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")
ENTRY_TTL = 15 * 60  # seconds an unused answer stays; a changed version makes it unreachable at once
VERSION_TTL = 30 * 24 * 3600


_shared = None


def shared_cache():
    """The default cache as one object for the whole process. `django.core.cache.cache` is one object per
    request context (under ASGI: per request), and django-redis builds its client objects anew for each;
    this one is built once (the Redis client and its connection pool are thread-safe)."""
    global _shared
    if _shared is None:
        _shared = caches.create_connection("default")
    return _shared


def _settings_changed(*, setting, **kwargs) -> None:
    global _shared
    if setting == "CACHES":
        _shared = None


setting_changed.connect(_settings_changed)


def _version_key(user_id: str) -> str:
    return f"readcache:v:{user_id}"


def _entry_key(user_id: str, name: str, params: str) -> str:
    digest = hashlib.blake2b(params.encode(), digest_size=12).hexdigest()
    return f"readcache:e:{user_id}:{name}:{digest}"


def _version_bump(user_id: str) -> None:
    try:
        shared_cache().set(_version_key(user_id), secrets.token_hex(8), VERSION_TTL)
    except Exception:  # noqa: BLE001 - an unreachable cache must not fail the write that already committed
        logger.warning("read cache: could not replace the data version of a user", exc_info=True)


def user_data_changed(user_id: str) -> None:
    """The user's stored data changes in the current transaction: every cached answer of theirs is out of
    date now (for readers inside the transaction) and again once it commits (an answer a reader elsewhere
    built in between, from the data before the commit, is not found after it)."""
    user_id = str(user_id)
    _version_bump(user_id)
    transaction.on_commit(lambda: _version_bump(user_id), robust=True)


def user_data_version(user_id: str) -> str | None:
    """The user's current data version (for tests and diagnostics); None when none was handed out yet."""
    return shared_cache().get(_version_key(str(user_id)))


def read_through(*, user_id: str, name: str, params: Iterable[Any], build: Callable[[], T],
                 outside: Iterable[str] = ()) -> T:
    """`build()`'s answer for (user, name, params), from the cache while the user's data version and the
    `outside` versions (cache keys) are those it was built under; else built now and kept. `params` are the
    answer's inputs besides the user's data (filters, cursor, the user's time zone); the answer must be
    picklable. Exceptions from `build` propagate and nothing is kept."""
    user_id = str(user_id)
    outside = tuple(outside)
    version_key, entry_key = _version_key(user_id), _entry_key(user_id, name, repr(tuple(params)))
    cache = shared_cache()
    try:
        found = cache.get_many([version_key, entry_key, *outside])
    except Exception:  # noqa: BLE001
        logger.warning("read cache unreachable; answering from the database", exc_info=True)
        return build()
    version = found.get(version_key)
    stamps = tuple(found.get(key) for key in outside)
    entry = found.get(entry_key)
    if version is not None and entry is not None and entry[0] == version and entry[1] == stamps:
        return entry[2]
    if version is None:
        version = secrets.token_hex(8)
        try:
            if not cache.add(version_key, version, VERSION_TTL):  # another reader handed one out first
                version = cache.get(version_key)
        except Exception:  # noqa: BLE001
            return build()
        if version is None:
            return build()
    answer = build()
    try:
        cache.set(entry_key, (version, stamps, answer), ENTRY_TTL)
    except Exception:  # noqa: BLE001
        logger.warning("read cache: could not keep an answer", exc_info=True)
    return answer


def query_key(request) -> tuple:
    """The request's query parameters as sent, in a stable order (for `params`)."""
    return tuple(sorted((name, tuple(values)) for name, values in request.GET.lists()))


def cached_json(*, user_id: str, name: str, params: Iterable[Any], build: Callable[[], Any],
                outside: Iterable[str] = ()):
    """`read_through` for a JSON endpoint: the rendered body is what is kept (no serialisation on a hit)."""
    from django.http import HttpResponse
    from rest_framework.renderers import JSONRenderer

    body = read_through(user_id=user_id, name=name, params=params, outside=outside,
                        build=lambda: JSONRenderer().render(build()))
    return HttpResponse(body, content_type="application/json")
