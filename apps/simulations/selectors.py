"""Simulation reads: stored simulations, and the trades and candles a simulation or back-test reads."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import numpy as np

from apps.bias.selectors import rule_list
from apps.brokers.selectors import candle_frame
from apps.core.errors import NotFound
from apps.trades.selectors import trade_queryset

from .backtest import CloseSeries, TradeRow
from .counterfactual import HOUR_NS, Bars, TradeValues, ns
from .models import Simulation

TRADE_COLUMNS = ("id", "symbol", "side", "qty", "price", "fee", "ts", "quote_asset")
ZERO = Decimal(0)


def simulation_get(*, user, simulation_id: str) -> Simulation:
    simulation = Simulation.objects.filter(user=user, id=simulation_id).first()
    if simulation is None:
        raise NotFound("Simulation not found.")
    return simulation


def _values(row: tuple) -> TradeValues:
    id_, symbol, side, qty, price, fee, ts, _ = row
    return TradeValues(id=id_, symbol=symbol, side=side.upper(), qty=qty, price=price, fee=fee or ZERO, ts=ts)


def quote_of(*, symbol: str, quote_asset: str) -> str:
    return (quote_asset or symbol.rsplit("-", 1)[-1]).upper()


def trade_for_simulation(*, user, trade_id: str | None = None, symbol: str | None = None) -> tuple[TradeValues, str]:
    """The user's trade by id, or the user's most recent trade in `symbol`: (values, quote currency)."""
    query = trade_queryset().filter(user=user)
    if trade_id is not None:
        row = query.filter(id=trade_id).values_list(*TRADE_COLUMNS).first()
    else:
        row = query.filter(symbol=symbol.upper()).order_by("-ts", "-id").values_list(*TRADE_COLUMNS).first()
    if row is None:
        raise NotFound("Trade not found." if trade_id is not None else f"You have no trade in {symbol}.")
    return _values(row), quote_of(symbol=row[1], quote_asset=row[7])


def symbol_history(*, user_id: str, symbol: str, until: datetime) -> list[TradeValues]:
    """The user's trades in `symbol` up to `until`, in matching order (time, buys first, id)."""
    rows = (trade_queryset().filter(user_id=user_id, symbol=symbol, ts__lte=until)
            .values_list(*TRADE_COLUMNS))
    trades = [_values(row) for row in rows]
    trades.sort(key=lambda t: (t.ts, 0 if t.side == "BUY" else 1, t.id))
    return trades


def bars_for(*, symbol: str, start: datetime, end: datetime) -> Bars:
    """Stored hourly candles opening in [start, end) as arrays."""
    frame = candle_frame(symbol=symbol, granularity="1h", start=start, end=end)
    open_ns = frame.index.as_unit("ns").asi8.astype(np.int64) if len(frame) else np.empty(0, dtype=np.int64)
    return Bars(open_ns=open_ns, high=frame["high"].to_numpy(dtype=float), low=frame["low"].to_numpy(dtype=float),
                close=frame["close"].to_numpy(dtype=float))


def rules_active(*, user) -> list[dict]:
    return [{"kind": rule.kind, "params": rule.params} for rule in rule_list(user=user) if rule.active]


def backtest_trades(*, user, since: datetime, until: datetime) -> list[TradeRow]:
    """The user's trades in [since, until), one query."""
    rows = trade_queryset().filter(user=user, ts__gte=since, ts__lt=until).values_list(*TRADE_COLUMNS)
    return [TradeRow(id=r[0], symbol=r[1], side=r[2].upper(), qty=r[3], price=r[4], fee=r[5] or ZERO, ts=r[6],
                     quote=quote_of(symbol=r[1], quote_asset=r[7])) for r in rows]


def close_series(*, symbols: set[str], start: datetime, end: datetime) -> dict[str, CloseSeries]:
    """Each symbol's stored hourly closes with close time in (start, end], one read per symbol."""
    out = {}
    for symbol in sorted(symbols):
        frame = candle_frame(symbol=symbol, granularity="1h", start=start, end=end)
        close_ns = frame.index.as_unit("ns").asi8.astype(np.int64) + HOUR_NS if len(frame) else np.empty(0, np.int64)
        closes = frame["close"].to_numpy(dtype=float)
        keep = close_ns <= ns(end)
        out[symbol] = CloseSeries(close_ns=close_ns[keep], close=closes[keep])
    return out
