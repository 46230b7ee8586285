"""The socket and relay metrics, through the real ASGI application, channels-redis and the relay loop."""
from __future__ import annotations

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from prometheus_client import REGISTRY

from apps.core.observability.metrics import heartbeat_age
from apps.core.observability.sockets import socket_frame_sent
from apps.events.testing import append_committed
from apps.events.tests.test_consumer import frames, login, relay  # noqa: F401 - the relay fixture
from twin.asgi import application

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def socket_with_request_id(client, request_id: str) -> WebsocketCommunicator:
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver"), (b"cookie", cookie.encode()),
               (b"x-request-id", request_id.encode())]
    return WebsocketCommunicator(application, "/ws/coach", headers=headers)


async def test_connections_frames_errors_pushes_and_the_relay_are_counted(user, relay):  # noqa: F811
    before = {name: value(name) for name in ("twin_ws_connections_open", "twin_ws_connections_opened_total",
                                             "twin_ws_frames_sent_total", "twin_push_latency_seconds_count",
                                             "twin_relay_published_events_total")}
    communicator = socket_with_request_id(await sync_to_async(login)(user), "sock-req-00000001")
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert value("twin_ws_connections_open") == before["twin_ws_connections_open"] + 1
    assert value("twin_ws_connections_opened_total") == before["twin_ws_connections_opened_total"] + 1

    errors_before = value("twin_ws_errors_total", code="invalid")
    await communicator.send_to(text_data=json.dumps({"payload": {}}))  # no type: an "invalid" error frame
    [error] = await frames(communicator, 1)
    assert (error["type"], error["code"]) == ("error", "invalid")
    assert value("twin_ws_errors_total", code="invalid") == errors_before + 1
    ids = await sync_to_async(append_committed)(user=user, count=2)
    pushed = await frames(communicator, 2)

    assert [frame["eventId"] for frame in pushed] == ids
    assert value("twin_ws_frames_sent_total") == before["twin_ws_frames_sent_total"] + 3
    assert value("twin_push_latency_seconds_count") == before["twin_push_latency_seconds_count"] + 2
    # The relay counts a batch when Redis has taken it, which can be just after a socket of this process had it.
    deadline = time.monotonic() + 5
    while (value("twin_relay_published_events_total") < before["twin_relay_published_events_total"] + 2
           or await sync_to_async(heartbeat_age)(name="relay") is None) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert value("twin_relay_published_events_total") >= before["twin_relay_published_events_total"] + 2
    assert await sync_to_async(heartbeat_age)(name="relay") is not None
    await communicator.disconnect()
    assert value("twin_ws_connections_open") == before["twin_ws_connections_open"]


def test_sync_markers_and_error_frames_are_told_apart():
    markers, invalid = value("twin_ws_overflow_markers_total"), value("twin_ws_errors_total", code="invalid")

    socket_frame_sent(frame={"type": "sync", "synced": False})
    socket_frame_sent(frame={"type": "error", "code": "invalid", "message": "…"})
    socket_frame_sent(frame={"type": "coach.reflect", "eventId": "01J", "ts": "2026-11-29T10:00:00+00:00",
                             "v": 1, "payload": {}})

    assert value("twin_ws_overflow_markers_total") == markers + 1
    assert value("twin_ws_errors_total", code="invalid") == invalid + 1
