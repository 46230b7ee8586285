"""The personal rule kinds and what their parameters must look like (DESIGN.md §7)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class Param:
    name: str
    minimum: Decimal
    maximum: Decimal
    integer: bool = False
    help: str = ""


RULE_PARAMS: dict[str, tuple[Param, ...]] = {
    "avoidSpikeOverPct": (
        Param("pct", Decimal("0.1"), Decimal("100"), help="Skip entries after a rise of more than this percent."),
        Param("lookbackHours", Decimal("1"), Decimal("720"), integer=True, help="Over this many hours before the entry."),
    ),
    "minHoldHours": (
        Param("hours", Decimal("0.1"), Decimal("8760"), help="Hold a position at least this many hours."),
    ),
    "maxTradesPerDay": (
        Param("count", Decimal("1"), Decimal("1000"), integer=True, help="At most this many trades per day."),
    ),
    "cooldownAfterLosses": (
        Param("losses", Decimal("1"), Decimal("20"), integer=True, help="After this many losing exits in a row…"),
        Param("hours", Decimal("0.1"), Decimal("720"), help="…wait this many hours before the next entry."),
    ),
    "maxLossPerDay": (
        Param("amount", Decimal("0.01"), Decimal("1000000000"),
              help="Stop for the day once your realised loss reaches this amount (in the market's quote currency)."),
    ),
    "stopLossPct": (
        Param("pct", Decimal("0.1"), Decimal("99"), help="Exit a position once it is this many percent below your cost."),
    ),
}


def rule_params_clean(*, kind: str, params: object) -> tuple[dict, dict[str, list[str]]]:
    """Validate `params` for `kind`. Returns (clean params, field errors); errors empty when valid."""
    spec = RULE_PARAMS.get(kind)
    if spec is None:
        return {}, {"kind": [f"Unknown rule kind. Use one of: {', '.join(sorted(RULE_PARAMS))}."]}
    if not isinstance(params, dict):
        return {}, {"params": ["Must be an object."]}
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    allowed = {p.name for p in spec}
    for extra in sorted(set(params) - allowed):
        errors[f"params.{extra}"] = ["Not a parameter of this rule."]
    for param in spec:
        key = f"params.{param.name}"
        raw = params.get(param.name)
        if raw is None:
            errors[key] = ["This field is required."]
            continue
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            errors[key] = ["Must be a number."]
            continue
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            errors[key] = ["Must be a number."]
            continue
        if not value.is_finite():
            errors[key] = ["Must be a number."]
            continue
        if param.integer and value != value.to_integral_value():
            errors[key] = ["Must be a whole number."]
            continue
        if value < param.minimum or value > param.maximum:
            errors[key] = [f"Must be between {param.minimum} and {param.maximum}."]
            continue
        clean[param.name] = int(value) if param.integer else float(value)
    return (clean if not errors else {}), errors
