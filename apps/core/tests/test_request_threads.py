"""`RequestThreadsMiddleware`: HTTP requests run Django's synchronous part on a fixed set of long-lived threads
(without it, every request gets a thread of its own), one request per thread at a time, each request on one
thread throughout; other scopes pass through untouched."""
from __future__ import annotations

import asyncio
import threading
import time

from asgiref.sync import ThreadSensitiveContext, sync_to_async

from apps.core.asgi import RequestThreadsMiddleware


def _serve(size: int | None, requests: int) -> tuple[list, list]:
    """Run `requests` concurrent fake requests (each, like Django's handler, opens its own thread-sensitive
    context and makes two thread-sensitive calls). Returns the thread of each request and any thread found
    serving two requests at once."""
    threads: list[threading.Thread] = []  # the objects, kept alive: an exited thread's ident can come back
    busy: set[threading.Thread] = set()
    overlaps: list[threading.Thread] = []

    async def django_like(scope, receive, send):
        async with ThreadSensitiveContext():
            def work() -> threading.Thread:
                ident = threading.current_thread()
                if ident in busy:
                    overlaps.append(ident)
                busy.add(ident)
                time.sleep(0.005)
                busy.discard(ident)
                return ident

            first = await sync_to_async(work)()
            second = await sync_to_async(threading.current_thread)()
            assert first == second  # one thread for the whole request
            threads.append(first)

    app = django_like if size is None else RequestThreadsMiddleware(django_like, size=size)

    async def main():
        for _ in range(2):
            await asyncio.gather(*(app({"type": "http"}, None, None) for _ in range(requests)))

    asyncio.run(main())
    return threads, overlaps


def test_requests_reuse_a_fixed_set_of_threads_one_request_at_a_time():
    threads, overlaps = _serve(3, 12)
    assert len(threads) == 24 and overlaps == []
    assert len(set(threads)) == 3


def test_without_it_every_request_gets_a_new_thread():
    threads, _ = _serve(None, 12)
    assert len(set(threads)) == 24


def test_other_scopes_pass_through():
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["type"])

    middleware = RequestThreadsMiddleware(app, size=1)
    asyncio.run(middleware({"type": "websocket"}, None, None))
    asyncio.run(middleware({"type": "lifespan"}, None, None))
    assert calls == ["websocket", "lifespan"] and middleware._free == {}
