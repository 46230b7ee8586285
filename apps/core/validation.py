"""Checks every id, date and text value from a request passes before it reaches the database.

PostgreSQL refuses the NUL character in text and dates outside its range (or shifted out of range by a
zone offset such as `+23:59`); Python refuses dates past year 9999 in arithmetic. Values are checked here,
at the edge, and refused as 400/404 — never left to fail inside a query as a 500.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from .errors import ValidationFailed

DATETIME_MIN = datetime(1970, 1, 1, tzinfo=UTC)
DATETIME_MAX = datetime(2100, 1, 1, tzinfo=UTC)
MAX_ID_LENGTH = 128
_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_ID_LENGTH}}}")
_MAX_DATETIME_TEXT = 64


def text_is_clean(value: str) -> bool:
    """No NUL character and no lone surrogate (neither can be stored or encoded)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def opaque_id_valid(value) -> bool:
    """An id we could have issued: 1–128 letters, digits, `_` or `-` (cuid2, ULID, hex digests)."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def datetime_in_range(value: datetime) -> datetime | None:
    """`value` as an aware UTC datetime when it lies in [1970-01-01, 2100-01-01), else None."""
    try:
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return moment if DATETIME_MIN <= moment < DATETIME_MAX else None


def datetime_parse(value, *, field: str, end_of_day: bool = False) -> datetime:
    """An ISO-8601 date or date-time (a missing zone means UTC) → aware UTC datetime, range-checked.

    A bare date means its midnight, or the next midnight with `end_of_day` (so `until=2026-11-30` includes
    the whole day). Raises ValidationFailed naming `field`.
    """
    invalid = ValidationFailed(f"{field} must be an ISO-8601 date or time between 1970 and 2099.",
                               fields={field: ["Not a date in range."]})
    if not isinstance(value, str) or not value or len(value) > _MAX_DATETIME_TEXT or not text_is_clean(value):
        raise invalid
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise invalid from exc
    if len(value) == 10:
        day = date.fromisoformat(value)
        try:
            parsed = datetime.combine(day, time.min) + (timedelta(days=1) if end_of_day else timedelta())
        except OverflowError as exc:
            raise invalid from exc
    moment = datetime_in_range(parsed)
    if moment is None:
        raise invalid
    return moment
