"""`Idempotency-Key` for POSTs: the same key with the same body answers the first answer again for 24 hours;
the same key with a different body is refused (422)."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.errors import Unprocessable, ValidationFailed

from ..models import IdempotencyKey

IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def idempotency_digest(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def idempotency_replay(*, user, scope: str, key: str, digest: str) -> tuple[int, dict] | None:
    """The stored (status, body) for this key, None when there is none; 422 when the body differs."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
                               fields={"Idempotency-Key": ["Invalid length."]})
    row = IdempotencyKey.objects.filter(user=user, scope=scope, key=key,
                                        created_at__gte=timezone.now() - IDEMPOTENCY_TTL).first()
    if row is None:
        return None
    if row.request_digest != digest:
        raise Unprocessable("This Idempotency-Key was already used with a different request.",
                            code="idempotency_key_reused")
    return row.response_status, row.response_body


def idempotency_remember(*, user, scope: str, key: str, digest: str, status: int, body: dict) -> None:
    """Store the answer (first writer wins; an expired row with the same key is replaced)."""
    with transaction.atomic():
        IdempotencyKey.objects.filter(user=user, scope=scope, key=key,
                                      created_at__lt=timezone.now() - IDEMPOTENCY_TTL).delete()
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(user=user, scope=scope, key=key, request_digest=digest,
                                              response_status=status, response_body=body)
        except IntegrityError:
            pass


def idempotency_purge_expired() -> int:
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - IDEMPOTENCY_TTL).delete()
    return deleted


def idempotent_call(*, user, scope: str, key: str | None, data, call) -> tuple[int, dict]:
    """Answer a request once per `Idempotency-Key`: a repeat with the same body gets the stored answer, one
    with a different body is refused (422); without a key `call()` simply runs. `call` returns (status, body)."""
    if key is None:
        return call()
    digest = idempotency_digest(data if isinstance(data, dict) else {})
    stored = idempotency_replay(user=user, scope=scope, key=key, digest=digest)
    if stored is not None:
        return stored
    status, body = call()
    idempotency_remember(user=user, scope=scope, key=key, digest=digest, status=status, body=body)
    return status, body
