"""Conversions between our JSON / ORM shapes and the scoring engine's value types."""
from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import orjson
import pandas as pd

from apps.core.bulk import JsonText

CANDLE_COLUMNS = ("open", "high", "low", "close", "volume")


def candles_frame_from_rows(rows: list[dict]) -> pd.DataFrame:
    """Rows {ts, open, high, low, close, volume} (validated) → a UTC-indexed float frame, sorted, deduped."""
    if not rows:
        return pd.DataFrame(columns=list(CANDLE_COLUMNS), index=pd.DatetimeIndex([], tz="UTC"), dtype=float)
    index = pd.DatetimeIndex([row["ts"] for row in rows]).tz_convert("UTC")
    data = {col: np.array([float(row[col]) for row in rows], dtype=float) for col in CANDLE_COLUMNS}
    frame = pd.DataFrame(data, index=index)
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    frame.index.name = "ts"
    return frame


def json_number(value) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def frame_to_rows(frame: pd.DataFrame) -> list[dict]:
    """An indicator frame → JSON rows; NaN becomes null, timestamps ISO-8601 UTC."""
    rows = []
    columns = list(frame.columns)
    values = frame.to_numpy(dtype=float, na_value=np.nan)
    for ts, line in zip(frame.index, values, strict=True):
        row = {"ts": ts.isoformat()}
        for col, value in zip(columns, line, strict=True):
            row[col] = None if math.isnan(value) or math.isinf(value) else float(value)
        rows.append(row)
    return rows


def json_safe(value):
    """Engine features (numpy scalars, Decimals, datetimes, NaN) → plain JSON values.

    Features are usually plain JSON already: the C encoder confirms that in one pass (NaN, infinities,
    numpy integers, Decimals and datetimes make it refuse), and only then is the value rebuilt piece by piece."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return _json_safe(value)
    return value


def json_text(value) -> JsonText:
    """`json_safe(value)` already encoded, for a bulk write (see `apps.core.bulk`).

    orjson encodes plain JSON values several times faster than `json` (a scoring run encodes ~1.8 KB of
    evidence per tag); it refuses what `json` refuses here (Decimals, numpy scalars, datetimes, non-string
    keys) and writes NaN and infinities as null, as `json_safe` does, so the stored JSON is the same."""
    try:
        return JsonText(orjson.dumps(value).decode())
    except TypeError:
        pass
    try:
        return JsonText(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return JsonText(json.dumps(_json_safe(value), allow_nan=False))


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return json_number(value)
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else None
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.replace(tzinfo=UTC).isoformat()
    if value is None or isinstance(value, str):
        return value
    return str(value)


def decimal_str(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
