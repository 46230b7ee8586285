"""Rules judged outside scoring: validate rules that are not stored, and ask the scoring engine what it
says of each rule for one trade, for a replay of the user's history under those rules."""
from __future__ import annotations

from ..engine.rules import evaluate_rules, parse_rules
from ..engine.types import RuleInput
from ..rules import RULE_PARAMS, rule_params_clean


def rule_definition_clean(*, kind: str, params: object) -> tuple[dict, dict[str, list[str]]]:
    """Validate a rule that is not stored (e.g. one tried in a back-test): (clean params, field errors)."""
    return rule_params_clean(kind=kind, params=params)


def rules_parse(*, rules: list[dict]) -> list:
    """`[{kind, params}]` in the scoring engine's parsed form, for `rule_outcomes`."""
    return parse_rules([RuleInput(kind=rule["kind"], params=rule["params"]) for rule in rules])


def rule_outcomes(*, context: dict, parsed: list, spike_rises: list) -> list[dict]:
    """The scoring engine's verdict on each rule for one trade (kept | broken | not_applicable | …).

    `context` holds side, trades_today, loss_streak, hours_since_last_loss, min_held_hours and matched_share
    as the trade would have seen them; `spike_rises[k]` is the rise over rule k's lookback (or None)."""
    return evaluate_rules(context, parsed, spike_rises)


def rule_kinds_describe() -> list[dict]:
    """Every rule kind with its parameters (name, help, bounds), for forms."""
    return [{"kind": kind, "params": [{"name": p.name, "help": p.help, "min": str(p.minimum), "max": str(p.maximum),
                                       "integer": p.integer} for p in params]}
            for kind, params in RULE_PARAMS.items()]
