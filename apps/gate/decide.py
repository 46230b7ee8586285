"""The decision gate as a pure function: an intent, the user's effective policy and a snapshot of their state
→ one outcome with its reasons, every check made, `until` and friction tasks. No database, no clock: the
caller passes `now`, so every outcome can be built by hand in a test.

Outcomes, most severe first (the decision is the most severe outcome any check asks for):

    NO_GO     the day's limits are reached (trades per day, realised loss per day) or the plan contradicts
              itself (the stop on the wrong side of the entry)
    WAIT      a cooldown is running, a losing streak is inside the user's cooldown, the market moved past
              the user's spike rule, the plan has no stop where the persona asks for one, or its stop is
              missing or farther from the entry than the user's own `stopLossPct` rule
    SIMULATE  the last closed candles show the FOMO pattern (move, RSI and %B past the persona's lines),
              or the plan's reward:risk is under the persona's minimum
    SIZE_DOWN the plan puts more of the stated capital at risk than the user's own limit, or could lose
              more than the maximum loss they stated
    GO        nothing fired
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from .messages import habit, message
from .models import Decision

SEVERITY = {Decision.GO: 0, Decision.SIZE_DOWN: 1, Decision.SIMULATE: 2, Decision.WAIT: 3, Decision.NO_GO: 4}
TIMEFRAME_HOURS = {"15m": 0.25, "1h": 1, "4h": 4, "1d": 24, "1w": 168}


@dataclass(frozen=True)
class IntentInput:
    symbol: str
    direction: str  # long | short
    entry: Decimal
    qty: Decimal | None = None
    quote_amount: Decimal | None = None
    stop: Decimal | None = None
    target: Decimal | None = None
    risk_pct: Decimal | None = None
    max_loss: Decimal | None = None
    capital: Decimal | None = None

    @property
    def units(self) -> Decimal:
        return self.qty if self.qty is not None else (self.quote_amount or Decimal(0)) / self.entry


@dataclass(frozen=True)
class CooldownInfo:
    id: str
    reason: str
    ends_at: datetime
    message: str


@dataclass(frozen=True)
class MarketState:
    """The last closed candle's features (None where the stored candles do not reach)."""

    candle_close_time: datetime | None = None
    change_pct: float | None = None  # over the persona's market lookback
    rsi: float | None = None
    bb_pos: float | None = None
    spike_change_pct: float | None = None  # over the avoidSpikeOverPct rule's lookback


@dataclass(frozen=True)
class GateState:
    now: datetime
    cooldown: CooldownInfo | None = None
    trades_today: int = 0
    loss_streak: int = 0
    last_loss: dict | None = None  # the newest exit of the streak: {tradeId, symbol, ts, realizedPnl}
    realized_loss_today: Decimal = Decimal(0)  # a positive amount, in the intent's quote currency
    market: MarketState = field(default_factory=MarketState)


@dataclass(frozen=True)
class Check:
    code: str
    status: str  # fired | passed | not_evaluable | not_applicable
    outcome: str  # what it asks for when fired
    message: str
    value: object = None
    threshold: object = None
    until: datetime | None = None

    def as_reason(self) -> dict:
        return {"code": self.code, "message": self.message, "outcome": self.outcome,
                "evidence": {"value": self.value, "threshold": self.threshold}}

    def as_dict(self) -> dict:
        return {**self.as_reason(), "status": self.status}


@dataclass(frozen=True)
class Verdict:
    decision: str
    reasons: list[dict]
    checks: list[dict]
    until: datetime | None
    tasks: list[dict]


def _num(value: Decimal | float | None, places: int = 4):
    if value is None:
        return None
    return float(round(Decimal(str(value)), places))


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _check(code: str, fired: bool, outcome: str, *, value=None, threshold=None, until=None, **words) -> Check:
    return Check(code=code, status="fired" if fired else "passed", outcome=outcome,
                 message=message(code, fired=fired, **words), value=value, threshold=threshold, until=until)


def _skip(code: str, outcome: str, status: str = "not_evaluable", **words) -> Check:
    return Check(code=code, status=status, outcome=outcome, message=message(code, status=status, **words))


def _cooldown_checks(state: GateState, rules: dict) -> list[Check]:
    checks = []
    if state.cooldown is not None and state.cooldown.ends_at > state.now:
        checks.append(_check("cooldown_active", True, Decision.WAIT, value=state.cooldown.reason,
                             threshold=state.cooldown.ends_at.isoformat(), until=state.cooldown.ends_at,
                             ends=state.cooldown.ends_at))
    else:
        checks.append(_check("cooldown_active", False, Decision.WAIT))
    params = rules.get("cooldownAfterLosses")
    if not params:
        checks.append(_skip("loss_streak", Decision.WAIT, status="not_applicable"))
    else:
        losses, hours = int(params["losses"]), float(params["hours"])
        ends = state.last_loss["ts"] + timedelta(hours=hours) if state.last_loss else None
        fired = state.loss_streak >= losses and ends is not None and ends > state.now
        checks.append(_check("loss_streak", fired, Decision.WAIT, value=state.loss_streak, threshold=losses,
                             until=ends if fired else None, streak=state.loss_streak, losses=losses, hours=hours))
    return checks


def _day_checks(intent: IntentInput, state: GateState, rules: dict, gate: dict) -> list[Check]:
    checks = []
    params = rules.get("maxTradesPerDay")
    if not params:
        checks.append(_skip("max_trades_per_day", Decision.NO_GO, status="not_applicable"))
    else:
        count = int(params["count"])
        checks.append(_check("max_trades_per_day", state.trades_today >= count, Decision.NO_GO,
                             value=state.trades_today + 1, threshold=count, number=state.trades_today + 1,
                             count=count))
    limit: Decimal | None = None
    if rules.get("maxLossPerDay"):
        limit = Decimal(str(rules["maxLossPerDay"]["amount"]))
    elif gate.get("maxDailyLossPct") and intent.capital:
        limit = intent.capital * Decimal(str(gate["maxDailyLossPct"])) / 100
    if limit is None:
        checks.append(_skip("max_loss_per_day", Decision.NO_GO))
    else:
        checks.append(_check("max_loss_per_day", state.realized_loss_today >= limit, Decision.NO_GO,
                             value=_dec(state.realized_loss_today), threshold=_dec(limit)))
    return checks


def _market_checks(intent: IntentInput, state: GateState, rules: dict, gate: dict) -> list[Check]:
    checks = []
    market = state.market
    sign = 1 if intent.direction == "long" else -1
    params = rules.get("avoidSpikeOverPct")
    if not params:
        checks.append(_skip("spike_over_rule", Decision.WAIT, status="not_applicable"))
    elif market.spike_change_pct is None:
        checks.append(_skip("spike_over_rule", Decision.WAIT, hours=float(params["lookbackHours"])))
    else:
        move = market.spike_change_pct * sign
        fired = move > float(params["pct"])
        checks.append(_check("spike_over_rule", fired, Decision.WAIT, value=_num(market.spike_change_pct, 2),
                             threshold=float(params["pct"]) * sign,
                             until=state.now + timedelta(hours=gate["spikeWaitHours"]) if fired else None,
                             move=abs(market.spike_change_pct), hours=float(params["lookbackHours"]),
                             pct=float(params["pct"]), direction=intent.direction))
    lines = gate["market"]
    if None in (market.change_pct, market.rsi, market.bb_pos):
        checks.append(_skip("market_fomo", Decision.SIMULATE, hours=lines["lookbackHours"]))
    else:
        if intent.direction == "long":
            fired = (market.change_pct >= lines["changePct"] and market.rsi >= lines["rsi"]
                     and market.bb_pos >= lines["bbPos"])
            threshold = f"move ≥ {lines['changePct']}%, RSI ≥ {lines['rsi']}, %B ≥ {lines['bbPos']}"
        else:
            fired = (market.change_pct <= -lines["changePct"] and market.rsi <= 100 - lines["rsi"]
                     and market.bb_pos <= 1 - lines["bbPos"])
            threshold = f"move ≤ -{lines['changePct']}%, RSI ≤ {100 - lines['rsi']}, %B ≤ {round(1 - lines['bbPos'], 4)}"
        value = f"move {market.change_pct:.2f}%, RSI {market.rsi:.1f}, %B {market.bb_pos:.2f}"
        checks.append(_check("market_fomo", fired, Decision.SIMULATE, value=value, threshold=threshold,
                             move=market.change_pct, hours=lines["lookbackHours"], rsi=market.rsi,
                             bb=market.bb_pos, direction=intent.direction))
    return checks


def _plan_checks(intent: IntentInput, gate: dict) -> list[Check]:
    checks = []
    sign = Decimal(1) if intent.direction == "long" else Decimal(-1)
    if intent.stop is None:
        if gate["requireStop"]:
            checks.append(_check("stop_missing", True, Decision.WAIT, value=None, threshold="a stop",
                                 until=None))
        else:
            checks.append(_skip("stop_missing", Decision.WAIT, status="not_applicable"))
        for code, outcome in (("stop_wrong_side", Decision.NO_GO), ("risk_reward_low", Decision.SIMULATE),
                              ("risk_above_limit", Decision.SIZE_DOWN), ("loss_above_max", Decision.SIZE_DOWN)):
            checks.append(_skip(code, outcome, reason="no_stop"))
        return checks
    checks.append(_check("stop_missing", False, Decision.WAIT))
    per_unit = (intent.entry - intent.stop) * sign
    if per_unit <= 0:
        checks.append(_check("stop_wrong_side", True, Decision.NO_GO, value=_dec(intent.stop),
                             threshold=_dec(intent.entry), direction=intent.direction))
        for code, outcome in (("risk_reward_low", Decision.SIMULATE), ("risk_above_limit", Decision.SIZE_DOWN),
                              ("loss_above_max", Decision.SIZE_DOWN)):
            checks.append(_skip(code, outcome, reason="stop_wrong_side"))
        return checks
    checks.append(_check("stop_wrong_side", False, Decision.NO_GO))
    if intent.target is None or gate.get("minRiskReward") is None:
        checks.append(_skip("risk_reward_low", Decision.SIMULATE,
                            status="not_evaluable" if intent.target is None else "not_applicable",
                            reason="no_target"))
    else:
        ratio = (intent.target - intent.entry) * sign / per_unit
        minimum = Decimal(str(gate["minRiskReward"]))
        checks.append(_check("risk_reward_low", ratio < minimum, Decision.SIMULATE, value=_num(ratio, 2),
                             threshold=float(minimum), ratio=_num(ratio, 2), minimum=float(minimum)))
    risk_amount = per_unit * intent.units
    limit_pct = intent.risk_pct if intent.risk_pct is not None else (
        Decimal(str(gate["maxRiskPct"])) if gate.get("maxRiskPct") is not None else None)
    if limit_pct is None:
        checks.append(_skip("risk_above_limit", Decision.SIZE_DOWN, status="not_applicable"))
    elif not intent.capital:
        checks.append(_skip("risk_above_limit", Decision.SIZE_DOWN, reason="no_capital"))
    else:
        at_risk = risk_amount / intent.capital * 100
        checks.append(_check("risk_above_limit", at_risk > limit_pct, Decision.SIZE_DOWN, value=_num(at_risk, 2),
                             threshold=_num(limit_pct, 2), at_risk=_num(at_risk, 2), limit=_num(limit_pct, 2),
                             own=intent.risk_pct is not None))
    if intent.max_loss is None:
        checks.append(_skip("loss_above_max", Decision.SIZE_DOWN, status="not_applicable"))
    else:
        checks.append(_check("loss_above_max", risk_amount > intent.max_loss, Decision.SIZE_DOWN,
                             value=_dec(risk_amount.quantize(Decimal("0.00000001"))), threshold=_dec(intent.max_loss)))
    return checks


def _stop_rule_check(intent: IntentInput, rules: dict) -> Check:
    """The user's own `stopLossPct` rule against the plan's stop: a plan without a stop, or with one farther from
    the entry than the rule allows, waits for the plan to be completed."""
    params = rules.get("stopLossPct")
    if not params:
        return _skip("stop_loss_rule", Decision.WAIT, status="not_applicable")
    limit = Decimal(str(params["pct"]))
    if intent.stop is None:
        return _check("stop_loss_rule", True, Decision.WAIT, value=None, threshold=_num(limit, 2), pct=_num(limit, 2))
    sign = Decimal(1) if intent.direction == "long" else Decimal(-1)
    distance = (intent.entry - intent.stop) * sign / intent.entry * 100
    if distance <= 0:
        return _skip("stop_loss_rule", Decision.WAIT, reason="stop_wrong_side")
    return _check("stop_loss_rule", distance > limit, Decision.WAIT, value=_num(distance, 2),
                  threshold=_num(limit, 2), distance=_num(distance, 2), pct=_num(limit, 2))


# the coach's label behind each check, so a task carries a habit from the same library as reflections
HABIT_LABELS = {"cooldown_active": "REVENGE", "loss_streak": "REVENGE", "max_loss_per_day": "REVENGE",
                "max_trades_per_day": "OVERTRADING", "spike_over_rule": "FOMO", "market_fomo": "FOMO",
                "stop_missing": "PANIC", "stop_wrong_side": "PANIC", "stop_loss_rule": "PANIC",
                "risk_above_limit": "OVERCONFIDENCE", "loss_above_max": "OVERCONFIDENCE", "risk_reward_low": "FOMO"}


def habit_label(fired: list[Check], direction: str) -> str:
    """The label of the most severe fired check (a short's market check speaks of panic selling)."""
    if not fired:
        return "NONE"
    code = fired[0].code
    if code == "market_fomo" and direction == "short":
        return "PANIC"
    return HABIT_LABELS.get(code, "NONE")


def _tasks(decision: str, fired: list[Check], *, intent: IntentInput, until: datetime | None, gate: dict,
           tone: str, habit_index: int) -> list[dict]:
    codes = {c.code for c in fired}
    tasks: list[dict] = []
    coach = habit(label=habit_label(fired, intent.direction), tone=tone, index=habit_index)

    def add(kind: str, payload: dict) -> None:
        tasks.append({"ctaId": kind, "kind": kind, "payload": payload, "status": "open"})

    if decision in (Decision.WAIT, Decision.NO_GO, Decision.SIMULATE):
        add("journal_pre", {"prompt": message("task_journal_pre"), "habit": coach, "text": ""})
    if decision == Decision.WAIT and until is not None:
        add("wait", {"until": until.isoformat(), "prompt": message("task_wait"), "habit": coach})
    if decision in (Decision.SIMULATE, Decision.WAIT) and codes & {"market_fomo", "risk_reward_low", "spike_over_rule"}:
        add("simulate", {"prompt": message("task_simulate"), "endpoint": "/api/simulations/simple",
                         "body": {"symbol": intent.symbol, "horizonDays": gate["simulateHorizonDays"]}})
    items = []
    if "stop_missing" in codes:
        items.append(message("checklist_stop"))
    if "stop_loss_rule" in codes:
        items.append(message("checklist_stop_rule"))
    if codes & {"risk_above_limit", "loss_above_max"}:
        items.append(message("checklist_size"))
    if decision in (Decision.WAIT, Decision.SIZE_DOWN) and items:
        add("checklist", {"items": [{"text": text, "done": False} for text in items]})
    return tasks


def gate_decide(*, intent: IntentInput, rules: dict, gate: dict, state: GateState, tone: str = "supportive",
                habit_index: int = 0) -> Verdict:
    """The gate's answer for `intent` under the effective `rules` (kind → params) and persona `gate` values; the
    tasks carry a habit in the user's coach `tone` (`habit_index` rotates through the label's habits)."""
    checks = [*_cooldown_checks(state, rules), *_day_checks(intent, state, rules, gate),
              *_market_checks(intent, state, rules, gate), *_plan_checks(intent, gate), _stop_rule_check(intent, rules)]
    fired = [c for c in checks if c.status == "fired"]
    decision = max((c.outcome for c in fired), key=SEVERITY.__getitem__, default=Decision.GO)
    until = None
    if decision == Decision.WAIT:
        waits = [c for c in fired if c.outcome == Decision.WAIT]
        ends = [c.until for c in waits if c.until is not None]
        if any(c.until is None for c in waits):  # a plan to complete: a short pause the persona sets
            ends.append(state.now + timedelta(minutes=gate["planWaitMinutes"]))
        until = max(ends)
    ordered = sorted(fired, key=lambda c: -SEVERITY[c.outcome])
    return Verdict(decision=str(decision), reasons=[c.as_reason() for c in ordered],
                   checks=[c.as_dict() for c in checks], until=until,
                   tasks=_tasks(decision, ordered, intent=intent, until=until, gate=gate, tone=tone,
                                habit_index=habit_index))
