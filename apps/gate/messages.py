"""What the gate says, in words about the trader's own plan, rules and behaviour — never a trade or a price
to act on. Every sentence passes the project's non-advisory linter; one that does not (numbers filled in
can change a sentence) is replaced by a neutral one and logged."""
from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache

from apps.bias.selectors import advice_violations
from apps.bias.services.reflections import coach_habit

logger = logging.getLogger(__name__)

NEUTRAL = "This check fired; its evidence shows the figures it compared."


def _g(value: float) -> str:
    return f"{value:g}"


def _when(moment: datetime) -> str:
    return moment.strftime("%d %b %H:%M UTC")


def _text(code: str, *, fired: bool, status: str | None, **w) -> str:  # noqa: C901 - one branch per check
    if status == "not_applicable":
        return "Not part of your policy."
    if status == "not_evaluable":
        if code in ("spike_over_rule", "market_fomo"):
            return f"Not enough stored hourly candles to measure the last {_g(w.get('hours', 24))} hours of this market."
        if w.get("reason") == "no_capital":
            return "Your intent does not state the capital, so the share at risk cannot be measured."
        if w.get("reason") == "no_target":
            return "Your plan has no target, so reward against risk cannot be measured."
        if w.get("reason") in ("no_stop", "stop_wrong_side"):
            return "Needs a usable stop in your plan."
        if code == "max_loss_per_day":
            return "No daily loss limit applies: no maxLossPerDay rule and no capital stated."
        return "Could not be measured."
    if code == "cooldown_active":
        return (f"You are in a cooldown until {_when(w['ends'])}; intents wait until it ends."
                if fired else "No cooldown is running.")
    if code == "loss_streak":
        if fired:
            return (f"Your last {w['streak']} exits were losses in a row, and your rule asks for "
                    f"{_g(w['hours'])} hours of cooldown after {w['losses']}.")
        return f"{w['streak']} losing exits in a row; your cooldown starts at {w['losses']}."
    if code == "max_trades_per_day":
        if fired:
            return f"This would be trade number {w['number']} today; your limit is {w['count']} a day."
        return f"This would be trade number {w['number']} today, within your limit of {w['count']}."
    if code == "max_loss_per_day":
        return ("Your realised loss today has reached your daily limit (the evidence has both figures)."
                if fired else "Your realised loss today is inside your daily limit.")
    if code == "spike_over_rule":
        verb = "rose" if w["move"] >= 0 else "fell"
        if w["direction"] == "short":
            verb = "fell" if w["move"] >= 0 else "rose"
        if fired:
            return (f"The market {verb} {w['move']:.1f}% over the last {_g(w['hours'])} hours; your rule avoids "
                    f"entries after a move of more than {_g(w['pct'])}%.")
        return f"The move over the last {_g(w['hours'])} hours is inside your {_g(w['pct'])}% spike rule."
    if code == "market_fomo":
        label = "FOMO" if w["direction"] == "long" else "panic"
        if fired:
            return (f"The last closed candles look like the moments your {label} label describes: a "
                    f"{w['move']:.1f}% move in {_g(w['hours'])} hours, RSI {w['rsi']:.0f} and %B {w['bb']:.2f}.")
        return f"The last closed candles do not show the {label} pattern."
    if code == "stop_missing":
        return ("Your plan has no stop, and your persona's checklist asks for one before a trade."
                if fired else "Your plan names a stop.")
    if code == "stop_wrong_side":
        return (f"Your stop sits on the wrong side of your entry for a {w['direction']} plan."
                if fired else "Your stop sits on the loss side of your entry.")
    if code == "risk_reward_low":
        if fired:
            return (f"Your plan's reward is {_g(w['ratio'])} times its risk; your policy asks for at least "
                    f"{_g(w['minimum'])}.")
        return f"Your plan's reward is {_g(w['ratio'])} times its risk, at or above your policy's {_g(w['minimum'])}."
    if code == "risk_above_limit":
        whose = "your own limit" if w["own"] else "your persona's limit"
        if fired:
            return f"Your plan puts {_g(w['at_risk'])}% of the capital you stated at risk; {whose} is {_g(w['limit'])}%."
        return f"Your plan puts {_g(w['at_risk'])}% of the capital you stated at risk, within {whose}."
    if code == "stop_loss_rule":
        if w.get("distance") is None:
            return f"Your plan has no stop, and your own stop rule is {_g(w['pct'])}% from the entry."
        if fired:
            return f"Your plan's stop is {_g(w['distance'])}% from the entry; your own stop rule is {_g(w['pct'])}%."
        return f"Your plan's stop is {_g(w['distance'])}% from the entry, within your own {_g(w['pct'])}% stop rule."
    if code == "loss_above_max":
        return ("Your plan could lose more than the maximum loss you stated."
                if fired else "Your plan's loss at the stop is within the maximum loss you stated.")
    fixed = {
        "task_journal_pre": "Write down what you expect and what would prove you wrong.",
        "task_wait": "Take a pause until the time shown, then look at your plan again.",
        "task_simulate": "Replay how holding compared with waiting on this market before you decide.",
        "checklist_stop": "Add the stop your plan is built on.",
        "checklist_stop_rule": "Compare the stop in your plan with your own stop rule.",
        "checklist_size": "Recompute the size of your plan from your own risk limit.",
        "decision_GO": "Your checks passed: the plan, your rules and the market state raised nothing.",
        "decision_WAIT": "Your own rules ask for a pause before this one.",
        "decision_SIZE_DOWN": "Your plan carries more risk than your own limits allow.",
        "decision_SIMULATE": "This setup looks like ones worth replaying before you decide.",
        "decision_NO_GO": "Your own limits for today, or your plan itself, rule this one out.",
    }
    return fixed[code]


def habit(*, label: str, tone: str, index: int) -> str:
    """A habit for the label from the coach's library (the one reflections and the digest use), in the user's
    tone, among those that read well before a trade."""
    return coach_habit(label=label, tone=tone, index=index, context="intent")


@lru_cache(maxsize=4096)
def _violations(text: str) -> tuple[str, ...]:
    """The linter's findings for a text (the same text always gets the same findings: memoised, as a gate
    decision lints a dozen messages that mostly repeat from one intent to the next)."""
    return tuple(advice_violations(text=text))


def message(code: str, *, fired: bool = False, status: str | None = None, **words) -> str:
    text = _text(code, fired=fired, status=status, **words)
    problems = list(_violations(text))
    if problems:
        logger.warning("gate message %s failed the non-advisory linter (%s); neutral text used", code, problems)
        return NEUTRAL
    return text
