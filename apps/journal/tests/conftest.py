"""Journal test helpers: intents built by hand (the gate's own flow is tested in the gate)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.gate.models import PretradeIntent


def make_intent(user, *, symbol="BTC-USD", direction="long", timeframe="4h", size=None, plan=None, linked_trade=None,
                created_at=None) -> PretradeIntent:
    intent = PretradeIntent.objects.create(
        user=user, symbol=symbol, direction=direction, timeframe=timeframe, size=size or {"qty": "0.5"},
        plan=plan or {"entry": "100", "stop": "95", "target": "115", "thesis": "Range low holds."},
        decision="GO", status="done", linked_trade=linked_trade,
        linked_at=timezone.now() if linked_trade else None)
    if created_at is not None:
        PretradeIntent.objects.filter(pk=intent.pk).update(created_at=created_at)
        intent.refresh_from_db()
    return intent


@pytest.fixture
def intent(user):
    return make_intent(user)


def hours_ago(hours: float):
    return timezone.now() - timedelta(hours=hours)


D = Decimal
