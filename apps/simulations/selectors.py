"""Simulation reads: stored simulations, and the trades and candles a simulation or back-test reads."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import numpy as np
from django.db import connection

from apps.bias.selectors import rule_list
from apps.brokers.selectors import candle_frame, candle_queryset
from apps.brokers.services.marketdata import symbol_canonical
from apps.core.errors import NotFound
from apps.core.validation import opaque_id_valid, text_is_clean
from apps.trades.selectors import trade_queryset

from .backtest import CloseSeries, TradeRow
from .counterfactual import (
    HOUR_NS,
    Bars,
    TradeValues,
    candle_window,
    inventory_ahead,
    lots_of_sell,
    ns,
    sales_of_buy,
    sell_takes,
)
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


@dataclass(frozen=True)
class SimulationInputs:
    """Everything one simulation reads: the trade, its quote currency, what FIFO matches with it up to the
    horizon (`takes`), and its window's stored hourly candles."""

    trade: TradeValues
    quote: str
    takes: list[tuple[TradeValues, Decimal]]
    bars: Bars


# One statement: the trade (by id, or the user's latest in a symbol), the units still open before it in
# matching order (ts, buy before sell, id), and from there either the later sells up to the horizon (a buy)
# or the open lots it closes (a sell), plus the candles of its window. The open units follow the clipped
# running sum X = S − min(0, min S) of (+qty buy, −qty sell), as FIFO drops a sale beyond what is open;
# the lots still open are the newest buys that add up to X, the oldest of them partly used.
_INPUTS_SQL = """
WITH mine AS NOT MATERIALIZED ({mine}),
t AS (SELECT m.*, CASE WHEN upper(m.side) = 'BUY' THEN 0 ELSE 1 END AS rk FROM mine m
      WHERE {pick} ORDER BY m.ts DESC, m.id DESC LIMIT 1),
ranked AS NOT MATERIALIZED (
  SELECT m.*, CASE WHEN upper(m.side) = 'BUY' THEN 0 ELSE 1 END AS rk FROM mine m, t WHERE m.symbol = t.symbol),
before AS (
  SELECT r.*, SUM(CASE WHEN r.rk = 0 THEN r.qty ELSE -r.qty END) OVER (ORDER BY r.ts, r.rk, r.id) AS s
  FROM ranked r, t WHERE (r.ts, r.rk, r.id) < (t.ts, t.rk, t.id)),
inv AS (
  SELECT COALESCE((SELECT s FROM before ORDER BY ts DESC, rk DESC, id DESC LIMIT 1), 0)
         - LEAST(0, COALESCE(MIN(s), 0)) AS x FROM before),
lots AS (
  SELECT b.*, LEAST(b.qty, inv.x - COALESCE(b.newer, 0)) AS left_qty FROM (
    SELECT before.*, SUM(CASE WHEN rk = 0 THEN qty ELSE 0 END)
           OVER (ORDER BY ts DESC, rk DESC, id DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS newer
    FROM before) b, inv, t
  WHERE t.rk = 1 AND b.rk = 0 AND COALESCE(b.newer, 0) < inv.x),
later AS (
  SELECT r.* FROM ranked r, t
  WHERE t.rk = 0 AND r.rk = 1 AND (r.ts, r.rk, r.id) > (t.ts, t.rk, t.id) AND r.ts <= t.ts + make_interval(days => %s))
SELECT t.id, t.symbol, t.side, t.qty, t.price, t.fee, t.ts, t.quote_asset, (SELECT x FROM inv),
  (SELECT json_agg(json_build_array(id, qty::text, price::text, COALESCE(fee, 0)::text, ts) ORDER BY ts, rk, id)
   FROM later),
  (SELECT json_agg(json_build_array(id, qty::text, price::text, COALESCE(fee, 0)::text, ts, left_qty::text)
                   ORDER BY ts, rk, id) FROM lots),
  (SELECT json_agg(json_build_array(EXTRACT(EPOCH FROM c.ts)::bigint, c.high::float8, c.low::float8, c.close::float8)
                   ORDER BY c.ts)
   FROM ({candles}) c
   WHERE c.symbol = t.symbol AND c.ts >= date_trunc('hour', t.ts) AND c.ts < t.ts + make_interval(days => %s))
FROM t
"""


def _bars_of(rows: list | None) -> Bars:
    table = np.array(rows or [], dtype=float).reshape(-1, 4)
    return Bars(open_ns=table[:, 0].astype(np.int64) * 10**9, high=table[:, 1], low=table[:, 2], close=table[:, 3])


def simulation_inputs(*, user, horizon_days: int, trade_id: str | None = None,
                      symbol: str | None = None) -> SimulationInputs:
    """The inputs of one simulation in one database round trip (see `_INPUTS_SQL`); the same values as
    `trade_for_simulation`, `trade_fifo_pairs` and `bars_for` together. NotFound as `trade_for_simulation`."""
    user_id = getattr(user, "pk", user)
    if trade_id is not None:
        if not opaque_id_valid(trade_id):
            raise NotFound("Trade not found.")
        pick, pick_params = "m.id = %s", [trade_id]
    else:
        if not text_is_clean(symbol):
            raise NotFound(f"You have no trade in {symbol}.")
        pick, pick_params = "m.symbol = %s", [symbol.upper()]
    mine, mine_params = trade_queryset().filter(user_id=user_id).values_list(*TRADE_COLUMNS).query.sql_with_params()
    candles, candle_params = (candle_queryset().filter(granularity="1h").values_list("symbol", "ts", "high", "low", "close")
                              .query.sql_with_params())
    sql = _INPUTS_SQL.format(mine=mine, pick=pick, candles=candles)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*mine_params, *pick_params, horizon_days, *candle_params, horizon_days])
        row = cursor.fetchone()
    if row is None:
        raise NotFound("Trade not found." if trade_id is not None else f"You have no trade in {symbol}.")
    trade = _values(row[:8])
    later, lots, candle_rows = (json.loads(v) if isinstance(v, str) else v for v in row[9:12])

    def other(item: list, side: str) -> TradeValues:
        return TradeValues(id=item[0], symbol=trade.symbol, side=side, qty=Decimal(item[1]), price=Decimal(item[2]),
                           fee=Decimal(item[3]), ts=datetime.fromisoformat(item[4]))

    if trade.side == "BUY":
        takes = sales_of_buy(trade, ahead=row[8] or ZERO, later=[other(item, "SELL") for item in later or []])
    else:
        takes = sell_takes(trade, [(other(item, "BUY"), Decimal(item[5])) for item in lots or []])
    if symbol_canonical(trade.symbol) == trade.symbol:
        bars = _bars_of(candle_rows)
    else:  # candles are stored under the canonical name
        start, end = candle_window(trade.ts, horizon_days)
        bars = bars_for(symbol=trade.symbol, start=start, end=end)
    return SimulationInputs(trade=trade, quote=quote_of(symbol=row[1], quote_asset=row[7]), takes=takes, bars=bars)


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
