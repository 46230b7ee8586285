"""The gate as a pure function: each outcome from a hand-built state."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.bias.engine.linter import lint_text
from apps.gate.decide import CooldownInfo, GateState, IntentInput, MarketState, gate_decide
from apps.gate.policy import PERSONA_IDS, persona_policy, policy_effective

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
CRYPTO = persona_policy("crypto")
CALM = MarketState(candle_close_time=NOW - timedelta(minutes=30), change_pct=1.5, rsi=55.0, bb_pos=0.6,
                   spike_change_pct=1.5)


def intent(**changes) -> IntentInput:
    values = dict(symbol="BTC-USD", direction="long", entry=Decimal("100"), qty=Decimal("1"), stop=Decimal("95"),
                  target=Decimal("115"), risk_pct=None, max_loss=None, capital=Decimal("1000"))
    values.update(changes)
    return IntentInput(**values)


def decide(i: IntentInput, state: GateState | None = None, rules=None, gate=None):
    return gate_decide(intent=i, rules=CRYPTO["defaultRules"] if rules is None else rules,
                       gate=gate or CRYPTO["gate"], state=state or GateState(now=NOW, market=CALM))


def fired(verdict) -> list[str]:
    return [r["code"] for r in verdict.reasons]


def test_go_when_nothing_fires():
    verdict = decide(intent())
    assert (verdict.decision, verdict.reasons, verdict.until, verdict.tasks) == ("GO", [], None, [])
    statuses = {c["code"]: c["status"] for c in verdict.checks}
    assert statuses == {"cooldown_active": "passed", "loss_streak": "passed", "max_trades_per_day": "passed",
                        "max_loss_per_day": "passed", "spike_over_rule": "passed", "market_fomo": "passed",
                        "stop_missing": "passed", "stop_wrong_side": "passed", "risk_reward_low": "passed",
                        "risk_above_limit": "passed", "loss_above_max": "not_applicable",
                        "stop_loss_rule": "not_applicable"}


def test_own_stop_loss_rule_judges_the_plans_stop():
    rules = {**CRYPTO["defaultRules"], "stopLossPct": {"pct": 4}}
    # entry 100, stop 95: the stop is (100 - 95) / 100 = 5% away, past the 4% rule
    verdict = decide(intent(), rules=rules)
    assert (verdict.decision, fired(verdict)) == ("WAIT", ["stop_loss_rule"])
    assert verdict.reasons[0]["evidence"] == {"value": 5.0, "threshold": 4.0}
    assert verdict.reasons[0]["message"] == "Your plan's stop is 5% from the entry; your own stop rule is 4%."
    checklist = next(t for t in verdict.tasks if t["kind"] == "checklist")
    assert [i["text"] for i in checklist["payload"]["items"]] == ["Compare the stop in your plan with your own stop rule."]
    # a stop 3% away (short: entry 100, stop 103) keeps it
    short = intent(direction="short", stop=Decimal("103"), target=Decimal("90"))
    kept = decide(short, rules=rules)
    assert kept.decision == "GO"
    assert {c["code"]: (c["status"], c["evidence"]["value"]) for c in kept.checks}["stop_loss_rule"] == ("passed", 3.0)
    # no stop at all: the rule asks for one
    no_stop = decide(intent(stop=None), rules=rules, gate={**CRYPTO["gate"], "requireStop": False})
    assert fired(no_stop) == ["stop_loss_rule"]
    assert no_stop.reasons[0]["evidence"] == {"value": None, "threshold": 4.0}


@pytest.mark.parametrize("tone", ["supportive", "strict"])
def test_tasks_carry_a_habit_from_the_coach_library_for_the_label_behind_the_reason(tone):
    from apps.bias.services.reflections import coach_habits

    state = GateState(now=NOW, market=CALM, trades_today=8)  # max_trades_per_day → OVERTRADING
    habits = coach_habits(label="OVERTRADING", tone=tone, context="intent")
    seen = set()
    for index in range(len(habits)):
        verdict = gate_decide(intent=intent(), rules=CRYPTO["defaultRules"], gate=CRYPTO["gate"], state=state,
                              tone=tone, habit_index=index)
        task = verdict.tasks[0]
        assert task["kind"] == "journal_pre" and task["payload"]["habit"] == habits[index]
        assert lint_text(task["payload"]["habit"]) == []
        seen.add(task["payload"]["habit"])
    assert len(seen) == len(habits) >= 4  # the index rotates through the label's habits
    # a spike (FOMO) and a cooldown (REVENGE) speak of their own label
    spike = MarketState(candle_close_time=NOW, change_pct=9.0, rsi=60.0, bb_pos=0.7, spike_change_pct=9.0)
    fomo = gate_decide(intent=intent(), rules=CRYPTO["defaultRules"], gate=CRYPTO["gate"],
                       state=GateState(now=NOW, market=spike), tone=tone)
    assert fomo.tasks[0]["payload"]["habit"] == coach_habits(label="FOMO", tone=tone, context="intent")[0]
    assert fomo.tasks[1]["payload"]["habit"] == fomo.tasks[0]["payload"]["habit"]


def test_active_cooldown_waits_until_it_ends_with_friction_tasks():
    ends = NOW + timedelta(hours=5)
    state = GateState(now=NOW, market=CALM, cooldown=CooldownInfo(id="c1", reason="losses", ends_at=ends, message="m"))
    verdict = decide(intent(), state)
    assert verdict.decision == "WAIT"
    assert verdict.until == ends
    assert verdict.reasons == [{"code": "cooldown_active", "outcome": "WAIT",
                                "message": "You are in a cooldown until 20 Nov 20:30 UTC; intents wait until it ends.",
                                "evidence": {"value": "losses", "threshold": ends.isoformat()}}]
    assert [(t["ctaId"], t["kind"], t["status"]) for t in verdict.tasks] == [
        ("journal_pre", "journal_pre", "open"), ("wait", "wait", "open")]
    assert verdict.tasks[1]["payload"]["until"] == ends.isoformat()


def test_losing_streak_inside_the_cooldown_waits_until_it_runs_out():
    last_loss = NOW - timedelta(hours=2)
    state = GateState(now=NOW, market=CALM, loss_streak=3, last_loss={"ts": last_loss})
    verdict = decide(intent(), state)
    assert (verdict.decision, fired(verdict)) == ("WAIT", ["loss_streak"])
    assert verdict.until == last_loss + timedelta(hours=12)
    assert verdict.reasons[0]["evidence"] == {"value": 3, "threshold": 3}
    # the same streak after the cooldown ran out is history, not a reason
    old = GateState(now=NOW, market=CALM, loss_streak=3, last_loss={"ts": NOW - timedelta(hours=13)})
    assert decide(intent(), old).decision == "GO"


def test_trade_limit_reached_is_no_go():
    verdict = decide(intent(), GateState(now=NOW, market=CALM, trades_today=8))
    assert (verdict.decision, fired(verdict)) == ("NO_GO", ["max_trades_per_day"])
    assert verdict.reasons[0]["evidence"] == {"value": 9, "threshold": 8}
    assert verdict.reasons[0]["message"] == "This would be trade number 9 today; your limit is 8 a day."
    assert [t["kind"] for t in verdict.tasks] == ["journal_pre"]
    assert verdict.until is None


def test_daily_loss_limit_from_a_rule_or_the_persona_share_of_capital():
    state = GateState(now=NOW, market=CALM, realized_loss_today=Decimal("50"))
    verdict = decide(intent(), state)  # persona: 5% of the stated 1000
    assert (verdict.decision, fired(verdict)) == ("NO_GO", ["max_loss_per_day"])
    assert verdict.reasons[0]["evidence"] == {"value": "50", "threshold": "50"}
    rules = {**CRYPTO["defaultRules"], "maxLossPerDay": {"amount": 80}}
    assert decide(intent(), state, rules=rules).decision == "GO"
    no_capital = decide(intent(capital=None), state)
    assert {c["code"]: c["status"] for c in no_capital.checks}["max_loss_per_day"] == "not_evaluable"


def test_spike_past_the_rule_waits_for_the_persona_pause():
    market = MarketState(candle_close_time=NOW, change_pct=9.0, rsi=60.0, bb_pos=0.7, spike_change_pct=9.0)
    verdict = decide(intent(), GateState(now=NOW, market=market))
    assert (verdict.decision, fired(verdict)) == ("WAIT", ["spike_over_rule"])
    assert verdict.until == NOW + timedelta(hours=4)
    assert verdict.reasons[0]["evidence"] == {"value": 9.0, "threshold": 8.0}
    assert [t["kind"] for t in verdict.tasks] == ["journal_pre", "wait", "simulate"]
    # a fall of the same size does not stop a long entry, but does stop a short one
    falling = MarketState(candle_close_time=NOW, change_pct=-9.0, rsi=40.0, bb_pos=0.3, spike_change_pct=-9.0)
    assert decide(intent(), GateState(now=NOW, market=falling)).decision == "GO"
    short = intent(direction="short", stop=Decimal("105"), target=Decimal("85"))
    assert fired(decide(short, GateState(now=NOW, market=falling))) == ["spike_over_rule"]


def test_fomo_market_asks_to_simulate():
    market = MarketState(candle_close_time=NOW, change_pct=7.5, rsi=74.0, bb_pos=0.93, spike_change_pct=7.5)
    rules = {k: v for k, v in CRYPTO["defaultRules"].items() if k != "avoidSpikeOverPct"}
    gate = {**CRYPTO["gate"], "market": {**CRYPTO["gate"]["market"], "changePct": 7}}
    verdict = decide(intent(), GateState(now=NOW, market=market), rules=rules, gate=gate)
    assert (verdict.decision, fired(verdict)) == ("SIMULATE", ["market_fomo"])
    assert verdict.reasons[0]["evidence"] == {"value": "move 7.50%, RSI 74.0, %B 0.93",
                                              "threshold": "move ≥ 7%, RSI ≥ 70, %B ≥ 0.8"}
    simulate = next(t for t in verdict.tasks if t["kind"] == "simulate")
    assert simulate["payload"]["body"] == {"symbol": "BTC-USD", "horizonDays": 7}
    assert verdict.until is None


def test_low_reward_to_risk_asks_to_simulate():
    verdict = decide(intent(target=Decimal("105")))
    assert (verdict.decision, fired(verdict)) == ("SIMULATE", ["risk_reward_low"])
    assert verdict.reasons[0]["evidence"] == {"value": 1.0, "threshold": 1.5}


def test_risk_above_the_stated_share_of_capital_is_size_down():
    verdict = decide(intent(qty=Decimal("5")))  # 5 units × 5 at risk = 25 of 1000 = 2.5% > persona 2%
    assert (verdict.decision, fired(verdict)) == ("SIZE_DOWN", ["risk_above_limit"])
    assert verdict.reasons[0]["evidence"] == {"value": 2.5, "threshold": 2.0}
    assert "persona's limit" in verdict.reasons[0]["message"]
    own = decide(intent(qty=Decimal("5"), risk_pct=Decimal("3")))
    assert own.decision == "GO"
    by_amount = decide(intent(quote_amount=Decimal("1000"), qty=None, risk_pct=Decimal("3")))  # 10 units → 5%
    assert fired(by_amount) == ["risk_above_limit"]
    assert [t["kind"] for t in by_amount.tasks] == ["checklist"]


def test_loss_past_the_stated_maximum_is_size_down():
    verdict = decide(intent(max_loss=Decimal("4")))
    assert (verdict.decision, fired(verdict)) == ("SIZE_DOWN", ["loss_above_max"])
    assert verdict.reasons[0]["evidence"] == {"value": "5", "threshold": "4"}


def test_missing_stop_waits_for_the_checklist_and_wrong_side_stop_is_no_go():
    verdict = decide(intent(stop=None))
    assert (verdict.decision, fired(verdict)) == ("WAIT", ["stop_missing"])
    assert verdict.until == NOW + timedelta(minutes=15)
    checklist = next(t for t in verdict.tasks if t["kind"] == "checklist")
    assert checklist["payload"]["items"] == [{"text": "Add the stop your plan is built on.", "done": False}]
    wrong = decide(intent(stop=Decimal("101")))
    assert (wrong.decision, fired(wrong)) == ("NO_GO", ["stop_wrong_side"])
    dca = persona_policy("indexdca")
    assert decide(intent(stop=None), rules=dca["defaultRules"], gate=dca["gate"]).decision == "GO"


def test_most_severe_outcome_wins_and_reasons_list_every_fired_check():
    state = GateState(now=NOW, market=CALM, trades_today=8, loss_streak=3, last_loss={"ts": NOW - timedelta(hours=1)})
    verdict = decide(intent(qty=Decimal("5"), target=Decimal("102")), state)
    assert verdict.decision == "NO_GO"
    assert fired(verdict) == ["max_trades_per_day", "loss_streak", "risk_reward_low", "risk_above_limit"]
    assert verdict.until is None


def test_missing_market_data_is_reported_not_guessed():
    verdict = decide(intent(), GateState(now=NOW, market=MarketState()))
    statuses = {c["code"]: c for c in verdict.checks}
    assert verdict.decision == "GO"
    assert statuses["spike_over_rule"]["status"] == statuses["market_fomo"]["status"] == "not_evaluable"
    assert statuses["market_fomo"]["message"] == "Not enough stored hourly candles to measure the last 24 hours of this market."


@pytest.mark.parametrize("persona", PERSONA_IDS)
def test_every_message_of_every_outcome_passes_the_non_advisory_linter(persona):
    policy = persona_policy(persona)
    hot = MarketState(candle_close_time=NOW, change_pct=25.0, rsi=90.0, bb_pos=1.1, spike_change_pct=25.0)
    states = [GateState(now=NOW, market=CALM), GateState(now=NOW, market=hot, trades_today=50, loss_streak=9,
                                                         last_loss={"ts": NOW}, realized_loss_today=Decimal("999"),
                                                         cooldown=CooldownInfo("c", "breach", NOW + timedelta(hours=1), "m"))]
    intents = [intent(), intent(stop=None), intent(stop=Decimal("120")), intent(qty=Decimal("50"), max_loss=Decimal("1")),
               intent(direction="short", stop=Decimal("110"), target=Decimal("99"))]
    texts = set()
    for state in states:
        for i in intents:
            verdict = decide(i, state, rules=policy["defaultRules"], gate=policy["gate"])
            texts |= {c["message"] for c in verdict.checks}
            texts |= {t["payload"].get("prompt", "") for t in verdict.tasks} - {""}
            texts |= {item["text"] for t in verdict.tasks for item in t["payload"].get("items", [])}
    assert len(texts) > 15
    assert {text: lint_text(text) for text in texts if lint_text(text)} == {}
    assert "This check fired; its evidence shows the figures it compared." not in texts


def test_user_rules_override_the_persona_defaults():
    class R:
        def __init__(self, kind, params, active=True):
            self.kind, self.params, self.active = kind, params, active

    policy = policy_effective(persona="swing", coach_tone="strict",
                              user_rules=[R("maxTradesPerDay", {"count": 5}), R("minHoldHours", {"hours": 1}, active=False)])
    assert policy.rules["maxTradesPerDay"] == {"count": 5}
    assert policy.rule_sources == {"avoidSpikeOverPct": "persona", "maxTradesPerDay": "yours",
                                   "cooldownAfterLosses": "persona"}
    assert policy.tone == "strict"
    assert policy_effective(persona="indexdca", coach_tone="strict", user_rules=[]).tone == "supportive"
    assert policy_effective(persona="nonsense", coach_tone="strict", user_rules=[]).persona == "crypto"
