"""Simulation test helpers: hourly candles written straight into the store (imported by the tests)."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

HOUR = timedelta(hours=1)


def candles_store(*, symbol: str, first_open: datetime, bars: list[tuple]) -> int:
    """Store hourly candles from `first_open`, one per (open, high, low, close) tuple (numbers or strings)."""
    from apps.brokers.models import Candle

    rows = [Candle(symbol=symbol, granularity="1h", ts=first_open + i * HOUR, open=Decimal(str(o)),
                   high=Decimal(str(h)), low=Decimal(str(lo)), close=Decimal(str(c)), volume=Decimal("1"))
            for i, (o, h, lo, c) in enumerate(bars)]
    Candle.objects.bulk_create(rows)
    return len(rows)


def ramp_bars(count: int, *, start: float = 100.0, step: float = 1.0, wick: float = 0.5,
              dips: dict[int, float] | None = None) -> list[tuple]:
    """`count` candles whose close climbs by `step` (open = close), ±`wick`; `dips` sets chosen candles' lows."""
    bars = []
    for k in range(count):
        close = start + step * k
        low = (dips or {}).get(k, close - wick)
        bars.append((close, close + wick, low, close))
    return bars
