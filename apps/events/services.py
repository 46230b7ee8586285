"""Writes to the event outbox, and the relay's database steps.

Delivery order (why `since=<eventId>` never skips a late commit)
----------------------------------------------------------------
An outbox row's id (ULID) and `ts` are taken at insert, but transactions commit in any order, so
"rows with id > X" can miss a row inserted before X whose transaction commits after X was read.
Readers therefore never order by id or ts. Each row gets a *delivery position* `seq` after its
transaction committed: the relay that holds the row's partition (users are spread over RELAY_PARTITIONS
partitions, each held by one relay at a time through a session-level advisory lock) picks committed rows
of its partitions with `seq IS NULL` (`FOR UPDATE SKIP LOCKED`), numbers them from the `events_outbox_seq`
sequence, and commits. A user's rows all lie in one partition, whose numbering is serialised, and each
numbering transaction commits before the next one starts, so a reader of one user's events that sees
position N already sees every position of that user below N — positions never appear "behind" a reader.
`/api/events` and socket resume read one user's rows with a `seq`, ordered by `seq`; the public cursor is the
event id, mapped to its `seq`. The holder publishes each user's rows in `seq` order, so a user's live pushes
also arrive in position order and a consumer can drop anything at or below the last position it sent. A
partition changes hands only when its lock is released (a relay stopped, died or hands extras over after
another relay joined); the next holder publishes the rows left numbered-but-undelivered first.

What was published is kept per partition, not per row: a `RelayWatermark` per partition says "every
position of this partition up to N went out". The holder publishes its partitions' rows batch by batch in
position order (leftovers above the watermarks first), so after a batch every numbered row of its
partitions at or below the batch's last position is out, and it raises all its partitions' watermarks to
that position: one small write per batch instead of a second write to every event row. SQLite
(embedded default) has one in-process relay holding every partition and serialised writers; positions
there are `MAX(seq) + 1`.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from itertools import islice
from json.encoder import encode_basestring_ascii

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from apps.core.bulk import rows_insert
from apps.core.ids import new_ulid
from apps.core.observability.context import request_id_current

from . import partitions
from .doorbell import relay_wake
from .models import EventOutbox, RelayWatermark

CONTROL_PREFIX = "socket."  # internal events for open sockets; never replayed to clients
SOCKET_CLOSE = "socket.close"
RETENTION_DAYS = 90


def _append(*, user_id: str, type: str, payload: dict, v: int = 1) -> EventOutbox:
    event = EventOutbox.objects.create(user_id=user_id, type=type, payload=payload, v=v, ts=timezone.now(),
                                       request_id=request_id_current())
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
    request_id = request_id_current()
    rows_insert(EventOutbox, ("id", "user_id", "type", "payload", "v", "ts", "request_id"),
                [(event_id, user_id, type, payload, v, now + timedelta(microseconds=i), request_id)
                 for i, (event_id, payload) in enumerate(zip(ids, payloads, strict=True))])
    if settings.OUTBOX_RELAY_EMBEDDED:
        transaction.on_commit(relay_wake)
    return ids


def event_envelope(event: EventOutbox | ClaimedEvent) -> dict:
    """`{type, eventId, ts, v, payload}`, plus `requestId` (the X-Request-ID that caused it) when there is one.
    `v` versions the payload; envelope fields may be added, and clients ignore the ones they do not know."""
    envelope = {"type": event.type, "eventId": event.id, "ts": event.ts.isoformat(), "v": event.v,
                "payload": event.payload}
    if event.request_id:
        envelope["requestId"] = event.request_id
    return envelope


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
#
# Users are spread over RELAY_PARTITIONS partitions (`outbox_partition_of`); a relay numbers and publishes
# only the partitions it holds. A partition is held by a session-level advisory lock (RELAY_PARTITION_LOCK,
# partition), so at most one relay works on it and the server releases it the moment that relay's
# connection ends (a stop, a crash, a kill -9). Every relay also holds a shared lock (RELAY_MEMBER_LOCK, 0):
# counting its holders gives the number of live relays, and each relay keeps ceil(partitions / relays)
# partitions, releasing extras and taking free ones (`outbox_relay_rebalance`). All relays of one database
# must run the same code (the same partition count).

RELAY_PARTITIONS = 16
RELAY_PARTITION_LOCK = 0x6576_7470  # advisory lock class: one lock per partition, held by its relay
RELAY_MEMBER_LOCK = 0x6576_746D  # advisory lock class: shared by every live relay
ALL_PARTITIONS = frozenset(range(RELAY_PARTITIONS))


def outbox_partition_of(user_id: str) -> int:
    """The relay partition of a user's events."""
    return int(hashlib.md5(str(user_id).encode(), usedforsecurity=False).hexdigest()[:7], 16) % RELAY_PARTITIONS


def outbox_partition_sql(column: str) -> str:
    """`outbox_partition_of` in PostgreSQL, of the user id in `column`: the first 28 bits of its md5, modulo
    the partition count."""
    return f"mod(('x' || substr(md5({column}), 1, 7))::bit(28)::int, {RELAY_PARTITIONS})"


_PARTITION_SQL = outbox_partition_sql("user_id")


_RELAY_LOCKS_SQL = """
SELECT classid::bigint, objid::bigint, pid = pg_backend_pid() FROM pg_locks
WHERE locktype = 'advisory' AND objsubid = 2 AND granted AND classid::bigint IN (%s, %s)
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def outbox_relay_rebalance() -> frozenset[int]:
    """Join the live relays and hold a fair share of the partitions. -> the partitions this relay holds.

    SQLite (one in-process relay) holds them all."""
    if connection.vendor != "postgresql":
        return ALL_PARTITIONS
    with connection.cursor() as cursor:
        cursor.execute(_RELAY_LOCKS_SQL, [RELAY_MEMBER_LOCK, RELAY_PARTITION_LOCK])
        locks = cursor.fetchall()
        members = [mine for lock_class, _, mine in locks if lock_class == RELAY_MEMBER_LOCK]
        if not any(members):
            cursor.execute("SELECT pg_advisory_lock_shared(%s::int, 0)", [RELAY_MEMBER_LOCK])
            members.append(True)
        held = {int(part) for lock_class, part, mine in locks if lock_class == RELAY_PARTITION_LOCK and mine}
        taken = {int(part) for lock_class, part, mine in locks if lock_class == RELAY_PARTITION_LOCK and not mine}
        fair = -(-RELAY_PARTITIONS // len(members))
        for part in sorted(held)[fair:]:
            cursor.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", [RELAY_PARTITION_LOCK, part])
            held.discard(part)
        start = connection.connection.info.backend_pid % RELAY_PARTITIONS  # relays start looking in different places
        for offset in range(RELAY_PARTITIONS):
            part = (start + offset) % RELAY_PARTITIONS
            if len(held) >= fair:
                break
            if part in held or part in taken:
                continue
            cursor.execute("SELECT pg_try_advisory_lock(%s::int, %s::int)", [RELAY_PARTITION_LOCK, part])
            if cursor.fetchone()[0]:
                held.add(part)
    return frozenset(held)


# A claim reads each held partition through `events_outbox_claim_idx` ((partition, ts, id) WHERE seq IS NULL,
# migration 0007): one ordered index scan per partition, merged in (ts, id) order, so a relay never visits
# another relay's rows and never sorts its backlog. The planner settings (for the claim's own transaction) make
# that plan independent of the table's statistics: right after a burst (a backlog committed faster than
# autovacuum analyses the table) they still say "nothing is unnumbered", and the plan that looked cheapest then
# was a bitmap scan of the whole backlog, sorted, on every claim: quadratic in the backlog, and with two relays
# each sorted the other's rows too. JIT is off because the disabled sort's nominal cost would otherwise start a
# compilation costing more than the claim.
_CLAIM_PLAN_SQL = ("SET LOCAL enable_sort = off; SET LOCAL enable_incremental_sort = off; "
                   "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off; SET LOCAL jit = off")
_CLAIM_LEG_SQL = (f"(SELECT id, ts FROM events_eventoutbox WHERE seq IS NULL AND {_PARTITION_SQL} = {{part}} "
                  "ORDER BY ts, id LIMIT %s)")

# Candidates are read without locks (a row lock would hide their order from the merge); the rows are then locked
# (SKIP LOCKED, `seq IS NULL` checked again on the locked row) and numbered in (ts, id) order.
_SEQUENCE_SQL = """
WITH candidates AS (
    SELECT id, ts FROM ({legs}) candidates ORDER BY ts, id LIMIT %s
), picked AS (
    SELECT locked.id, locked.ts FROM candidates c CROSS JOIN LATERAL (
        SELECT id, ts FROM events_eventoutbox o WHERE o.id = c.id AND o.ts = c.ts AND o.seq IS NULL
        FOR UPDATE SKIP LOCKED) locked
), numbered AS (
    SELECT id, ts, nextval('events_outbox_seq') AS seq FROM (SELECT id, ts FROM picked ORDER BY ts, id) ordered
)
UPDATE events_eventoutbox o SET seq = numbered.seq FROM numbered
WHERE o.id = numbered.id AND o.ts = numbered.ts
RETURNING o.id, o.user_id, o.type, o.v, o.ts, o.payload, o.seq, o.request_id
"""

# Rows of the held partitions above their partition's watermark (`low`: the lowest of them, for the index).
_PENDING_SQL = """
SELECT o.id, o.user_id, o.type, o.v, o.ts, o.payload, o.seq, o.request_id
FROM events_eventoutbox o JOIN unnest(%s::int[], %s::bigint[]) AS mark(part, delivered)
  ON mark.part = {partition}
WHERE o.seq > %s AND o.seq > mark.delivered ORDER BY o.seq LIMIT %s
""".format(partition=outbox_partition_sql("o.user_id"))


_UNDECODED = object()


class ClaimedEvent:
    """A claimed outbox row with what the relay publishes (the fields of EventOutbox it reads). Built without a
    model instance: the relay makes hundreds per batch, and a model's constructor costs more than the rest.
    The payload stays the database's JSON text (`payload_text`) until something asks for `payload`: the relay
    usually puts that text into the frame as it is (`event_frame_text`)."""

    __slots__ = ("id", "user_id", "type", "v", "ts", "payload_text", "seq", "request_id", "_payload")

    def __init__(self, id: str, user_id: str, type: str, v: int, ts: datetime, payload: str | dict, seq: int,
                 request_id: str | None):
        self.id, self.user_id, self.type, self.v, self.ts = id, user_id, type, v, ts
        self.seq, self.request_id = seq, request_id
        if isinstance(payload, str):  # jsonb arrives decoded only with Django's loader; raw cursors give str
            self.payload_text, self._payload = payload, _UNDECODED
        else:
            self.payload_text, self._payload = None, payload

    @property
    def payload(self) -> dict:
        if self._payload is _UNDECODED:
            self._payload = json.loads(self.payload_text)
        return self._payload

    def __repr__(self) -> str:
        return f"ClaimedEvent({self.type} {self.id} seq={self.seq})"


def _rows_postgresql(sql: str, params: list, *, prepare: bool = False) -> list[ClaimedEvent]:
    """`prepare`: as a prepared statement on the server (server-side binding), for one the relay repeats."""
    if prepare:
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, prepare=True)
            fetched = cursor.fetchall()
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
    rows = [ClaimedEvent(*r) for r in fetched]
    rows.sort(key=lambda row: row.seq)
    return rows


def outbox_claim_statement(partitions: frozenset[int], limit: int) -> tuple[str, list]:
    """The claim (PostgreSQL): SQL and parameters numbering up to `limit` rows of `partitions`. Run it after
    `_CLAIM_PLAN_SQL` in the same transaction."""
    legs = [_CLAIM_LEG_SQL.format(part=int(part)) for part in sorted(partitions)]
    return _SEQUENCE_SQL.format(legs=" UNION ALL ".join(legs)), [*([limit] * len(legs)), limit]


def _sequence_postgresql(partitions: frozenset[int], limit: int) -> list[ClaimedEvent]:
    """Number up to `limit` committed rows of `partitions` in (ts, id) order. -> them, in position order.
    The relay calls it outside any transaction, so the planner settings end with the claim's own."""
    sql, params = outbox_claim_statement(partitions, limit)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_PLAN_SQL)
        # Prepared: planning the merge of 16 partitions costs more than running it for a few rows.
        return _rows_postgresql(sql, params, prepare=True)


# PostgreSQL writes jsonb as text with ", " and ": " between items, keys in its own (stored) order, strings
# with `"`, `\` and control characters escaped (`\n`, `\u001f`, as json.dumps does) and the rest as UTF-8,
# and numbers as plain decimals. `json.dumps(json.loads(text))` gives that same text back when the text is
# ASCII without DEL (json.dumps escapes both) and every number with a fraction is Python's own `repr` of the
# float it decodes to: at most 15 significant digits (then the float keeps exactly those digits), no zero
# ending a fraction longer than one digit (`1.50`), and between 1e-4 and 1e16 (`repr` switches to exponents
# outside). The checks below are conservative (digits inside strings count too): a text that fails one is
# decoded and encoded again, as before.
_FRACTION_ENDING_IN_ZERO = re.compile(r"\.\d+0(?!\d)")
_DIGIT_RUNS = str.maketrans({code: " " for code in range(128) if chr(code) not in "0123456789."}
                            | {ord(digit): "9" for digit in "0123456789."})
_LONG_DIGIT_RUN = "9" * 16
_quote = encode_basestring_ascii  # json.dumps' own encoder of a string


def _payload_text_encodes_as_itself(text: str) -> bool:
    return (text.isascii() and "\x7f" not in text and "0.0000" not in text
            and _LONG_DIGIT_RUN not in text.translate(_DIGIT_RUNS) and _FRACTION_ENDING_IN_ZERO.search(text) is None)


def event_frame_text(event: EventOutbox | ClaimedEvent, *, ts: str | None = None) -> str:
    """The socket frame of an event: `json.dumps(event_envelope(event))`, to the byte. A claimed row whose stored
    payload text is what json.dumps would write for it goes into the frame as it is (no decode, no encode:
    most of the relay's own CPU per event otherwise). `ts`: the event's `ts.isoformat()`, when the caller has it."""
    text = getattr(event, "payload_text", None)
    if text is None or not _payload_text_encodes_as_itself(text):
        return json.dumps(event_envelope(event))
    ts = event.ts.isoformat() if ts is None else ts
    tail = f', "requestId": {_quote(event.request_id)}}}' if event.request_id else "}"
    return (f'{{"type": {_quote(event.type)}, "eventId": {_quote(event.id)}, "ts": {_quote(ts)}, '
            f'"v": {int(event.v)}, "payload": {text}{tail}')


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


def outbox_watermarks(*, partitions: frozenset[int] = ALL_PARTITIONS) -> dict[int, int]:
    """partition -> the position up to which its events were published (0: none yet)."""
    marks = dict(RelayWatermark.objects.filter(partition__in=sorted(partitions)).values_list(
        "partition", "delivered_seq"))
    return {part: marks.get(part, 0) for part in sorted(partitions)}


def _pending(partitions: frozenset[int], limit: int) -> list[ClaimedEvent | EventOutbox]:
    """Numbered rows of `partitions` above their partition's watermark, in position order."""
    marks = outbox_watermarks(partitions=partitions)
    low = min(marks.values())
    if connection.vendor == "postgresql":
        return _rows_postgresql(_PENDING_SQL, [list(marks), list(marks.values()), low, limit])
    # SQLite: one relay holds every partition and raises their watermarks together.
    rows = EventOutbox.objects.filter(seq__gt=low).order_by("seq").iterator()
    return list(islice((row for row in rows if row.seq > marks[outbox_partition_of(row.user_id)]), limit))


def outbox_claim_batch(*, limit: int = 500, include_pending: bool = True,
                       partitions: frozenset[int] = ALL_PARTITIONS) -> tuple[list[ClaimedEvent | EventOutbox], bool]:
    """The next rows of `partitions` to publish, in position order, and whether they are leftovers.

    Leftovers (numbered, above their partition's watermark: a failed publish, or a relay that died or handed
    the partition over) come first when `include_pending`; otherwise committed rows without a position are
    numbered now. Call while holding those partitions (`outbox_relay_rebalance`), and after publishing the
    rows, `outbox_mark_delivered` through the last one's position.
    """
    if include_pending:
        pending = _pending(partitions, limit)
        if pending:
            return pending, True
    if connection.vendor == "postgresql":
        return _sequence_postgresql(partitions, limit), False
    return _sequence_orm(limit), False


_MARK_SQL = """
INSERT INTO events_relaywatermark AS mark (partition, delivered_seq, updated_at)
SELECT part, %s, %s FROM unnest(%s::int[]) AS part
ON CONFLICT (partition) DO UPDATE SET delivered_seq = EXCLUDED.delivered_seq, updated_at = EXCLUDED.updated_at
WHERE mark.delivered_seq < EXCLUDED.delivered_seq
"""


def outbox_mark_delivered(*, partitions: frozenset[int], through: int) -> int:
    """Record that every numbered row of `partitions` up to position `through` was published (the relay
    holding them calls it after each batch: see the module docstring). Watermarks only rise.
    -> how many watermarks rose."""
    if not partitions:
        return 0
    now = timezone.now()
    if connection.vendor == "postgresql":  # one statement, a row per partition
        with connection.cursor() as cursor:
            cursor.execute(_MARK_SQL, [through, now, sorted(partitions)])
            return cursor.rowcount
    with transaction.atomic():
        RelayWatermark.objects.bulk_create(
            [RelayWatermark(partition=part, delivered_seq=0, updated_at=now) for part in sorted(partitions)],
            ignore_conflicts=True)
        return RelayWatermark.objects.filter(partition__in=sorted(partitions), delivered_seq__lt=through).update(
            delivered_seq=through, updated_at=now)


def outbox_relay_continue(*, partitions: frozenset[int], delivered_through: int, limit: int,
                          include_pending: bool) -> tuple[list[ClaimedEvent | EventOutbox], bool]:
    """Mark the published batch, then claim the next one (one call, one thread hop)."""
    outbox_mark_delivered(partitions=partitions, through=delivered_through)
    return outbox_claim_batch(limit=limit, include_pending=include_pending, partitions=partitions)


def outbox_delivered(*, ids: list[str]) -> set[str]:
    """Which of these events the relay has published (numbered, at or below their partition's watermark)."""
    rows = list(EventOutbox.objects.filter(id__in=list(ids), seq__isnull=False).values_list("id", "user_id", "seq"))
    marks = outbox_watermarks()
    return {event_id for event_id, user_id, seq in rows if seq <= marks[outbox_partition_of(user_id)]}


def outbox_delivered_sql() -> str:
    """A WHERE condition on `events_eventoutbox`: the row was published (for the admin's filter and the
    metrics). SQLite: one relay raises every partition's watermark together, so the lowest one decides."""
    if connection.vendor == "postgresql":
        partition = outbox_partition_sql("events_eventoutbox.user_id")
        return ("events_eventoutbox.seq <= COALESCE((SELECT mark.delivered_seq FROM events_relaywatermark mark "
                f"WHERE mark.partition = {partition}), 0)")
    return "events_eventoutbox.seq <= COALESCE((SELECT min(delivered_seq) FROM events_relaywatermark), 0)"


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
