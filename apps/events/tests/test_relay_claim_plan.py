"""The relay's claim on PostgreSQL right after a burst, when the table's statistics still say that nothing is
waiting: it reads only the held partitions' rows, in index order, about as many as it numbers, and never sorts
or bitmap-scans the backlog (the plan it got from those statistics before: every claim sorted the whole
backlog, so draining it was quadratic and a second relay made the drain slower)."""
from __future__ import annotations

import json
from itertools import count

import pytest
from django.db import connection, transaction

from apps.accounts.testing import UserFactory
from apps.events.models import EventOutbox
from apps.events.services import (
    _CLAIM_PLAN_SQL,
    ALL_PARTITIONS,
    event_append_many,
    outbox_claim_batch,
    outbox_claim_statement,
    outbox_partition_of,
)

pytestmark = [pytest.mark.postgres]

LIMIT = 100
PER_USER = 150


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _users_in_partitions(wanted: int) -> dict[int, list]:
    """partition -> users, until `wanted` partitions have two users each."""
    by_partition: dict[int, list] = {}
    for _ in count():
        user = UserFactory()
        by_partition.setdefault(outbox_partition_of(str(user.pk)), []).append(user)
        if sum(len(users) >= 2 for users in by_partition.values()) >= wanted:
            return {part: users[:2] for part, users in by_partition.items() if len(users) >= 2}
    raise AssertionError("unreachable")


@pytest.fixture
def burst(db):
    """Users in four partitions, statistics taken while nothing waited, then a backlog committed."""
    by_partition = _users_in_partitions(4)
    users = [user for group in by_partition.values() for user in group]
    for user in users:
        event_append_many(user=user, type="test.tick", payloads=[{"n": -1}])
    while outbox_claim_batch(limit=500, include_pending=False)[0]:
        pass
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events_eventoutbox")
    for user in users:
        event_append_many(user=user, type="test.tick", payloads=[{"n": n} for n in range(PER_USER)])
    return by_partition


def _explain(partitions: frozenset[int], *, generic: bool) -> dict:
    """The claim's plan, run. `generic`: as a prepared statement's generic plan (the relay prepares the claim,
    and the server may switch to a generic plan after five runs)."""
    sql, params = outbox_claim_statement(partitions, LIMIT)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CLAIM_PLAN_SQL)
        if generic:
            for number in range(1, len(params) + 1):
                sql = sql.replace("%s", f"${number}", 1)
            cursor.execute(f"PREPARE claim_plan_test AS {sql}")
            try:
                cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE claim_plan_test({})".format(
                    ", ".join(str(int(value)) for value in params)))
                plan = cursor.fetchone()[0]
            finally:
                cursor.execute("DEALLOCATE claim_plan_test")
        else:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        transaction.set_rollback(True)
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


@pytest.mark.parametrize("generic", [False, True], ids=["custom plan", "generic plan"])
@pytest.mark.parametrize("share", ["half", "all"])
def test_a_claim_after_a_burst_reads_about_as_many_rows_as_it_numbers_without_sorting_the_backlog(burst, share,
                                                                                                generic):
    held = frozenset(sorted(burst)[:2]) if share == "half" else ALL_PARTITIONS
    backlog = EventOutbox.objects.filter(seq__isnull=True).count()
    assert backlog == PER_USER * 2 * len(burst)

    nodes = list(_nodes(_explain(held, generic=generic)))

    assert not [node for node in nodes if node["Node Type"] in ("Bitmap Heap Scan", "Seq Scan")
                and node.get("Actual Rows", 0) > 0]
    assert max(node["Actual Rows"] for node in nodes if node["Node Type"] in ("Sort", "Incremental Sort")) <= LIMIT
    # The candidates: one ordered scan of the claim index per held partition, reading no other partition's rows.
    merged = next(node for node in nodes if node["Node Type"] == "Merge Append")
    scans = [node for node in _nodes(merged) if node["Node Type"] in ("Index Scan", "Index Only Scan")]
    assert {node["Index Name"].rsplit("_", 4)[-4:] == ["mod", "ts", "id", "idx"] for node in scans} == {True}
    assert not [node for node in scans if node.get("Rows Removed by Filter")]
    assert sum(node["Actual Rows"] for node in scans) <= LIMIT + len(held)  # each leg reads one row past what it gives


def test_a_claim_after_a_burst_numbers_only_the_held_partitions_oldest_first(burst):
    held = frozenset(sorted(burst)[:2])
    mine = {str(user.pk) for part in held for user in burst[part]}

    rows, leftovers = outbox_claim_batch(limit=LIMIT, include_pending=False, partitions=held)

    assert not leftovers and len(rows) == LIMIT
    assert {row.user_id for row in rows} <= mine
    oldest = list(EventOutbox.objects.filter(user_id__in=mine).exclude(payload={"n": -1}).order_by("ts", "id")
                  .values_list("id", flat=True)[:LIMIT])
    assert [row.id for row in rows] == oldest  # positions follow (ts, id) across the held partitions
    assert [row.seq for row in rows] == sorted(row.seq for row in rows)
    others = EventOutbox.objects.exclude(user_id__in=mine)
    assert not others.filter(seq__isnull=False).exclude(payload={"n": -1}).exists()
