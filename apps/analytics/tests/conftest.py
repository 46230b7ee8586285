"""A hand-computed portfolio: scored through the real pipeline (FIFO positions from apps.bias)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from apps.analytics.services.readmodel import trade_facts_refresh
from apps.bias.services import bias_score_trades
from apps.trades.testing import TradeFactory

D = Decimal

# (hours after t0, symbol, side, qty, price, fee, fee asset, broker)
BOOK = [
    (0, "BTC-USD", "BUY", "1", "100", "1", "USD", "coinbase"),
    (1, "BTC-USD", "BUY", "1", "200", "2", "USD", "coinbase"),
    (2, "ETH-EUR", "BUY", "2", "1000", "0.01", "ETH", "binance"),   # fee in the base asset: 0.01 ETH = 10 EUR
    (3, "BTC-USD", "SELL", "1.5", "300", "3", "USD", "coinbase"),   # 1@100 + 0.5@200: 450-200-(1+1)-3 = +245
    (4, "ETH-EUR", "SELL", "2", "1100", "2", "EUR", "binance"),     # 2200-2000-10-2 = +188 (0.01 ETH at 1000)
    (5, "BTC-USD", "SELL", "0.5", "150", "0.5", "USD", "coinbase"),  # 0.5@200: 75-100-1-0.5 = -26.5
    (5, "ETH-EUR", "BUY", "1", "1000", "0.001", "BNB", "binance"),  # still open; fee in a third asset
    (25, "BTC-USD", "BUY", "2", "100", "0", "USD", "coinbase"),
    (26, "BTC-USD", "SELL", "1", "90", "0", "USD", "coinbase"),     # -10
    (27, "BTC-USD", "SELL", "1", "105", "0", "USD", "coinbase"),    # +5
]


@pytest.fixture
def book(stub_exchange, user):
    """The BOOK for `user`, t0 = 08:00 UTC ten days before the stub's anchor; scored. Returns t0."""
    t0 = (stub_exchange.state.anchor - timedelta(days=10)).replace(hour=8, minute=0, second=0, microsecond=0)
    trades = [TradeFactory(user=user, ts=t0 + timedelta(hours=h), symbol=symbol, side=side, qty=D(qty),
                           price=D(price), fee=D(fee), fee_asset=fee_asset, quote_asset=symbol.split("-")[1],
                           broker=broker)
              for h, symbol, side, qty, price, fee, fee_asset, broker in BOOK]
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in trades])
    trade_facts_refresh(user_id=user.id)
    return t0
