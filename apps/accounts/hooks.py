"""Subscriptions to account lifecycle moments, so other apps react without accounts importing them.

    from apps.accounts.hooks import on_password_changed, on_logout

    @on_password_changed
    def close_sockets(*, user_id: str) -> None: ...

    @on_logout
    def close_session_sockets(*, user_id: str, session_key: str) -> None: ...

Callbacks run after the surrounding transaction commits (`transaction.on_commit`), keyword arguments
only, and must not raise; an exception is logged and the remaining callbacks still run.
Register them in the subscribing app's `AppConfig.ready()`.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

_password_changed: list[Callable[..., None]] = []
_logout: list[Callable[..., None]] = []


def on_password_changed(callback: Callable[..., None]) -> Callable[..., None]:
    """Register `callback(*, user_id)`; returns it unchanged so it works as a decorator."""
    if callback not in _password_changed:
        _password_changed.append(callback)
    return callback


def on_logout(callback: Callable[..., None]) -> Callable[..., None]:
    """Register `callback(*, user_id, session_key)`; returns it unchanged."""
    if callback not in _logout:
        _logout.append(callback)
    return callback


def _run(callbacks: list[Callable[..., None]], **kwargs) -> None:
    for callback in list(callbacks):
        try:
            callback(**kwargs)
        except Exception:
            logger.exception("Account hook %r failed", callback)


def password_changed_notify(*, user_id: str) -> None:
    transaction.on_commit(lambda: _run(_password_changed, user_id=user_id))


def logout_notify(*, user_id: str, session_key: str) -> None:
    transaction.on_commit(lambda: _run(_logout, user_id=user_id, session_key=session_key))
