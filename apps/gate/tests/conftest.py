"""Gate test helpers: intent bodies, hand-built histories, submitting through the API with its job run."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.bias.models import TradePosition
from apps.trades.testing import TradeFactory


@pytest.fixture(autouse=True)
def market_offline(settings):
    """No exchange in these tests unless one asks for the stub exchange (which turns the fetch back on)."""
    settings.GATE_FETCH_CANDLES = False


def intent_body(**changes) -> dict:
    body = {"symbol": "BTC-USD", "direction": "long", "timeframe": "4h", "size": {"qty": "0.5"},
            "plan": {"entry": "100", "stop": "95", "target": "115", "thesis": "Range low holds; I wrote this plan at noon."},
            "risk": {"riskPct": 1}, "context": {"capital": "1000", "mood": "calm"}}
    body.update(changes)
    return body


def losing_exits(user, count: int, *, last_hours_ago: float = 1, symbol: str = "BTC-USD", pnl: str = "-10") -> list:
    """`count` exits with a realised loss, one hour apart, the newest `last_hours_ago` hours ago."""
    now = timezone.now()
    trades = []
    for i in range(count):
        ts = now - timedelta(hours=last_hours_ago + (count - 1 - i))
        trade = TradeFactory(user=user, symbol=symbol, side="SELL", ts=ts, ext_id=f"loss-{i}-{ts.timestamp()}")
        TradePosition.objects.create(trade=trade, user=user, symbol=symbol, realized_pnl=Decimal(pnl), held_hours=2.0,
                                     matched_qty=trade.qty, unmatched_qty=Decimal(0))
        trades.append(trade)
    return trades


@pytest.fixture
def submit(api_client, django_capture_on_commit_callbacks):
    """POST an intent and run what its commit dispatches (the gate job, eager); -> the response."""

    def post(body: dict, *, key: str | None = None, client=None):
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        with django_capture_on_commit_callbacks(execute=True):
            return (client or api_client).post("/api/pretrade-intents", body, format="json", **headers)

    return post
