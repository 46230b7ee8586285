"""FIFO lot matching per symbol, fees netted, partial fills.

Each BUY opens a lot: quantity, price, its fee and its time. A SELL consumes the oldest open lots first
(splitting a lot when only part of it is sold). For the matched part of a sell:

    realised P/L = matched qty × (sell price − lot price) − buy fees (pro rata to the matched share of each
                   lot) − sell fee (pro rata to the matched share of the sell)

``held_hours`` is the quantity-weighted mean age of the matched lots; ``min_held_hours`` the youngest.
A sell (or part of one) with no open lot before it — the history starts mid-position — has nothing to
match: when none of it matches, the P/L is unknown (``None``), never zero; when part of it matches, the
P/L covers the matched part only and ``unmatched_qty`` says how much was not covered.
Fees count in the quote currency (``TradeInput.fee_in_quote``): a fee paid in the base asset (BTC on
BTC-USD) is valued at its trade's price; a fee in a third asset (e.g. BNB) is left out.
"""
from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal
from operator import attrgetter

from .types import PositionInfo, TradeInput

ZERO = Decimal(0)


def trade_order(trades: list[TradeInput]) -> list[TradeInput]:
    """Trades in time order; ties keep buys before sells, then ids, so results do not depend on input order.
    Sides are normalised to upper case ("buy" → "BUY")."""
    normalised = [t if t.side in ("BUY", "SELL") else replace(t, side=t.side.strip().upper()) for t in trades]
    return sorted(normalised, key=lambda t: (t.ts, 0 if t.side == "BUY" else 1, t.id))


class _Lot:
    __slots__ = ("info", "qty", "price", "fee_per_unit", "ts", "us")

    def __init__(self, trade: TradeInput, info: PositionInfo, fee: Decimal, us: int | None) -> None:
        self.info = info  # the buy's own PositionInfo, whose matched/unmatched quantities sales move
        self.qty = trade.qty
        self.price = trade.price
        self.fee_per_unit = fee / trade.qty if trade.qty else ZERO
        self.ts = trade.ts
        self.us = us  # the buy's time in µs when the holding times are taken from them (see match_ordered)


def match_positions(trades: list[TradeInput]) -> dict[str, PositionInfo]:
    """FIFO positions for every trade (keyed by trade id); see the module docstring."""
    return match_ordered(trade_order(trades))


def match_ordered(ordered: list[TradeInput], quote_fees: list[Decimal] | None = None,
                  times_us: list[int] | None = None) -> dict[str, PositionInfo]:
    """``match_positions`` for trades already in ``trade_order``; ``quote_fees``: each trade's
    ``fee_in_quote`` when the caller has them already; ``times_us``: each trade's time in µs since the
    epoch in UTC (a naive time read as UTC), when the caller has them already and the trades' times
    subtract as those instants do (``subtract_as_instants``): the holding times are then the differences
    of these integers, not a timedelta made per matched lot."""
    books: dict[str, deque[_Lot]] = {}
    result: dict[str, PositionInfo] = {}
    if quote_fees is None:
        quote_fees = [trade.fee_in_quote for trade in ordered]
    if times_us is None:
        times_us = [None] * len(ordered)
    for trade, fee, us in zip(ordered, quote_fees, times_us, strict=True):
        lots = books.get(trade.symbol)
        if lots is None:
            lots = books[trade.symbol] = deque()
        if trade.side == "BUY":
            # trade_id, realized_pnl, held_hours, matched_qty, unmatched_qty, symbol, side
            info = result[trade.id] = PositionInfo(trade.id, None, None, ZERO, trade.qty, trade.symbol, "BUY")
            lots.append(_Lot(trade, info, fee, us))
            continue
        result[trade.id] = _sell(trade, lots, fee, us)
    return result


def subtract_as_instants(times: list[datetime]) -> bool:
    """True when any two of ``times`` subtract as their UTC instants do, to the µs: every one a plain
    ``datetime``, and every one naive or every one with a fixed offset from UTC (``datetime.timezone``).
    Two times of one zone with rules (a ``ZoneInfo``) subtract as wall-clock times, an hour off across a
    change of offset; naive and aware times do not subtract at all; a subclass (pandas' ``Timestamp``)
    subtracts with its nanoseconds."""
    if set(map(type, times)) - {datetime}:
        return False
    zones = set(map(type, map(attrgetter("tzinfo"), times)))
    return zones <= {timezone} or zones <= {type(None)}


def _sell(trade: TradeInput, lots: deque[_Lot], fee: Decimal, us: int | None) -> PositionInfo:
    qty = trade.qty
    remaining = qty
    cost = buy_fees = ZERO
    weighted_hours = 0.0
    youngest: float | None = None
    ts = trade.ts
    while remaining > ZERO and lots:  # a Decimal against a Decimal zero: half the time of against 0
        lot = lots[0]
        lot_qty = lot.qty
        if lot_qty < remaining:  # the whole lot (min(remaining, lot.qty), as it picks), then the next
            take = lot_qty
            lots.popleft()
        else:  # what is left of the sale, from this lot
            take = remaining
            lot.qty = lot_qty = lot_qty - take
            if lot_qty <= ZERO:
                lots.popleft()
        remaining -= take  # even down to zero: its digits are the ones unmatched_qty and matched_qty show
        cost += take * lot.price
        buy_fees += take * lot.fee_per_unit
        if us is None:
            hours = (ts - lot.ts).total_seconds() / 3600.0
        else:  # timedelta.total_seconds() is the microseconds / 10**6, as here
            hours = (us - lot.us) / 1_000_000 / 3600.0
        weighted_hours += float(take) * hours
        if youngest is None or hours < youngest:
            youngest = hours
        buy_info = lot.info
        buy_info.matched_qty += take
        buy_info.unmatched_qty -= take
    matched = qty - remaining
    if matched <= ZERO:
        # trade_id, realized_pnl, held_hours, matched_qty, unmatched_qty, symbol, side
        return PositionInfo(trade.id, None, None, ZERO, qty, trade.symbol, "SELL")
    sell_fee = fee * matched / qty
    proceeds = matched * trade.price
    pnl = proceeds - cost - buy_fees - sell_fee
    # … then min_held_hours, cost_basis, proceeds
    return PositionInfo(trade.id, pnl, weighted_hours / float(matched), matched, remaining, trade.symbol, "SELL",
                        youngest, cost + buy_fees, proceeds - sell_fee)
