"""Monthly range partitions of the outbox on PostgreSQL (`events_eventoutbox_pYYYYMM` + a default partition).

The default partition only catches rows whose month partition does not exist yet (it keeps inserts from
failing if the retention job has not run); creating a month partition moves such rows into it first.
All functions take a DB-API cursor on a PostgreSQL connection and are idempotent.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

PARENT = "events_eventoutbox"
DEFAULT = f"{PARENT}_default"
_NAME = re.compile(rf"^{PARENT}_p(\d{{4}})(\d{{2}})$")
_LOCK_KEY = 0x6576_6F75_7470  # pg_advisory_xact_lock key serialising partition DDL


def month_start(moment: date | datetime) -> date:
    return date(moment.year, moment.month, 1)


def month_add(month: date, months: int) -> date:
    index = month.year * 12 + (month.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{PARENT}_p{month.year:04d}{month.month:02d}"


def _bound(month: date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


def partition_months(cursor) -> list[date]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
        [PARENT],
    )
    months = []
    for (name,) in cursor.fetchall():
        match = _NAME.match(name)
        if match:
            months.append(date(int(match.group(1)), int(match.group(2)), 1))
    return sorted(months)


def partition_ensure(cursor, *, month: date) -> bool:
    """Create the partition for `month` (moving any of its rows out of the default partition). True if created."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    name = partition_name(month)
    cursor.execute("SELECT to_regclass(%s)", [name])
    if cursor.fetchone()[0] is not None:
        return False
    low, high = _bound(month), _bound(month_add(month, 1))
    cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    cursor.execute(
        f"WITH moved AS (DELETE FROM {DEFAULT} WHERE ts >= %s AND ts < %s RETURNING *) "
        f"INSERT INTO {name} SELECT * FROM moved",
        [low, high],
    )
    cursor.execute(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES FROM ('{low}') TO ('{high}')")
    return True


def partitions_drop_before(cursor, *, cutoff: datetime) -> list[str]:
    """Drop every month partition whose whole range ends at or before `cutoff`; also purge the default's old rows."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    dropped = []
    for month in partition_months(cursor):
        end = datetime.combine(month_add(month, 1), datetime.min.time(), tzinfo=UTC)
        if end <= cutoff:
            name = partition_name(month)
            cursor.execute(f"ALTER TABLE {PARENT} DETACH PARTITION {name}")
            cursor.execute(f"DROP TABLE {name}")
            dropped.append(name)
    cursor.execute(f"DELETE FROM {DEFAULT} WHERE ts < %s", [cutoff])
    return dropped


# The table as migration 0001 creates it (later migrations change it: 0006 replaces `delivered_at` and its
# index with per-partition relay watermarks and an index over positions).
CREATE_SQL = f"""
CREATE TABLE {PARENT} (
    id varchar(26) NOT NULL,
    user_id varchar(32) NOT NULL,
    type varchar(48) NOT NULL,
    v smallint NOT NULL CHECK (v >= 0),
    ts timestamp with time zone NOT NULL,
    payload jsonb NOT NULL,
    delivered_at timestamp with time zone NULL,
    seq bigint NULL,
    PRIMARY KEY (id, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE {DEFAULT} PARTITION OF {PARENT} DEFAULT;
CREATE INDEX events_outbox_user_ts_idx ON {PARENT} (user_id, ts);
CREATE INDEX events_outbox_user_seq_idx ON {PARENT} (user_id, seq);
CREATE INDEX events_outbox_unsequenced_idx ON {PARENT} (ts) WHERE seq IS NULL;
CREATE INDEX events_outbox_undelivered_idx ON {PARENT} (seq) WHERE delivered_at IS NULL AND seq IS NOT NULL;
CREATE SEQUENCE events_outbox_seq AS bigint;
CREATE FUNCTION events_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('events_outbox', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER events_outbox_notify AFTER INSERT ON {PARENT}
    FOR EACH STATEMENT EXECUTE FUNCTION events_outbox_notify();
"""

DROP_SQL = f"""
DROP TABLE IF EXISTS {PARENT} CASCADE;
DROP SEQUENCE IF EXISTS events_outbox_seq;
DROP FUNCTION IF EXISTS events_outbox_notify();
"""
