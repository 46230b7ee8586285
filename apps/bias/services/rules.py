"""Rule writes: one rule per (user, kind), upserted idempotently; the personal calibration of the lines."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.core.errors import NotFound, ValidationFailed

from ..engine import ENGINE_VERSION
from ..engine.calibration import (
    CALIBRATION_KIND,
    MIN_TRADES,
    SPECS,
    calibrate,
    observations_from_inputs,
    thresholds_from_params,
)
from ..engine.heuristics import DEFAULT_THRESHOLDS
from ..engine.types import RuleInput
from ..models import BiasTag, Rule
from ..registry import planned_stops_provide
from ..rules import rule_params_clean

THRESHOLD_TITLES = {
    "FOMO_PCT_24H": ("FOMO: rise in the 24 hours before an entry", "percent"),
    "FOMO_RSI": ("FOMO: RSI(14) at the entry", "number"),
    "PANIC_DRAWDOWN": ("Panic: drop from the 7-day high at an exit", "percent"),
    "OVERTRADING_MULTIPLE": ("Overtrading: trades in a day, as a multiple of your usual day", "multiple"),
    "OVERCONFIDENCE_SIZE_RATIO": ("Overconfidence: entry size, as a multiple of your usual entry", "multiple"),
}


@transaction.atomic
def rule_upsert(*, user, kind: str, params: object, active: bool = True) -> tuple[Rule, bool]:
    """Create or update the user's rule of this kind. Returns (rule, created). Invalid params write nothing."""
    clean, errors = rule_params_clean(kind=kind, params=params)
    if errors:
        raise ValidationFailed("The rule is not valid.", fields=errors)
    rule, created = Rule.objects.select_for_update().get_or_create(
        user=user, kind=kind, defaults={"params": clean, "active": active}
    )
    if not created and (rule.params != clean or rule.active != active):
        rule.params = clean
        rule.active = active
        rule.save(update_fields=["params", "active"])
    return rule, created


def rule_calibration_compute(*, user) -> Rule | None:
    """Calibrate the user's lines from the inputs of their scored trades and apply the result (an active
    `calibratedThresholds` rule). Below 30 scored trades nothing is written and the defaults stay."""
    rows = (BiasTag.objects.filter(trade__user=user).order_by("trade_id")
            .values_list("trade_id", "trade__ts", "features__inputs"))
    observations, scored = observations_from_inputs(
        (trade_id, ts.date(), inputs) for trade_id, ts, inputs in rows.iterator(chunk_size=2000))
    params = calibrate(observations=observations, scored_trades=scored)
    if params is None:
        return None
    params.update({"calibratedAt": timezone.now().isoformat(), "engineVersion": ENGINE_VERSION})
    with transaction.atomic():
        rule, _ = Rule.objects.select_for_update().update_or_create(
            user=user, kind=CALIBRATION_KIND, defaults={"params": params, "active": True})
    return rule


@transaction.atomic
def rule_calibration_set_active(*, user, active: bool) -> Rule:
    """Apply the user's calibrated lines (`active`) or go back to the defaults; the calibration is kept
    either way, so the change can be undone. Labels change when the trades are re-scored."""
    rule = Rule.objects.select_for_update().filter(user=user, kind=CALIBRATION_KIND).first()
    if rule is None:
        raise NotFound("No calibration yet: it needs 30 scored trades and `manage.py rescore --calibrated`.",
                       code="not_calibrated")
    if rule.active != active:
        rule.active = active
        rule.save(update_fields=["active"])
    return rule


def rule_calibration_view(*, user) -> dict:
    """Each calibratable line with its default, the calibrated value and the one scoring uses now."""
    rule = Rule.objects.filter(user=user, kind=CALIBRATION_KIND).first()
    stored = (rule.params or {}).get("thresholds") or {} if rule else {}
    calibrated = thresholds_from_params(rule.params) if rule else None
    in_use = calibrated if rule is not None and rule.active and calibrated else DEFAULT_THRESHOLDS
    lines = []
    for name, spec in SPECS.items():
        title, unit = THRESHOLD_TITLES[name]
        entry = stored.get(name) if isinstance(stored.get(name), dict) else {}
        lines.append({"name": name, "title": title, "unit": unit, "measures": spec.feature,
                      "default": DEFAULT_THRESHOLDS[name], "cap": spec.cap,
                      "calibrated": calibrated[name] if calibrated else None,
                      "inUse": in_use[name], "observations": entry.get("observations"),
                      "observed": entry.get("observed"), "capped": bool(entry.get("capped")),
                      "moved": bool(entry.get("calibrated"))})
    return {"exists": rule is not None, "active": bool(rule and rule.active), "minTrades": MIN_TRADES,
            "scoredTrades": (rule.params or {}).get("scored_trades") if rule else None,
            "calibratedAt": (rule.params or {}).get("calibratedAt") if rule else None, "lines": lines}


def scoring_rules(*, user_id: str) -> list[RuleInput]:
    """What scoring judges the user's trades by: their active rules, then the stops of their own plans for the
    trades that closed those positions (given by the apps that know the plans, through the registry)."""
    rules = [RuleInput(kind=r.kind, params=dict(r.params))
             for r in Rule.objects.filter(user_id=user_id, active=True).order_by("kind")]
    for planned in planned_stops_provide(user_id=user_id):
        rules.append(RuleInput(kind="plannedStop", params={
            "intentId": planned.intent_id, "symbol": planned.symbol, "direction": planned.direction,
            "stop": format(planned.stop.normalize(), "f"), "exitPrice": format(planned.exit_price.normalize(), "f"),
            "tradeId": planned.exit_trade_id}))
    return rules
