"""The relay as a real process: NOTIFY wake-up, several relays, lost database and Redis, SIGTERM."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter

import msgpack
import pytest
import redis.asyncio as redis
from django.conf import settings
from django.db import connection
from websockets.asyncio.client import connect

from apps.events.fanout import fanout_channel
from apps.events.observability import outbox_undelivered
from apps.events.services import outbox_delivered
from apps.events.testing import RELAY_APPLICATION_NAME, append_committed, child_env, session_cookie_for, stop_process

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def _collect(user_id: str, *, expected: int, timeout: float, linger: float = 1.0) -> list[dict]:
    """What a web process with a socket of this user receives from the relays: `{seq, event}` per event."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(fanout_channel(user_id))
    received: list[dict] = []

    async def read(seconds: float) -> None:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=seconds)
        if message and message["type"] == "message":
            received.extend({"seq": seq, "event": json.loads(text)}
                            for seq, _type, _ts, text in msgpack.unpackb(message["data"], raw=False))

    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and len(received) < expected:
            await read(0.5)
        end = time.monotonic() + linger  # anything published twice would show up now
        while time.monotonic() < end:
            await read(0.2)
    finally:
        await pubsub.aclose()
        await client.aclose()
    return received


def _append_in_threads(user, *, threads: int, each: int) -> list[str]:
    ids: list[str] = []
    lock = threading.Lock()

    def work():
        try:
            made = append_committed(user=user, count=each)
            with lock:
                ids.extend(made)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return ids


def test_two_relays_publish_every_event_once_in_position_order(relay_process, user):
    relays = [relay_process(), relay_process()]
    result: dict = {}
    collector = threading.Thread(
        target=lambda: result.setdefault("messages", asyncio.run(_collect(str(user.pk), expected=120, timeout=30)))
    )
    collector.start()
    time.sleep(0.5)
    ids = _append_in_threads(user, threads=4, each=30)
    collector.join()
    messages = result["messages"]
    counts = Counter(m["event"]["eventId"] for m in messages)
    assert set(counts) == set(ids)
    assert set(counts.values()) == {1}
    positions = [m["seq"] for m in messages]
    assert positions == sorted(positions)
    assert outbox_undelivered() == (None, 0)
    # Whichever relay was publishing, stopping the first leaves the other to take over.
    assert stop_process(relays[0]) == 0
    assert "relay stopped" in relays[0].stdout.read()
    later = append_committed(user=user, count=10)
    _wait_delivered(later)
    assert stop_process(relays[1]) == 0
    assert "relay stopped" in relays[1].stdout.read()


def test_relay_recovers_from_dropped_database_connections(relay_process, user):
    relay_process()
    first = append_committed(user=user, count=3)
    _wait_delivered(first)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND application_name = %s", [RELAY_APPLICATION_NAME])
        assert cursor.fetchone()[0] >= 2  # the relay's LISTEN and work connections
    later = append_committed(user=user, count=3)
    _wait_delivered(later)


def _wait_delivered(ids: list[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if outbox_delivered(ids=ids) == set(ids):
            return
        time.sleep(0.05)
    raise AssertionError("events were not delivered in time")


async def _follow(url: str, headers: dict, origin: str, seen: list[str], stop: asyncio.Event) -> int:
    """What coach-socket.js does: reconnect with backoff, resume with the last eventId. Returns reconnects."""
    reconnects = 0
    while not stop.is_set():
        query = f"?lastEventId={seen[-1]}" if seen else ""
        try:
            async with connect(url + query, additional_headers=headers, origin=origin, open_timeout=3) as ws:
                while not stop.is_set():
                    try:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                    except TimeoutError:
                        continue
                    if "eventId" in frame:
                        seen.append(frame["eventId"])
        except Exception:
            reconnects += 1
            await asyncio.sleep(0.2)
    return reconnects


def test_redis_restart_while_events_are_appended_loses_nothing(daphne_process, relay_process, private_redis, user):
    env = child_env(TEST_REDIS_URL=private_redis.url)
    _, port = daphne_process(env=env)
    relay_process(env=env, poll_interval=0.5)
    cookie = session_cookie_for(user)
    seen: list[str] = []
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    outcome: dict = {}

    def run():
        outcome["reconnects"] = loop.run_until_complete(
            _follow(f"ws://127.0.0.1:{port}/ws/coach", {"Cookie": cookie}, f"http://127.0.0.1:{port}", seen, stop))

    follower = threading.Thread(target=run)
    follower.start()
    try:
        time.sleep(1.0)
        ids = append_committed(user=user, count=5)
        _wait_until(lambda: len(seen) >= 5)
        private_redis.stop()
        ids += append_committed(user=user, count=5)  # committed while Redis is down
        time.sleep(1.5)
        private_redis.start()
        ids += append_committed(user=user, count=5)
        _wait_until(lambda: len(seen) >= 15, timeout=30)
        time.sleep(1.0)
    finally:
        loop.call_soon_threadsafe(stop.set)
        follower.join(15)
    assert seen == ids  # every event, once, in order
    assert outcome["reconnects"] >= 1
    _wait_delivered(ids)


def _wait_until(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def _append_and_close(**kwargs) -> list[str]:
    try:
        return append_committed(**kwargs)
    finally:
        connection.close()


def test_real_socket_through_daphne_with_foreign_origin_refused(daphne_process, relay_process, user, other_user):
    _, port = daphne_process()
    relay_process()
    cookie = session_cookie_for(user)
    url = f"ws://127.0.0.1:{port}/ws/coach"

    async def scenario():
        with pytest.raises(Exception) as refused:
            async with connect(url, additional_headers={"Cookie": cookie}, origin="https://evil.example"):
                pass
        assert "403" in str(refused.value)
        with pytest.raises(Exception) as anonymous:
            async with connect(url, origin=f"http://127.0.0.1:{port}"):
                pass
        assert "403" in str(anonymous.value)
        async with connect(url, additional_headers={"Cookie": cookie}, origin=f"http://127.0.0.1:{port}") as ws:
            await asyncio.sleep(0.3)
            await asyncio.to_thread(_append_and_close, user=other_user, count=1)
            mine = await asyncio.to_thread(_append_and_close, user=user, count=2)
            frames = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]
            assert [f["eventId"] for f in frames] == mine
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.5)

    asyncio.run(scenario())
