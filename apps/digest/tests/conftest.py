"""Digest fixtures: trades with the labels, positions and rule outcomes scoring would have stored."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apps.bias.models import BiasTag, DispositionDay, Rule, TradePosition
from apps.trades.testing import TradeFactory

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def scored_trade(user, *, ts, side, qty, price, fee="0", symbol="BTC-USD", labels=("NONE",), pnl=None, rules=()):
    """A trade as scoring leaves it: its tags (with the rule outcomes) and its FIFO position."""
    quote = symbol.rsplit("-", 1)[-1]
    trade = TradeFactory(user=user, ts=ts, side=side, qty=Decimal(qty), price=Decimal(price), fee=Decimal(fee),
                         symbol=symbol, quote_asset=quote, fee_asset=quote)
    outcomes = [{"kind": kind, "status": status} for kind, status in rules]
    for label in labels:
        BiasTag.objects.create(trade=trade, label=label, confidence=Decimal("0.8"), features={"rules": outcomes},
                               engine_version="1.0.0")
    TradePosition.objects.create(trade=trade, user=user, symbol=symbol,
                                 realized_pnl=None if pnl is None else Decimal(pnl))
    return trade


@pytest.fixture
def week_book(user):
    """A hand-computed week, 2026-W47 (Mon 16 Nov – Mon 23 Nov 2026, UTC), see test_payload.py."""
    Rule.objects.create(user=user, kind="maxTradesPerDay", params={"count": 5}, active=True)
    Rule.objects.create(user=user, kind="minHoldHours", params={"hours": 24}, active=True)
    Rule.objects.create(user=user, kind="cooldownAfterLosses", params={"losses": 2, "hours": 4}, active=False)
    kept, broken = "kept", "broken"
    hold_na = ("minHoldHours", "not_applicable")
    trades = {
        # long before: the lot the week's first BTC sale closes first
        "B1": scored_trade(user, ts=at(2), side="BUY", qty="1", price="100", fee="1", labels=("FOMO",),
                           rules=(("maxTradesPerDay", kept), hold_na)),
        # previous week (2026-W46): another market, bought and sold
        "P1": scored_trade(user, ts=at(10), side="BUY", qty="1", price="10", symbol="SOL-USD", labels=("OVERTRADING",),
                           rules=(("maxTradesPerDay", kept), hold_na)),
        "P2": scored_trade(user, ts=at(11), side="SELL", qty="1", price="12", symbol="SOL-USD", pnl="2",
                           rules=(("maxTradesPerDay", kept), ("minHoldHours", kept))),
        # the week
        "B3": scored_trade(user, ts=at(16, 9), side="BUY", qty="2", price="50", symbol="ETH-EUR", labels=("DISCIPLINE",),
                           rules=(("maxTradesPerDay", kept), hold_na)),
        "B2": scored_trade(user, ts=at(17), side="BUY", qty="1", price="110",
                           rules=(("maxTradesPerDay", kept), hold_na)),
        "S1": scored_trade(user, ts=at(18), side="SELL", qty="1.5", price="120", fee="3", labels=("PANIC",), pnl="21",
                           rules=(("maxTradesPerDay", kept), ("minHoldHours", broken))),
        "S2": scored_trade(user, ts=at(19), side="SELL", qty="2", price="45", symbol="ETH-EUR", labels=("REVENGE",),
                           pnl="-10", rules=(("maxTradesPerDay", broken), ("minHoldHours", kept))),
        "S3": scored_trade(user, ts=at(20), side="SELL", qty="0.5", price="100", pnl="-5",
                           rules=(("maxTradesPerDay", kept), ("minHoldHours", kept))),
        # the next week: not part of W47
        "N1": scored_trade(user, ts=at(23, 1), side="BUY", qty="1", price="130", labels=("FOMO",)),
    }
    for day, counts in ((12, {"realized_gains": 5}), (18, {"realized_gains": 2, "paper_losses": 1}),
                        (19, {"realized_losses": 1, "paper_gains": 2, "paper_losses": 1}),
                        (20, {"realized_gains": 3, "counted": False})):
        DispositionDay.objects.create(user=user, day=at(day).date(), **counts)
    return trades
