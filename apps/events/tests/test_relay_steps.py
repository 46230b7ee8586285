"""The relay's database steps on PostgreSQL: claim (number in commit order, decoded rows), leftovers first,
partitions, watermarks that only rise."""
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
    outbox_delivered,
    outbox_mark_delivered,
    outbox_partition_of,
    outbox_watermarks,
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


def test_numbered_rows_above_the_watermark_come_back_first_until_it_passes_them(user):
    first = event_append_many(user=user, type="test.tick", payloads=[{"n": n} for n in range(3)])
    claimed, _ = outbox_claim_batch(limit=10)
    later = event_append_many(user=user, type="test.tick", payloads=[{"n": n} for n in range(3, 5)])
    mine = frozenset({outbox_partition_of(str(user.pk))})

    again, leftovers = outbox_claim_batch(limit=10, include_pending=True)
    assert leftovers is True
    assert [row.id for row in again] == first and [row.seq for row in again] == [row.seq for row in claimed]

    assert outbox_mark_delivered(partitions=mine, through=claimed[1].seq) == 1
    assert outbox_delivered(ids=first) == set(first[:2])
    again, leftovers = outbox_claim_batch(limit=10, include_pending=True)
    assert leftovers is True and [row.id for row in again] == first[2:]
    assert outbox_mark_delivered(partitions=mine, through=claimed[0].seq) == 0  # a watermark only rises
    assert outbox_delivered(ids=first) == set(first[:2])
    assert outbox_mark_delivered(partitions=frozenset(), through=claimed[2].seq) == 0
    assert outbox_mark_delivered(partitions=mine, through=claimed[2].seq) == 1

    rest, leftovers = outbox_claim_batch(limit=10, include_pending=True)
    assert leftovers is False and [row.id for row in rest] == later
    assert outbox_delivered(ids=[*first, *later]) == set(first)


def test_leftovers_are_read_against_each_partitions_own_watermark(db):
    """A relay that took a partition over finds the rows its previous holder numbered but did not publish,
    while the rows of its other partitions up to their (higher) watermark stay published."""
    users = [UserFactory() for _ in range(12)]
    by_partition: dict[int, list] = {}
    for user in users:
        by_partition.setdefault(outbox_partition_of(str(user.pk)), []).append(user)
    kept, taken = sorted(by_partition)[:2]
    old = event_append(user=by_partition[taken][0], type="test.tick", payload={"n": 0})
    [old_row], _ = outbox_claim_batch(limit=10, include_pending=False, partitions=frozenset({taken}))
    mine = event_append(user=by_partition[kept][0], type="test.tick", payload={"n": 1})
    [mine_row], _ = outbox_claim_batch(limit=10, include_pending=False, partitions=frozenset({kept}))
    outbox_mark_delivered(partitions=frozenset({kept}), through=mine_row.seq)
    assert old_row.seq < mine_row.seq

    rows, leftovers = outbox_claim_batch(limit=10, partitions=frozenset({kept, taken}))

    assert leftovers is True and [row.id for row in rows] == [old.id]
    assert outbox_delivered(ids=[old.id, mine.id]) == {mine.id}
    assert outbox_watermarks(partitions=frozenset({kept, taken})) == {kept: mine_row.seq, taken: 0}


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
