"""Personas: a policy per trading style, shipped as data (`personas/<id>.json`, held to
`personas/persona.schema.json` by the deployment check in `checks.py`), and the effective policy of a user —
the persona's values with the user's own rules laid over its default rules (an active rule of a kind
replaces the persona's; an inactive one switches that kind off)."""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PERSONA_DIR = Path(__file__).resolve().parent / "personas"
PERSONA_IDS = ("crypto", "shortterm", "swing", "indexdca")
DEFAULT_PERSONA = "crypto"


def persona_path(name: str) -> Path:
    return PERSONA_DIR / f"{name}.json"


def persona_read(name: str) -> dict:
    """A file of `personas/` (a persona id, or `persona.schema`), parsed."""
    return json.loads(persona_path(name).read_text(encoding="utf-8"))


@cache
def persona_policies() -> dict[str, dict]:
    """persona id → its policy, as shipped (the deployment check `gate.E001` holds the files to the schema)."""
    return {persona: persona_read(persona) for persona in PERSONA_IDS}


def persona_policy(persona: str) -> dict:
    """A copy of the persona's policy (the default persona's for an unknown id)."""
    policies = persona_policies()
    return copy.deepcopy(policies.get(persona) or policies[DEFAULT_PERSONA])


@dataclass(frozen=True)
class EffectivePolicy:
    persona: str
    rules: dict[str, dict]  # kind -> params
    rule_sources: dict[str, str]  # kind -> "persona" | "yours"
    gate: dict
    cooldown: dict
    tone: str


def policy_effective(*, persona: str, user_rules: list, coach_tone: str) -> EffectivePolicy:
    """The persona's policy with the user's rules (objects with kind, params, active) laid over it."""
    policy = persona_policy(persona)
    rules = {kind: dict(params) for kind, params in policy["defaultRules"].items()}
    sources = dict.fromkeys(rules, "persona")
    for rule in user_rules:
        if rule.active:
            rules[rule.kind] = dict(rule.params or {})
            sources[rule.kind] = "yours"
        else:
            rules.pop(rule.kind, None)
            sources.pop(rule.kind, None)
    tone = coach_tone if coach_tone in policy["tone"]["allowed"] else policy["tone"]["default"]
    return EffectivePolicy(persona=policy["id"], rules=rules, rule_sources=sources, gate=policy["gate"],
                           cooldown=policy["cooldown"], tone=tone)
