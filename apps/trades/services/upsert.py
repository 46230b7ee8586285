"""Idempotent bulk insert of normalised trades: new rows are inserted, known ones are left alone.

One statement per chunk, `INSERT … ON CONFLICT (user_id, broker, ext_id) DO NOTHING RETURNING id`, so the
caller learns exactly which rows are new. PostgreSQL gets the whole chunk as typed arrays through
`UNNEST` (one round trip, no per-row SQL); SQLite gets a multi-row VALUES list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

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


def _insert_postgres(user_id: str, broker: str, chunk: list[TradeDTO]) -> list[str]:
    """Each column travels as one separator-joined text parsed by the server (`string_to_array`): adapting
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
