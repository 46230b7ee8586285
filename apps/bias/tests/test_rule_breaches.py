"""The rule breaches read from the labels' evidence: the first label of each trade speaks for it, and only
the evidence's `rules` is read from the database."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.bias.models import BiasTag
from apps.bias.selectors import rule_breaches
from apps.trades.testing import TradeFactory

BROKEN = {"kind": "maxTradesPerDay", "status": "broken", "value": 4, "limit": 3, "explain": "Trade number 4 today."}


def _tag(trade, label: str, features: dict) -> None:
    BiasTag.objects.create(trade=trade, label=label, confidence="0.5", features=features)


@pytest.mark.django_db
def test_each_trade_is_judged_by_its_first_label_and_only_the_rules_are_read(user, other_user):
    now = timezone.now()
    newer = TradeFactory(user=user, ts=now - timedelta(hours=1))
    _tag(newer, "FOMO", {"rsi_14": 75.0, "rules": [BROKEN, {"kind": "minHoldHours", "status": "kept"}]})
    _tag(newer, "OVERTRADING", {"rules": [{**BROKEN, "kind": "cooldownAfterLosses"}]})  # not the first label
    older = TradeFactory(user=user, ts=now - timedelta(hours=3))
    _tag(older, "NONE", {"rules": [{**BROKEN, "explain": ""}, "not a rule"]})
    _tag(TradeFactory(user=user, ts=now - timedelta(hours=2)), "NONE", {"rsi_14": 40.0})  # no rules at all
    _tag(TradeFactory(user=user, ts=now - timedelta(hours=4)), "NONE", {"rules": None})
    _tag(TradeFactory(user=user, ts=now - timedelta(days=9)), "NONE", {"rules": [BROKEN]})  # before `since`
    _tag(TradeFactory(user=other_user, ts=now - timedelta(hours=1)), "NONE", {"rules": [BROKEN]})

    with CaptureQueriesContext(connection) as queries:
        found = rule_breaches(user_id=user.id, since=now - timedelta(days=7))

    assert found == [
        {"tradeId": newer.id, "symbol": newer.symbol, "ts": newer.ts, "kind": "maxTradesPerDay", "value": 4,
         "limit": 3, "explain": "Trade number 4 today."},
        {"tradeId": older.id, "symbol": older.symbol, "ts": older.ts, "kind": "maxTradesPerDay", "value": 4,
         "limit": 3, "explain": ""},
    ]
    [query] = queries.captured_queries
    column = f'"{BiasTag._meta.db_table}"."features"'
    # the column appears only as the argument of its `rules` key's extraction: it is not selected whole
    uses = [query["sql"][match.end():match.end() + 16] for match in re.finditer(re.escape(column), query["sql"])]
    assert uses and all("rules" in after for after in uses), query["sql"]
