"""Adherence to the plan on hand-built trades: the arithmetic, the draft post entry, and the scoring hook."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.bias.registry import TradesScored, trades_scored_notify
from apps.events.models import EventOutbox
from apps.journal.adherence import Fill, adherence_compute
from apps.journal.models import JournalEntry
from apps.journal.services import adherence_drafts_update
from apps.trades.testing import TradeFactory

from .conftest import make_intent

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PLAN = {"entry": "100", "stop": "95", "target": "115", "thesis": "Range low holds."}


def by_name(result: dict) -> dict:
    return {c["name"]: (c["value"], c["threshold"], c["passed"]) for c in result["checks"]}


def test_a_long_exited_below_its_stop():
    result = adherence_compute(direction="long", timeframe="4h", size={"qty": "0.5"}, plan=PLAN,
                               entry=Fill(id="e", price=Decimal("100.4"), qty=Decimal("0.5"), ts=T0),
                               exit=Fill(id="x", price=Decimal("94"), qty=Decimal("0.5"), ts=T0 + timedelta(hours=3)))
    assert by_name(result) == {
        "entrySlippagePct": ("0.40", "0.50", True),
        "stopRespected": ("94.00", "95.00", False),
        "targetReached": ("94.00", "115.00", False),
        "sizeVsPlanPct": ("100.00", "110.00", True),
        "holdVsTimeframe": ("3.00", "8.00", True),
    }
    assert (result["passed"], result["judged"], result["total"], result["complete"]) == (3, 5, 5, True)
    assert (result["tradeId"], result["exitTradeId"]) == ("e", "x")


def test_a_short_mirrors_every_check():
    result = adherence_compute(direction="short", timeframe="1h", size={"quoteAmount": "1000"},
                               plan={"entry": "100", "stop": "105", "target": "90", "thesis": "t"},
                               entry=Fill(id="e", price=Decimal("99"), qty=Decimal("12"), ts=T0),
                               exit=Fill(id="x", price=Decimal("105"), qty=Decimal("12"), ts=T0 + timedelta(hours=2.5)))
    assert by_name(result) == {
        "entrySlippagePct": ("1.00", "0.50", False),  # sold lower than planned: worse for a short
        "stopRespected": ("105.00", "105.00", True),  # out exactly at the stop
        "targetReached": ("105.00", "90.00", False),
        "sizeVsPlanPct": ("118.80", "110.00", False),  # 12 × 99 = 1188 of 1000 planned
        "holdVsTimeframe": ("2.50", "2.00", False),
    }
    assert result["passed"] == 1


def test_without_an_exit_the_exit_checks_wait():
    result = adherence_compute(direction="long", timeframe="1d", size={"qty": "2"},
                               plan={"entry": "100", "stop": None, "target": "120", "thesis": "t"},
                               entry=Fill(id="e", price=Decimal("99.5"), qty=Decimal("1"), ts=T0), exit=None)
    assert by_name(result) == {
        "entrySlippagePct": ("-0.50", "0.50", True),
        "targetReached": (None, "120.00", None),
        "sizeVsPlanPct": ("50.00", "110.00", True),
        "holdVsTimeframe": (None, "48.00", None),
    }
    assert (result["passed"], result["judged"], result["total"], result["complete"]) == (2, 2, 4, False)


@pytest.mark.django_db
def test_a_linked_trade_gets_a_draft_post_entry_which_fills_in_when_the_exit_arrives(user):
    buy = TradeFactory(user=user, side="BUY", price=Decimal("100.4"), qty=Decimal("0.5"), ts=T0)
    intent = make_intent(user, plan=PLAN, linked_trade=buy)
    assert adherence_drafts_update(user_id=user.id) == 1
    draft = JournalEntry.objects.get()
    assert (draft.type, draft.status, draft.intent_id, draft.trade_id, draft.symbol) == (
        "post", "draft", intent.id, buy.id, "BTC-USD")
    assert draft.adherence["complete"] is False and draft.adherence["exitTradeId"] is None
    [event] = EventOutbox.objects.filter(type="journal.entry.created")
    assert event.payload == {"entryId": draft.id, "type": "post", "status": "draft", "intentId": intent.id,
                             "tradeId": buy.id, "symbol": "BTC-USD"}
    assert adherence_drafts_update(user_id=user.id) == 0  # nothing new

    TradeFactory(user=user, side="SELL", price=Decimal("120"), ts=T0 + timedelta(minutes=30), symbol="ETH-USD")
    sell = TradeFactory(user=user, side="SELL", price=Decimal("94"), ts=T0 + timedelta(hours=3))
    assert adherence_drafts_update(user_id=user.id) == 1
    draft.refresh_from_db()
    assert draft.adherence["exitTradeId"] == sell.id and draft.adherence["complete"] is True
    assert by_name(draft.adherence)["stopRespected"] == ("94.00", "95.00", False)
    assert JournalEntry.objects.count() == 1 and EventOutbox.objects.filter(type="journal.entry.created").count() == 1


@pytest.mark.django_db
def test_the_scoring_hook_writes_the_adherence_of_another_users_intents_never(user, other_user):
    buy = TradeFactory(user=user, side="BUY", price=Decimal("100"), ts=T0)
    make_intent(user, plan=PLAN, linked_trade=buy)
    make_intent(other_user, plan=PLAN, linked_trade=TradeFactory(user=other_user, side="BUY", ts=T0))
    trades_scored_notify(TradesScored(user_id=user.id, trades_scored=1))
    assert list(JournalEntry.objects.values_list("user_id", "type", "status")) == [(user.id, "post", "draft")]


@pytest.mark.django_db
def test_the_user_completes_the_draft_and_sees_the_checks(api_client, user):
    buy = TradeFactory(user=user, side="BUY", price=Decimal("100"), ts=T0)
    make_intent(user, plan=PLAN, linked_trade=buy)
    adherence_drafts_update(user_id=user.id)
    draft = JournalEntry.objects.get()
    shown = api_client.get(f"/api/journal-entries/{draft.id}").json()
    assert shown["status"] == "draft" and shown["content"]["text"] == ""
    assert [c["name"] for c in shown["adherence"]["checks"]] == [
        "entrySlippagePct", "stopRespected", "targetReached", "sizeVsPlanPct", "holdVsTimeframe"]
    done = api_client.patch(f"/api/journal-entries/{draft.id}", {"status": "final",
                                                                "content": {"text": "Stuck to the plan."}},
                            format="json").json()
    assert done["status"] == "final" and done["content"]["text"] == "Stuck to the plan."
    assert api_client.get("/api/journal-entries", {"tradeId": buy.id}).json()["results"][0]["id"] == draft.id
