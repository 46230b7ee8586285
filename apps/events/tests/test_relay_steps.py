"""The relay's database steps on PostgreSQL: claim (number in commit order, decoded rows), leftovers first,
partitions, watermarks that only rise."""
from __future__ import annotations

import json

import pytest

from apps.accounts.testing import UserFactory
from apps.core.observability.context import context_bind
from apps.events.models import EventOutbox
from apps.events.services import (
    _UNDECODED,
    ALL_PARTITIONS,
    event_append,
    event_append_many,
    event_envelope,
    event_frame_text,
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


TRICKY_PAYLOADS = [
    {"plain": "text", "n": 3, "x": 2.5, "list": [1, 2.25, None, True, False], "nested": {"a": {"b": []}}},
    {"insight": "quote \" backslash \\ newline \n tab \t bell \x07 slash / del \x7f"},
    {"accent": "é", "snowman": "☃", "emoji": "😀", "separator": "\u2028"},
    {"trailing": 1.50, "zero": 0.0, "small": 0.0001, "smaller": 0.00001, "tiny": 5e-324},
    {"big": 1e15, "bigger": 1e16, "huge": 1.7976931348623157e308, "int": 12345678901234567890},
    {"digits": 0.30000000000000004, "pi": 3.141592653589793, "neg": -2.675, "third": 1 / 3},
    [1, "two", {"three": 3.0}],
    {},
]


@pytest.mark.parametrize("payload", TRICKY_PAYLOADS)
def test_a_claimed_rows_frame_is_exactly_the_json_of_its_envelope(user, payload):
    """The relay puts the stored payload text into the frame when json.dumps would write that same text;
    whatever the payload, the frame is the one a replay's `send_json` sends."""
    context_bind(requestId="req-é" if isinstance(payload, list) else "req-1")
    event = event_append(user=user, type="test.tricky", payload=payload)
    stored = EventOutbox.objects.get(id=event.id)

    [row], _ = outbox_claim_batch(limit=10)

    assert isinstance(row.payload_text, str)
    assert event_frame_text(row) == json.dumps(event_envelope(stored))
    assert row.payload == stored.payload


def test_a_frame_built_from_the_stored_text_reads_no_payload(user):
    event_append(user=user, type="test.tick", payload={"n": 1, "price": 27123.45678901, "tradeId": "ck2x9q"})
    [row], _ = outbox_claim_batch(limit=10)

    frame = event_frame_text(row)

    assert row._payload is _UNDECODED  # put in as stored: neither decoded nor encoded again
    assert frame.endswith(f'"payload": {row.payload_text}}}')
    assert json.loads(frame)["payload"] == {"n": 1, "price": 27123.45678901, "tradeId": "ck2x9q"}
