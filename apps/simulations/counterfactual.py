"""One trade's counterfactuals on stored hourly candles: what happened, holding, waiting for a pullback.

Pure functions: plain trade values and candle arrays in, a JSON-ready document out (no database).

* Candles are indexed by OPEN time; a candle is usable once closed (close time = open + 1 h). The horizon
  ends at ``ts + horizonDays``; its exit is the close of the last candle closed at or before that time.
* ``hold``   — a buy held from its price and time to the horizon: ``(exit − price) × qty − fee``. A sell:
  the P/L of keeping the units instead, ``(exit − price) × qty`` (positive = selling cost you).
* ``waitPullback`` — a buy entered only once a candle that opens after the trade trades ``pullbackPct``
  below the trade's price (filled at that level, fee scaled to the lower notional), then held to the
  horizon; nothing filled → P/L 0. A sell: sold only once a candle trades ``pullbackPct`` above the
  trade's price (filled at that level: ``(level − price) × qty``); no bounce → still holding at the
  horizon, as ``hold``.
* ``actual`` — a buy: the units this trade opened, matched FIFO against the user's later sells of the
  symbol (the same matching as positions): realised P/L of the units sold within the horizon (both sides'
  fees pro rata) plus the rest marked to the horizon's close. A sell is the reference its counterfactuals
  are measured against: P/L 0, with the sale's realised P/L (FIFO) reported beside it.
* Each outcome has a ``curve``: P/L at every candle close from the trade to the horizon (chart points).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

import numpy as np

from apps.core.fifo import fifo_take

HOUR_NS = 3600 * 10**9
PERCENT = Decimal(100)
ZERO = Decimal(0)
MONEY = Decimal("0.00000001")
PCT = Decimal("0.01")
DEFAULT_PULLBACK = Decimal("2")
FIAT_LIKE = {"USD", "EUR", "GBP", "USDT", "USDC", "FDUSD", "BUSD", "TUSD", "DAI", "TRY", "JPY", "CAD", "AUD", "CHF"}


@dataclass(frozen=True, slots=True)
class TradeValues:
    id: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    fee: Decimal
    ts: datetime


@dataclass(frozen=True, slots=True)
class Bars:
    """Hourly candles: open times (ns since the epoch, ascending) and float prices."""

    open_ns: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    @property
    def close_ns(self) -> np.ndarray:
        return self.open_ns + HOUR_NS


class NoCandles(Exception):
    """No closed candle between the trade and the horizon's end."""


def ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


@lru_cache(maxsize=65536)  # whole hours recur across simulations (candle closes, horizons)
def iso(ns_value: int) -> str:
    return datetime.fromtimestamp(ns_value // 10**9, tz=UTC).isoformat().replace("+00:00", "Z")


def money(value: Decimal) -> str:
    """A Decimal amount as a plain string, to 8 decimal places, without trailing zeros."""
    text = format(value.quantize(MONEY), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def price_of(value: float) -> Decimal:
    """A stored candle price (read as a double) back as the decimal it was stored as."""
    return Decimal(repr(float(value)))


def horizon_end(ts: datetime, horizon_days: int) -> datetime:
    return ts + timedelta(days=horizon_days)


def candle_window(ts: datetime, horizon_days: int) -> tuple[datetime, datetime]:
    """[start, end) of candle open times a simulation reads: the candle holding the trade to the horizon."""
    start = ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return start, horizon_end(ts, horizon_days)


def bars_cover(bars: Bars, *, ts: datetime, end: datetime, slack_bars: int = 3) -> bool:
    """True when stored candles reach the horizon (the last close within `slack_bars` hours of its end)."""
    close_ns = bars.close_ns
    inside = (close_ns > ns(ts)) & (close_ns <= ns(end))
    if not inside.any():
        return False
    return int(close_ns[inside][-1]) >= ns(end) - slack_bars * HOUR_NS


def inventory_ahead(earlier) -> Decimal:
    """Units still open in the lots before a buy, from the (side, qty) of every trade before it in matching
    order: FIFO sells a buy's units only once those are gone (a sell with nothing open matches nothing)."""
    open_units = ZERO
    for side, qty in earlier:
        open_units = open_units + qty if side == "BUY" else max(ZERO, open_units - qty)
    return open_units


def sales_of_buy(target: TradeValues, *, ahead: Decimal, later: list[TradeValues]) -> list[tuple[TradeValues, Decimal]]:
    """(sell, qty) pairs FIFO matches with the units `target` opened: later sells first use up the `ahead`
    units of older lots, then the target's (later buys queue behind it)."""
    takes: list[tuple[TradeValues, Decimal]] = []
    ahead_left, left = ahead, target.qty
    for trade in later:
        if trade.side != "SELL":
            continue
        qty = trade.qty
        used = min(qty, ahead_left)
        ahead_left -= used
        take = min(qty - used, left)
        if take > 0:
            takes.append((trade, take))
            left -= take
            if left <= 0:
                break
    return takes


def lots_of_sell(target: TradeValues, earlier: list[TradeValues]) -> list[tuple[TradeValues, Decimal]]:
    """(buy, qty) pairs FIFO matches with a sell: the lots it closed, from the trades before it in order."""
    lots: deque[list] = deque()  # [buy, qty left]
    for trade in [*earlier, target]:
        if trade.side == "BUY":
            lots.append([trade, trade.qty])
            continue
        takes, _ = fifo_take(lots, trade.qty)
        if trade is target:
            return takes
    return []


def _outcome(*, pnl: Decimal, base: Decimal, entry_ns: int | None, entry_price: Decimal | None,
             exit_ns: int | None, exit_price: Decimal | None, seconds: list[int], values: np.ndarray,
             **extra) -> dict:
    """One outcome; its curve pairs each candle close (`seconds` since the epoch) with `values` to 8 places."""
    pnl_pct = (pnl / base * PERCENT).quantize(PCT) if base else ZERO
    curve = [{"t": t, "value": v} for t, v in zip(seconds, values.round(8).tolist(), strict=True)]
    return {"pnl": money(pnl), "pnlPct": format(pnl_pct, "f"),
            "entryTs": iso(entry_ns) if entry_ns is not None else None,
            "entryPrice": money(entry_price) if entry_price is not None else None,
            "exitTs": iso(exit_ns) if exit_ns is not None else None,
            "exitPrice": money(exit_price) if exit_price is not None else None,
            **extra, "curve": curve}


def simulate(*, trade: TradeValues, takes: list[tuple[TradeValues, Decimal]], bars: Bars, horizon_days: int,
             pullback_pct: Decimal, quote: str) -> dict:
    """The document of one simulation (without its id and status); see the module docstring. `takes` are
    the FIFO pairs of the trade (`sales_of_buy` for a buy, `lots_of_sell` for a sell)."""
    trade_ns, end = ns(trade.ts), horizon_end(trade.ts, horizon_days)
    end_ns = ns(end)
    close_ns = bars.close_ns
    in_grid = (close_ns > trade_ns) & (close_ns <= end_ns)
    if not in_grid.any():
        raise NoCandles()
    times = close_ns[in_grid]
    seconds = (times // 10**9).tolist()
    closes = bars.close[in_grid]
    exit_ns = int(times[-1])
    exit_price = price_of(closes[-1])
    qty, price, fee = trade.qty, trade.price, trade.fee
    base = price * qty
    fqty, fprice, ffee = float(qty), float(price), float(fee)
    buy = trade.side == "BUY"

    # hold
    if buy:
        hold_pnl = (exit_price - price) * qty - fee
        hold_curve = (closes - fprice) * fqty - ffee
    else:
        hold_pnl = (exit_price - price) * qty
        hold_curve = (closes - fprice) * fqty
    hold = _outcome(pnl=hold_pnl, base=base, entry_ns=trade_ns, entry_price=price, exit_ns=exit_ns,
                    exit_price=exit_price, seconds=seconds, values=hold_curve)

    # wait for the pullback (buys) or the bounce (sells), scanning candles that open after the trade
    scan = in_grid & (bars.open_ns >= trade_ns)
    step = pullback_pct / PERCENT
    level = price * (1 - step) if buy else price * (1 + step)
    touched = (bars.low <= float(level)) if buy else (bars.high >= float(level))
    hits = np.flatnonzero(scan & touched)
    if hits.size:
        fill = int(hits[0])
        fill_ns = int(bars.open_ns[fill])
        after = times >= int(close_ns[fill])
        if buy:
            fill_fee = fee * level / price
            wait_pnl = (exit_price - level) * qty - fill_fee
            wait_curve = np.where(after, (closes - float(level)) * fqty - float(fill_fee), 0.0)
            wait_exit_ns, wait_exit_price = exit_ns, exit_price
        else:
            wait_pnl = (level - price) * qty
            wait_curve = np.where(after, float(level - price) * fqty, (closes - fprice) * fqty)
            wait_exit_ns, wait_exit_price = fill_ns, level
        wait = _outcome(pnl=wait_pnl, base=base, entry_ns=fill_ns if buy else trade_ns,
                        entry_price=level if buy else price, exit_ns=wait_exit_ns, exit_price=wait_exit_price,
                        seconds=seconds, values=wait_curve, filled=True, level=money(level))
    elif buy:
        wait = _outcome(pnl=ZERO, base=base, entry_ns=None, entry_price=None, exit_ns=None, exit_price=None,
                        seconds=seconds, values=np.zeros(len(times)), filled=False, level=money(level))
    else:
        wait = _outcome(pnl=hold_pnl, base=base, entry_ns=trade_ns, entry_price=price, exit_ns=exit_ns,
                        exit_price=exit_price, seconds=seconds, values=hold_curve, filled=False, level=money(level))

    actual = _actual_buy(trade, takes, times, seconds, closes, exit_ns, exit_price, end_ns) if buy \
        else _actual_sell(trade, takes, seconds)
    assumptions = _assumptions(trade=trade, pullback_pct=pullback_pct, horizon_days=horizon_days,
                               exit_ns=exit_ns, end_ns=end_ns)
    return {
        "tradeId": trade.id, "symbol": trade.symbol, "side": trade.side, "qty": money(qty), "price": money(price),
        "fee": money(fee), "ts": iso(trade_ns), "quoteCurrency": quote, "horizonDays": horizon_days,
        "pullbackPct": format(pullback_pct.normalize(), "f"),
        "candles": {"granularity": "1h", "from": iso(int(times[0]) - HOUR_NS), "to": iso(exit_ns)},
        "actual": actual, "hold": hold, "waitPullback": wait, "assumptions": assumptions,
        "summary": summary_sentences(side=trade.side, horizon_days=horizon_days, pullback_pct=pullback_pct,
                                     quote=quote, actual=actual, hold=hold, wait=wait),
    }


def _actual_buy(trade, takes, times, seconds, closes, exit_ns, exit_price, end_ns) -> dict:
    qty, price, fee = trade.qty, trade.price, trade.fee
    sold = [(sale, take) for sale, take in takes if ns(sale.ts) <= end_ns]
    realised = ZERO
    sold_qty = ZERO
    proceeds = ZERO
    sale_ns = np.array([ns(sale.ts) for sale, _ in sold], dtype=np.int64)
    sale_qty = np.array([float(take) for _, take in sold])
    sale_pnl = []
    for sale, take in sold:
        piece = take * (sale.price - price) - fee * take / qty - sale.fee * take / sale.qty
        sale_pnl.append(float(piece))
        realised += piece
        sold_qty += take
        proceeds += take * sale.price
    still_open = qty - sold_qty
    marked = still_open * (exit_price - price) - fee * still_open / qty
    pnl = realised + marked
    if still_open > 0:
        last_ns, average_exit = exit_ns, (proceeds + still_open * exit_price) / qty
    else:
        last_ns, average_exit = int(sale_ns[-1]), proceeds / qty
    # curve: realised so far + open units marked at each close
    done = np.searchsorted(sale_ns, times, side="right") if len(sale_ns) else np.zeros(len(times), dtype=int)
    cum_qty = np.concatenate([[0.0], np.cumsum(sale_qty)])[done]
    cum_pnl = np.concatenate([[0.0], np.cumsum(sale_pnl)])[done]
    fqty = float(qty)
    open_units = fqty - cum_qty
    curve = cum_pnl + open_units * (closes - float(price)) - float(fee) * open_units / fqty
    return _outcome(pnl=pnl, base=price * qty, entry_ns=ns(trade.ts), entry_price=price, exit_ns=last_ns,
                    exit_price=average_exit, seconds=seconds, values=curve, realizedPnl=money(realised),
                    closedQty=money(sold_qty), openQty=money(still_open))


def _actual_sell(trade, takes, seconds) -> dict:
    matched = sum((take for _, take in takes), ZERO)
    realised = None
    if matched > 0:
        cost = sum((take * (lot.price + lot.fee / lot.qty) for lot, take in takes), ZERO)
        realised = matched * trade.price - trade.fee * matched / trade.qty - cost
    trade_ns = ns(trade.ts)
    return _outcome(pnl=ZERO, base=trade.price * trade.qty, entry_ns=trade_ns, entry_price=trade.price,
                    exit_ns=trade_ns, exit_price=trade.price, seconds=seconds, values=np.zeros(len(seconds)),
                    realizedPnl=money(realised) if realised is not None else None, closedQty=money(matched),
                    openQty="0")


def _assumptions(*, trade, pullback_pct, horizon_days, exit_ns, end_ns) -> list[str]:
    pct = format(pullback_pct.normalize(), "f")
    out = ["Prices are hourly candles; an exit at the horizon is the close of the last candle closed at or "
           "before it.",
           "Fills at the candle prices named here; no slippage and no market impact."]
    if trade.side == "BUY":
        out += ["Hold: the same units bought at your price and time, held to the horizon; the trade's fee is "
                "counted once (no exit fee).",
                f"Wait: a buy placed only once a candle opening after your trade reached {pct}% below your price, "
                "filled at that level with the fee scaled to it; no pullback means no trade (P/L 0).",
                "Actual: your units matched first in, first out with your later sells; units sold after the "
                "horizon or still held are valued at the horizon's close."]
    else:
        out += ["For a sale every figure is measured against selling when you did (0 = what happened); a "
                "positive figure means selling then cost you.",
                "Hold: keeping the units to the horizon instead of selling; fees are not counted.",
                f"Wait: selling only once a candle opening after your trade reached {pct}% above your price; "
                "without that bounce the units are still held at the horizon."]
    if exit_ns < end_ns - 3 * HOUR_NS:
        out.append("The exchange has no candle for the last hours of the horizon: the latest earlier close is "
                   "used.")
    return out


def amount_text(value: Decimal, quote: str) -> str:
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    magnitude = abs(value)
    if quote.upper() in FIAT_LIKE:
        number = f"{magnitude.quantize(PCT):,.2f}"
        prefix = "$" if quote.upper() in {"USD", "USDT", "USDC"} else ""
        return f"{sign}{prefix}{number}" + ("" if prefix else f" {quote}")
    return f"{sign}{money(magnitude)} {quote}"


def summary_sentences(*, side: str, horizon_days: int, pullback_pct: Decimal, quote: str, actual: dict,
                      hold: dict, wait: dict) -> list[str]:
    """The three outcomes side by side in words (what the figures say, never what to do)."""
    days = f"{horizon_days} day{'s' if horizon_days != 1 else ''}"
    pct = format(pullback_pct.normalize(), "f")
    actual_pnl, hold_pnl, wait_pnl = Decimal(actual["pnl"]), Decimal(hold["pnl"]), Decimal(wait["pnl"])
    lines = []
    if side == "BUY":
        lines.append(f"What happened to these units over {days}: {amount_text(actual_pnl, quote)}.")
        difference = hold_pnl - actual_pnl
        if difference > 0:
            lines.append(f"Holding {days} would have made {amount_text(difference, quote)} more.")
        elif difference < 0:
            lines.append(f"Holding {days} would have made {amount_text(-difference, quote)[1:]} less.")
        else:
            lines.append(f"Holding {days} would have made the same.")
        if wait["filled"]:
            lines.append(f"Waiting for a {pct}% pullback: filled at {wait['level']}, "
                         f"{amount_text(wait_pnl, quote)} by the horizon, {amount_text(wait_pnl - actual_pnl, quote)} "
                         "against what happened.")
        else:
            lines.append(f"Waiting for a {pct}% pullback: the price never came back that far within {days}, "
                         "so no trade (0).")
    else:
        lines.append(f"Selling when you did is the reference (0); keeping the units {days} would have been "
                     f"{amount_text(hold_pnl, quote)}.")
        if wait["filled"]:
            lines.append(f"Waiting for a {pct}% bounce: sold at {wait['level']}, {amount_text(wait_pnl, quote)} "
                         "against your sale.")
        else:
            lines.append(f"Waiting for a {pct}% bounce: it never came within {days}; still holding at the horizon, "
                         f"{amount_text(wait_pnl, quote)} against your sale.")
    return lines
