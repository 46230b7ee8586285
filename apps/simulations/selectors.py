"""Simulation reads: stored simulations, and the trades and candles a simulation or back-test reads."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import numpy as np

from apps.bias.selectors import rule_list
from apps.brokers.selectors import candle_frame
from apps.core.errors import NotFound
from apps.core.validation import opaque_id_valid, text_is_clean
from apps.trades.selectors import trade_queryset

from .backtest import CloseSeries, TradeRow
from .counterfactual import HOUR_NS, Bars, TradeValues, inventory_ahead, lots_of_sell, ns, sales_of_buy
from .models import Simulation

TRADE_COLUMNS = ("id", "symbol", "side", "qty", "price", "fee", "ts", "quote_asset")
ZERO = Decimal(0)


def simulation_get(*, user, simulation_id: str) -> Simulation:
    if not opaque_id_valid(simulation_id):
        raise NotFound("Simulation not found.")
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
        row = query.filter(id=trade_id).values_list(*TRADE_COLUMNS).first() if opaque_id_valid(trade_id) else None
    elif not text_is_clean(symbol):
        row = None
    else:
        row = query.filter(symbol=symbol.upper()).order_by("-ts", "-id").values_list(*TRADE_COLUMNS).first()
    if row is None:
        raise NotFound("Trade not found." if trade_id is not None else f"You have no trade in {symbol}.")
    return _values(row), quote_of(symbol=row[1], quote_asset=row[7])


def trade_fifo_pairs(*, user_id: str, trade: TradeValues, until: datetime) -> list[tuple[TradeValues, Decimal]]:
    """What FIFO matching (as positions are matched) pairs with `trade` among the user's trades in its
    symbol: for a buy, the sells up to `until` that closed its units; for a sell, the lots it closed.
    Trades before a buy are read as (side, qty) only."""
    mine = trade_queryset().filter(user_id=user_id, symbol=trade.symbol)
    key = (trade.ts, 0 if trade.side == "BUY" else 1, trade.id)

    def order(t: TradeValues) -> tuple:
        return (t.ts, 0 if t.side == "BUY" else 1, t.id)

    if trade.side == "BUY":
        near = sorted((_values(row) for row in mine.filter(ts__gte=trade.ts, ts__lte=until).values_list(*TRADE_COLUMNS)),
                      key=order)
        earlier = [(side.upper(), qty) for side, qty in
                   mine.filter(ts__lt=trade.ts).order_by("ts", "side", "id").values_list("side", "qty")]
        earlier += [(t.side, t.qty) for t in near if order(t) < key]
        return sales_of_buy(trade, ahead=inventory_ahead(earlier), later=[t for t in near if order(t) > key])
    # before the sale's own time without the time column (already in matching order), then its ties
    earlier = [TradeValues(id="", symbol=trade.symbol, side=side.upper(), qty=qty, price=price, fee=fee or ZERO,
                           ts=trade.ts)
               for side, qty, price, fee in mine.filter(ts__lt=trade.ts).order_by("ts", "side", "id")
               .values_list("side", "qty", "price", "fee")]
    ties = sorted((_values(row) for row in mine.filter(ts=trade.ts).values_list(*TRADE_COLUMNS)), key=order)
    return lots_of_sell(trade, earlier + [t for t in ties if order(t) < key])


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
