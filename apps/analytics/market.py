"""Figures that need market prices, from the stored hourly candles (`apps.brokers.selectors.candle_frame`,
one query per symbol): MAE/MFE of closed positions and conversion to a reporting currency.

Both are estimates from hourly bars and are labelled so in the API: they are floats, not exact decimals.
"""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from django.db import connections
from django.db.models import F, FloatField
from django.db.models.functions import Cast, Extract

from apps.brokers.selectors import candle_frame

from .selectors import Filters, closed_positions

GRANULARITY = "1h"
HOUR = timedelta(hours=1)
RATE_TOLERANCE = pd.Timedelta(hours=2)  # a conversion rate must come from a bar this close to the exit
REPORTING_CURRENCIES = ("USD", "EUR")


def _number(value: float | None, places: int = 8) -> str | None:
    if value is None or not np.isfinite(value):
        return None
    text = f"{round(float(value), places):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _position_frame(*, user, filters: Filters, extra: tuple[str, ...] = (), trade_id: str | None = None,
                    newest: int | None = None) -> pd.DataFrame:
    """Closed positions as a DataFrame (one query, numbers cast to doubles by the database): trade_id,
    symbol, quote, ts (exit, UTC), held_hours, pnl and `extra`, in exit order (only the `newest` ones, or
    only the exit `trade_id`)."""
    floats = {"pnl": "realized_pnl", "matched": "matched_qty", "price": "trade__price", "fee": "trade__fee",
              "qty": "trade__qty"}
    wanted = ("pnl", *extra)
    positions = closed_positions(user=user, filters=filters)
    if trade_id is not None:
        positions = positions.filter(trade_id=trade_id)
    positions = positions.order_by("-trade__ts", "-trade_id")
    if newest is not None:
        positions = positions[:newest]
    # PostgreSQL hands the exit time over as epoch seconds (no datetime object per row); SQLite as a datetime
    postgres = connections[positions.db].vendor == "postgresql"
    exit_time = Cast(Extract("trade__ts", "epoch"), FloatField()) if postgres else F("trade__ts")
    rows = list(positions.annotate(exit_epoch=exit_time,
                                   **{f"f_{name}": Cast(floats[name], FloatField()) for name in wanted})
                .values_list("trade_id", "symbol", "quote", "exit_epoch", "held_hours",
                             *(f"f_{name}" for name in wanted)))
    rows.reverse()
    frame = pd.DataFrame(rows, columns=["trade_id", "symbol", "quote", "epoch", "held_hours", *wanted])
    if postgres:
        frame["ts"] = pd.to_datetime(frame["epoch"].astype("float64"), unit="s", utc=True).dt.round("us")
    else:
        frame["ts"] = pd.to_datetime(frame["epoch"], utc=True)
    return frame


# --- MAE / MFE ------------------------------------------------------------------------------------------

def _window_extremes(bars: pd.DataFrame, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lowest low and highest high of the bars [starts[i], ends[i]) for every i (NaN when empty), with one
    `reduceat` per column over interleaved bounds."""
    n = len(starts)
    lows = np.append(bars["low"].to_numpy(), np.nan)
    highs = np.append(bars["high"].to_numpy(), np.nan)
    bounds = np.empty(2 * n, dtype=np.int64)
    bounds[0::2], bounds[1::2] = starts, ends
    bounds = np.minimum(bounds, len(lows) - 1)
    low = np.minimum.reduceat(lows, bounds)[0::2]
    high = np.maximum.reduceat(highs, bounds)[0::2]
    empty = ends <= starts
    low[empty], high[empty] = np.nan, np.nan
    return low, high


def excursions(*, user, filters: Filters, trade_id: str | None = None, limit: int = 5000) -> dict:
    """Maximum adverse and favourable excursion of each closed position while it was held, from the hourly
    bars that opened between the entry and the exit, and exit efficiency (realised P/L ÷ MFE).

    Entry basis per unit = what the matched lots cost with their fees: (exit price × qty − exit fee − P/L) ÷
    qty. MFE = qty × (highest high − basis); MAE = qty × (lowest low − basis). The holding window starts
    `held_hours` (the quantity-weighted age of the matched lots) before the exit."""
    if trade_id is not None:
        filters = Filters()
    frame = _position_frame(user=user, filters=filters, extra=("matched", "price", "fee", "qty"),
                            trade_id=trade_id, newest=limit)
    if frame.empty:
        return {"filters": filters.as_json(), "currencies": [], "basis": "hourly candles"}
    frame = frame.copy()
    frame["entry"] = frame["ts"] - pd.to_timedelta(frame["held_hours"].fillna(0.0), unit="h")
    sell_fee = frame["fee"].fillna(0.0) * frame["matched"] / frame["qty"]
    frame["basis"] = (frame["price"] * frame["matched"] - sell_fee - frame["pnl"]) / frame["matched"]
    frame["low"], frame["high"] = np.nan, np.nan
    for symbol, group in frame.groupby("symbol"):
        start = group["entry"].min().floor("h").to_pydatetime()
        end = group["ts"].max().to_pydatetime() + HOUR
        bars = candle_frame(symbol=symbol, granularity=GRANULARITY, start=start, end=end)
        if bars.empty:
            continue
        opened = bars.index.to_numpy()
        starts = np.searchsorted(opened, group["entry"].dt.floor("h").to_numpy(), side="left")
        ends = np.searchsorted(opened, group["ts"].to_numpy(), side="left")
        low, high = _window_extremes(bars, starts, ends)
        frame.loc[group.index, "low"], frame.loc[group.index, "high"] = low, high
    frame["mae"] = np.minimum(0.0, frame["matched"] * (frame["low"] - frame["basis"]))
    frame["mfe"] = np.maximum(0.0, frame["matched"] * (frame["high"] - frame["basis"]))
    frame.loc[frame["low"].isna(), ["mae", "mfe"]] = np.nan
    efficiency = np.where(frame["mfe"] > 0, frame["pnl"] / frame["mfe"].where(frame["mfe"] > 0), np.nan)
    frame["efficiency"] = efficiency
    out = pd.DataFrame({
        "tradeId": frame["trade_id"], "symbol": frame["symbol"],
        "exitTs": frame["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "entryTs": frame["entry"].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "pnl": frame["pnl"].round(8), "mae": frame["mae"].round(8), "mfe": frame["mfe"].round(8),
        "exitEfficiency": frame["efficiency"].round(4)}).astype(object)
    out = out.where(out.notna(), None)
    currencies = []
    for quote, group in frame.groupby("quote", sort=True):
        known = group[group["mfe"].notna()]
        currencies.append({
            "quote": quote,
            "positions": out.loc[group.index].to_dict("records"),
            "withCandles": int(len(known)),
            "withoutCandles": int(len(group) - len(known)),
            "averageExitEfficiency": (round(float(np.nanmean(known["efficiency"])), 4)
                                      if known["efficiency"].notna().any() else None),
        })
    return {"filters": filters.as_json(), "currencies": currencies, "basis": "hourly candles"}


# --- reporting currency ---------------------------------------------------------------------------------

def _rates(*, quote: str, currency: str, times: pd.Series) -> tuple[np.ndarray, str | None]:
    """quote → currency at each time: the close of the last stored hourly bar of QUOTE-CURRENCY (or the
    inverse of CURRENCY-QUOTE) that had closed by then, at most two hours before. NaN where none; and the
    pair used."""
    if quote == currency:
        return np.ones(len(times)), None
    start = times.min().floor("h").to_pydatetime() - RATE_TOLERANCE.to_pytimedelta()
    end = times.max().to_pydatetime() + HOUR
    for pair, inverse in ((f"{quote}-{currency}", False), (f"{currency}-{quote}", True)):
        bars = candle_frame(symbol=pair, granularity=GRANULARITY, start=start, end=end)
        if bars.empty:
            continue
        closes = bars["close"].rename("rate").reset_index()
        probe = pd.DataFrame({"ts": times.to_numpy(), "order": np.arange(len(times))}).sort_values("ts")
        probe["ts"] = pd.to_datetime(probe["ts"], utc=True)
        closes["ts"] = pd.to_datetime(closes["ts"], utc=True) + pd.Timedelta(HOUR)  # a bar's close time
        joined = pd.merge_asof(probe, closes, on="ts", direction="backward", tolerance=RATE_TOLERANCE)
        rates = joined.sort_values("order")["rate"].to_numpy(dtype="float64")
        return (1.0 / rates if inverse else rates), pair
    return np.full(len(times), np.nan), None


def reporting(*, user, filters: Filters, currency: str) -> dict:
    """Realised P/L of every closed position converted to `currency` at its exit time (rates from stored
    candles), the converted total, a daily converted equity curve, and per quote currency how it was
    converted (the pair, how many positions had no rate and stay out of the total)."""
    frame = _position_frame(user=user, filters=filters)
    if frame.empty:
        return {"currency": currency, "realizedPnl": "0", "conversions": [], "equity": [], "estimate": True}
    frame["converted"] = np.nan
    conversions = []
    for quote, group in frame.groupby("quote", sort=True):
        rates, pair = _rates(quote=quote, currency=currency, times=group["ts"])
        frame.loc[group.index, "converted"] = group["pnl"].to_numpy() * rates
        missing = int(np.isnan(rates).sum())
        conversions.append({"quote": quote, "pair": pair, "inverse": bool(pair and pair.startswith(currency + "-")),
                            "positions": int(len(group)), "withoutRate": missing,
                            "realizedPnl": _number(float(np.nansum(group["pnl"]))),
                            "converted": _number(float(np.nansum(group["pnl"].to_numpy() * rates)))})
    known = frame[frame["converted"].notna()]
    daily = known.groupby(known["ts"].dt.floor("D"))["converted"].sum().cumsum()
    peak = np.maximum.accumulate(np.maximum(daily.to_numpy(), 0.0)) if len(daily) else np.array([])
    equity = [{"date": day.date().isoformat(), "equity": _number(value), "drawdown": _number(value - top)}
              for (day, value), top in zip(daily.items(), peak, strict=True)]
    return {"currency": currency, "realizedPnl": _number(float(known["converted"].sum())),
            "conversions": conversions, "equity": equity, "estimate": True}
