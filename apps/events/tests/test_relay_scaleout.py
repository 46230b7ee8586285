"""Several relay processes share the outbox by partition: a fair share each, hand-over when one stops or is
killed, and every event on every socket exactly once, in the user's order (real relays, daphne, sockets)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time

import pytest
from django.db import connection, transaction
from websockets.asyncio.client import connect

from apps.accounts.testing import UserFactory
from apps.events.services import (
    RELAY_PARTITION_LOCK,
    RELAY_PARTITIONS,
    event_append,
    outbox_delivered,
    outbox_partition_of,
)
from apps.events.testing import child_env, session_cookie_for, stop_process

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SOCKETS_PER_USER = 2


def _held() -> dict[str, set[int]]:
    """Partitions held, by the relay's application name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.application_name, l.objid::bigint FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted AND l.classid::bigint = %s "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [RELAY_PARTITION_LOCK],
        )
        held: dict[str, set[int]] = {}
        for name, part in cursor.fetchall():
            held.setdefault(name, set()).add(int(part))
    return held


def _wait_for(condition, *, timeout: float = 20, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _balanced(names: list[str]) -> dict[str, set[int]] | None:
    held = _held()
    share = RELAY_PARTITIONS // len(names)
    if sorted(held) == sorted(names) and all(len(held[name]) == share for name in names):
        return held
    return None


def test_the_partition_of_a_user_is_the_same_in_python_and_in_sql(db):
    from apps.events.services import _PARTITION_SQL

    user_ids = [f"user{n}" for n in range(50)] + ["a1b2c3", "z" * 26]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT user_id, {_PARTITION_SQL} FROM unnest(%s::text[]) AS user_id", [user_ids])
        in_sql = dict(cursor.fetchall())
    assert {user_id: outbox_partition_of(user_id) for user_id in user_ids} == in_sql
    assert len(set(in_sql.values())) > RELAY_PARTITIONS // 2  # spread, not all in one


def test_relays_share_the_partitions_and_take_over_from_one_that_stops(relay_process):
    first = relay_process(env=child_env(PGAPPNAME="relay-a"), poll_interval=0.2)
    _wait_for(lambda: _held().get("relay-a") == set(range(RELAY_PARTITIONS)), what="one relay holding all")
    relay_process(env=child_env(PGAPPNAME="relay-b"), poll_interval=0.2)
    held = _wait_for(lambda: _balanced(["relay-a", "relay-b"]), what="two relays with half each")
    assert held["relay-a"].isdisjoint(held["relay-b"])
    relay_process(env=child_env(PGAPPNAME="relay-c"), poll_interval=0.2)
    held = _wait_for(
        lambda: (
            lambda h: (
                h
                if sorted(h) == ["relay-a", "relay-b", "relay-c"] and sorted(len(p) for p in h.values()) == [4, 6, 6]
                else None
            )
        )(_held()),
        what="three relays with at most ceil(16 / 3) each",
    )
    assert set().union(*held.values()) == set(range(RELAY_PARTITIONS))
    assert stop_process(first) == 0  # SIGTERM: its partitions go to the others
    held = _wait_for(lambda: _balanced(["relay-b", "relay-c"]), what="the two left with half each")
    assert set().union(*held.values()) == set(range(RELAY_PARTITIONS))


async def _listen(
    url: str, cookie: str, origin: str, frames: list[dict], ready: asyncio.Event, stop: asyncio.Event
) -> None:
    async with connect(url, additional_headers={"Cookie": cookie}, origin=origin, open_timeout=10) as ws:
        ready.set()
        while not stop.is_set():
            try:
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), 0.2)))
            except TimeoutError:
                continue


def _append_round_robin(
    users: list, *, count: int, rate: float, appended: dict[str, list[str]], kill_at: int, kill
) -> None:
    start = time.perf_counter()
    for index in range(count):
        user = users[index % len(users)]
        with transaction.atomic():
            event = event_append(user=user, type="test.tick", payload={"n": index})
        appended[str(user.pk)].append(event.id)
        if index == kill_at:
            kill()
        delay = start + (index + 1) / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


def test_a_relay_killed_mid_stream_loses_and_duplicates_nothing_on_any_socket(daphne_process, relay_process):
    env = child_env()
    _, port = daphne_process(env=env)
    relays = {name: relay_process(env={**env, "PGAPPNAME": name}, poll_interval=0.2) for name in ("relay-a", "relay-b")}
    held = _wait_for(lambda: _balanced(list(relays)), what="two relays with half each")
    # Users until each relay serves at least three of them.
    users, served = [], {name: 0 for name in relays}
    while min(served.values()) < 3:
        user = UserFactory()
        users.append(user)
        served[next(name for name, parts in held.items() if outbox_partition_of(str(user.pk)) in parts)] += 1
    victim = "relay-a"
    victim_users = {str(u.pk) for u in users if outbox_partition_of(str(u.pk)) in held[victim]}

    url, origin = f"ws://127.0.0.1:{port}/ws/coach", f"http://127.0.0.1:{port}"
    sockets = [(str(user.pk), []) for user in users for _ in range(SOCKETS_PER_USER)]
    cookies = {str(user.pk): session_cookie_for(user) for user in users}
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    opened: list[asyncio.Event] = []
    failures: list[BaseException] = []

    async def listen_all():
        tasks = []
        for user_id, frames in sockets:
            ready = asyncio.Event()
            opened.append(ready)
            tasks.append(asyncio.create_task(_listen(url, cookies[user_id], origin, frames, ready, stop)))
        for result in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(result, BaseException):
                failures.append(result)

    listener = threading.Thread(target=lambda: loop.run_until_complete(listen_all()))
    listener.start()
    appended: dict[str, list[str]] = {str(user.pk): [] for user in users}
    killed: dict = {}

    def victim_ids() -> list[str]:
        return [event_id for user_id in victim_users for event_id in list(appended[user_id])]

    def kill():
        """SIGKILL the victim once it has published some of its users' events (mid-stream)."""
        _wait_for(lambda: outbox_delivered(ids=victim_ids()), what="the victim publishing")
        os.kill(relays[victim].pid, signal.SIGKILL)
        killed["delivered_before"] = len(outbox_delivered(ids=victim_ids()))

    try:
        _wait_for(
            lambda: len(opened) == len(sockets) and all(event.is_set() for event in opened), what="every socket open"
        )
        time.sleep(0.3)  # group membership settles
        count = 60 * len(users)
        _append_round_robin(users, count=count, rate=150, appended=appended, kill_at=count // 3, kill=kill)
        expected = sum(len(ids) for ids in appended.values())
        every_id = [event_id for ids in appended.values() for event_id in ids]
        _wait_for(
            lambda: len(outbox_delivered(ids=every_id)) == expected,
            timeout=30,
            what="every event delivered",
        )
        _wait_for(
            lambda: all(
                len([f for f in frames if "eventId" in f]) >= len(appended[user_id]) for user_id, frames in sockets
            ),
            timeout=15,
            what="every frame on every socket",
        )
        time.sleep(1.0)  # anything published twice would arrive now
    finally:
        loop.call_soon_threadsafe(stop.set)
        listener.join(20)
    assert not failures
    assert relays[victim].wait(5) == -signal.SIGKILL
    assert 0 < killed["delivered_before"] < len([e for u in victim_users for e in appended[u]])
    for user_id, frames in sockets:
        assert [f.get("type") for f in frames if "eventId" not in f] == []  # no sync marker, no error
        assert [f["eventId"] for f in frames] == appended[user_id]  # every event once, in the user's order
    assert _held() == {"relay-b": set(range(RELAY_PARTITIONS))}  # the survivor took the victim's partitions
