"""Opaque cursors for `{results, nextCursor}` list endpoints."""
from __future__ import annotations

import base64
import json

from .errors import ValidationFailed

MAX_LIMIT = 500


def cursor_encode(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("The cursor is not valid.", code="invalid_cursor") from exc
    if not isinstance(values, list):
        raise ValidationFailed("The cursor is not valid.", code="invalid_cursor")
    return values


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
