"""Readiness checks that higher apps add to `/readyz` (e.g. the outbox lag), and the relay's heartbeat."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from .metrics import heartbeat_age

_checks: dict[str, Callable[[], bool]] = {}


def readiness_check_register(*, name: str, check: Callable[[], bool]) -> None:
    """`check()` → True when ready; an exception counts as not ready."""
    _checks[name] = check


def readiness_extra() -> dict[str, bool]:
    results = {}
    for name, check in list(_checks.items()):
        try:
            results[name] = bool(check())
        except Exception:
            results[name] = False
    return results


def relay_alive() -> bool:
    """A relay beat within `READYZ_RELAY_MAX_AGE` seconds."""
    age = heartbeat_age(name="relay")
    return age is not None and age <= settings.READYZ_RELAY_MAX_AGE
