"""Scenario helpers for the bias app tests: trades placed on the stub exchange's market."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.trades.testing import TradeFactory


def bar_close(stub, symbol: str, ts: datetime) -> Decimal:
    asset = symbol.split("-")[0]
    bar = stub.state.market.bar_at(asset, int(ts.timestamp()))
    return bar.close


PLAN = [("BTC-USD", "BUY", "0.1"), ("BTC-USD", "SELL", "0.05"), ("ETH-USD", "BUY", "1.5"),
        ("BTC-USD", "BUY", "0.2"), ("ETH-USD", "SELL", "1.5"), ("BTC-USD", "SELL", "0.25"),
        ("ETH-USD", "SELL", "0.5"), ("ETH-USD", "BUY", "2"), ("BTC-USD", "BUY", "0.1"),
        ("BTC-USD", "SELL", "0.1"), ("ETH-USD", "BUY", "1"), ("ETH-USD", "SELL", "3")]


def place_trades(stub, user, indices) -> list:
    """Trades of PLAN (by index) 17 hours apart over the last ten days, priced at the stub's market."""
    anchor = stub.state.anchor
    trades = []
    for i in indices:
        symbol, side, qty = PLAN[i]
        ts = anchor - timedelta(days=10) + timedelta(hours=17 * i, minutes=7)
        trades.append(TradeFactory(user=user, symbol=symbol, side=side, qty=Decimal(qty),
                                   price=bar_close(stub, symbol, ts), fee=Decimal("0.5"), ts=ts))
    return trades


@pytest.fixture
def market_trades(stub_exchange, user):
    """Twelve trades of `user` over the last ten days on BTC-USD and ETH-USD, priced at the stub's market."""
    return place_trades(stub_exchange, user, range(len(PLAN)))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
