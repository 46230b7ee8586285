"""The disposition effect, counted as Odean (1998, "Are Investors Reluctant to Realize Their Losses?").

On each UTC **day** on which at least one sale took place (not each sale), in a portfolio of two or more
markets:

- every market sold that day counts **once**: a realised gain (RG) when the day's sales of it were, in
  total, above its average purchase price, a realised loss (RL) when below, neither when equal;
- every other market held at the **start** of that day counts once as a paper gain (PG) when the day's
  **low** was above its average purchase price, a paper loss (PL) when the day's **high** was below it,
  and neither when the day's range straddled it.

    PGR = RG / (RG + PG)      PLR = RL / (RL + PL)      effect = PGR − PLR

with Odean's standard error of the difference of two proportions,

    SE = sqrt(PGR (1 − PGR) / (RG + PG) + PLR (1 − PLR) / (RL + PL)),    t = effect / SE.

The **average purchase price** is the quantity-weighted price of the units held (average cost, prices
only — fees left out, as in the paper): a buy moves it, a sale does not, and it starts afresh once the
position is closed. This is for the disposition count only; realised profit and loss everywhere else is
matched first-in-first-out net of fees (``positions``). A sale of units whose buy is not in the imported
history cannot be classified and is counted in ``sales_unknown``. A "portfolio of two or more markets" is
two or more markets held at the start of the day or sold during it; a sale day with fewer is counted in
``single_market_days`` and adds nothing (as in the paper).

The day's range comes from the hourly candles resampled to UTC days (high = the highest hourly high,
low = the lowest hourly low of the candles that opened that day). A market held with no candle that day
is counted in ``paper_unpriced``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd

from .types import TradeInput

ZERO = Decimal(0)
# |t| at or above this is significant at the 5 % level (two-sided, normal approximation)
SIGNIFICANT_T = 1.96
# below this many observations on either side, the normal approximation says nothing yet
MIN_OBSERVATIONS = 10
COUNT_KEYS = ("RG", "RL", "PG", "PL", "paper_unpriced", "sales_unknown")


@dataclass
class DispositionDay:
    day: date
    RG: int = 0
    RL: int = 0
    PG: int = 0
    PL: int = 0
    paper_unpriced: int = 0
    sales_unknown: int = 0
    counted: bool = True
    sold: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"date": self.day.isoformat(), **{key: getattr(self, key) for key in COUNT_KEYS},
                "counted": self.counted}


def daily_ranges(candles: pd.DataFrame) -> dict[date, tuple[float, float]]:
    """{UTC day: (low, high)} from hourly candles indexed by their opening time."""
    if candles is None or len(candles) == 0:
        return {}
    frame = candles[["high", "low"]]
    if not isinstance(frame.index, pd.DatetimeIndex):
        frame = frame.set_axis(pd.to_datetime(frame.index, utc=True))
    if frame.index.tz is None:
        frame = frame.tz_localize("UTC")
    else:
        frame = frame.tz_convert("UTC")
    days = frame.resample("1D").agg({"high": "max", "low": "min"}).dropna()
    return {ts.date(): (float(low), float(high))
            for ts, low, high in zip(days.index, days["low"].tolist(), days["high"].tolist(), strict=True)}


def figures(*, RG: int, RL: int, PG: int, PL: int) -> dict:
    """PGR, PLR, their difference, its standard error and t-statistic, and whether it is significant yet.

    ``significance`` is ``"too_few"`` while either proportion rests on fewer than ``MIN_OBSERVATIONS``
    counts, else ``"significant"`` when |t| ≥ 1.96 (or the standard error is zero and the effect is not)
    and ``"not_significant"`` otherwise."""
    gains, losses = RG + PG, RL + PL
    pgr = RG / gains if gains else None
    plr = RL / losses if losses else None
    effect = se = t = None
    significance = "too_few"
    if pgr is not None and plr is not None:
        effect = pgr - plr
        se = math.sqrt(pgr * (1 - pgr) / gains + plr * (1 - plr) / losses)
        t = effect / se if se > 0 else None
        if gains >= MIN_OBSERVATIONS and losses >= MIN_OBSERVATIONS:
            strong = abs(t) >= SIGNIFICANT_T if t is not None else effect != 0
            significance = "significant" if strong else "not_significant"

    def r(x):
        return None if x is None else round(x, 6)

    return {"RG": RG, "RL": RL, "PG": PG, "PL": PL, "PGR": r(pgr), "PLR": r(plr), "PGR_minus_PLR": r(effect),
            "standard_error": r(se), "t_stat": r(t), "significance": significance}


def _day_of(ts: datetime) -> date:
    return (ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)).date()


def disposition_days(ordered: list[TradeInput], candles: dict[str, pd.DataFrame], *,
                     trade_days: list[date] | None = None) -> list[DispositionDay]:
    """Odean's counts for every sale day of the history (trades in ``trade_order``), oldest first.
    ``trade_days``: each trade's UTC day, when the caller has them already."""
    ranges: dict[str, dict] = {}
    held_qty: dict[str, Decimal] = {}
    held_cost: dict[str, Decimal] = {}  # sum of price × qty of the units held (average-cost book)
    days: list[DispositionDay] = []
    i, n = 0, len(ordered)
    if trade_days is None:
        trade_days = [_day_of(t.ts) for t in ordered]
    while i < n:
        today = trade_days[i]
        start = {symbol: held_cost[symbol] / qty for symbol, qty in held_qty.items() if qty > 0}
        outcome = DispositionDay(day=today)
        sale_day = False
        while i < n and trade_days[i] == today:
            trade = ordered[i]
            i += 1
            symbol = trade.symbol
            qty = held_qty.get(symbol, ZERO)
            if trade.side == "BUY":
                held_qty[symbol] = qty + trade.qty
                held_cost[symbol] = held_cost.get(symbol, ZERO) + trade.qty * trade.price
                continue
            sale_day = True
            if qty <= 0:
                outcome.sales_unknown += 1
                continue
            average = held_cost[symbol] / qty
            sold = min(qty, trade.qty)
            outcome.sold[symbol] = outcome.sold.get(symbol, ZERO) + sold * (trade.price - average)
            left = qty - sold
            held_qty[symbol] = left
            held_cost[symbol] = average * left if left > 0 else ZERO
        if not sale_day:
            continue
        if len(set(start) | set(outcome.sold)) < 2:
            outcome.counted = False
            days.append(outcome)
            continue
        for difference in outcome.sold.values():
            if difference > 0:
                outcome.RG += 1
            elif difference < 0:
                outcome.RL += 1
        for symbol, average in start.items():
            if symbol in outcome.sold:
                continue
            if symbol not in ranges:
                ranges[symbol] = daily_ranges(candles.get(symbol))
            day_range = ranges[symbol].get(today)
            if day_range is None:
                outcome.paper_unpriced += 1
                continue
            low, high = day_range
            average_f = float(average)
            if low > average_f:
                outcome.PG += 1
            elif high < average_f:
                outcome.PL += 1
        days.append(outcome)
    return days


def disposition_summary(days: list[DispositionDay], *, since: datetime | None = None,
                        until: datetime | None = None) -> dict:
    """Totals and figures over the sale days whose UTC date lies in [since's date, until) — a day counts
    when any part of it lies in the period — plus every day's counts (``days``, the whole history)."""
    first = _day_of(since) if since else None
    last = until.astimezone(UTC) if until and until.tzinfo else (until.replace(tzinfo=UTC) if until else None)
    totals = dict.fromkeys(COUNT_KEYS, 0)
    sale_days = single = 0
    for outcome in days:
        if first is not None and outcome.day < first:
            continue
        if last is not None and datetime(outcome.day.year, outcome.day.month, outcome.day.day, tzinfo=UTC) >= last:
            continue
        sale_days += 1
        totals["sales_unknown"] += outcome.sales_unknown
        if not outcome.counted:
            single += 1
            continue
        for key in COUNT_KEYS:
            if key != "sales_unknown":
                totals[key] += getattr(outcome, key)
    result = figures(RG=totals["RG"], RL=totals["RL"], PG=totals["PG"], PL=totals["PL"])
    result.update({"sale_days": sale_days, "single_market_days": single, "paper_unpriced": totals["paper_unpriced"],
                   "sales_unknown": totals["sales_unknown"], "days": [d.as_dict() for d in days]})
    return result
