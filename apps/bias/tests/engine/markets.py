"""Deterministic generated markets and trade builders for the engine tests."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from apps.bias.engine import TradeInput

START = datetime(2024, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def walk(*, hours: int = 24 * 20, seed: int = 0, vol: float = 0.003, drift: float = 0.0, start_price: float = 100.0,
         shapes: tuple = ()) -> pd.DataFrame:
    """1h candles (indexed by open time) of a random walk. ``shapes`` are (first_hour, hours, total_return)
    windows whose closes move by exactly ``total_return`` from the close before the window to its last close
    (noise kept, re-centred)."""
    rng = np.random.default_rng(seed)
    log_returns = rng.normal(drift, vol, hours)
    for first, length, total in shapes:
        window = log_returns[first:first + length]
        log_returns[first:first + length] = window - window.mean() + np.log1p(total) / length
    close = start_price * np.exp(np.cumsum(log_returns))
    open_ = np.r_[start_price, close[:-1]]
    wick = np.abs(rng.normal(0, vol / 2, hours))
    high = np.maximum(open_, close) * (1 + wick)
    low = np.minimum(open_, close) * (1 - wick)
    volume = rng.uniform(50, 150, hours)
    index = pd.date_range(START, periods=hours, freq="1h")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index)


def after_close(candles: pd.DataFrame, row: int, minutes: int = 5) -> datetime:
    """A time ``minutes`` after candle ``row`` closed (so that candle is the one the trade sees)."""
    return (candles.index[row] + pd.Timedelta(hours=1, minutes=minutes)).to_pydatetime()


def price_at(candles: pd.DataFrame, row: int) -> Decimal:
    return Decimal(str(round(float(candles["close"].iloc[row]), 4)))


class Book:
    """Builds a user's trade list with readable ids."""

    def __init__(self) -> None:
        self.trades: list[TradeInput] = []

    def add(self, trade_id: str, symbol: str, side: str, qty, price, ts: datetime, fee="0") -> TradeInput:
        trade = TradeInput(id=trade_id, symbol=symbol, side=side, qty=Decimal(str(qty)), price=Decimal(str(price)),
                           fee=None if fee is None else Decimal(str(fee)), ts=ts)
        self.trades.append(trade)
        return trade
