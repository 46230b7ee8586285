"""Replay order under overlapping transactions: a late commit is never skipped by `since=`."""
from __future__ import annotations

import json

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from apps.core.ids import new_ulid
from apps.events.models import EventOutbox
from apps.events.testing import relay_drain


def _connect() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(dbname=db["NAME"], user=db.get("USER") or None, password=db.get("PASSWORD") or None,
                           host=db.get("HOST") or None, port=db.get("PORT") or None)


def _insert(conn: psycopg.Connection, *, user_id: str, n: int) -> str:
    event_id = new_ulid()
    conn.execute(
        "INSERT INTO events_eventoutbox (id, user_id, type, v, ts, payload) VALUES (%s, %s, 'test.ping', 1, %s, %s)",
        [event_id, user_id, timezone.now(), json.dumps({"n": n})],
    )
    return event_id


@pytest.mark.postgres
def test_event_committed_late_is_returned_after_an_event_read_before_it(transactional_db, user, api_client):
    first, second = _connect(), _connect()
    try:
        # Given T1 inserts first (smaller id and ts) and stays open,
        late_id = _insert(first, user_id=user.pk, n=1)
        # and T2 inserts after it and commits,
        early_id = _insert(second, user_id=user.pk, n=2)
        second.commit()
        assert late_id < early_id  # an `id > lastEventId` cursor would skip T1's row
        relay_drain()
        # When a reader has seen T2's event,
        page = api_client.get("/api/events").json()
        assert [e["eventId"] for e in page["results"]] == [early_id]
        # and T1 commits afterwards,
        first.commit()
        relay_drain()
        # Then continuing after T2's event returns T1's event.
        page = api_client.get(f"/api/events?since={early_id}").json()
        assert [e["eventId"] for e in page["results"]] == [late_id]
        assert [e["payload"] for e in page["results"]] == [{"n": 1}]
        # and the full history is in delivery (commit) order, not id order.
        page = api_client.get("/api/events").json()
        assert [e["eventId"] for e in page["results"]] == [early_id, late_id]
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_uncommitted_event_is_never_numbered_or_listed(transactional_db, user, api_client):
    open_tx = _connect()
    try:
        pending_id = _insert(open_tx, user_id=user.pk, n=1)
        assert relay_drain() == 0
        assert api_client.get("/api/events").json() == {"results": [], "nextCursor": None}
        open_tx.rollback()
        assert relay_drain() == 0
        assert not EventOutbox.objects.filter(id=pending_id).exists()
    finally:
        open_tx.close()
