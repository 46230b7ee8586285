"""Rule streaks: trading days in a row a rule held, counted in the user's time zone."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from apps.bias.models import BiasTag, Rule
from apps.journal.selectors import rule_streaks
from apps.journal.streaks import streak_count
from apps.trades.testing import TradeFactory

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def day(n: int) -> date:
    return date(2026, 11, 1) + timedelta(days=n)


def test_runs_restart_after_a_broken_day_and_the_best_is_kept():
    days = [day(n) for n in (0, 1, 2, 4, 5, 7, 8)]
    result = streak_count(kind="maxTradesPerDay", trading_days=days, broken_days={day(4)}, since=None)
    assert (result.current, result.best, result.days_held, result.days_broken, result.last_broken) == (
        3, 3, 6, 1, day(4))
    result = streak_count(kind="k", trading_days=days, broken_days={day(8)}, since=day(2))
    assert (result.current, result.best, result.days_held, result.days_broken) == (0, 4, 4, 1)  # days 2, 4, 5, 7


def trade(user, ts: datetime, *, broken_kind: str | None = None):
    made = TradeFactory(user=user, ts=ts)
    rules = [{"kind": broken_kind, "status": "broken", "value": 5, "limit": 3, "explain": "too many"}] if broken_kind else []
    BiasTag.objects.create(trade=made, label="OVERTRADING" if broken_kind else "NEUTRAL", confidence=Decimal("0.5"),
                           features={"rules": rules})
    return made


@pytest.mark.django_db
def test_days_are_the_users_local_days(user):
    Rule.objects.create(user=user, kind="maxTradesPerDay", params={"limit": 3})
    Rule.objects.filter(user=user).update(created_at=NOW - timedelta(days=30))
    user.timezone = "America/New_York"  # UTC−5 in November
    user.save(update_fields=["timezone"])
    base = datetime(2026, 11, 10, tzinfo=UTC)
    trade(user, base + timedelta(hours=15))                                 # 10 Nov local
    trade(user, base + timedelta(days=1, hours=3), broken_kind="maxTradesPerDay")  # 11 Nov 03:00 UTC = 10 Nov local
    trade(user, base + timedelta(days=1, hours=15))                         # 11 Nov local
    trade(user, base + timedelta(days=2, hours=15))                         # 12 Nov local
    [streak] = rule_streaks(user=user, now=NOW)
    assert (streak.kind, streak.current, streak.best, streak.days_held, streak.days_broken, streak.last_broken) == (
        "maxTradesPerDay", 2, 2, 2, 1, date(2026, 11, 10))

    user.timezone = "UTC"  # the late trade now falls on 11 Nov: that day is broken instead
    user.save(update_fields=["timezone"])
    [streak] = rule_streaks(user=user, now=NOW)
    assert (streak.current, streak.best, streak.last_broken) == (1, 1, date(2026, 11, 11))


@pytest.mark.django_db
def test_days_before_the_rule_was_set_and_inactive_rules_do_not_count(api_client, user, other_user):
    Rule.objects.create(user=user, kind="minHoldHours", params={"hours": 2})
    Rule.objects.create(user=user, kind="maxTradesPerDay", params={"limit": 3}, active=False)
    Rule.objects.filter(user=user).update(created_at=datetime(2026, 11, 5, tzinfo=UTC))
    for n in range(8):
        trade(user, datetime(2026, 11, 1, 12, tzinfo=UTC) + timedelta(days=n))
    trade(other_user, datetime(2026, 11, 9, 12, tzinfo=UTC), broken_kind="minHoldHours")
    [streak] = rule_streaks(user=user, now=NOW)
    assert (streak.kind, streak.current, streak.best, streak.days_broken) == ("minHoldHours", 4, 4, 0)
    assert api_client.get("/api/rule-streaks").json() == {"results": [
        {"kind": "minHoldHours", "current": 4, "best": 4, "daysHeld": 4, "daysBroken": 0, "lastBroken": None}],
        "nextCursor": None}
