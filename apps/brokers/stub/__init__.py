"""The stub exchange: Coinbase and Binance wire formats on a loopback HTTP server.

`embedded_stub()` starts one per process on a free loopback port (the embedded default,
``settings.STUB_EXCHANGE_EMBEDDED``), so connecting and importing work offline.
"""
from __future__ import annotations

import threading

from .data import floor_day
from .server import (
    CLIENT_ID,
    CLIENT_SECRET,
    READ_ONLY_KEY,
    READ_ONLY_SECRET,
    TRADING_KEY,
    TRADING_SECRET,
    WITHDRAW_KEY,
    WITHDRAW_SECRET,
    StubExchange,
    StubState,
)

__all__ = [
    "CLIENT_ID", "CLIENT_SECRET", "READ_ONLY_KEY", "READ_ONLY_SECRET", "TRADING_KEY", "TRADING_SECRET",
    "WITHDRAW_KEY", "WITHDRAW_SECRET", "StubExchange", "StubState", "embedded_stub", "embedded_stub_stop",
]

_embedded: StubExchange | None = None
_embedded_lock = threading.Lock()


def embedded_stub() -> StubExchange:
    """The process-wide stub (started on first use). Data is anchored to the start of the UTC day so a
    restart on the same day serves the same fills; its token signing key derives from SECRET_KEY so
    stored tokens keep working across restarts."""
    global _embedded
    with _embedded_lock:
        if _embedded is None:
            import hashlib
            from datetime import UTC, datetime

            from django.conf import settings

            state = StubState(
                anchor=floor_day(datetime.now(UTC)),
                client_id=settings.COINBASE_CLIENT_ID,
                client_secret=settings.COINBASE_CLIENT_SECRET,
                secret=hashlib.sha256(f"stub-exchange|{settings.SECRET_KEY}".encode()).digest(),
            )
            _embedded = StubExchange(state=state).start()
        return _embedded


def embedded_stub_stop() -> None:
    """Stop the process-wide stub if it runs (tests and clean shutdowns)."""
    global _embedded
    with _embedded_lock:
        if _embedded is not None:
            _embedded.stop()
            _embedded = None
