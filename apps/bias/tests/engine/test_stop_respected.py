"""A sale at the stop the trader planned is the plan being followed: DISCIPLINE with the stop as evidence, and
PANIC does not fire on it; a sale past the stop breaks the plan and is judged as before."""
from __future__ import annotations

from decimal import Decimal

import pytest

from apps.bias.engine import RuleInput, score_trades

from .scenarios import panic


def scored(scenario, rules):
    return score_trades(trades=scenario.book.trades, candles=scenario.candles, rules=rules, target_ids=["panic"])


def tags_of(result, trade_id="panic") -> dict:
    return {t.label: t for t in result.tags if t.trade_id == trade_id}


def trades(scenario):
    buy, sell = scenario.book.trades
    return buy, sell


def realised_loss_pct(buy, sell) -> Decimal:
    """Hand arithmetic: (sale − cost − both fees) / cost, one unit each side."""
    return (sell.price - buy.price - buy.fee - sell.fee) / (buy.price + buy.fee) * 100


def planned(stop: Decimal, exit_price: Decimal) -> RuleInput:
    return RuleInput(kind="plannedStop", params={"intentId": "int1", "symbol": "BTC-USD", "direction": "long",
                                                 "stop": str(stop), "exitPrice": str(exit_price), "tradeId": "panic"})


@pytest.fixture(scope="module")
def slide():
    scenario = panic(4, -0.12)
    assert set(tags_of(scored(scenario, []))) == {"PANIC"}  # without a plan, the slide sale is a panic sale
    return scenario


def test_a_sale_at_the_planned_stop_is_discipline_not_panic(slide):
    buy, sell = trades(slide)
    result = scored(slide, [planned(stop=sell.price, exit_price=sell.price)])
    tags = tags_of(result)
    assert set(tags) == {"DISCIPLINE"}
    rule = next(r for r in tags["DISCIPLINE"].features["rules"] if r["kind"] == "plannedStop")
    assert (rule["status"], rule["value"], rule["limit"]) == ("kept", float(sell.price), float(sell.price))
    assert rule["params"] == {"intentId": "int1", "direction": "long", "stop": str(sell.price)}
    assert f"at the stop of {float(sell.price):g} your plan named" in rule["explain"]
    assert "rule_plannedStop" in tags["DISCIPLINE"].features["score"]["path"]
    # a sale 0.5% above the stop is still the stop executing (within 1% of it)
    above = scored(slide, [planned(stop=sell.price / Decimal("1.005"), exit_price=sell.price)])
    assert set(tags_of(above)) == {"DISCIPLINE"}


def test_a_sale_past_the_planned_stop_breaks_the_plan_and_stays_panic(slide):
    buy, sell = trades(slide)
    stop = sell.price * Decimal("1.02")  # the sale came 2% under the stop
    tags = tags_of(scored(slide, [planned(stop=stop, exit_price=sell.price)]))
    assert set(tags) == {"PANIC"}
    rule = next(r for r in tags["PANIC"].features["rules"] if r["kind"] == "plannedStop")
    assert rule["status"] == "broken"


def test_a_sale_well_before_the_stop_is_not_the_stop_and_is_judged_as_before(slide):
    buy, sell = trades(slide)
    stop = sell.price * Decimal("0.9")  # the stop was 10% lower: the sale did not come from it
    tags = tags_of(scored(slide, [planned(stop=stop, exit_price=sell.price)]))
    assert set(tags) == {"PANIC"}


def test_the_plan_of_another_trade_is_not_listed_on_this_one(slide):
    buy, sell = trades(slide)
    tags = tags_of(scored(slide, [planned(stop=sell.price, exit_price=sell.price + 1)]))
    assert set(tags) == {"PANIC"}
    assert [r for r in tags["PANIC"].features["rules"] if r["kind"] == "plannedStop"] == []


def test_a_stop_loss_pct_rule_reached_is_discipline_and_past_it_is_broken(slide):
    buy, sell = trades(slide)
    loss = -realised_loss_pct(buy, sell)  # e.g. 12.6: this sale's realised loss in percent of its cost
    at_stop = tags_of(scored(slide, [RuleInput(kind="stopLossPct", params={"pct": float(round(loss, 2))})]))
    assert set(at_stop) == {"DISCIPLINE"}
    rule = next(r for r in at_stop["DISCIPLINE"].features["rules"] if r["kind"] == "stopLossPct")
    assert rule["status"] == "kept"
    assert rule["value"] == pytest.approx(-float(loss), abs=1e-3) and rule["limit"] == -float(round(loss, 2))
    past = tags_of(scored(slide, [RuleInput(kind="stopLossPct", params={"pct": float(round(loss - 1, 2))})]))
    assert set(past) == {"PANIC"}
    assert next(r for r in past["PANIC"].features["rules"] if r["kind"] == "stopLossPct")["status"] == "broken"
    before = tags_of(scored(slide, [RuleInput(kind="stopLossPct", params={"pct": float(round(loss + 3, 2))})]))
    assert set(before) == {"PANIC"}
    assert next(r for r in before["PANIC"].features["rules"] if r["kind"] == "stopLossPct")["status"] == "not_applicable"
