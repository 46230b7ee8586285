"""The shapes every broker adapter and file parser produces (Decimal DTOs in canonical form), shared with
the apps above brokers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple


def decimal_from(value) -> Decimal:
    """An exchange amount (string or number) as a finite Decimal; ValueError otherwise (NaN, Infinity, junk)."""
    if isinstance(value, bool) or value is None:
        raise ValueError("not an amount")
    try:
        amount = Decimal(str(value).strip())
    except ArithmeticError as exc:
        raise ValueError("not an amount") from exc
    if not amount.is_finite():
        raise ValueError("not a finite amount")
    return amount


class TradeDTO(NamedTuple):
    """One fill, normalised. `symbol` is canonical BASE-QUOTE (e.g. BTC-USD); `ts` is aware UTC.

    A named tuple rather than a frozen dataclass: as immutable, compared and hashed by the same values, and a file
    parser can make a hundred thousand at C speed (`tuple.__new__(TradeDTO, values)` mapped over rows of values)
    where the dataclass's __init__ cost as much as reading the row. A changed copy is `trade._replace(field=…)`."""

    ext_id: str
    symbol: str
    side: str  # "BUY" | "SELL"
    qty: Decimal  # base units, > 0
    price: Decimal  # quote per base, > 0
    ts: datetime
    fee: Decimal | None = None
    fee_asset: str = ""
    quote_asset: str = ""


@dataclass(frozen=True, slots=True)
class TradePage:
    items: list[TradeDTO]
    next_cursor: str | None  # None when there is nothing more
    raw: dict[str, dict] | None = None  # per ext_id, what the source says beyond the DTO (kept on the trade)


@dataclass(frozen=True, slots=True)
class CandleDTO:
    ts: datetime  # candle open time, aware UTC
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
