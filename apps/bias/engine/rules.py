"""The user's rules, evaluated per trade.

- ``avoidSpikeOverPct {pct, lookbackHours}``: a BUY after the price rose more than ``pct`` percent over the
  ``lookbackHours`` before it (close of the last closed candle vs the close that far back) breaks it.
- ``minHoldHours {hours}``: a SELL that closes any lot held less than ``hours`` breaks it (a sell with
  no matched lot cannot be judged).
- ``maxTradesPerDay {count}``: the trade that takes the UTC day past ``count`` trades (and every later one
  that day) breaks it. It also lowers the OVERTRADING line to ``count + 1``.
- ``cooldownAfterLosses {losses, hours}``: after ``losses`` losing exits in a row, a trade less than
  ``hours`` after the last of them breaks it; a trade after waiting the full cooldown keeps it.

A kept ``avoidSpikeOverPct``, ``minHoldHours`` or ``cooldownAfterLosses`` supports DISCIPLINE (keeping
``maxTradesPerDay`` is the normal case and is not evidence on its own). Each rule on a trade is reported
with ``status`` kept | broken | not_applicable | not_evaluable | invalid.
"""
from __future__ import annotations

from .heuristics import pct
from .types import RuleInput


def parse_rules(rules) -> list[tuple[RuleInput, dict | None]]:
    """(rule, numeric params or None when the params are unusable) for each rule."""
    required = {
        "avoidSpikeOverPct": ("pct", "lookbackHours"),
        "minHoldHours": ("hours",),
        "maxTradesPerDay": ("count",),
        "cooldownAfterLosses": ("losses", "hours"),
    }
    parsed = []
    for rule in rules or ():
        names = required.get(rule.kind)
        values: dict | None = {}
        if names is not None:
            try:
                values = {name: float(rule.params[name]) for name in names}
            except (KeyError, TypeError, ValueError):
                values = None
            if values is not None and any(v <= 0 or v != v for v in values.values()):
                values = None
        parsed.append((RuleInput(kind=rule.kind, params=dict(rule.params or {})), values))
    return parsed


def _entry(rule: RuleInput, status: str, explain: str, *, value=None, limit=None, margin=None,
           history_factor=None) -> dict:
    entry = {"kind": rule.kind, "params": rule.params, "status": status, "value": value, "limit": limit,
             "explain": explain}
    if margin is not None:
        entry["margin"] = round(max(0.0, min(1.0, margin)), 4)
    if history_factor is not None:
        entry["history_factor"] = round(history_factor, 4)
    return entry


def evaluate_rules(ctx: dict, parsed: list[tuple[RuleInput, dict | None]], spike_rises: list) -> list[dict]:
    """Rule outcomes for one trade; ``spike_rises[k]`` is the rise over rule k's lookback (or None)."""
    out = []
    for k, (rule, values) in enumerate(parsed):
        if values is None:
            out.append(_entry(rule, "invalid", f"Rule {rule.kind} has parameters that cannot be read."))
            continue
        if rule.kind == "avoidSpikeOverPct":
            if ctx["side"] != "BUY":
                out.append(_entry(rule, "not_applicable", "Only entries are checked against this rule."))
                continue
            rise = spike_rises[k]
            limit, hours = values["pct"], values["lookbackHours"]
            if rise is None:
                out.append(_entry(rule, "not_evaluable",
                                  f"Not enough candles to measure the {hours:g}-hour move before this entry."))
            elif rise * 100 > limit:
                out.append(_entry(rule, "broken", f"Entered after a {pct(rise)} move in {hours:g} hours; "
                                  f"your rule is to avoid entries after more than {limit:g}%.",
                                  value=round(rise * 100, 4), limit=limit))
            else:
                out.append(_entry(rule, "kept", f"The {hours:g}-hour move before this entry was {pct(rise)}, "
                                  f"inside your {limit:g}% limit.", value=round(rise * 100, 4), limit=limit,
                                  margin=(limit - rise * 100) / limit, history_factor=1.0))
        elif rule.kind == "minHoldHours":
            limit = values["hours"]
            held = ctx["min_held_hours"]
            if ctx["side"] != "SELL":
                out.append(_entry(rule, "not_applicable", "Only exits are checked against this rule."))
            elif held is None:
                out.append(_entry(rule, "not_evaluable",
                                  "The buy behind this sale is not in the history, so the holding time is unknown."))
            elif held < limit:
                out.append(_entry(rule, "broken", f"Sold a lot held {held:.1f} hours; your minimum hold is {limit:g} hours.",
                                  value=round(held, 4), limit=limit))
            else:
                out.append(_entry(rule, "kept", f"Every lot sold had been held at least {held:.1f} hours, past "
                                  f"your {limit:g}-hour minimum.", value=round(held, 4), limit=limit,
                                  margin=(held - limit) / limit, history_factor=ctx["matched_share"]))
        elif rule.kind == "maxTradesPerDay":
            limit, count = values["count"], ctx["trades_today"]
            if count > limit:
                out.append(_entry(rule, "broken", f"Trade number {count} today; your limit is {limit:g} a day.",
                                  value=count, limit=limit))
            else:
                out.append(_entry(rule, "kept", f"Trade number {count} today, within your {limit:g} a day.",
                                  value=count, limit=limit))
        elif rule.kind == "cooldownAfterLosses":
            losses, hours = values["losses"], values["hours"]
            streak, since = ctx["loss_streak"], ctx["hours_since_last_loss"]
            if streak < losses or since is None:
                out.append(_entry(rule, "not_applicable",
                                  f"{streak} losing exits in a row before this trade (the cooldown starts at {losses:g})."))
            elif since < hours:
                out.append(_entry(rule, "broken", f"Traded {since:.1f} hours after {streak} losses in a row; your "
                                  f"cooldown is {hours:g} hours.", value=round(since, 4), limit=hours))
            else:
                out.append(_entry(rule, "kept", f"Waited {since:.1f} hours after {streak} losses in a row, past "
                                  f"your {hours:g}-hour cooldown.", value=round(since, 4), limit=hours,
                                  margin=(since - hours) / hours, history_factor=1.0))
        else:
            out.append(_entry(rule, "not_applicable", f"Rule {rule.kind} is not evaluated per trade."))
    return out
