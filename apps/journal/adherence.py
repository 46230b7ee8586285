"""Adherence to the plan: how a trade linked to a pre-trade intent compared with what the intent said.

Pure arithmetic on Decimals, no database. Each check carries its value, threshold and pass/fail (None when
it cannot be judged yet, e.g. no exit imported), like bias evidence:

* entrySlippagePct — fill vs planned entry, signed so that positive is worse (paid more on a long,
  received less on a short); passes at ≤ ENTRY_SLIPPAGE_MAX_PCT.
* stopRespected — the exit at or above the planned stop for a long (at or below for a short): the loss
  was cut where planned, not deeper.
* targetReached — the exit at or beyond the planned target.
* sizeVsPlanPct — traded quantity (or quote amount) as % of the planned one; passes at ≤ SIZE_MAX_PCT.
* holdVsTimeframe — hours held vs the plan's timeframe; passes at ≤ HOLD_MAX_FACTOR × the timeframe.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

ENTRY_SLIPPAGE_MAX_PCT = Decimal("0.5")
SIZE_MAX_PCT = Decimal("110")
HOLD_MAX_FACTOR = Decimal("2")
TIMEFRAME_HOURS = {"15m": Decimal("0.25"), "1h": Decimal("1"), "4h": Decimal("4"), "1d": Decimal("24"),
                   "1w": Decimal("168")}
HUNDRED = Decimal("100")
PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Fill:
    id: str
    price: Decimal
    qty: Decimal
    ts: datetime


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.quantize(PLACES) if abs(value) < 10**12 else value, "f")


def _check(name: str, value, threshold, passed: bool | None, explain: str) -> dict:
    return {"name": name, "value": value, "threshold": threshold, "passed": passed, "explain": explain}


def adherence_compute(*, direction: str, timeframe: str, size: dict, plan: dict, entry: Fill,
                      exit: Fill | None) -> dict:
    """The adherence JSON of one planned trade: its checks and how many passed."""
    sign = Decimal(1) if direction == "long" else Decimal(-1)
    checks = []

    planned_entry = _decimal(plan.get("entry"))
    if planned_entry and planned_entry > 0:
        slippage = (entry.price - planned_entry) / planned_entry * HUNDRED * sign
        checks.append(_check("entrySlippagePct", _text(slippage), _text(ENTRY_SLIPPAGE_MAX_PCT),
                             slippage <= ENTRY_SLIPPAGE_MAX_PCT,
                             f"Filled at {_text(entry.price)} against a planned {_text(planned_entry)}."))

    stop = _decimal(plan.get("stop"))
    if stop is not None:
        if exit is None:
            checks.append(_check("stopRespected", None, _text(stop), None, "No exit imported yet."))
        else:
            respected = (exit.price - stop) * sign >= 0
            checks.append(_check("stopRespected", _text(exit.price), _text(stop), respected,
                                 "Exited at or before the planned stop." if respected
                                 else "Exited beyond the planned stop."))

    target = _decimal(plan.get("target"))
    if target is not None:
        if exit is None:
            checks.append(_check("targetReached", None, _text(target), None, "No exit imported yet."))
        else:
            reached = (exit.price - target) * sign >= 0
            checks.append(_check("targetReached", _text(exit.price), _text(target), reached,
                                 "The exit reached the planned target." if reached else "The exit fell short of the target."))

    planned_qty, planned_quote = _decimal(size.get("qty")), _decimal(size.get("quoteAmount"))
    actual = planned = None
    if planned_qty and planned_qty > 0:
        actual, planned = entry.qty, planned_qty
    elif planned_quote and planned_quote > 0:
        actual, planned = entry.qty * entry.price, planned_quote
    if planned is not None:
        share = actual / planned * HUNDRED
        checks.append(_check("sizeVsPlanPct", _text(share), _text(SIZE_MAX_PCT), share <= SIZE_MAX_PCT,
                             f"Traded {_text(actual)} against a planned {_text(planned)}."))

    hours = TIMEFRAME_HOURS.get(timeframe)
    if hours is not None:
        limit = hours * HOLD_MAX_FACTOR
        if exit is None:
            checks.append(_check("holdVsTimeframe", None, _text(limit), None, "No exit imported yet."))
        else:
            held = Decimal((exit.ts - entry.ts).total_seconds()) / Decimal(3600)
            checks.append(_check("holdVsTimeframe", _text(held), _text(limit), held <= limit,
                                 f"Held {_text(held)} h for a {timeframe} plan."))

    judged = [c for c in checks if c["passed"] is not None]
    return {"tradeId": entry.id, "exitTradeId": exit.id if exit else None, "checks": checks,
            "passed": sum(1 for c in judged if c["passed"]), "judged": len(judged), "total": len(checks),
            "complete": exit is not None}
