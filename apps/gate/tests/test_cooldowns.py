"""Cooldowns start once per trigger (scoring hook, gate), end exactly once under overlapping beat runs;
breaches are announced once; trades imported later are linked to the intent that announced them."""
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.bias.models import BiasTag
from apps.bias.registry import TradesScored, trades_scored_notify
from apps.events.models import EventOutbox
from apps.gate.models import Cooldown, PretradeIntent, RuleBreach
from apps.gate.services import cooldowns_end_expired, intents_link_trades
from apps.trades.hooks import ImportFinished, import_finished_notify
from apps.trades.testing import TradeFactory

from .conftest import intent_body, losing_exits

pytestmark = [pytest.mark.postgres]


def open_cooldown(user, *, ends_in: timedelta, key: str) -> Cooldown:
    now = timezone.now()
    return Cooldown.objects.create(user=user, reason="losses", trigger_key=key, message="m", evidence={},
                                   starts_at=now - timedelta(hours=2), ends_at=now + ends_in)


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_beat_runs_end_each_expired_cooldown_exactly_once(user, other_user):
    expired = [open_cooldown(u, ends_in=timedelta(seconds=-1 - i), key=f"k{i}")
               for i, u in enumerate([user, user, other_user])]
    running = open_cooldown(user, ends_in=timedelta(hours=1), key="later")
    barrier = threading.Barrier(2)
    results: list[int] = []

    def beat() -> None:
        try:
            barrier.wait()
            results.append(cooldowns_end_expired())
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) in ([0, 3], [1, 2])
    ended = list(EventOutbox.objects.filter(type="cooldown.ended").values_list("payload__cooldownId", flat=True))
    assert sorted(ended) == sorted(c.id for c in expired)
    assert Cooldown.objects.filter(ended_at__isnull=False).count() == 3
    assert Cooldown.objects.get(id=running.id).ended_at is None
    assert cooldowns_end_expired() == 0
    assert EventOutbox.objects.filter(type="cooldown.ended").count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_run_ends_expired_cooldowns_while_another_transaction_holds_the_users_row(user, other_user):
    """Only cooldown rows are locked: a user row held elsewhere (a login, a profile save, a second run's join) does
    not make a run skip that user's cooldowns, which with nothing else left would go unended until the next beat."""
    from django.contrib.auth import get_user_model

    expired = [open_cooldown(user, ends_in=timedelta(seconds=-2), key="a"),
               open_cooldown(other_user, ends_in=timedelta(seconds=-1), key="b")]
    locked, release = threading.Event(), threading.Event()

    def hold_user_row() -> None:
        try:
            with transaction.atomic():
                get_user_model().objects.select_for_update().get(id=user.id)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_user_row)
    holder.start()
    try:
        assert locked.wait(30)
        assert cooldowns_end_expired() == 2
    finally:
        release.set()
        holder.join(30)
    assert sorted(EventOutbox.objects.filter(type="cooldown.ended").values_list("payload__cooldownId", flat=True)) == \
        sorted(c.id for c in expired)


@pytest.mark.django_db
def test_the_embedded_reaper_pass_ends_expired_cooldowns_where_there_is_no_beat(user, other_user):
    from apps.core.jobs import reaper_embedded_pass

    expired = [open_cooldown(user, ends_in=timedelta(seconds=-5), key="a"),
               open_cooldown(other_user, ends_in=timedelta(seconds=-1), key="b")]
    running = open_cooldown(user, ends_in=timedelta(hours=1), key="c")
    reaper_embedded_pass()
    reaper_embedded_pass()  # a second pass ends nothing again
    ended = sorted(EventOutbox.objects.filter(type="cooldown.ended").values_list("payload__cooldownId", flat=True))
    assert ended == sorted(c.id for c in expired)
    assert set(EventOutbox.objects.filter(type="cooldown.ended").values_list("user_id", flat=True)) == {
        user.id, other_user.id}
    assert Cooldown.objects.get(id=running.id).ended_at is None


@pytest.mark.django_db
def test_scoring_hook_starts_a_loss_cooldown_once_per_streak(user):
    losses = losing_exits(user, 3, last_hours_ago=2)
    trades_scored_notify(TradesScored(user_id=user.id, trades_scored=3))
    trades_scored_notify(TradesScored(user_id=user.id, trades_scored=0))
    [cooldown] = Cooldown.objects.all()
    assert (cooldown.reason, cooldown.starts_at, cooldown.ends_at) == ("losses", losses[-1].ts,
                                                                      losses[-1].ts + timedelta(hours=12))
    [started] = EventOutbox.objects.filter(type="cooldown.started")
    assert started.payload == {"cooldownId": cooldown.id, "reason": "losses", "startsAt": cooldown.starts_at.isoformat(),
                               "endsAt": cooldown.ends_at.isoformat(),
                               "message": "3 losing exits in a row: your rule asks for 12 hours of cooldown.",
                               "evidence": {"value": 3, "threshold": 3}}


@pytest.mark.django_db
def test_a_streak_whose_cooldown_already_ran_out_starts_nothing(user):
    losing_exits(user, 3, last_hours_ago=13)
    trades_scored_notify(TradesScored(user_id=user.id, trades_scored=3))
    assert Cooldown.objects.count() == 0 and EventOutbox.objects.count() == 0


def _breaching_tag(user, *, hours_ago: float, kind: str = "maxTradesPerDay"):
    trade = TradeFactory(user=user, ts=timezone.now() - timedelta(hours=hours_ago))
    BiasTag.objects.create(trade=trade, label="OVERTRADING", confidence="0.8", features={"rules": [
        {"kind": kind, "params": {"count": 3}, "status": "broken", "value": 4, "limit": 3,
         "explain": "Trade number 4 today; your limit is 3 a day."},
        {"kind": "minHoldHours", "params": {"hours": 2}, "status": "kept", "value": 5, "limit": 2, "explain": "ok"}]})
    return trade


@pytest.mark.django_db
def test_rule_breaches_are_announced_once_and_start_a_breach_cooldown(user):
    trade = _breaching_tag(user, hours_ago=1)
    _breaching_tag(user, hours_ago=24 * 8)  # older than the window: history, not news
    trades_scored_notify(TradesScored(user_id=user.id, trades_scored=2))
    trades_scored_notify(TradesScored(user_id=user.id, trades_scored=2))
    [announced] = EventOutbox.objects.filter(type="rules.breach.detected")
    assert announced.payload == {"total": 1, "breaches": [{
        "tradeId": trade.id, "symbol": "BTC-USD", "ts": trade.ts.isoformat(), "kind": "maxTradesPerDay",
        "explain": "Trade number 4 today; your limit is 3 a day.", "evidence": {"value": 4, "threshold": 3}}]}
    assert list(RuleBreach.objects.values_list("trade_id", "kind")) == [(trade.id, "maxTradesPerDay")]
    [cooldown] = Cooldown.objects.all()
    assert (cooldown.reason, cooldown.ends_at) == ("breach", trade.ts + timedelta(hours=4))
    assert EventOutbox.objects.filter(type="cooldown.started").count() == 1


@pytest.mark.django_db
def test_the_trade_imported_after_an_intent_is_linked_to_it(user, api_client, submit):
    intent_id = submit(intent_body(timeframe="1h")).json()["intentId"]
    created = PretradeIntent.objects.get(id=intent_id).created_at
    TradeFactory(user=user, side="SELL", ts=created + timedelta(minutes=10))  # other direction
    TradeFactory(user=user, symbol="ETH-USD", ts=created + timedelta(minutes=10))  # other market
    TradeFactory(user=user, ts=created + timedelta(hours=2))  # after the timeframe
    followed = TradeFactory(user=user, ts=created + timedelta(minutes=20))
    import_finished_notify(ImportFinished(job_id="j1", user_id=user.id, status="done", inserted=4))
    intent = PretradeIntent.objects.get(id=intent_id)
    assert intent.linked_trade_id == followed.id
    detail = api_client.get(f"/api/pretrade-intents/{intent_id}").json()
    assert detail["linkedTrade"] == {"id": followed.id, "side": "BUY", "qty": "0.5", "price": "30000.12",
                                     "ts": followed.ts.isoformat().replace("+00:00", "Z")}
    assert intents_link_trades(user_id=user.id) == 0  # linked once


@pytest.mark.django_db
def test_the_gate_gives_scoring_the_stop_of_each_linked_plan_for_the_sale_that_closed_it(user, other_user):
    from decimal import Decimal

    from apps.bias.services.rules import scoring_rules

    now = timezone.now()
    buy = TradeFactory(user=user, symbol="BTC-USD", side="BUY", price=Decimal("100"), qty=Decimal("1"),
                       ts=now - timedelta(hours=5))
    TradeFactory(user=user, symbol="ETH-USD", side="SELL", price=Decimal("50"), qty=Decimal("1"),
                 ts=now - timedelta(hours=4))  # another market: not the exit
    sale = TradeFactory(user=user, symbol="BTC-USD", side="SELL", price=Decimal("94.5"), qty=Decimal("1"),
                        ts=now - timedelta(hours=3))
    TradeFactory(user=user, symbol="BTC-USD", side="SELL", price=Decimal("90"), qty=Decimal("1"),
                 ts=now - timedelta(hours=1))  # a later sale: the first one closed the plan
    plan = {"entry": "100", "stop": "95", "target": "115", "thesis": "t"}
    linked = PretradeIntent.objects.create(user=user, symbol="BTC-USD", direction="long", timeframe="4h",
                                           size={"qty": "1"}, plan=plan, decision="GO", status="done",
                                           linked_trade=buy, linked_at=now)
    PretradeIntent.objects.create(user=user, symbol="BTC-USD", direction="long", timeframe="4h", size={"qty": "1"},
                                  plan={**plan, "stop": None}, decision="GO", status="done")  # no stop, not linked
    rules = scoring_rules(user_id=user.id)
    assert [(r.kind, r.params) for r in rules] == [("plannedStop", {
        "intentId": linked.id, "symbol": "BTC-USD", "direction": "long", "stop": "95", "exitPrice": "94.5",
        "tradeId": sale.id})]
    assert scoring_rules(user_id=other_user.id) == []


@pytest.mark.django_db(transaction=True)
def test_a_sale_at_a_linked_plans_stop_is_scored_as_discipline_with_the_plan_as_evidence(user, stub_exchange):
    """End to end through the registry: the gate gives scoring the stop of the linked plan, and the stored label of
    the sale that executed it is DISCIPLINE, its evidence naming the plan's stop."""
    from decimal import Decimal

    from apps.bias.services import bias_score_trades

    t0 = (stub_exchange.state.anchor - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    buy = TradeFactory(user=user, symbol="BTC-USD", side="BUY", price=Decimal("30000"), qty=Decimal("1"), ts=t0)
    sale = TradeFactory(user=user, symbol="BTC-USD", side="SELL", price=Decimal("28500"), qty=Decimal("1"),
                        ts=t0 + timedelta(hours=2))
    PretradeIntent.objects.create(user=user, symbol="BTC-USD", direction="long", timeframe="4h", size={"qty": "1"},
                                  plan={"entry": "30000", "stop": "28500", "target": "33000", "thesis": "t"},
                                  decision="GO", status="done", linked_trade=buy, linked_at=timezone.now())
    assert bias_score_trades(user_id=user.id, trade_ids=[], include_later=True) == 2
    labels = {t.label: t for t in BiasTag.objects.filter(trade=sale)}
    assert "DISCIPLINE" in labels and "PANIC" not in labels
    kept = [r for r in labels["DISCIPLINE"].features["rules"] if r["kind"] == "plannedStop"]
    assert [(r["status"], r["limit"]) for r in kept] == [("kept", 28500.0)]
