"""A socket dies with its session even with the relay down; only our own origin may open one; bad frames."""
import asyncio
import json

import httpx
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from apps.accounts.models import Session
from apps.accounts.testing import DEFAULT_PASSWORD, UserFactory
from apps.bias.models import Reflection
from apps.events.consumers import CLOSE_SESSION_ENDED, SESSION_RECHECK_SECONDS
from apps.events.models import EventOutbox
from apps.events.sockets import socket_origin_allowed
from apps.trades.testing import TradeFactory
from twin.asgi import application

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_logout_closes_the_socket_on_its_next_frame_with_the_relay_down(daphne_process):
    """No relay runs: the close event of the logout is never pushed. The consumer finds out by itself."""
    user = UserFactory()
    trade = TradeFactory(user=user)
    _, port = daphne_process()
    base = f"http://127.0.0.1:{port}"
    http = httpx.Client(base_url=base, timeout=10)
    token = http.get("/api/auth/csrf").json()["csrfToken"]
    assert http.post("/api/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD},
                     headers={"X-CSRFToken": token}).status_code == 200
    cookie = f"{settings.SESSION_COOKIE_NAME}={http.cookies[settings.SESSION_COOKIE_NAME]}"

    async def scenario():
        async with connect(f"ws://127.0.0.1:{port}/ws/coach", additional_headers={"Cookie": cookie},
                           origin=base, open_timeout=5) as ws:
            await ws.send(json.dumps({"type": "note.add", "payload": {"text": "before logout"}, "requestId": 1}))
            answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert answer["type"] == "note.add.ok"

            token = (await asyncio.to_thread(http.get, "/api/auth/csrf")).json()["csrfToken"]
            logout = await asyncio.to_thread(http.post, "/api/auth/logout", headers={"X-CSRFToken": token})
            assert logout.status_code == 204
            await asyncio.sleep(SESSION_RECHECK_SECONDS + 0.1)

            # The next frame finds the session gone; so may the socket's own heartbeat, if its first beat falls
            # in the wait above: either way it closes by itself, and the frame is never acted upon.
            with pytest.raises(ConnectionClosed) as closed:
                await ws.send(json.dumps({"type": "chat.ask_reflection", "payload": {"tradeId": trade.id},
                                          "requestId": 2}))
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
            return closed.value.rcvd.code

    try:
        assert asyncio.run(scenario()) == CLOSE_SESSION_ENDED
    finally:
        http.close()
    assert not Session.objects.filter(user=user).exists()
    assert not Reflection.objects.exists()
    assert list(EventOutbox.objects.filter(type__in=["journal.entry.created", "coach.reflect"])
                .values_list("type", flat=True)) == ["journal.entry.created"]


@pytest.mark.parametrize("origin, scheme, host, allowed", [
    ("http://testserver", "ws", "testserver", True),
    ("http://localhost:8000", "ws", "localhost:8000", True),
    ("http://localhost:9999", "ws", "localhost:8000", False),
    ("http://localhost", "ws", "localhost:8000", False),
    ("https://localhost:8000", "ws", "localhost:8000", False),
    ("http://localhost:8000", "wss", "localhost:8000", False),
    ("https://localhost", "wss", "localhost", True),
    ("https://localhost:443", "wss", "localhost", True),
    ("http://evil.example", "ws", "evil.example", False),  # a Host outside ALLOWED_HOSTS
    ("null", "ws", "testserver", False),
    (None, "ws", "testserver", False),
    ("http://testserver/path", "ws", "testserver", False),
])
def test_origin_must_match_scheme_host_and_port(origin, scheme, host, allowed):
    assert socket_origin_allowed(origin=origin, scheme=scheme, host=host) is allowed


def test_csrf_trusted_origins_are_allowed(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]
    assert socket_origin_allowed(origin="https://app.example.com", scheme="ws", host="testserver")
    assert not socket_origin_allowed(origin="https://app.example.com:8443", scheme="ws", host="testserver")


def _session_cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def test_a_same_host_other_port_origin_is_refused_before_accept():
    user = await sync_to_async(UserFactory)()
    cookie = await sync_to_async(_session_cookie)(user)
    for origin, expected in ((b"http://localhost:9999", False), (b"http://localhost:8000", True)):
        communicator = WebsocketCommunicator(application, "/ws/coach", headers=[
            (b"host", b"localhost:8000"), (b"origin", origin), (b"cookie", cookie.encode())])
        connected, _ = await communicator.connect(timeout=5)
        assert connected is expected
        await communicator.disconnect()


async def test_nested_or_nul_frames_get_an_error_frame_and_the_socket_stays_open():
    user = await sync_to_async(UserFactory)()
    cookie = await sync_to_async(_session_cookie)(user)
    communicator = WebsocketCommunicator(application, "/ws/coach?lastEventId=a%00b", headers=[
        (b"host", b"testserver"), (b"origin", b"http://testserver"), (b"cookie", cookie.encode())])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    first = json.loads(await communicator.receive_from(timeout=5))
    assert first["code"] == "unknown_event"
    await communicator.send_to(text_data='{"type": "note.add", "payload": ' + "[" * 1000 + "]" * 1000 + "}")
    await communicator.send_to(text_data='{"type": "note.add", "payload": {"text": "a\\u0000b"}}')
    await communicator.send_to(text_data='{"type": "resume", "lastEventId": "x\'; drop"}')
    codes = [json.loads(await communicator.receive_from(timeout=5))["code"] for _ in range(3)]
    assert codes == ["parse_error", "parse_error", "unknown_event"]
    await communicator.send_json_to({"type": "note.add", "payload": {"text": "still open"}, "requestId": "r"})
    answer = json.loads(await communicator.receive_from(timeout=5))
    assert answer["type"] == "note.add.ok"
    await communicator.disconnect()
    assert await EventOutbox.objects.filter(type="journal.entry.created").acount() == 1
