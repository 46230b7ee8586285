"""Idempotent bulk insert of normalised trades: new rows are inserted, known ones are left alone.

PostgreSQL, per chunk: one statement takes the transaction's `now()` (the rows' `created_at`) and looks up a
few evenly spread ext_ids of the chunk. When none is stored (a first import, the next page of one), the
chunk is `COPY`ed straight into the table inside a savepoint: COPY writes rows in batches (one heap WAL
record per page of rows, no speculative insertion per row), which is what makes it the ceiling, and the
caller learns exactly which rows are new because it generated their ids. When a probed ext_id is stored (a
re-import, a page overlapping the last import), or the COPY meets a stored row after all (one the probe
missed, or one another transaction stored meanwhile: the unique constraint refuses it and the savepoint is
rolled back), the chunk goes through `INSERT … ON CONFLICT (user_id, broker, ext_id) DO NOTHING RETURNING
id`, so the answer is exact either way. SQLite gets a multi-row VALUES list with the same conflict clause.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from django.db import IntegrityError, connection, transaction

from apps.brokers.types import TradeDTO
from apps.core.ids import new_ids
from apps.core.readcache import user_data_changed

from ..models import Trade

POSTGRES_CHUNK = 5000
SQLITE_CHUNK = 500  # 12 parameters a row stays well under SQLite's variable limit
_COLUMNS = ("id", "created_at", "user_id", "broker", "ext_id", "symbol", "side", "qty", "price", "fee",
            "fee_asset", "quote_asset", "ts")


@dataclass(slots=True)
class UpsertResult:
    inserted_ids: list[str] = field(default_factory=list)
    duplicates: int = 0

    @property
    def inserted(self) -> int:
        return len(self.inserted_ids)


def _dedupe(items: list[TradeDTO]) -> list[TradeDTO]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.ext_id not in seen:
            seen.add(item.ext_id)
            unique.append(item)
    return unique


def trade_upsert_many(*, user, broker: str, items: list[TradeDTO]) -> UpsertResult:
    """Insert the trades not stored yet for (user, broker); returns the new ids and the duplicate count.

    Runs inside the caller's transaction when there is one. Values stay Decimal end to end.
    """
    result = UpsertResult()
    if not items:
        return result
    unique = _dedupe(items)
    user_id = user.pk if hasattr(user, "pk") else user
    chunk_size = POSTGRES_CHUNK if connection.vendor == "postgresql" else SQLITE_CHUNK
    for start in range(0, len(unique), chunk_size):
        chunk = unique[start:start + chunk_size]
        if connection.vendor == "postgresql":
            result.inserted_ids.extend(_insert_postgres(user_id, broker, chunk))
        else:
            result.inserted_ids.extend(_insert_values(user_id, broker, chunk))
    result.duplicates = len(items) - len(result.inserted_ids)
    if result.inserted_ids:
        user_data_changed(user_id)  # the user's lists and summary change when this commits
    return result


# The transaction's `now()` (the rows' `created_at`) and whether one of a few ext_ids is stored: each looked up
# in the unique index (LATERAL … LIMIT 1 keeps the planner from scanning the table instead, which it prefers
# while the table is small or its statistics are stale, e.g. during the first import).
_PROBE_SQL = (
    "SELECT now(), EXISTS (SELECT FROM unnest(%s::text[]) AS probe(ext_id) CROSS JOIN LATERAL ("
    "SELECT FROM {table} t WHERE t.user_id = %s AND t.broker = %s AND t.ext_id = probe.ext_id LIMIT 1) AS stored)"
)
PROBES = 5
COPY_PIECE = 250  # rows formatted per write: the server parses one piece while the next is formatted
UNIQUE_VIOLATION = "23505"
_COPY_COLUMNS = ("id", "ext_id", "symbol", "side", "qty", "price", "fee", "fee_asset", "quote_asset", "ts",
                 "created_at", "user_id", "broker")


def _insert_postgres(user_id: str, broker: str, chunk: list[TradeDTO]) -> list[str]:
    """-> the ids of the chunk's rows that were not stored yet, now inserted (see the module's docstring).

    A chunk of which one of a few evenly spread ext_ids is stored already (a re-import, or a page
    overlapping the last import) goes through `INSERT … ON CONFLICT` at once; any other is COPYed, and
    falls back to it only when the COPY meets a stored row after all."""
    table = Trade._meta.db_table
    step = max(1, len(chunk) // (PROBES - 1))
    sample = list({chunk[i].ext_id for i in range(0, len(chunk), step)} | {chunk[-1].ext_id})
    with connection.cursor() as cursor:
        cursor.execute(_PROBE_SQL.format(table=table), [sample, user_id, broker])
        now, seen = cursor.fetchone()
    if seen:
        return _insert_postgres_conflict(user_id, broker, chunk)
    ids = new_ids(len(chunk))
    try:
        with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
            with cursor.copy(f"COPY {table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:
                for start in range(0, len(chunk), COPY_PIECE):
                    piece_ids, piece = ids[start:start + COPY_PIECE], chunk[start:start + COPY_PIECE]
                    text = _copy_text(piece_ids, now, user_id, broker, piece)
                    if text is not None:
                        copy.write(text)
                    else:
                        for row in _copy_rows(piece_ids, now, user_id, broker, piece):
                            copy.write_row(row)
    except IntegrityError as error:
        if getattr(error.__cause__, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        return _insert_postgres_conflict(user_id, broker, chunk)  # some were stored after all
    return ids


def _copy_rows(ids: list[str], now, user_id: str, broker: str, items: list[TradeDTO]):
    for trade_id, t in zip(ids, items, strict=True):
        yield (trade_id, t.ext_id, t.symbol, t.side, t.qty, t.price, t.fee, t.fee_asset or "", t.quote_asset or "",
               t.ts, now, user_id, broker)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _utc_texts(moments: list[datetime]) -> list[str]:
    """ISO 8601 UTC texts of aware datetimes, to the microsecond: numpy formats them all at once (a third of
    what `isoformat` costs one by one). Naive datetimes are taken as `isoformat` writes them."""
    try:
        micros = np.array([(moment - _EPOCH) // _MICROSECOND for moment in moments], dtype="datetime64[us]")
    except TypeError:  # a naive datetime: PostgreSQL reads it in the connection's time zone, as before
        return [moment.isoformat() for moment in moments]
    return [f"{text}+00" for text in np.datetime_as_string(micros, unit="us").tolist()]


def _copy_text(ids: list[str], now: datetime, user_id: str, broker: str, items: list[TradeDTO]) -> str | None:
    """The rows in COPY's text format, built by string formatting (psycopg's row writer adapts each Decimal
    and datetime on its own, at several times the cost); None when a text value holds a character that
    format would have to escape (backslash, tab, newline, carriage return) — the row writer escapes them."""
    tail = f"\t{now.isoformat()}\t{user_id}\t{broker}\n"
    null = "\\N"
    text = "".join([
        f"{trade_id}\t{t.ext_id}\t{t.symbol}\t{t.side}\t{t.qty!s}\t{t.price!s}\t{null if t.fee is None else str(t.fee)}"
        f"\t{t.fee_asset or ''}\t{t.quote_asset or ''}\t{ts}{tail}"
        for trade_id, t, ts in zip(ids, items, _utc_texts([t.ts for t in items]), strict=True)
    ])
    rows, nulls = len(items), sum(1 for t in items if t.fee is None)
    if (text.count("\t") != (len(_COPY_COLUMNS) - 1) * rows or text.count("\n") != rows
            or text.count("\\") != nulls or "\r" in text):
        return None
    return text


_SEP = "\x1f"  # ASCII unit separator: never part of a number, a timestamp or a real exchange field
_PACKED_SQL = (
    "INSERT INTO {table} ({columns}) "
    "SELECT u.id, now(), %s, %s, u.ext_id, u.symbol, u.side, u.qty, u.price, u.fee, coalesce(u.fee_asset, ''), "
    "coalesce(u.quote_asset, ''), u.ts FROM UNNEST("
    "string_to_array(%s, E'\\x1f'), string_to_array(%s, E'\\x1f'), string_to_array(%s, E'\\x1f'), "
    "string_to_array(%s, E'\\x1f'), string_to_array(%s, E'\\x1f')::numeric[], "
    "string_to_array(%s, E'\\x1f')::numeric[], string_to_array(%s, E'\\x1f', '')::numeric[], "
    "string_to_array(%s, E'\\x1f', ''), string_to_array(%s, E'\\x1f', ''), "
    "string_to_array(%s, E'\\x1f')::timestamptz[]"
    ") AS u(id, ext_id, symbol, side, qty, price, fee, fee_asset, quote_asset, ts) "
    "ON CONFLICT (user_id, broker, ext_id) DO NOTHING RETURNING id"
)


def _packed(values: list[str]) -> str | None:
    """Values joined by the separator; None when one of them contains it (then arrays are sent instead)."""
    text = _SEP.join(values)
    return text if text.count(_SEP) == len(values) - 1 else None


def _insert_postgres_conflict(user_id: str, broker: str, chunk: list[TradeDTO]) -> list[str]:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING id`: exact whatever other transactions store meanwhile.
    Each column travels as one separator-joined text parsed by the server (`string_to_array`): adapting
    tens of thousands of Decimals and datetimes one by one into array literals costs more than the insert.
    The text columns stay text[] (the insert checks each value against its column's length anyway)."""
    strings = [_packed([t.ext_id for t in chunk]), _packed([t.symbol for t in chunk]),
               _packed([t.side for t in chunk])]
    assets = [_packed([t.fee_asset or "" for t in chunk]), _packed([t.quote_asset or "" for t in chunk])]
    if None in strings or None in assets:
        return _insert_postgres_arrays(user_id, broker, chunk)
    ids = new_ids(len(chunk))
    params = [
        user_id, broker, _SEP.join(ids), *strings,
        _SEP.join([str(t.qty) for t in chunk]),
        _SEP.join([str(t.price) for t in chunk]),
        _SEP.join(["" if t.fee is None else str(t.fee) for t in chunk]),
        *assets,
        _SEP.join([t.ts.isoformat() for t in chunk]),
    ]
    sql = _PACKED_SQL.format(table=Trade._meta.db_table, columns=", ".join(_COLUMNS))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _insert_postgres_arrays(user_id: str, broker: str, chunk: list[TradeDTO]) -> list[str]:
    table = Trade._meta.db_table
    sql = (
        f"INSERT INTO {table} ({', '.join(_COLUMNS)}) "
        "SELECT u.id, now(), %s, %s, u.ext_id, u.symbol, u.side, u.qty, u.price, u.fee, u.fee_asset, "
        "u.quote_asset, u.ts FROM UNNEST("
        "%s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::numeric[], %s::numeric[], "
        "%s::numeric[], %s::varchar[], %s::varchar[], %s::timestamptz[]"
        ") AS u(id, ext_id, symbol, side, qty, price, fee, fee_asset, quote_asset, ts) "
        "ON CONFLICT (user_id, broker, ext_id) DO NOTHING RETURNING id"
    )
    params = [
        user_id, broker,
        new_ids(len(chunk)),
        [t.ext_id for t in chunk],
        [t.symbol for t in chunk],
        [t.side for t in chunk],
        [t.qty for t in chunk],
        [t.price for t in chunk],
        [t.fee for t in chunk],
        [t.fee_asset or "" for t in chunk],
        [t.quote_asset or "" for t in chunk],
        [t.ts for t in chunk],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _insert_values(user_id: str, broker: str, chunk: list[TradeDTO]) -> list[str]:
    table = Trade._meta.db_table
    ops = connection.ops
    qty_field = Trade._meta.get_field("qty")
    now = ops.adapt_datetimefield_value(_utcnow())
    rows = []
    params: list = []
    for trade_id, item in zip(new_ids(len(chunk)), chunk, strict=True):
        rows.append("(" + ", ".join(["%s"] * len(_COLUMNS)) + ")")
        params.extend([
            trade_id, now, user_id, broker, item.ext_id, item.symbol, item.side,
            _decimal(ops, qty_field, item.qty), _decimal(ops, qty_field, item.price),
            None if item.fee is None else _decimal(ops, qty_field, item.fee),
            item.fee_asset or "", item.quote_asset or "", ops.adapt_datetimefield_value(item.ts),
        ])
    sql = (
        f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES {', '.join(rows)} "
        "ON CONFLICT (user_id, broker, ext_id) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _decimal(ops, model_field, value: Decimal):
    return ops.adapt_decimalfield_value(value, model_field.max_digits, model_field.decimal_places)


def _utcnow():
    from django.utils import timezone

    return timezone.now()


def trade_raw_attach(*, user, broker: str, trade_ids: list[str], raw: dict[str, dict]) -> int:
    """Keep what the source said beyond each new trade (by ext_id) on the trade itself. Runs inside the
    caller's transaction, for the trades it just inserted."""
    if not raw or not trade_ids:
        return 0
    user_id = user.pk if hasattr(user, "pk") else user
    trades = list(Trade.objects.filter(user_id=user_id, broker=broker, id__in=trade_ids).only("id", "ext_id"))
    for trade in trades:
        trade.raw = raw.get(trade.ext_id)
    return Trade.objects.bulk_update([t for t in trades if t.raw is not None], ["raw"], batch_size=500)
