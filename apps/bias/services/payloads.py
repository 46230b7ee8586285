"""Market data around a trade and the `coach.reflect` payload shared by scoring and on-demand reflections."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from apps.brokers.selectors import candle_frame
from apps.brokers.services import TRADE_CANDLE_GRANULARITY, candles_ensure_many, trade_candle_window

GRANULARITY = TRADE_CANDLE_GRANULARITY
SPARKLINE_BEFORE = 24
SPARKLINE_AFTER = 12
candle_window = trade_candle_window  # the warm-up before the first trade, the sparkline after the last


def ensure_candles(windows: list[tuple[str, datetime, datetime]]) -> int:
    """Fetch and store the hourly candles of the (symbol, start, end) windows that are not stored yet."""
    return candles_ensure_many(windows=windows, granularity=GRANULARITY)


def stored_candles(*, symbol: str, start: datetime, end: datetime) -> pd.DataFrame:
    """The stored hourly candles of the window (UTC index; float open/high/low/close/volume)."""
    return candle_frame(symbol=symbol, granularity=GRANULARITY, start=start, end=end)


def sparklines(frame: pd.DataFrame | None, timestamps: list[datetime]) -> list[list[float]]:
    """For each time: the closes of the last SPARKLINE_BEFORE bars up to it and the SPARKLINE_AFTER after it."""
    if frame is None or frame.empty:
        return [[] for _ in timestamps]
    closes = np.round(frame["close"].to_numpy(dtype=float), 8)
    positions = frame.index.searchsorted(pd.DatetimeIndex(timestamps), side="right")
    return [closes[max(0, p - SPARKLINE_BEFORE): p + SPARKLINE_AFTER].tolist() for p in positions.tolist()]


def sparkline(frame: pd.DataFrame | None, ts: datetime) -> list[float]:
    return sparklines(frame, [ts])[0]


def reflect_payload(*, trade_id: str, tags: list, draft: object, sparkline: list[float],
                    trade: dict | None = None) -> dict:
    """The `coach.reflect` payload: {tradeId, labels: [{name, confidence}], insight, sparklines, …}."""
    ordered = sorted(tags, key=lambda t: (-float(t.confidence), t.label))
    payload = {
        "tradeId": trade_id,
        "labels": [{"name": t.label, "confidence": round(float(t.confidence), 4)} for t in ordered],
        "insight": draft.text,
        "tone": draft.tone,
        "bias": draft.bias,
        "sparklines": sparkline,
    }
    if trade:
        payload.update({"symbol": trade["symbol"], "side": trade["side"], "ts": trade["ts"].isoformat()})
    fallback = getattr(draft, "fallback", None)
    if fallback:  # a configured model's text was not used: why (e.g. the linter's findings)
        payload["fallback"] = fallback
    return payload


