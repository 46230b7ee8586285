"""Coach reflections: two sentences about behaviour, one concrete habit, never what to buy or sell.

Templates are per label × tone (``supportive`` | ``strict``) with a few variants; the variant is picked
by a hash of the label, tone and the trade's feature values, so the same trade always reads the same.
When an OpenAI-compatible endpoint is configured (``settings.LLM_BASE_URL``), ``reflect`` asks it first
(see ``llm``); whatever it returns is linted and anything that fails falls back to the template.
"""
from __future__ import annotations

import hashlib
import json

from .linter import lint_text
from .types import Reflection

TONES = ("supportive", "strict")


def _pct(value, signed: bool = True) -> str | None:
    if value is None:
        return None
    return f"{value * 100:+.1f}%" if signed else f"{abs(value) * 100:.1f}%"


def _facts(label: str, features: dict) -> str:
    """The first sentence's observation, from the evidence (no market opinions, past tense)."""
    inputs = features.get("inputs") or {}
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
        kept = [r["kind"] for r in features.get("rules") or [] if r.get("status") == "kept"]
        if kept:
            return f"You kept your {_rule_name(kept[0])} rule on this trade"
        distance = _pct(inputs.get("support_distance"), signed=False)
        if distance:
            return f"You entered within {distance} of recent support instead of chasing a move"
        return "This trade followed your plan rather than the moment"
    if label == "REVENGE":
        hours, size = inputs.get("hours_since_exit"), inputs.get("size_vs_lost_position")
        if hours is not None and size is not None:
            return f"You re-entered {hours:.1f} hours after a losing exit, at {size:.1f}x the size of that position"
        return "You re-entered quickly after a losing exit"
    if label == "OVERTRADING":
        count, usual = inputs.get("trades_today"), inputs.get("baseline_median_trades")
        if count and usual:
            return f"This was trade number {count} today, against your usual {usual:g} a day"
        if count:
            return f"This was trade number {count} today"
        return "Today's trade count ran far above your usual pace"
    if label == "OVERCONFIDENCE":
        streak, size = inputs.get("win_streak"), inputs.get("size_vs_median")
        if streak and size:
            return f"After {streak} winning exits in a row, this entry was {size:.1f}x your usual size"
        return "After a winning streak, this entry was much larger than usual"
    return "Nothing in this trade stood out against your own patterns"


def _rule_name(kind: str) -> str:
    return {"avoidSpikeOverPct": "no-chasing-spikes", "minHoldHours": "minimum holding time",
            "maxTradesPerDay": "daily trade limit", "cooldownAfterLosses": "cooldown after losses"}.get(kind, kind)


# label → tone → variants of (framing appended to the facts, habit sentence)
TEMPLATES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "FOMO": {
        "supportive": [
            (", which is the moment the fear of missing out pulls hardest.",
             "Next time a move grabs you, write your reason and your exit plan first and wait one full candle before acting."),
            (", and that urge to catch a moving train is very human.",
             "Try a ten-minute pause with a written entry reason before any trade that follows a big green day."),
        ],
        "strict": [
            (": that is chasing, not a plan.",
             "Before any entry after a big move, write the reason and the exit level in your journal, or skip it."),
            (", so the move decided for you.",
             "Set a rule that you wait one full candle and log a written reason before entering after a run-up."),
        ],
    },
    "PANIC": {
        "supportive": [
            (", which is when fear feels most convincing.",
             "Decide your exit conditions when you open a position and keep them written where you can see them."),
            (", and exits under that kind of pressure are hard on anyone.",
             "Next time a slide hits, take a five-minute break and reread your original plan before acting."),
        ],
        "strict": [
            (": the slide made the decision, not your plan.",
             "Write your exit conditions at entry and only act on those, not on a red screen."),
            (", which is an exit driven by fear.",
             "Before any exit during a slide, check it against the exit you wrote down at entry."),
        ],
    },
    "DISCIPLINE": {
        "supportive": [
            (", which is exactly the patience that compounds.",
             "Note what helped you stay calm here so you can repeat it on the next trade."),
            (", and that kind of consistency is worth being proud of.",
             "Keep writing your plan before each trade, as you did here."),
        ],
        "strict": [
            (": this is the standard.",
             "Log what you did here and measure every other trade against the same checklist."),
            (", which is what a plan is for.",
             "Repeat the same pre-trade checklist on every trade this week."),
        ],
    },
    "REVENGE": {
        "supportive": [
            (", which often comes from wanting the loss back quickly.",
             "After a losing exit, step away for at least an hour and keep your next position at your usual size."),
            (", and wanting to win it back right away is a natural reaction.",
             "Give yourself a fixed cooldown after any loss and write down how you feel before the next trade."),
        ],
        "strict": [
            (": that is trading to get even.",
             "Set a cooldown rule after losses and keep position size unchanged for the next trade."),
            (", which is the loss talking.",
             "After every loss, wait out a fixed cooldown and cap the next position at your normal size."),
        ],
    },
    "OVERTRADING": {
        "supportive": [
            (", and a busy screen can make activity feel like progress.",
             "Pick a daily trade limit that fits your usual pace and stop for the day when you reach it."),
            (", and each extra trade quietly adds to your fees.",
             "Try planning your trades for the day in the morning and closing the app once they are done."),
        ],
        "strict": [
            (": activity is not edge, and fees add up.",
             "Set a maximum number of trades per day and end the session when you hit it."),
            (", which turns fees into a steady drain.",
             "Write a daily trade limit into your rules and stop trading for the day when you reach it."),
        ],
    },
    "OVERCONFIDENCE": {
        "supportive": [
            (", which is how a good run can quietly raise the stakes.",
             "Keep a fixed position size rule and only change it on a planned review day, not after a streak."),
            (", and feeling sure after wins is completely natural.",
             "Write your standard position size down and check each entry against it after a winning run."),
        ],
        "strict": [
            (": a streak says nothing about the next trade.",
             "Fix your position size in writing and review it weekly, never in the middle of a streak."),
            (", which lets recent luck set your risk.",
             "Cap every entry at your standard size and only revisit that cap on a scheduled review."),
        ],
    },
    "NONE": {
        "supportive": [
            (", so there is nothing to correct here.",
             "Keep noting your reason for each trade so patterns are easy to spot later."),
            (", which is a quiet, steady trade.",
             "Keep writing a one-line plan before each trade to stay on this track."),
        ],
        "strict": [
            (": no bias showed up.",
             "Keep logging a reason for every trade so the record stays honest."),
            (", so the process held.",
             "Keep the same pre-trade note on every trade, including the boring ones."),
        ],
    },
}


def _variant_index(label: str, tone: str, features: dict, count: int) -> int:
    inputs = (features or {}).get("inputs") or {}
    key = json.dumps({"label": label, "tone": tone, "inputs": inputs}, sort_keys=True, default=str)
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % count


def template_reflection(*, label: str, features: dict, tone: str = "supportive") -> Reflection:
    label = label if label in TEMPLATES else "NONE"
    tone = tone if tone in TONES else "supportive"
    variants = TEMPLATES[label][tone]
    framing, habit = variants[_variant_index(label, tone, features, len(variants))]
    return Reflection(text=f"{_facts(label, features or {})}{framing} {habit}", tone=tone, bias=label)


def reflect(*, label: str, features: dict, tone: str = "supportive") -> Reflection:
    """A reflection for one tag: the configured LLM's text when it passes the linter, else the template."""
    from . import llm

    fallback = template_reflection(label=label, features=features, tone=tone)
    generated = llm.generate_reflection(label=fallback.bias, features=features or {}, tone=fallback.tone)
    if generated is not None:
        return Reflection(text=generated, tone=fallback.tone, bias=fallback.bias, source="llm")
    return fallback


def lint_reflection(text: str) -> list[str]:
    """Violations of the non-advisory policy (``[]`` = clean); see ``linter``."""
    return lint_text(text)
