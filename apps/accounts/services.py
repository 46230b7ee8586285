"""Account writes."""
from __future__ import annotations

from .models import Audit, User


def audit_record(*, user: User | None, action: str, meta: dict | None = None) -> Audit:
    return Audit.objects.create(user=user, action=action, meta=meta or {})
