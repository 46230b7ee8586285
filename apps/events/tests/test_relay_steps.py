"""The relay's database steps on PostgreSQL: claim (number in commit order, decoded rows), leftovers first,
partitions, mark delivered once."""
from __future__ import annotations

import pytest

from apps.accounts.testing import UserFactory
from apps.core.observability.context import context_bind
from apps.events.models import EventOutbox
from apps.events.services import (
    ALL_PARTITIONS,
    event_append,
    event_append_many,
    event_envelope,
    outbox_claim_batch,
    outbox_mark_delivered,
    outbox_partition_of,
)

pytestmark = [pytest.mark.postgres]


def test_a_claim_numbers_rows_in_append_order_with_their_payload_decoded(user):
    ids = event_append_many(user=user, type="test.tick", payloads=[{"n": n, "note": "é"} for n in range(5)])
    context_bind(requestId="req-1")
    tagged = event_append(user=user, type="test.tagged", payload={"list": [1, 2.5, None]})

    rows, leftovers = outbox_claim_batch(limit=10)

    assert leftovers is False
    assert [row.id for row in rows] == [*ids, tagged.id]
    assert [row.seq for row in rows] == sorted(row.seq for row in rows)
    assert [row.payload for row in rows] == [*({"n": n, "note": "é"} for n in range(5)), {"list": [1, 2.5, None]}]
    stored = {row.id: row.seq for row in EventOutbox.objects.all()}
    assert {row.id: row.seq for row in rows} == stored
    last = event_envelope(rows[-1])
    assert last == {"type": "test.tagged", "eventId": tagged.id, "ts": tagged.ts.isoformat(), "v": 1,
                    "payload": {"list": [1, 2.5, None]}, "requestId": "req-1"}
    assert last == event_envelope(EventOutbox.objects.get(id=tagged.id))  # the same frame as a replay's


def test_numbered_rows_not_marked_come_back_first_and_are_marked_once(user):
    first = event_append_many(user=user, type="test.tick", payloads=[{"n": n} for n in range(3)])
    claimed, _ = outbox_claim_batch(limit=10)
    later = event_append_many(user=user, type="test.tick", payloads=[{"n": n} for n in range(3, 5)])

    again, leftovers = outbox_claim_batch(limit=10, include_pending=True)
    assert leftovers is True
    assert [row.id for row in again] == first and [row.seq for row in again] == [row.seq for row in claimed]

    assert outbox_mark_delivered(ids=first[:2]) == 2
    marked_at = dict(EventOutbox.objects.filter(id__in=first[:2]).values_list("id", "delivered_at"))
    assert outbox_mark_delivered(ids=first) == 1  # only the one not marked yet
    assert dict(EventOutbox.objects.filter(id__in=first[:2]).values_list("id", "delivered_at")) == marked_at
    assert outbox_mark_delivered(ids=[]) == 0

    rest, leftovers = outbox_claim_batch(limit=10, include_pending=True)
    assert leftovers is False and [row.id for row in rest] == later
    assert not EventOutbox.objects.filter(id__in=later, delivered_at__isnull=False).exists()


def test_a_claim_takes_only_the_partitions_asked_for(db):
    users = [UserFactory() for _ in range(12)]
    for user in users:
        event_append(user=user, type="test.tick", payload={})
    mine = frozenset({outbox_partition_of(str(users[0].pk))})
    expected = {str(user.pk) for user in users if outbox_partition_of(str(user.pk)) in mine}

    rows, _ = outbox_claim_batch(limit=50, partitions=mine)
    assert {row.user_id for row in rows} == expected
    assert EventOutbox.objects.filter(seq__isnull=True).count() == len(users) - len(rows)

    rest, _ = outbox_claim_batch(limit=50, include_pending=False, partitions=ALL_PARTITIONS)
    assert sorted(row.user_id for row in [*rows, *rest]) == sorted(str(user.pk) for user in users)
