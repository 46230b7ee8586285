"""The embedded relay's doorbell: the outbox services ring it after commit, the in-process relay (once
started) installs itself as the listener. Keeps services and the relay from importing each other."""
from __future__ import annotations

import asyncio

_listener: dict = {"loop": None, "wake": None}


def relay_doorbell_install(*, loop: asyncio.AbstractEventLoop, wake: asyncio.Event) -> None:
    _listener.update(loop=loop, wake=wake)


def relay_wake() -> None:
    """Wake the in-process relay (embedded mode); safe from any thread, a no-op when none runs here."""
    loop, wake = _listener["loop"], _listener["wake"]
    if loop is not None and wake is not None and not loop.is_closed():
        loop.call_soon_threadsafe(wake.set)
