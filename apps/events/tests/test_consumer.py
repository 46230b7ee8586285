"""`/ws/coach` through the real ASGI application (origin check, session auth, channels-redis)."""
from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from apps.accounts.testing import DEFAULT_PASSWORD, UserFactory
from apps.events.consumers import CLOSE_SESSION_ENDED, CLOSE_TOO_MANY_SOCKETS, LIVE_QUEUE_SIZE
from apps.events.models import EventOutbox
from apps.events.observability import outbox_undelivered
from apps.events.registry import ws_handler
from apps.events.relay import OutboxRelay
from apps.events.testing import append_committed
from twin.asgi import application

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def socket(client: Client | None, *, query: str = "", origin: str = "http://testserver") -> WebsocketCommunicator:
    headers = [(b"host", b"testserver"), (b"origin", origin.encode())]
    if client is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()))
    return WebsocketCommunicator(application, f"/ws/coach{query}", headers=headers)


async def open_socket(client, **kwargs) -> WebsocketCommunicator:
    communicator = socket(client, **kwargs)
    connected, code = await communicator.connect(timeout=5)
    assert connected, code
    return communicator


async def frames(communicator, count: int, *, timeout: float = 5) -> list[dict]:
    return [json.loads(await communicator.receive_from(timeout=timeout)) for _ in range(count)]


@pytest.fixture
async def relay():
    """The relay loop in this event loop, polling fast (the process-level tests cover LISTEN/NOTIFY)."""
    stop = asyncio.Event()
    instance = OutboxRelay(poll_interval=0.05, listen=False)
    task = asyncio.create_task(instance.run(stop))
    yield instance
    stop.set()
    await asyncio.wait_for(task, 10)


append = sync_to_async(append_committed)


def _append_in_one_transaction(*, user, count: int) -> list[str]:
    """`count` events committed together, as a scoring run commits its reflections."""
    from django.db import transaction

    from apps.events.services import event_append

    with transaction.atomic():
        return [event_append(user=user, type="test.ping", payload={"n": n}).id for n in range(count)]


async def test_anonymous_is_refused_before_accept():
    communicator = socket(None)
    connected, _ = await communicator.connect()
    assert connected is False


async def test_foreign_origin_is_refused_before_accept(user):
    client = await sync_to_async(login)(user)
    communicator = socket(client, origin="https://evil.example")
    connected, _ = await communicator.connect()
    assert connected is False


async def test_each_user_receives_only_their_own_events(user, other_user, relay):
    mine = await open_socket(await sync_to_async(login)(user))
    theirs = await open_socket(await sync_to_async(login)(other_user))
    their_ids = await append(user=other_user, count=2)
    my_ids = await append(user=user, count=2)
    assert [f["eventId"] for f in await frames(mine, 2)] == my_ids
    assert [f["eventId"] for f in await frames(theirs, 2)] == their_ids
    assert await mine.receive_nothing(0.3)
    assert await theirs.receive_nothing(0.3)
    await mine.disconnect()
    await theirs.disconnect()


async def test_live_frame_is_the_envelope(user, relay):
    communicator = await open_socket(await sync_to_async(login)(user))
    [event_id] = await append(user=user, count=1, type="coach.reflect", payload={"text": "hi"})
    [frame] = await frames(communicator, 1)
    event = await EventOutbox.objects.aget(id=event_id)
    assert frame == {"type": "coach.reflect", "eventId": event_id, "ts": event.ts.isoformat(), "v": 1,
                     "payload": {"text": "hi"}}
    await communicator.disconnect()


async def test_resume_by_query_delivers_exactly_the_missed_events_then_live(user, relay):
    client = await sync_to_async(login)(user)
    first = await open_socket(client)
    seen = await append(user=user, count=2)
    assert [f["eventId"] for f in await frames(first, 2)] == seen
    await first.disconnect()
    missed = await append(user=user, count=3)
    while (await sync_to_async(outbox_undelivered)())[1]:
        await asyncio.sleep(0.05)
    again = await open_socket(client, query=f"?lastEventId={seen[-1]}")
    assert [f["eventId"] for f in await frames(again, 3)] == missed
    live = await append(user=user, count=1)
    assert [f["eventId"] for f in await frames(again, 1)] == live
    assert await again.receive_nothing(0.3)
    await again.disconnect()


async def test_resume_by_first_message_and_unknown_id(user, other_user, relay):
    client = await sync_to_async(login)(user)
    ids = await append(user=user, count=3)
    while await EventOutbox.objects.filter(seq__isnull=True).aexists():
        await asyncio.sleep(0.05)
    [theirs] = await append(user=other_user, count=1)
    communicator = await open_socket(client)
    await communicator.send_json_to({"type": "resume", "lastEventId": theirs})
    [error] = await frames(communicator, 1)
    assert error["type"] == "error" and error["code"] == "unknown_event"
    await communicator.send_json_to({"type": "resume", "lastEventId": ids[0]})
    assert [f["eventId"] for f in await frames(communicator, 2)] == ids[1:]
    assert await communicator.receive_nothing(0.3)
    await communicator.disconnect()


async def test_overflow_drops_oldest_and_sends_sync_marker(user, relay):
    communicator = socket(await sync_to_async(login)(user))
    communicator._output_queue = asyncio.Queue(maxsize=1)  # a client that stops reading
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    total = LIVE_QUEUE_SIZE * 2
    ids = await append(user=user, count=total)
    while (await sync_to_async(outbox_undelivered)())[1]:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # the consumer takes the pushes off the channel layer while the client reads nothing
    received = []
    while not await communicator.receive_nothing(0.5):
        received.append(json.loads(await communicator.receive_from()))
    marker = {"type": "sync", "synced": False}
    assert marker in received
    events = [f["eventId"] for f in received if f != marker]
    assert len(events) < total and events[-1] == ids[-1]
    # In order, no duplicates, and every dropped stretch is announced by a marker where the gap is.
    position, gap_announced = -1, False
    for frame in received:
        if frame == marker:
            gap_announced = True
            continue
        index = ids.index(frame["eventId"])
        assert index > position
        assert index == position + 1 or gap_announced, f"silent gap before event #{index}"
        position, gap_announced = index, False
    await communicator.disconnect()


async def test_a_whole_relay_round_for_one_user_reaches_a_reading_socket_without_a_gap(user, relay):
    """One relay round claims up to 500 rows; for one user they arrive back to back, faster than any socket
    sends. A client that reads gets every one of them, in order, without a sync marker."""
    communicator = await open_socket(await sync_to_async(login)(user))
    ids = await sync_to_async(_append_in_one_transaction)(user=user, count=relay.batch_size)
    received = await frames(communicator, len(ids), timeout=10)
    assert [frame.get("eventId") for frame in received] == ids
    assert await communicator.receive_nothing(0.3)
    await communicator.disconnect()


async def test_sixth_socket_is_refused_with_4429(user):
    client = await sync_to_async(login)(user)
    sockets = [await open_socket(client) for _ in range(5)]
    sixth = socket(client)
    connected, _ = await sixth.connect(timeout=5)
    assert connected  # accepted only to say why
    [error] = await frames(sixth, 1)
    assert error["code"] == "too_many_sockets"
    assert (await sixth.receive_output(timeout=5)) == {"type": "websocket.close", "code": CLOSE_TOO_MANY_SOCKETS}
    await sockets[0].disconnect()
    replacement = await open_socket(client)
    await replacement.disconnect()
    for communicator in sockets[1:]:
        await communicator.disconnect()


async def test_logout_closes_that_sessions_sockets_only(relay):
    user = await sync_to_async(UserFactory)()
    leaving, staying = await sync_to_async(login)(user), await sync_to_async(login)(user)
    closing = await open_socket(leaving)
    remaining = await open_socket(staying)
    response = await sync_to_async(leaving.post)("/api/auth/logout")
    assert response.status_code == 204
    assert (await closing.receive_output(timeout=5)) == {"type": "websocket.close", "code": CLOSE_SESSION_ENDED}
    ids = await append(user=user, count=1)
    assert [f["eventId"] for f in await frames(remaining, 1)] == ids
    await remaining.disconnect()


async def test_password_change_closes_every_socket_of_the_user(relay):
    user = await sync_to_async(UserFactory)()
    first, second = await sync_to_async(login)(user), await sync_to_async(login)(user)
    sockets = [await open_socket(first), await open_socket(second)]
    response = await sync_to_async(first.post)(
        "/api/auth/password", {"oldPassword": DEFAULT_PASSWORD, "newPassword": "another-long-passphrase-42"},
        content_type="application/json",
    )
    assert response.status_code == 204, response.content
    for communicator in sockets:
        assert (await communicator.receive_output(timeout=5)) == {"type": "websocket.close", "code": CLOSE_SESSION_ENDED}


async def test_bad_messages_get_error_frames_and_the_socket_stays_open(user, relay):
    communicator = await open_socket(await sync_to_async(login)(user))
    await communicator.send_to(text_data="{not json")
    await communicator.send_json_to({"type": "no.such.thing", "payload": {}})
    await communicator.send_json_to({"type": "note.add", "payload": {"text": ""}, "requestId": "r1"})
    await communicator.send_json_to(["not", "an", "object"])
    errors = await frames(communicator, 4)
    assert [e["code"] for e in errors] == ["parse_error", "unknown_type", "invalid", "invalid"]
    assert errors[2]["fields"] == {"text": ["This field may not be blank."]}
    assert errors[2]["requestId"] == "r1"
    assert await EventOutbox.objects.acount() == 0
    await communicator.send_json_to({"type": "note.add", "payload": {"text": "held too long"}, "requestId": 7})
    [answer, event] = await frames(communicator, 2)
    stored = await EventOutbox.objects.aget(type="journal.entry.created")
    assert answer == {"type": "note.add.ok", "eventId": stored.id, "entryId": stored.payload["entryId"], "requestId": 7}
    assert event["eventId"] == stored.id and event["payload"] == {"entryId": stored.payload["entryId"], "type": "note",
                                                                  "status": "final"}
    await communicator.disconnect()


@ws_handler("test.boom")
def _boom(user, payload: dict) -> dict:
    raise RuntimeError("a bug in a handler")


async def test_a_failing_handler_answers_an_error_and_keeps_the_socket(user):
    communicator = await open_socket(await sync_to_async(login)(user))
    await communicator.send_json_to({"type": "test.boom", "payload": {}, "requestId": "x"})
    [error] = await frames(communicator, 1)
    assert error == {"type": "error", "code": "server_error", "message": "Something went wrong on our side.",
                     "requestId": "x"}
    await communicator.send_json_to({"type": "note.add", "payload": {"text": "still here"}})
    [answer] = await frames(communicator, 1)
    assert answer["type"] == "note.add.ok"
    await communicator.disconnect()
