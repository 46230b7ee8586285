"""ASGI middleware in front of Django and Channels: the client's address, and bounded request bodies.

The client's address has one source for HTTP and WebSockets: `scope_client_address`, applied to the scope
by `ProxyHeadersMiddleware` before Django (`REMOTE_ADDR`), rate limits, session fingerprints, the audit
trail or the socket consumer see it.

- `TRUSTED_PROXY_COUNT = 0` (default): the address of the TCP peer; `X-Forwarded-For` is ignored.
- `TRUSTED_PROXY_COUNT = N`: N proxies we run sit in front of us and each appends the address it saw to
  `X-Forwarded-For`; the client is the N-th entry counted from the right (entries further left were sent by
  the client and can say anything). With fewer than N entries the peer address is kept.
  `X-Forwarded-Proto` (its right-most value) then gives the scheme.

Run daphne without `--proxy-headers`: it would replace the peer address with the left-most entry.
"""
from __future__ import annotations

import asyncio
import ipaddress
import json

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse
from django.http.response import HttpResponseBase
from django.urls import set_script_prefix

from .responses import is_api_path


def _parse_address(text: str) -> str | None:
    text = text.strip().strip('"')
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1:text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.split(":", 1)[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def client_address(*, peer: str, forwarded_for: list[str], trusted_proxies: int) -> str:
    """The client's address: `peer`, or the entry `trusted_proxies` hops from the right of X-Forwarded-For."""
    if trusted_proxies <= 0:
        return peer
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    if len(hops) < trusted_proxies:
        return peer
    return _parse_address(hops[-trusted_proxies]) or peer


def _header_values(scope, name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in scope.get("headers", []) if key.lower() == name]


def scope_client_address(scope) -> str:
    peer = (scope.get("client") or ("", 0))[0] or ""
    return client_address(peer=peer, forwarded_for=_header_values(scope, b"x-forwarded-for"),
                          trusted_proxies=settings.TRUSTED_PROXY_COUNT)


def scope_scheme(scope) -> str:
    default = scope.get("scheme") or ("ws" if scope["type"] == "websocket" else "http")
    if settings.TRUSTED_PROXY_COUNT <= 0:
        return default
    values = [v.strip().lower() for value in _header_values(scope, b"x-forwarded-proto") for v in value.split(",")]
    if not values or values[-1] not in ("http", "https"):
        return default
    secure = values[-1] == "https"
    if scope["type"] == "websocket":
        return "wss" if secure else "ws"
    return "https" if secure else "http"


class ProxyHeadersMiddleware:
    """Puts the client's address (and, behind trusted proxies, the scheme) into the scope."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            port = (scope.get("client") or ("", 0))[1] if settings.TRUSTED_PROXY_COUNT <= 0 else 0
            scope = {**scope, "client": [scope_client_address(scope), port], "scheme": scope_scheme(scope)}
        return await self.app(scope, receive, send)


async def _refuse(scope, send, *, status: int, code: str, message: str) -> None:
    if is_api_path(scope.get("path", "")):
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        content_type = b"application/json"
    else:
        body = f"{status} {message}\n".encode()
        content_type = b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Request bodies above `REQUEST_MAX_BYTES` are refused with 413 before Django reads them.

    A chunked body (no Content-Length) is read here up to the limit and handed to Django with its length,
    so chunked uploads work like any other; past the limit the answer is 413 at once.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = settings.REQUEST_MAX_BYTES
        too_large = {"status": 413, "code": "payload_too_large",
                     "message": f"The request body is larger than {limit // (1024 * 1024)} MB."}
        lengths = _header_values(scope, b"content-length")
        if lengths:
            try:
                declared = int(lengths[0])
            except ValueError:
                return await _refuse(scope, send, status=400, code="bad_request",
                                     message="Content-Length is not a number.")
            if declared > limit:
                return await _refuse(scope, send, **too_large)
            return await self.app(scope, receive, send)
        if not any("chunked" in v.lower() for v in _header_values(scope, b"transfer-encoding")):
            return await self.app(scope, receive, send)
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body = message.get("body", b"")
            total += len(body)
            if total > limit:
                return await _refuse(scope, send, **too_large)
            chunks.append(body)
            if not message.get("more_body", False):
                break
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"transfer-encoding"]
        headers.append((b"content-length", str(total).encode()))
        return await self.app({**scope, "headers": headers}, _replay(chunks, receive), send)


def _replay(chunks: list[bytes], receive):
    async def replayed():
        if chunks:
            body = chunks.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(chunks)}
        return await receive()

    if not chunks:
        chunks.append(b"")
    return replayed


def _raw_json_response(status: str, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


_REQUEST_LINE_TOO_LONG = _raw_json_response("414 URI Too Long", "uri_too_long", "The request line is too long.")
_HEADER_TOO_LONG = _raw_json_response("431 Request Header Fields Too Large", "headers_too_large",
                                      "A request header is too long.")
_UNPARSABLE = _raw_json_response("400 Bad Request", "bad_request", "The request could not be parsed.")


def http_line_limits_install() -> None:
    """Make daphne's HTTP server (Twisted) answer an over-long request line with 414, or an over-long header
    line with 431, and close (by default it drops the connection without a word); and give the bare 400 it
    answers for requests it cannot parse (too many headers, a multipart body it cannot split) the JSON
    envelope."""
    from twisted.web import http

    if getattr(http.HTTPChannel, "_twin_line_limits", False):
        return

    def line_length_exceeded(channel, line):
        first_line = getattr(channel, "_HTTPChannel__first_line", 1)
        channel.transport.write(_REQUEST_LINE_TOO_LONG if first_line else _HEADER_TOO_LONG)
        channel.loseConnection()

    def bad_request(channel):
        channel.transport.write(_UNPARSABLE)
        channel.loseConnection()

    http.HTTPChannel.lineLengthExceeded = line_length_exceeded
    http.HTTPChannel._respondToBadRequestAndDisconnect = bad_request
    http.HTTPChannel._twin_line_limits = True


class RequestThreadsMiddleware:
    """Each HTTP request runs Django's synchronous part on one of `size` long-lived threads.

    Django's ASGI handler gives every request a thread-sensitive context of its own, and asgiref a new
    thread for it: a thread started and stopped per request, and with it new per-thread database and cache
    clients (the Redis client object, Django's connection wrapper). Here a request borrows a single-thread
    executor from a fixed set for its whole life (asgiref's `ThreadSensitiveContext(executor=…)`; the
    outer-most context wins, so Django's own nested one uses it), so threads and their clients are reused. A
    request still never shares its thread with another one while it runs; more than `size` requests at once
    wait for a free thread (the database pool would make them wait anyway: size it like `DB_POOL_MAX_SIZE`).
    """

    def __init__(self, app, *, size: int):
        self.app = app
        self.size = max(1, size)
        self._free = {}  # event loop -> asyncio.Queue of executors (one set per loop: tests run several)

    def _queue(self):
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        loop = asyncio.get_running_loop()
        queue = self._free.get(loop)
        if queue is None:
            for old in [other for other in self._free if other.is_closed()]:
                del self._free[old]
            queue = self._free[loop] = asyncio.Queue()
            for n in range(self.size):
                queue.put_nowait(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"request-{n}"))
        return queue

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from asgiref.sync import ThreadSensitiveContext

        queue = self._queue()
        executor = await queue.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                return await self.app(scope, receive, send)
        finally:
            queue.put_nowait(executor)


class DjangoHttpHandler(ASGIHandler):
    """Django's ASGI handler, with each request's synchronous part run in one go on its request thread.

    Every middleware and view of this project is synchronous. Django's own handler runs its middleware chain
    in async mode and so crosses between the event loop and the request's thread several times per request:
    the `request_started` receivers, the middleware chain, back to the loop for the view middleware, the
    `process_view` hooks one by one, the view, and the response's `close()` — each crossing a future, a
    lock hand-off and a copy of the context (a third of a cached answer's CPU). Here the chain is loaded in
    sync mode (as under WSGI) and `request_started`, the request, the middleware, the view and, for a
    response whose body is already built, `close()` (`request_finished`: the database connection goes back to
    the pool) run in one call on the thread; only reading the body and sending the answer stay on the loop.
    A streaming answer is sent and then closed as Django does. What a request sees is unchanged: the same
    middleware in the same order, the same signals, the same thread-sensitive context
    (`RequestThreadsMiddleware`)."""

    def __init__(self):
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        try:
            response = await sync_to_async(self._respond, thread_sensitive=True)(scope, body_file)
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:
                pass  # the client went away while the answer was sent
            finally:
                if response.streaming:
                    await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def _respond(self, scope, body_file) -> HttpResponseBase:
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):  # the server chunks the body itself
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()
        return response
