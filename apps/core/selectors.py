"""Reads about the running system."""
from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import connections


def _database_ok() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _cache_ok() -> bool:
    try:
        cache.set("readyz:probe", "1", 5)
        return cache.get("readyz:probe") == "1"
    except Exception:
        return False


def _broker_ok() -> bool:
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        return True
    try:
        from kombu import Connection

        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def readiness_checks() -> dict[str, bool]:
    from .observability.health import readiness_extra

    return {"database": _database_ok(), "cache": _cache_ok(), "broker": _broker_ok(), **readiness_extra()}
