"""Writes to the event outbox, and the relay's two database steps.

Delivery order (why `since=<eventId>` never skips a late commit)
----------------------------------------------------------------
An outbox row's id (ULID) and `ts` are taken at insert, but transactions commit in any order, so
"rows with id > X" can miss a row inserted before X whose transaction commits after X was read.
Readers therefore never order by id or ts. Each row gets a *delivery position* `seq` after its
transaction committed: the active relay holds a session-level advisory lock (one sequencer at a time across
all relays), picks committed rows with `seq IS NULL` (`FOR UPDATE SKIP LOCKED`), numbers them from the
`events_outbox_seq` sequence, and commits. Because numbering is serialised and each numbering transaction
commits before the next one starts, a reader that sees position N already sees every position below N —
positions never appear "behind" a reader. `/api/events` and socket resume read only rows with a `seq`,
ordered by `seq`; the public cursor is the event id, mapped to its `seq`. The relay publishes each user's rows in
`seq` order, and only the lock holder publishes, so a user's live pushes also arrive in position order and a
consumer can drop anything at or below the last position it sent. SQLite (embedded default) has one in-process relay and
serialised writers; positions there are `MAX(seq) + 1`.
"""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from apps.core.bulk import rows_insert
from apps.core.ids import new_ulid

from . import partitions
from .doorbell import relay_wake
from .models import EventOutbox

RELAY_LOCK_KEY = 0x6576_6F75_7472  # session-level advisory lock held by the relay that is numbering/publishing
CONTROL_PREFIX = "socket."  # internal events for open sockets; never replayed to clients
SOCKET_CLOSE = "socket.close"
RETENTION_DAYS = 90


def _append(*, user_id: str, type: str, payload: dict, v: int = 1) -> EventOutbox:
    event = EventOutbox.objects.create(user_id=user_id, type=type, payload=payload, v=v, ts=timezone.now())
    if settings.OUTBOX_RELAY_EMBEDDED:
        transaction.on_commit(relay_wake)
    return event


def event_append(*, user, type: str, payload: dict, v: int = 1) -> EventOutbox:
    """Add an event for `user`; call inside the transaction of the change it announces."""
    return _append(user_id=str(user.pk), type=type, payload=payload, v=v)


def event_append_many(*, user, type: str, payloads: list[dict], v: int = 1) -> list[str]:
    """Add several events of one type for `user` in one bulk write (same transaction rules as event_append).
    -> their ids, in list order.

    Positions follow `(ts, id)`, so each event's `ts` is one microsecond after the previous one's: the
    relay numbers them in list order."""
    if not payloads:
        return []
    now = timezone.now()
    user_id = str(user.pk)
    ids = [new_ulid() for _ in payloads]
    rows_insert(EventOutbox, ("id", "user_id", "type", "payload", "v", "ts"),
                [(event_id, user_id, type, payload, v, now + timedelta(microseconds=i))
                 for i, (event_id, payload) in enumerate(zip(ids, payloads, strict=True))])
    if settings.OUTBOX_RELAY_EMBEDDED:
        transaction.on_commit(relay_wake)
    return ids


def event_envelope(event: EventOutbox) -> dict:
    return {"type": event.type, "eventId": event.id, "ts": event.ts.isoformat(), "v": event.v, "payload": event.payload}


def session_fingerprint(session_key: str) -> str:
    """What a control event carries instead of the session key itself."""
    return hashlib.sha256(f"socket:{session_key}".encode()).hexdigest()


def sockets_close_for_session(*, user_id: str, session_key: str) -> EventOutbox:
    """Close the user's sockets opened with this session (logout)."""
    with transaction.atomic():
        return _append(user_id=user_id, type=SOCKET_CLOSE,
                       payload={"scope": "session", "session": session_fingerprint(session_key)})


def sockets_close_for_user(*, user_id: str) -> EventOutbox:
    """Close every socket of the user (password change)."""
    with transaction.atomic():
        return _append(user_id=user_id, type=SOCKET_CLOSE, payload={"scope": "user"})


# --- relay steps (sync; the async loop in relay.py calls them from one thread) ---------------------------

def outbox_relay_lock_try() -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [RELAY_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def outbox_relay_unlock() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [RELAY_LOCK_KEY])


_SEQUENCE_SQL = """
WITH picked AS (
    SELECT id, ts FROM events_eventoutbox WHERE seq IS NULL ORDER BY ts, id LIMIT %s FOR UPDATE SKIP LOCKED
), numbered AS (
    SELECT id, ts, nextval('events_outbox_seq') AS seq FROM (SELECT id, ts FROM picked ORDER BY ts, id) ordered
)
UPDATE events_eventoutbox o SET seq = numbered.seq FROM numbered
WHERE o.id = numbered.id AND o.ts = numbered.ts
RETURNING o.id, o.user_id, o.type, o.v, o.ts, o.payload, o.seq
"""


def _sequence_postgresql(limit: int) -> list[EventOutbox]:
    with connection.cursor() as cursor:
        cursor.execute(_SEQUENCE_SQL, [limit])
        rows = [EventOutbox(id=r[0], user_id=r[1], type=r[2], v=r[3], ts=r[4], payload=r[5], seq=r[6])
                for r in cursor.fetchall()]
    for row in rows:  # jsonb arrives decoded only with Django's loader; raw cursors give str
        if isinstance(row.payload, str):
            row.payload = json.loads(row.payload)
    return sorted(rows, key=lambda row: row.seq)


def _sequence_orm(limit: int) -> list[EventOutbox]:
    with transaction.atomic():
        rows = list(
            EventOutbox.objects.select_for_update(skip_locked=True).filter(seq__isnull=True).order_by("ts", "id")[:limit]
        )
        if not rows:
            return []
        start = EventOutbox.objects.aggregate(top=Max("seq"))["top"] or 0
        for offset, row in enumerate(rows, start=1):
            row.seq = start + offset
        EventOutbox.objects.bulk_update(rows, ["seq"])
    return rows


def outbox_claim_batch(*, limit: int = 500, include_pending: bool = True) -> tuple[list[EventOutbox], bool]:
    """The next rows to publish, in position order, and whether they are leftovers.

    Leftovers (numbered but not marked delivered: a failed publish or a relay that died) come first when
    `include_pending`; otherwise committed rows without a position are numbered now. Call while holding
    the relay lock.
    """
    if include_pending:
        pending = list(EventOutbox.objects.filter(delivered_at__isnull=True, seq__isnull=False).order_by("seq")[:limit])
        if pending:
            return pending, True
    if connection.vendor == "postgresql":
        return _sequence_postgresql(limit), False
    return _sequence_orm(limit), False


def outbox_mark_delivered(*, ids: list[str]) -> int:
    if not ids:
        return 0
    return EventOutbox.objects.filter(id__in=ids, delivered_at__isnull=True).update(delivered_at=timezone.now())


def outbox_relay_continue(*, delivered: list[str], limit: int, include_pending: bool) -> tuple[list[EventOutbox], bool]:
    """Mark the published rows, then claim the next batch (one call, one thread hop)."""
    outbox_mark_delivered(ids=delivered)
    return outbox_claim_batch(limit=limit, include_pending=include_pending)


# --- retention ---------------------------------------------------------------------------------------------

def outbox_retention_run(*, now=None) -> dict:
    """Create this and next month's partitions, drop partitions older than 90 days (SQLite: delete rows).

    Idempotent: safe to run twice or concurrently (partition DDL is serialised by an advisory lock).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=RETENTION_DAYS)
    if connection.vendor != "postgresql":
        deleted, _ = EventOutbox.objects.filter(ts__lt=cutoff).delete()
        return {"created": [], "dropped": [], "deleted": deleted}
    current = partitions.month_start(now)
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        for month in (current, partitions.month_add(current, 1)):
            if partitions.partition_ensure(cursor, month=month):
                created.append(partitions.partition_name(month))
        dropped = partitions.partitions_drop_before(cursor, cutoff=cutoff)
    return {"created": created, "dropped": dropped, "deleted": 0}
