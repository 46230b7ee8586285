"""`DjangoHttpHandler`: a request's synchronous part (the `request_started` receivers, the middleware, the view
and, for a built body, `close()`) runs in one call on its thread, and the answers are Django's own handler's."""
from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import SyncToAsync
from asgiref.testing import ApplicationCommunicator
from django.core import signals
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from apps.core.asgi import DjangoHttpHandler
from twin.urls import handler400, handler403, handler404, handler500  # noqa: F401
from twin.urls import urlpatterns as project_urlpatterns

URLCONF = "apps.core.tests.test_http_handler"
seen: dict[str, list] = {"view": [], "chunks": []}


def plain(request):
    seen["view"].append(threading.current_thread())
    return HttpResponse("plain answer", headers={"X-Probe": "1"})


def streamed(request):
    def chunks():
        for n in range(3):
            seen["chunks"].append(n)
            yield f"part {n};"

    return StreamingHttpResponse(chunks(), content_type="text/plain")


def fails(request):
    raise RuntimeError("on purpose")


urlpatterns = [
    path("probe/plain", plain),
    path("probe/streamed", streamed),
    path("api/probe-fails", fails),
    *project_urlpatterns,
]


def _request(app, path_: str, *, method: str = "GET", body: bytes = b"", headers=()) -> tuple[int, dict, bytes]:
    path_, _, query = path_.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path_, "raw_path": path_.encode(), "query_string": query.encode(),
             "root_path": "", "headers": [(b"host", b"testserver"), *headers],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}

    async def run():
        communicator = ApplicationCommunicator(app, scope)
        await communicator.send_input({"type": "http.request", "body": body})
        start = await communicator.receive_output(5)
        parts = []
        while True:
            message = await communicator.receive_output(5)
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await communicator.wait(5)
        return start, b"".join(parts)

    start, content = asyncio.run(run())
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, content


@pytest.fixture
def handlers():
    with override_settings(ROOT_URLCONF=URLCONF):
        yield DjangoHttpHandler(), ASGIHandler()


def _comparable(headers: dict) -> dict:
    return {k: v for k, v in headers.items() if k not in ("x-request-id", "set-cookie")}


@pytest.mark.parametrize("path_, method", [
    ("/probe/plain", "GET"), ("/probe/streamed", "GET"), ("/api/probe-fails", "GET"), ("/healthz", "GET"),
    ("/api/trades", "GET"), ("/api/trades?limit=abc", "GET"), ("/api/trades", "POST"), ("/no/such/page", "GET"),
    ("/api/no/such/endpoint", "GET"), ("/dashboard/", "GET"), ("/login/", "HEAD"), ("/probe/plain?x=%00", "GET"),
])
@pytest.mark.django_db(transaction=True)
def test_answers_as_djangos_own_handler(handlers, path_, method):
    ours, django_own = handlers
    status, headers, content = _request(ours, path_, method=method)
    expected_status, expected_headers, expected_content = _request(django_own, path_, method=method)
    assert (status, _comparable(headers), content) == (expected_status, _comparable(expected_headers),
                                                       expected_content)
    assert headers["x-request-id"]


def test_the_synchronous_part_is_one_call_on_one_thread(handlers, monkeypatch):
    """Django's handler crosses to the request's thread for the signal, the middleware, each view hook, the
    view and close(); this one once."""
    crossings = []
    original = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        crossings.append(getattr(self.func, "__name__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    threads = {}

    def started(**kwargs):
        threads["started"] = threading.current_thread()

    def finished(**kwargs):
        threads["finished"] = threading.current_thread()

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        ours, django_own = handlers
        seen["view"].clear()
        assert _request(ours, "/probe/plain")[0] == 200
        assert crossings == ["_respond"]
        assert threads["started"] is threads["finished"] is seen["view"][0] is not threading.current_thread()
        crossings.clear()
        assert _request(django_own, "/probe/plain")[0] == 200
        assert len(crossings) > 1  # what the handler saves
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)


def test_a_streamed_answer_is_sent_whole_and_closed_after(handlers):
    finished = []

    def on_finished(**kwargs):
        finished.append(list(seen["chunks"]))

    signals.request_finished.connect(on_finished)
    try:
        seen["chunks"].clear()
        status, headers, content = _request(handlers[0], "/probe/streamed")
    finally:
        signals.request_finished.disconnect(on_finished)
    assert (status, content) == (200, b"part 0;part 1;part 2;")
    assert finished == [[0, 1, 2]]  # request_finished once, after the whole body was produced


def test_an_error_in_the_view_is_the_json_500(handlers):
    status, headers, content = _request(handlers[0], "/api/probe-fails")
    assert status == 500 and headers["content-type"] == "application/json"
    assert b'"server_error"' in content
