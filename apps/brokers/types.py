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
    where the dataclass's __init__ cost as much as reading the row. `dataclasses.replace`, `fields`, `asdict` and
    `is_dataclass` treat it as the frozen dataclass it was (see _dataclass_fields)."""

    ext_id: str
    symbol: str
    side: str  # "BUY" | "SELL"
    qty: Decimal  # base units, > 0
    price: Decimal  # quote per base, > 0
    ts: datetime
    fee: Decimal | None = None
    fee_asset: str = ""
    quote_asset: str = ""


def _dataclass_fields(named_tuple: type) -> dict:
    """The fields a frozen dataclass with the same names, annotations and defaults would have, so that
    dataclasses.replace / fields / asdict / is_dataclass treat the named tuple as that dataclass."""
    # typing.NamedTuple keeps `from __future__` annotations as ForwardRef("Decimal"); a dataclass field's type is
    # the annotation's text ("Decimal"), as TradeDTO's fields had when it was a dataclass.
    annotations = {name: getattr(hint, "__forward_arg__", hint) for name, hint in named_tuple.__annotations__.items()}
    namespace = {"__annotations__": annotations, **named_tuple._field_defaults}
    return dataclass(frozen=True)(type(named_tuple.__name__, (), namespace)).__dataclass_fields__


TradeDTO.__dataclass_fields__ = _dataclass_fields(TradeDTO)  # type: ignore[attr-defined]


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
