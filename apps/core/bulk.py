"""Writing many new rows in one round trip, for the tables scoring and market data fill in bulk.

PostgreSQL: `COPY … FROM STDIN` — psycopg streams the rows in its C text format and the server parses
them, with no per-row SQL and no per-value trip through the ORM's field machinery (which costs more than
the insert itself at thousands of rows). With a conflict clause the rows are copied into a temporary table
first and moved over with one `INSERT … SELECT … ON CONFLICT`. Other databases (the embedded SQLite
default): one `INSERT` run with `executemany`, values prepared by the model's fields.

Callers pass plain Python values in column order (model attribute names: `trade_id`, not `trade`).
Left out and filled in here: a cuid2-shaped primary key (`apps.core.ids.new_ids`), `created_at` and
`updated_at`. Runs inside the caller's transaction; a failure raises and, rolled back with it, writes
nothing.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.utils import timezone

from .ids import new_id, new_ids

_STAMPS = ("created_at", "updated_at")


class JsonText(str):
    """A value for a JSON column that the caller has already encoded: written as it is."""


@dataclass(frozen=True)
class Conflict:
    """`ON CONFLICT (unique_fields) DO NOTHING`, or `DO UPDATE SET` the `update_fields` when given — with
    `changed_only`, only where one of them differs: a row that would stay the same is not rewritten (no new
    row version, index entries or WAL for it, and it is not counted)."""

    unique_fields: tuple[str, ...]
    update_fields: tuple[str, ...] = ()
    changed_only: bool = False


def rows_insert(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence],
                *, conflict: Conflict | None = None) -> tuple[list[str] | None, int]:
    """Insert `rows` into `model`'s table. -> (the generated primary keys in row order, or None when the
    key is the caller's or the database's; the number of rows written).

    With `conflict`, rows that collide are skipped or update the existing row, and the count says how many
    rows were inserted or updated."""
    if not rows:
        return ([] if _generated_pk(model, columns) else None), 0
    meta = model._meta
    columns = list(columns)
    values = [list(row) for row in rows]
    if any(len(row) != len(columns) for row in values):
        raise ValueError(f"every row needs {len(columns)} values ({', '.join(columns)})")
    ids = None
    if _generated_pk(model, columns):
        ids = new_ids(len(values))
        columns.insert(0, meta.pk.attname)
        for row, new in zip(values, ids, strict=True):
            row.insert(0, new)
    now = timezone.now()
    for stamp in _STAMPS:
        if stamp not in columns and any(f.attname == stamp for f in meta.concrete_fields):
            columns.append(stamp)
            for row in values:
                row.append(now)
    fields = [meta.get_field(_field_name(meta, c)) for c in columns]
    if conflict is not None and "updated_at" in columns and conflict.update_fields \
            and "updated_at" not in conflict.update_fields:
        conflict = Conflict(conflict.unique_fields, (*conflict.update_fields, "updated_at"), conflict.changed_only)
    if connection.vendor == "postgresql":
        written = _copy(meta, fields, values, conflict)
    else:
        written = _executemany(meta, fields, values, conflict)
    return ids, written


def _generated_pk(model: type[models.Model], columns: Sequence[str]) -> bool:
    pk = model._meta.pk
    return (pk.attname not in columns and not isinstance(pk, models.AutoField | models.BigAutoField)
            and pk.default is new_id)


def _field_name(meta, column: str) -> str:
    for f in meta.concrete_fields:
        if f.attname == column:
            return f.name
    raise ValueError(f"{meta.label} has no column {column!r}")


def _conflict_sql(meta, conflict: Conflict | None) -> str:
    if conflict is None:
        return ""
    quote = connection.ops.quote_name
    target = ", ".join(quote(meta.get_field(f).column) for f in conflict.unique_fields)
    if not conflict.update_fields:
        return f" ON CONFLICT ({target}) DO NOTHING"
    columns = [meta.get_field(f).column for f in conflict.update_fields]
    sets = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns)
    if not conflict.changed_only:
        return f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
    differs = " IS DISTINCT FROM " if connection.vendor == "postgresql" else " IS NOT "  # NULL-safe on both
    table = quote(meta.db_table)
    changed = " OR ".join(f"{table}.{quote(c)}{differs}EXCLUDED.{quote(c)}" for c in columns
                          if c not in _STAMPS)
    return f" ON CONFLICT ({target}) DO UPDATE SET {sets} WHERE {changed}"


def _copy(meta, fields: list, values: list[list], conflict: Conflict | None) -> int:
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(f.column) for f in fields)
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    for i in json_at:
        encoder = fields[i].encoder
        for row in values:
            value = row[i]
            if value is not None and not isinstance(value, JsonText):
                row[i] = json.dumps(value, cls=encoder, allow_nan=False)
    with transaction.atomic(), connection.cursor() as cursor, connection.wrap_database_errors:
        target = table
        if conflict is not None:  # a staging table of just these columns, gone at commit
            staging = quote(f"_bulk_{meta.db_table}")
            target = f"pg_temp.{staging}"  # never a regular table of that name
            cursor.execute(f"DROP TABLE IF EXISTS {target}")
            cursor.execute(f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")
        with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        if conflict is None:
            return len(values)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {target}{_conflict_sql(meta, conflict)}")
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {target}")
        return written


def _executemany(meta, fields: list, values: list[list], conflict: Conflict | None) -> int:
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES ({marks}){_conflict_sql(meta, conflict)}"
    prepared = [[v if isinstance(v, JsonText) else f.get_db_prep_save(v, connection)
                 for f, v in zip(fields, row, strict=True)] for row in values]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)
        return cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 else len(values)
