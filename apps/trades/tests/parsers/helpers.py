"""Builders for expected parser output."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from apps.brokers.types import TradeDTO

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
       microsecond: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def trade(ext_id: str, symbol: str, side: str, qty: str, price: str, ts: datetime, fee: str | None,
          fee_asset: str, quote_asset: str) -> TradeDTO:
    return TradeDTO(ext_id=ext_id, symbol=symbol, side=side, qty=Decimal(qty), price=Decimal(price), ts=ts,
                    fee=None if fee is None else Decimal(fee), fee_asset=fee_asset, quote_asset=quote_asset)
