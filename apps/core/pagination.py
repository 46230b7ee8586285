"""Opaque cursors for `{results, nextCursor}` list endpoints.

A cursor is base64url(JSON list of strings). Decoding is bounded and checked before any value reaches a
query: at most `MAX_CURSOR_LENGTH` characters, a flat list of at most 8 NUL-free strings; datetimes inside
a cursor go through `cursor_datetime` (range-checked, UTC).
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.lookups import Lookup

from .errors import ValidationFailed
from .parsing import JsonRejected, json_parse
from .validation import datetime_in_range, text_is_clean

MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 1024
_MAX_CURSOR_VALUES = 8


def _invalid() -> ValidationFailed:
    return ValidationFailed("The cursor is not valid.", code="invalid_cursor", fields={"cursor": ["Not valid."]})


def cursor_encode(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> list[str]:
    """The list of strings inside `cursor`; ValidationFailed (`invalid_cursor`) for anything else."""
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        raise _invalid()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json_parse(base64.urlsafe_b64decode(padded.encode()), max_depth=1)
    except (ValueError, binascii.Error, JsonRejected) as exc:
        raise _invalid() from exc
    if not isinstance(values, list) or not 0 < len(values) <= _MAX_CURSOR_VALUES:
        raise _invalid()
    if not all(isinstance(v, str) and len(v) <= 256 and text_is_clean(v) for v in values):
        raise _invalid()
    return values


def cursor_datetime(value: str) -> datetime:
    """An ISO-8601 date-time with a zone from inside a cursor, as UTC within the supported range."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise _invalid() from exc
    moment = datetime_in_range(parsed) if parsed.tzinfo is not None else None
    if moment is None:
        raise _invalid()
    return moment


def keyset_after(fields: tuple[str, ...], values: tuple, *, descending: bool = False) -> Lookup:
    """Rows strictly after the cursor `values` in the order `fields` (all ascending, or all descending):
    the row comparison `(f1, f2, …) > (v1, v2, …)` (`<` descending).

    PostgreSQL answers a row comparison from an index whose columns continue with `fields` (after the
    equality filters, e.g. `(user_id, ts, id)`) as one range scan starting at the cursor, so a page costs
    the same at any depth; the OR-expanded form (`ts > X OR (ts = X AND id > Y)`) uses only the index's
    leading columns and filters every row before the cursor. Backends without row comparisons (SQLite) get
    the expanded form from Django."""
    lookup = TupleLessThan if descending else TupleGreaterThan
    return lookup(Tuple(*(F(name) for name in fields)), tuple(values))


def newest_first_page(query, *, cursor: str | None, size: int) -> tuple[list, str | None]:
    """One page of `query` newest first, keyset-paged on (created_at, id): (rows, the next page's cursor or
    None). A cursor that is not one of ours is ValidationFailed (`invalid_cursor`)."""
    if cursor:
        values = cursor_decode(cursor)
        if len(values) != 2:
            raise _invalid()
        query = query.filter(keyset_after(("created_at", "id"), (cursor_datetime(values[0]), values[1]),
                                          descending=True))
    rows = list(query.order_by("-created_at", "-id")[: size + 1])
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    return rows, cursor_encode([rows[-1].created_at.isoformat(), rows[-1].id])


def clamp_limit(raw, *, default: int = 100, maximum: int = MAX_LIMIT) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("limit must be a whole number.", fields={"limit": ["Not a number."]}) from exc
    if value < 1 or value > maximum:
        raise ValidationFailed(f"limit must be between 1 and {maximum}.", fields={"limit": ["Out of range."]})
    return value
