"""Rule writes: one rule per (user, kind), upserted idempotently."""
from __future__ import annotations

from django.db import transaction

from apps.core.errors import ValidationFailed

from ..models import Rule
from ..rules import rule_params_clean


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
