"""The user's rules, evaluated per trade.

- ``avoidSpikeOverPct {pct, lookbackHours}``: a BUY after the price rose more than ``pct`` percent over the
  ``lookbackHours`` before it (close of the last closed candle vs the close that far back) breaks it.
- ``minHoldHours {hours}``: a SELL that closes any lot held less than ``hours`` breaks it (a sell with
  no matched lot cannot be judged).
- ``maxTradesPerDay {count}``: the trade that takes the UTC day past ``count`` trades (and every later one
  that day) breaks it. It also lowers the OVERTRADING line to ``count + 1``.
- ``cooldownAfterLosses {losses, hours}``: after ``losses`` losing exits in a row, a trade less than
  ``hours`` after the last of them breaks it; a trade after waiting the full cooldown keeps it.

- ``stopLossPct {pct}``: a losing sale is judged against a stop ``pct`` percent under the cost of the units
  sold (the realised result after fees): a loss past the stop by more than ``STOP_FEE_SLACK`` breaks it; a
  loss that reached the stop (within ``STOP_BAND`` of it) keeps it — the stop did its job; a smaller loss or
  a gain was not closed by the stop (not applicable).
- ``plannedStop {intentId, symbol, direction, stop, exitPrice}``: not a rule the user sets but the stop of a
  pre-trade plan, given to scoring for the sale that closed the planned position (see
  ``apps.bias.registry.planned_stops_provide``). A sale at or above the stop (long; at or below for a short)
  and within ``STOP_BAND`` of it keeps it; a sale past the stop breaks it. Other trades do not list it.
- ``maxLossPerDay {amount}`` is judged before a trade by the gate, not per trade here.

A kept ``avoidSpikeOverPct``, ``minHoldHours``, ``cooldownAfterLosses``, ``stopLossPct`` or ``plannedStop``
supports DISCIPLINE (keeping ``maxTradesPerDay`` is the normal case and is not evidence on its own); a kept
stop also tells the labels that the sale was the plan's stop (``ctx["stop_exit"]``), which PANIC does not
fire on. Each rule on a trade is reported with ``status`` kept | broken | not_applicable | not_evaluable |
invalid.
"""
from __future__ import annotations

from .heuristics import pct, round4, round_to_4
from .types import RuleInput

STOP_BAND = 0.01  # a sale within 1% of the stop price (1 percentage point of the loss) is the stop executing
STOP_FEE_SLACK = 0.0025  # fees may take a stop-loss sale a quarter point past the stop


def parse_rules(rules) -> list[tuple[RuleInput, dict | None]]:
    """(rule, numeric params or None when the params are unusable) for each rule."""
    required = {
        "avoidSpikeOverPct": ("pct", "lookbackHours"),
        "minHoldHours": ("hours",),
        "maxTradesPerDay": ("count",),
        "cooldownAfterLosses": ("losses", "hours"),
        "stopLossPct": ("pct",),
        "plannedStop": ("stop", "exitPrice"),
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
        entry["margin"] = round4(max(0.0, min(1.0, margin)))
    if history_factor is not None:
        entry["history_factor"] = round4(history_factor)
    return entry


def _kept(rule: RuleInput, explain: str, value, limit, margin: float, history_factor: float) -> dict:
    """``_entry(rule, "kept", …, margin=…, history_factor=…)`` without the keyword handling (the hot path)."""
    margin = max(0.0, min(1.0, margin))
    return {"kind": rule.kind, "params": rule.params, "status": "kept", "value": value, "limit": limit,
            "explain": explain, "margin": margin if margin in _EXACT else round_to_4(margin),
            "history_factor": history_factor if history_factor in _EXACT else round_to_4(history_factor)}


_EXACT = frozenset((0.0, 1.0))  # values four-place rounding leaves as they are


def evaluate_rules(ctx: dict, parsed: list[tuple[RuleInput, dict | None]], spike_rises: list, *,
                   shared: dict | None = None) -> list[dict]:
    """Rule outcomes for one trade; ``spike_rises[k]`` is the rise over rule k's lookback (or None).

    ``shared``: a dict the caller keeps over a walk of many trades. An outcome whose every word is fixed
    (the rule does not apply to this side, cannot be judged, or cannot be read) is then made once and the
    same entry is listed for every trade it applies to — entries are read, never changed."""
    shared = {} if shared is None else shared
    side = ctx["side"]
    out = []
    for k, (rule, values) in enumerate(parsed):
        kind = rule.kind
        if values is None:
            entry = shared.get((k, "invalid"))
            if entry is None:
                entry = shared[k, "invalid"] = _entry(rule, "invalid",
                                                      f"Rule {kind} has parameters that cannot be read.")
            out.append(entry)
            continue
        if kind == "avoidSpikeOverPct":
            if side != "BUY":
                entry = shared.get((k, "not_applicable"))
                if entry is None:
                    entry = shared[k, "not_applicable"] = _entry(rule, "not_applicable",
                                                                 "Only entries are checked against this rule.")
                out.append(entry)
                continue
            rise = spike_rises[k]
            limit, hours = values["pct"], values["lookbackHours"]
            if rise is None:
                entry = shared.get((k, "not_evaluable"))
                if entry is None:
                    entry = shared[k, "not_evaluable"] = _entry(
                        rule, "not_evaluable", f"Not enough candles to measure the {hours:g}-hour move before this entry.")
                out.append(entry)
            elif rise * 100 > limit:
                out.append(_entry(rule, "broken", f"Entered after a {pct(rise)} move in {hours:g} hours; "
                                  f"your rule is to avoid entries after more than {limit:g}%.",
                                  value=round_to_4(rise * 100), limit=limit))
            else:
                words = shared.get((k, "kept"))
                if words is None:
                    words = shared[k, "kept"] = (f"The {hours:g}-hour move before this entry was ",
                                                 f", inside your {limit:g}% limit.")
                out.append(_kept(rule, words[0] + pct(rise) + words[1], round_to_4(rise * 100), limit,
                                 (limit - rise * 100) / limit, 1.0))
        elif kind == "minHoldHours":
            limit = values["hours"]
            held = ctx["min_held_hours"]
            if side != "SELL":
                entry = shared.get((k, "not_applicable"))
                if entry is None:
                    entry = shared[k, "not_applicable"] = _entry(rule, "not_applicable",
                                                                 "Only exits are checked against this rule.")
                out.append(entry)
            elif held is None:
                entry = shared.get((k, "not_evaluable"))
                if entry is None:
                    entry = shared[k, "not_evaluable"] = _entry(
                        rule, "not_evaluable",
                        "The buy behind this sale is not in the history, so the holding time is unknown.")
                out.append(entry)
            elif held < limit:
                out.append(_entry(rule, "broken", f"Sold a lot held {held:.1f} hours; your minimum hold is {limit:g} hours.",
                                  value=round_to_4(held), limit=limit))
            else:
                words = shared.get((k, "kept"))
                if words is None:
                    words = shared[k, "kept"] = f" hours, past your {limit:g}-hour minimum."
                out.append(_kept(rule, f"Every lot sold had been held at least {held:.1f}" + words, round_to_4(held),
                                 limit, (held - limit) / limit, ctx["matched_share"]))
        elif kind == "maxTradesPerDay":
            limit, count = values["count"], ctx["trades_today"]
            status = "broken" if count > limit else "kept"
            entry = shared.get((k, status, count))
            if entry is None:
                if count > limit:
                    entry = _entry(rule, "broken", f"Trade number {count} today; your limit is {limit:g} a day.",
                                   value=count, limit=limit)
                else:
                    entry = _entry(rule, "kept", f"Trade number {count} today, within your {limit:g} a day.",
                                   value=count, limit=limit)
                shared[k, status, count] = entry
            out.append(entry)
        elif kind == "cooldownAfterLosses":
            losses, hours = values["losses"], values["hours"]
            streak, since = ctx["loss_streak"], ctx["hours_since_last_loss"]
            if streak < losses or since is None:
                entry = shared.get((k, "not_applicable", streak))
                if entry is None:
                    entry = shared[k, "not_applicable", streak] = _entry(
                        rule, "not_applicable",
                        f"{streak} losing exits in a row before this trade (the cooldown starts at {losses:g}).")
                out.append(entry)
            elif since < hours:
                out.append(_entry(rule, "broken", f"Traded {since:.1f} hours after {streak} losses in a row; your "
                                  f"cooldown is {hours:g} hours.", value=round_to_4(since), limit=hours))
            else:
                out.append(_kept(rule, f"Waited {since:.1f} hours after {streak} losses in a row, past "
                                 f"your {hours:g}-hour cooldown.", round_to_4(since), hours,
                                 (since - hours) / hours, 1.0))
        elif kind == "stopLossPct":
            out.append(_stop_loss_pct(ctx, rule, values["pct"]))
        elif kind == "plannedStop":
            entry = _planned_stop(ctx, rule, values)
            if entry is not None:
                out.append(entry)
        else:
            entry = shared.get((k, "not_applicable"))
            if entry is None:
                entry = shared[k, "not_applicable"] = _entry(rule, "not_applicable",
                                                             f"Rule {kind} is not evaluated per trade.")
            out.append(entry)
    return out


def _stop_loss_pct(ctx: dict, rule: RuleInput, limit: float) -> dict:
    result = ctx.get("pnl_exit_pct")
    if ctx["side"] != "SELL" or result is None or result >= 0:
        return _entry(rule, "not_applicable", "Only losing sales are checked against your stop.")
    loss = -result * 100
    if loss > limit + STOP_FEE_SLACK * 100:
        return _entry(rule, "broken", f"This sale lost {loss:.2f}% of its cost, past your {limit:g}% stop.",
                      value=round_to_4(-loss), limit=-limit)
    if loss < limit - STOP_BAND * 100:
        return _entry(rule, "not_applicable", f"This sale lost {loss:.2f}%, before your {limit:g}% stop was reached.",
                      value=round_to_4(-loss), limit=-limit)
    ctx["stop_exit"] = {"kind": rule.kind, "stop_pct": limit}
    return _entry(rule, "kept", f"This sale lost {loss:.2f}% of its cost: your {limit:g}% stop, respected.",
                  value=round_to_4(-loss), limit=-limit, margin=1.0, history_factor=ctx.get("matched_share", 1.0))


def _planned_stop(ctx: dict, rule: RuleInput, values: dict) -> dict | None:
    """The plan's stop, for the sale (or buy, closing a short) that closed the planned position; None for others."""
    params = rule.params
    closing_side = "SELL" if params.get("direction", "long") == "long" else "BUY"
    price = ctx.get("price")
    if (ctx["side"] != closing_side or ctx.get("symbol") != params.get("symbol") or price is None
            or abs(price - values["exitPrice"]) > 1e-9 * max(1.0, abs(price))):
        return None
    stop, sign = values["stop"], 1.0 if closing_side == "SELL" else -1.0
    shown = {k: params.get(k) for k in ("intentId", "direction", "stop")}
    entry_rule = RuleInput(kind=rule.kind, params=shown)
    past = (stop - price) * sign / stop
    if past > 0:
        return _entry(entry_rule, "broken", f"Exited at {price:g}, past the stop of {stop:g} in your plan.",
                      value=price, limit=stop)
    if -past > STOP_BAND:
        return _entry(entry_rule, "not_applicable", f"Exited at {price:g}, away from the stop of {stop:g} in your "
                      "plan: the stop did not close this position.", value=price, limit=stop)
    ctx["stop_exit"] = {"kind": rule.kind, "stop": stop, "intent_id": params.get("intentId")}
    return _entry(entry_rule, "kept", f"Exited at {price:g}, at the stop of {stop:g} your plan named: the plan was "
                  "followed.", value=price, limit=stop, margin=1.0, history_factor=1.0)
