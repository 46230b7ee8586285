"""Simulation reads: stored simulations, and the trades and candles a simulation or back-test reads."""
from __future__ import annotations

import json
from collections.abc import Sequence
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
    DEFAULT_PULLBACK,
    HOUR_NS,
    Bars,
    TradeValues,
    candle_window,
    inventory_ahead,
    lots_of_sell,
    ns,
    sales_of_buy,
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
class SimulationAsk:
    """One simulation asked for: a trade (by id, or the user's latest in `symbol`), a horizon, a pullback."""

    horizon_days: int
    trade_id: str | None = None
    symbol: str | None = None
    pullback_pct: Decimal = DEFAULT_PULLBACK


@dataclass(frozen=True)
class SimulationInputs:
    """Everything one simulation reads: the trade, its quote currency, what FIFO matches with it up to the
    horizon (`takes`), and its window's stored hourly candles."""

    trade: TradeValues
    quote: str
    takes: list[tuple[TradeValues, Decimal]]
    bars: Bars


# One statement for any number of asks. Every trade of the asked trades' symbols is walked once in matching
# order (ts, buy before sell, id) with running sums: `bought` (units bought so far) and the open units
# before it, the clipped running sum X = S − min(0, min S) of (+qty buy, −qty sell), as FIFO drops a sale
# beyond what is open. On the axis of units bought, a buy opens (bought − qty, bought] and a sale takes
# (used, used + min(qty, X)] with used = bought before it − X: FIFO pairs a buy and a sale by how much their
# intervals overlap. Both sides' intervals are in order and do not overlap each other, so an asked trade's
# partners are a run of the other side's numbers: from the first whose interval ends after the asked one
# starts, to the one after the last that ends by its end (counted in one sorted pass, `runs`); a candidate
# that does not overlap is dropped (take 0). A buy keeps the sales up to its horizon; a sale keeps every
# lot it closed. Candles: each symbol's, once, over the span of its asks.
# Rows: kind 0 an asked trade (`n` = its ask), kind 1 a partner with its `take`, kind 2 a symbol's candles.
_INPUTS_SQL = """
WITH mine AS NOT MATERIALIZED ({mine}),
asks AS (SELECT * FROM unnest(%s::int[], %s::text[], %s::text[], %s::int[]) AS a(n, trade_id, symbol, horizon)),
picked AS MATERIALIZED (
  SELECT a.n, a.horizon, m.id, m.symbol FROM asks a JOIN mine m ON m.id = a.trade_id
  UNION ALL
  SELECT a.n, a.horizon, latest.id, latest.symbol FROM asks a CROSS JOIN LATERAL (
    SELECT m.id, m.symbol FROM mine m WHERE a.trade_id IS NULL AND m.symbol = a.symbol
    ORDER BY m.ts DESC, m.id DESC LIMIT 1) latest),
walk AS (
  SELECT k.*, SUM(CASE WHEN k.rk = 0 THEN k.qty ELSE -k.qty END) OVER w AS s,
         SUM(CASE WHEN k.rk = 0 THEN k.qty ELSE 0 END) OVER w AS bought,
         CASE WHEN k.rk = 0 THEN SUM(1 - k.rk) OVER w ELSE SUM(k.rk) OVER w END AS no
  FROM (SELECT m.id, m.symbol, m.side, m.qty, m.price, COALESCE(m.fee, 0) AS fee, m.ts, m.quote_asset,
               CASE WHEN upper(m.side) = 'BUY' THEN 0 ELSE 1 END AS rk
        FROM mine m WHERE m.symbol IN (SELECT symbol FROM picked)) k
  WINDOW w AS (PARTITION BY k.symbol ORDER BY k.ts, k.rk, k.id ROWS UNBOUNDED PRECEDING)),
opened AS (
  SELECT w.*, w.s - CASE WHEN w.rk = 0 THEN w.qty ELSE -w.qty END
         - LEAST(0, COALESCE(MIN(w.s) OVER (PARTITION BY w.symbol ORDER BY w.ts, w.rk, w.id
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)) AS open_before
  FROM walk w),
flow AS MATERIALIZED (
  SELECT o.*,
         CASE WHEN o.rk = 0 THEN o.bought - o.qty ELSE o.bought - o.open_before END AS a,
         CASE WHEN o.rk = 0 THEN o.bought ELSE o.bought - o.open_before + LEAST(o.qty, o.open_before) END AS b
  FROM opened o),
targets AS MATERIALIZED (SELECT p.n, p.horizon, f.* FROM picked p JOIN flow f ON f.id = p.id),
runs AS (  -- a target's partners are numbers first_no..last_no of the other side (the last one may not overlap)
  SELECT x.n, MIN(x.seen) + 1 AS first_no, MAX(x.seen) + 1 AS last_no FROM (
    SELECT e.n, CASE WHEN e.rk = 0 THEN SUM(e.sells) OVER w ELSE SUM(e.buys) OVER w END AS seen
    FROM (SELECT NULL::int AS n, f.symbol, f.b AS key, 0 AS ord, f.rk, 1 - f.rk AS buys, f.rk AS sells FROM flow f
          UNION ALL SELECT t.n, t.symbol, t.a, 1, t.rk, 0, 0 FROM targets t
          UNION ALL SELECT t.n, t.symbol, t.b, 1, t.rk, 0, 0 FROM targets t) e
    WINDOW w AS (PARTITION BY e.symbol ORDER BY e.key, e.ord ROWS UNBOUNDED PRECEDING)) x
  WHERE x.n IS NOT NULL GROUP BY x.n),
wanted AS MATERIALIZED (  -- (symbol, side, number) of each partner: then one hash join, whatever the estimates
  SELECT t.n, t.symbol, 1 - t.rk AS rk, k.no, t.a, t.b, t.rk = 1 AS any_time,
         t.ts + make_interval(days => t.horizon) AS until
  FROM targets t JOIN runs r ON r.n = t.n CROSS JOIN LATERAL generate_series(r.first_no, r.last_no) AS k(no)),
partners AS (
  SELECT w.n, f.id, f.qty, f.price, f.fee, f.ts, f.no, LEAST(f.b, w.b) - GREATEST(f.a, w.a) AS take
  FROM wanted w JOIN flow f ON f.symbol = w.symbol AND f.rk = w.rk AND f.no = w.no
  WHERE w.any_time OR f.ts <= w.until),
spans AS (
  SELECT symbol, MIN(date_trunc('hour', ts)) AS first_open, MAX(ts + make_interval(days => horizon)) AS until
  FROM targets GROUP BY symbol)
SELECT 0 AS kind, t.n, t.id, t.symbol, t.side, t.qty, t.price, t.fee, t.ts, t.quote_asset, NULL::numeric AS take,
       NULL::json AS bars, 0::bigint AS no FROM targets t
UNION ALL
SELECT 1, p.n, p.id, NULL, NULL, p.qty, p.price, p.fee, p.ts, NULL, p.take, NULL, p.no FROM partners p WHERE p.take > 0
UNION ALL
SELECT 2, NULL, NULL, c.symbol, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       json_agg(json_build_array(EXTRACT(EPOCH FROM c.ts)::bigint, c.high::float8, c.low::float8, c.close::float8)
                ORDER BY c.ts), 0
FROM ({candles}) c JOIN spans s ON c.symbol = s.symbol AND c.ts >= s.first_open AND c.ts < s.until GROUP BY c.symbol
ORDER BY 1, 2, 13
"""


def _bars_of(rows: list | None) -> Bars:
    table = np.array(rows or [], dtype=float).reshape(-1, 4)
    return Bars(open_ns=table[:, 0].astype(np.int64) * 10**9, high=table[:, 1], low=table[:, 2], close=table[:, 3])


def _bars_slice(bars: Bars, *, start: datetime, end: datetime) -> Bars:
    """The candles of `bars` opening in [start, end)."""
    first, stop = np.searchsorted(bars.open_ns, [ns(start), ns(end)], side="left")
    return Bars(open_ns=bars.open_ns[first:stop], high=bars.high[first:stop], low=bars.low[first:stop],
                close=bars.close[first:stop])


def _not_found(ask: SimulationAsk) -> NotFound:
    return NotFound("Trade not found." if ask.trade_id is not None else f"You have no trade in {ask.symbol}.")


def simulation_inputs_many(*, user, asks: Sequence[SimulationAsk]) -> list[SimulationInputs]:
    """The inputs of every ask, in order, in one database round trip (see `_INPUTS_SQL`): the same values
    as `trade_for_simulation`, `trade_fifo_pairs` and `bars_for` of each. NotFound (as
    `trade_for_simulation`) names the first ask whose trade the user does not have."""
    user_id = getattr(user, "pk", user)
    trade_ids, symbols = [], []
    for ask in asks:
        if ask.trade_id is not None:
            if not opaque_id_valid(ask.trade_id):
                raise _not_found(ask)
        elif not text_is_clean(ask.symbol):
            raise _not_found(ask)
        trade_ids.append(ask.trade_id)
        symbols.append(None if ask.trade_id is not None else ask.symbol.upper())
    if not asks:
        return []
    if connection.vendor != "postgresql":  # the embedded default (SQLite): the same values, ask by ask
        return [_inputs_one_by_one(user_id=user_id, ask=ask) for ask in asks]
    mine, mine_params = trade_queryset().filter(user_id=user_id).values_list(*TRADE_COLUMNS).query.sql_with_params()
    candles, candle_params = (candle_queryset().filter(granularity="1h").values_list("symbol", "ts", "high", "low", "close")
                              .query.sql_with_params())
    sql = _INPUTS_SQL.format(mine=mine, candles=candles)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*mine_params, list(range(len(asks))), trade_ids, symbols,
                             [ask.horizon_days for ask in asks], *candle_params])
        rows = cursor.fetchall()
    trades: dict[int, tuple] = {}
    partners: dict[int, list[tuple]] = {}
    stored: dict[str, Bars] = {}
    for kind, n, id_, symbol, side, qty, price, fee, ts, quote_asset, take, bars, _ in rows:
        if kind == 0:
            trades[n] = (_values((id_, symbol, side, qty, price, fee, ts, quote_asset)), quote_of(symbol=symbol, quote_asset=quote_asset))
        elif kind == 1:
            partners.setdefault(n, []).append((id_, qty, price, fee, ts, take))
        else:
            stored[symbol] = _bars_of(json.loads(bars) if isinstance(bars, str) else bars)
    for n, ask in enumerate(asks):
        if n not in trades:
            raise _not_found(ask)
    windows = {n: candle_window(trades[n][0].ts, ask.horizon_days) for n, ask in enumerate(asks)}
    by_symbol: dict[str, Bars] = {}
    for symbol in {trade.symbol for trade, _ in trades.values()}:
        if symbol_canonical(symbol) == symbol:
            by_symbol[symbol] = stored.get(symbol) or _bars_of(None)
        else:  # candles are stored under the canonical name: one read over the span of its asks
            spans = [windows[n] for n, (trade, _) in trades.items() if trade.symbol == symbol]
            by_symbol[symbol] = bars_for(symbol=symbol, start=min(s for s, _ in spans), end=max(e for _, e in spans))
    out = []
    for n in range(len(asks)):
        trade, quote = trades[n]
        other_side = "SELL" if trade.side == "BUY" else "BUY"
        takes = [(TradeValues(id=id_, symbol=trade.symbol, side=other_side, qty=qty, price=price, fee=fee, ts=ts), take)
                 for id_, qty, price, fee, ts, take in partners.get(n, [])]
        start, end = windows[n]
        out.append(SimulationInputs(trade=trade, quote=quote, takes=takes,
                                    bars=_bars_slice(by_symbol[trade.symbol], start=start, end=end)))
    return out


def _inputs_one_by_one(*, user_id, ask: SimulationAsk) -> SimulationInputs:
    """One ask's inputs from the portable readers (`trade_for_simulation`, `trade_fifo_pairs`, `bars_for`),
    which `_INPUTS_SQL` answers in one PostgreSQL statement for every ask at once."""
    trade, quote = trade_for_simulation(user=user_id, trade_id=ask.trade_id, symbol=ask.symbol)
    start, end = candle_window(trade.ts, ask.horizon_days)
    return SimulationInputs(trade=trade, quote=quote, takes=trade_fifo_pairs(user_id=user_id, trade=trade, until=end),
                            bars=bars_for(symbol=trade.symbol, start=start, end=end))


def simulation_inputs(*, user, horizon_days: int, trade_id: str | None = None,
                      symbol: str | None = None) -> SimulationInputs:
    """One ask's inputs (see `simulation_inputs_many`)."""
    return simulation_inputs_many(user=user, asks=[SimulationAsk(horizon_days=horizon_days, trade_id=trade_id,
                                                                 symbol=symbol)])[0]


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
