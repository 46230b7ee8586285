from __future__ import annotations

import pytest
from django.db import transaction

from apps.events.models import EventOutbox
from apps.events.services import event_append, event_append_many, sockets_close_for_user
from apps.events.testing import append_committed, relay_drain

pytestmark = pytest.mark.django_db


def test_lists_events_in_delivery_order_with_envelopes(user, api_client):
    ids = append_committed(user=user, count=3)
    relay_drain()
    body = api_client.get("/api/events").json()
    assert [e["eventId"] for e in body["results"]] == ids
    first = body["results"][0]
    event = EventOutbox.objects.get(id=ids[0])
    assert first == {"type": "test.ping", "eventId": ids[0], "ts": event.ts.isoformat(), "v": 1, "payload": {"n": 0}}
    assert body["nextCursor"] is None


def test_events_appended_together_keep_their_list_order(user, api_client):
    with transaction.atomic():
        made = event_append_many(user=user, type="test.many", payloads=[{"n": n} for n in range(250)])
    relay_drain()
    results = api_client.get("/api/events?limit=500").json()["results"]
    assert [e["eventId"] for e in results] == made
    assert [e["payload"]["n"] for e in results] == list(range(250))


def test_since_and_limit_page_through(user, api_client):
    ids = append_committed(user=user, count=5)
    relay_drain()
    page = api_client.get(f"/api/events?since={ids[0]}&limit=2").json()
    assert [e["eventId"] for e in page["results"]] == ids[1:3]
    assert page["nextCursor"] == ids[2]
    page = api_client.get(f"/api/events?since={page['nextCursor']}&limit=2").json()
    assert [e["eventId"] for e in page["results"]] == ids[3:5]
    page = api_client.get(f"/api/events?since={ids[4]}&limit=2").json()
    assert page == {"results": [], "nextCursor": None}


def test_unknown_since_is_404(user, api_client):
    response = api_client.get("/api/events?since=01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_event"


def test_other_users_since_is_404_and_their_events_never_listed(user, other_user, api_client):
    mine = append_committed(user=user, count=1)
    theirs = append_committed(user=other_user, count=2)
    relay_drain()
    response = api_client.get(f"/api/events?since={theirs[0]}")
    assert response.status_code == 404
    assert [e["eventId"] for e in api_client.get("/api/events").json()["results"]] == mine


def test_bad_limit_is_400(api_client):
    response = api_client.get("/api/events?limit=0")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert api_client.get("/api/events?limit=abc").status_code == 400


def test_anonymous_is_refused(client):
    response = client.get("/api/events")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_unnumbered_events_are_not_listed_yet(user, api_client):
    with transaction.atomic():
        event = event_append(user=user, type="test.ping", payload={})
    assert api_client.get("/api/events").json()["results"] == []
    assert api_client.get(f"/api/events?since={event.id}").json() == {"results": [], "nextCursor": None}
    relay_drain()
    assert [e["eventId"] for e in api_client.get("/api/events").json()["results"]] == [event.id]


def test_socket_control_events_are_not_listed(user, api_client):
    sockets_close_for_user(user_id=user.pk)
    ids = append_committed(user=user, count=1)
    relay_drain()
    assert [e["eventId"] for e in api_client.get("/api/events").json()["results"]] == ids


def test_event_rolled_back_with_its_change_is_not_written(user):
    with pytest.raises(RuntimeError), transaction.atomic():
        event_append(user=user, type="test.ping", payload={})
        raise RuntimeError("the change failed")
    assert EventOutbox.objects.count() == 0
