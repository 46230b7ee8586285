"""Coach reflections: two sentences about behaviour, one concrete habit, never what to buy or sell.

The first sentence states what the evidence shows — for labels with two ways to fire (REVENGE, OVERTRADING)
the way that fired, for NONE the nearest miss with its numbers — followed by a framing; the second is one
habit. Each label has at least five habits per tone (``HABITS``, also used by the digest and the gate).
The framing and the habit rotate with the tag's ``history.occurrence`` (how many earlier trades of the user
carried the same label), so consecutive reflections of one label never repeat a habit, and the same trade
always reads the same. Without that count (features from elsewhere) a hash of the inputs picks them.
When an OpenAI-compatible endpoint is configured (``settings.LLM_BASE_URL``), ``reflect`` asks it first
(see ``llm``); whatever it returns is linted and anything that fails falls back to the template, with the
reason recorded on the reflection (``fallback``).
"""
from __future__ import annotations

import hashlib
import json

from .linter import lint_text
from .types import Reflection

TONES = ("supportive", "strict")
LABEL_NAMES = {"FOMO": "FOMO", "PANIC": "panic selling", "DISCIPLINE": "discipline", "REVENGE": "revenge trading",
               "OVERTRADING": "overtrading", "OVERCONFIDENCE": "overconfidence"}


def _pct(value, signed: bool = True) -> str | None:
    if value is None:
        return None
    return f"{value * 100:+.1f}%" if signed else f"{abs(value) * 100:.1f}%"


def _fired(features: dict) -> set[str]:
    """The names of the conditions that fired on this tag (its path, when recorded)."""
    path = (features.get("score") or {}).get("path")
    if path:
        return set(path)
    return {c.get("name") for c in features.get("conditions") or [] if c.get("fired")}


def _facts(label: str, features: dict) -> str:
    """The first sentence's observation, from the evidence (no market opinions, past tense)."""
    inputs = features.get("inputs") or {}
    fired = _fired(features)
    if label == "FOMO":
        move, rsi = _pct(inputs.get("pct_change_24h_before")), inputs.get("RSI_14")
        if move and rsi is not None:
            return f"You entered after a {move} run in 24 hours, with RSI at {rsi:.0f}"
        return "You entered right after a sharp run-up"
    if label == "PANIC":
        result, drawdown = _pct(inputs.get("pnl_exit_pct")), _pct(inputs.get("drawdown_recent"), signed=False)
        if result and drawdown:
            return f"You exited at {result} while the price sat {drawdown} under its 7-day high"
        return "You exited at a loss in the middle of a steep slide"
    if label == "DISCIPLINE":
        kept = [r["kind"] for r in features.get("rules") or []
                if r.get("status") == "kept" and (not fired or f"rule_{r['kind']}" in fired)]
        if kept:
            return f"You kept your {_rule_name(kept[0])} rule on this trade"
        distance = _pct(inputs.get("support_distance"), signed=False)
        if distance:
            return f"You entered within {distance} of recent support instead of chasing a move"
        return "This trade followed your plan rather than the moment"
    if label == "REVENGE":
        return _revenge_facts(inputs, fired)
    if label == "OVERTRADING":
        return _overtrading_facts(inputs, fired)
    if label == "OVERCONFIDENCE":
        streak, size = inputs.get("win_streak"), inputs.get("size_vs_median")
        if streak and size:
            return f"After {streak} winning exits in a row, this entry was {size:.1f}x your usual size"
        return "After a winning streak, this entry was much larger than usual"
    return _near_miss_facts(features)


def _revenge_facts(inputs: dict, fired: set[str]) -> str:
    hours, size = inputs.get("hours_since_exit"), inputs.get("size_vs_lost_position")
    by_size = "size_vs_lost_position" in fired or (not fired and size is not None and size >= 1.2)
    same_market = "same_symbol" in fired
    if hours is None:
        return "You re-entered quickly after a losing exit"
    if same_market and by_size and size is not None:
        return (f"You went straight back into the same market {hours:.1f} hours after a losing exit there, "
                f"at {size:.1f}x the size of that position")
    if same_market:
        return f"You went straight back into the same market {hours:.1f} hours after a losing exit there"
    if size is not None:
        return f"You re-entered {hours:.1f} hours after a losing exit, at {size:.1f}x the size of that position"
    return f"You re-entered {hours:.1f} hours after a losing exit"


def _overtrading_facts(inputs: dict, fired: set[str]) -> str:
    count, usual = inputs.get("trades_today"), inputs.get("baseline_median_trades")
    ratio = inputs.get("turnover_vs_baseline")
    by_count = "trades_today" in fired or not fired
    by_amount = "turnover_vs_baseline" in fired and ratio is not None
    if by_amount and not by_count:
        return (f"The amount you traded today reached {ratio:.1f}x your usual day" +
                (f", over {count} trades" if count else ""))
    if by_amount and count:
        return f"This was trade number {count} today, and the amount traded reached {ratio:.1f}x your usual day"
    if count and usual:
        return f"This was trade number {count} today, against your usual {usual:g} a day"
    if count:
        return f"This was trade number {count} today"
    return "Today's trading ran far above your usual pace"


# how a condition reads in a near-miss sentence: (what it measures, how its value and line are written)
def _ratio(v: float) -> str:
    return f"{v:.2f}x"


def _number(v: float) -> str:
    return f"{v:.1f}"


def _count(v: float) -> str:
    return f"{v:g}"


def _hours(v: float) -> str:
    return f"{v:.1f} h"


CONDITION_WORDS: dict[str, tuple[str, object]] = {
    "pct_change_24h_before": ("the 24-hour move", lambda v: _pct(v)),
    "RSI_14": ("RSI(14)", _number),
    "BB_pos": ("%B", lambda v: f"{v:.2f}"),
    "pnl_exit": ("the sale's result", lambda v: _pct(v)),
    "drawdown_recent": ("the drop from the 7-day high", lambda v: _pct(v, signed=False)),
    "previous_exit_loss": ("the previous exit's result", lambda v: _pct(v)),
    "hours_since_loss": ("the time since that exit", _hours),
    "size_vs_lost_position": ("the size against the losing position", _ratio),
    "trades_today": ("the number of trades today", _count),
    "turnover_vs_baseline": ("the amount traded against your usual day", _ratio),
    "trades_today_min": ("the number of trades so far today", _count),
    "win_streak": ("the winning streak", _count),
    "size_vs_median": ("the size against your usual entry", _ratio),
    "support_distance": ("the distance from support", lambda v: _pct(v)),
}
BOOLEAN_WORDS = {"same_symbol": ("it was the same market as the loss", "it was a different market from the loss"),
                 "no_bias_or_broken_rule": ("nothing else fired and no rule was broken",
                                            "another label or a broken rule was on the trade")}
OPERATORS = {">=": "at least", "<=": "at most", "<": "below", ">": "above", "abs<=": "within ±"}


def _describe(condition: dict) -> str:
    name = condition.get("name") or ""
    value, threshold = condition.get("value"), condition.get("threshold")
    if name in BOOLEAN_WORDS:
        yes, no = BOOLEAN_WORDS[name]
        return yes if condition.get("fired") else no
    if name.startswith("rule_"):
        rule = _rule_name(name[5:])
        return f"your {rule} rule was kept" if condition.get("fired") else f"your {rule} rule was not kept"
    noun, fmt = CONDITION_WORDS.get(name, (name.replace("_", " "), _number))
    if not condition.get("evaluable", True) or value is None:
        return f"{noun} was unknown"
    line = f"{OPERATORS.get(condition.get('op'), condition.get('op'))} {fmt(threshold)}" if threshold is not None else ""
    return f"{noun} was {fmt(value)} (line: {line})" if line else f"{noun} was {fmt(value)}"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def near_miss(features: dict) -> dict | None:
    """The nearest label that did not fire, with what held and what did not (None when nothing came close)."""
    misses = features.get("near_misses") or []
    nearest = misses[0] if misses else None
    if not nearest or not nearest.get("share_fired"):
        return None
    conditions = [c for c in features.get("conditions") or [] if c.get("label", nearest["label"]) == nearest["label"]]
    held = [c for c in conditions if c.get("fired")]
    missed = [c for c in conditions if not c.get("fired") and c.get("name") != "no_bias_or_broken_rule"]
    if nearest["label"] == "DISCIPLINE":
        missed = [c for c in conditions if not c.get("fired")]
    return {"label": nearest["label"], "held": held, "missed": missed}


NOTHING_CLOSE = "Nothing in this trade came close to a label against your own patterns"


def _own_numbers(features: dict) -> str:
    """The trade's own figures, in brackets after NOTHING_CLOSE, so two quiet trades never read alike:
    for an entry the 24-hour move and RSI before it, for an exit its result and holding time; the day's count."""
    inputs = features.get("inputs") or {}
    parts = []
    if inputs.get("side") == "SELL":
        result, held = _pct(inputs.get("pnl_exit_pct")), inputs.get("held_hours")
        parts.append(f"an exit at {result}" if result else "an exit with no known entry")
        if held is not None:
            parts.append(f"after {held:.1f} hours held")
    else:
        move, rsi = _pct(inputs.get("pct_change_24h_before")), inputs.get("RSI_14")
        parts.append(f"an entry after a {move} move in 24 hours" if move else "an entry")
        if rsi is not None:
            parts.append(f"with RSI(14) at {rsi:.1f}")
    count = inputs.get("trades_today")
    if count:
        parts.append(f"trade number {count:g} of the day")
    return f" ({', '.join(parts)})" if inputs else ""


def _near_miss_facts(features: dict) -> str:
    miss = near_miss(features)
    if miss is None or not miss["missed"]:
        return NOTHING_CLOSE + _own_numbers(features)
    name = LABEL_NAMES.get(miss["label"], miss["label"])
    # the amount-traded path's minimum count and DISCIPLINE's guard are gates, not evidence of nearness
    held = [c for c in miss["held"] if c.get("name") not in ("trades_today_min", "no_bias_or_broken_rule")]
    missed = _join([_describe(c) for c in miss["missed"]])
    if not held:
        return f"This trade came closest to {name}, but {missed}"
    return f"This trade came closest to {name}: {_join([_describe(c) for c in held])}, but {missed}"


def _rule_name(kind: str) -> str:
    return {"avoidSpikeOverPct": "no-chasing-spikes", "minHoldHours": "minimum holding time",
            "maxTradesPerDay": "daily trade limit", "cooldownAfterLosses": "cooldown after losses"}.get(kind, kind)


# label → tone → framings appended to the facts (the first sentence's end)
FRAMINGS: dict[str, dict[str, list[str]]] = {
    "FOMO": {"supportive": [", which is the moment the fear of missing out pulls hardest.",
                            ", and that urge to catch a moving train is very human."],
             "strict": [": that is chasing, not a plan.", ", so the move decided for you."]},
    "PANIC": {"supportive": [", which is when fear feels most convincing.",
                             ", and exits under that kind of pressure are hard on anyone."],
              "strict": [": the slide made the decision, not your plan.", ", which is an exit driven by fear."]},
    "DISCIPLINE": {"supportive": [", which is exactly the patience that compounds.",
                                  ", and that kind of consistency is worth being proud of."],
                   "strict": [": this is the standard.", ", which is what a plan is for."]},
    "REVENGE": {"supportive": [", which often comes from wanting the loss back quickly.",
                               ", and wanting to win it back right away is a natural reaction."],
                "strict": [": that is trading to get even.", ", which is the loss talking."]},
    "OVERTRADING": {"supportive": [", and a busy screen can make activity feel like progress.",
                                   ", and each extra trade quietly adds to your fees."],
                    "strict": [": activity is not edge, and fees add up.", ", which turns fees into a steady drain."]},
    "OVERCONFIDENCE": {"supportive": [", which is how a good run can quietly raise the stakes.",
                                      ", and feeling sure after wins is completely natural."],
                       "strict": [": a streak says nothing about the next trade.", ", which lets recent luck set your risk."]},
    # NONE with nothing close
    "NONE": {"supportive": [", so there is nothing to correct here.", ", which is a quiet, steady trade."],
             "strict": [": no bias showed up.", ", so the process held."]},
    # NONE with a near miss
    "NONE_NEAR": {"supportive": [", so it was not labelled, though the near miss is worth a look.",
                                 ", which is close enough to notice before the next trade."],
                  "strict": [": not a label, but too close to ignore.", ", so it passed, narrowly."]},
}

# label → tone → habits (one concrete, behavioural habit each); shared with the digest and the gate
HABITS: dict[str, dict[str, list[str]]] = {
    "FOMO": {
        "supportive": [
            "Next time a move grabs you, write your reason and your exit plan first and wait one full candle before acting.",
            "Try a ten-minute pause with a written entry reason before any trade that follows a big green day.",
            "When a chart pulls at you, note in one line what you would do if you had not seen the last day's move.",
            "Keep a short list of the setups you planned this week and check any new entry against it first.",
            "Turn off price alerts for an hour after a sharp run so the decision waits for your plan.",
        ],
        "strict": [
            "Before any entry after a big move, write the reason and the exit plan in your journal, or skip it.",
            "Set a rule that you wait one full candle and log a written reason before entering after a run-up.",
            "No entry goes in without a plan written before the candle that tempted you.",
            "Add a no-chasing-spikes rule on your rules page and let it veto entries after sharp runs.",
            "Log every entry made within a day of a big rise and review that list every weekend.",
        ],
    },
    "PANIC": {
        "supportive": [
            "Decide your exit conditions when you open a position and keep them written where you can see them.",
            "Next time a slide hits, take a five-minute break and reread your original plan before acting.",
            "When the screen turns red, write down what you feel before you touch the order button.",
            "Keep your written exit conditions next to the chart so a slide meets your plan, not your nerves.",
            "After a sharp drop, step away for ten minutes and decide with your plan in front of you.",
        ],
        "strict": [
            "Write your exit conditions at entry and only act on those, not on a red screen.",
            "Before any exit during a slide, check it against the exit conditions you wrote down at entry.",
            "No exit during a slide without first naming the written condition it meets.",
            "Log every exit made in a slide with the condition it met, and review the ones that met none.",
            "Make a ten-minute wait mandatory before any unplanned exit.",
        ],
    },
    "DISCIPLINE": {
        "supportive": [
            "Note what helped you stay calm here so you can repeat it on the next trade.",
            "Keep writing your plan before each trade, as you did here.",
            "Add this trade to a short list of examples of your process at its best.",
            "Write one line on what made this trade easy to follow, and read it before your next session.",
            "Keep the routine that produced this trade, including the boring parts.",
        ],
        "strict": [
            "Log what you did here and measure every other trade against the same checklist.",
            "Repeat the same pre-trade checklist on every trade this week.",
            "Turn what worked here into a written rule and check it before every trade.",
            "Judge every trade this week by the same standard and mark each one kept or broken.",
            "Record this trade as your benchmark and compare the next five against it.",
        ],
    },
    "REVENGE": {
        "supportive": [
            "After a losing exit, step away for at least an hour and keep your next position at your usual size.",
            "Give yourself a fixed cooldown after any loss and write down how you feel before the next trade.",
            "After a loss, write one line about what happened before you look for another trade.",
            "Keep a cooldown rule on your rules page so the pause after a loss is decided in advance.",
            "When a loss stings, take a walk first and let the next trade wait until the feeling has passed.",
        ],
        "strict": [
            "Set a cooldown rule after losses and keep position size unchanged for the next trade.",
            "After every loss, wait out a fixed cooldown and cap the next position at your normal size.",
            "No new trade until you have logged the last loss and what you will change in your process.",
            "Make the first trade after a loss the same size as your usual one, without exception.",
            "Write down the loss, close the screen for an hour, and only then plan the next trade.",
        ],
    },
    "OVERTRADING": {
        "supportive": [
            "Pick a daily trade limit that fits your usual pace and stop for the day when you reach it.",
            "Try planning your trades for the day in the morning and closing the app once they are done.",
            "Before each extra trade today, ask whether it was in this morning's plan.",
            "Track your fees per day for a week so the cost of busy days is easy to see.",
            "On busy days, take a break after every third trade and check how you feel.",
        ],
        "strict": [
            "Set a maximum number of trades per day and end the session when you hit it.",
            "Write a daily trade limit into your rules and stop trading for the day when you reach it.",
            "Plan the day's trades before the session and treat anything else as off-limits.",
            "Log the fee drag of every day over your limit and review it each weekend.",
            "End the session after your planned trades, however busy the screen looks.",
        ],
    },
    "OVERCONFIDENCE": {
        "supportive": [
            "Keep a fixed position size rule and only change it on a planned review day, not after a streak.",
            "Write your standard position size down and check each entry against it after a winning run.",
            "After a run of wins, take a moment to write down what was skill and what was luck.",
            "Keep your usual size for the next few trades after a streak and note how that feels.",
            "Review your size on a set day each month, whatever the last few trades did.",
        ],
        "strict": [
            "Fix your position size in writing and review it weekly, never in the middle of a streak.",
            "Cap every entry at your standard size and only revisit that cap on a scheduled review.",
            "Treat a winning streak as a reason to check your rules, not to change your size.",
            "Log the size of every entry after a streak next to your standard size.",
            "Keep one written size for every entry until your next scheduled review.",
        ],
    },
    "NONE": {
        "supportive": [
            "Keep noting your reason for each trade so patterns are easy to spot later.",
            "Keep writing a one-line plan before each trade to stay on this track.",
            "Note in your journal why this trade felt routine, so you can compare it with busier days.",
            "Keep your pre-trade note short and honest, as on this trade.",
            "Review a few of your quiet trades each week to see what made them calm.",
        ],
        "strict": [
            "Keep logging a reason for every trade so the record stays honest.",
            "Keep the same pre-trade note on every trade, including the boring ones.",
            "Write the reason for every trade before the order, routine or not.",
            "Check this trade against your rules in your weekly review like any other.",
            "Keep the checklist running on quiet trades too, so it is automatic when it matters.",
        ],
    },
}


def habit_for(*, label: str, tone: str = "supportive", index: int = 0) -> str:
    """One habit from the shared library (the index wraps around, so any counter works)."""
    label = label if label in HABITS else "NONE"
    habits = HABITS[label][tone if tone in TONES else "supportive"]
    return habits[index % len(habits)]


def _variant_index(label: str, tone: str, features: dict) -> int:
    occurrence = ((features or {}).get("history") or {}).get("occurrence")
    if isinstance(occurrence, int) and occurrence >= 0:
        return occurrence
    inputs = (features or {}).get("inputs") or {}
    key = json.dumps({"label": label, "tone": tone, "inputs": inputs}, sort_keys=True, default=str)
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def template_reflection(*, label: str, features: dict, tone: str = "supportive") -> Reflection:
    label = label if label in HABITS else "NONE"
    tone = tone if tone in TONES else "supportive"
    features = features or {}
    index = _variant_index(label, tone, features)
    facts = _facts(label, features)
    framing_key = "NONE_NEAR" if label == "NONE" and not facts.startswith(NOTHING_CLOSE) else label
    framings = FRAMINGS[framing_key][tone]
    text = f"{facts}{framings[index % len(framings)]} {habit_for(label=label, tone=tone, index=index)}"
    return Reflection(text=text, tone=tone, bias=label)


def reflect(*, label: str, features: dict, tone: str = "supportive") -> Reflection:
    """A reflection for one tag: the configured model's text when it passes the linter, else the template,
    with ``fallback`` saying why the model's text was not used (None when no model is configured)."""
    from . import llm

    template = template_reflection(label=label, features=features, tone=tone)
    outcome = llm.generate_reflection(label=template.bias, features=features or {}, tone=template.tone)
    if outcome.text is not None:
        return Reflection(text=outcome.text, tone=template.tone, bias=template.bias, source="llm")
    template.fallback = outcome.fallback
    return template


def lint_reflection(text: str) -> list[str]:
    """Violations of the non-advisory policy (``[]`` = clean); see ``linter``."""
    return lint_text(text)
