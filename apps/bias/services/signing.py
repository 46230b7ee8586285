"""Verification of signed calls to the /v1 engine API.

`X-Signature` = hex HMAC-SHA256(ENGINE_API_SECRET, X-Timestamp + body); `X-Timestamp` in Unix seconds
within ±5 minutes of our clock; a signature is accepted once (remembered in the cache until the timestamp
window closes), so a captured request cannot be replayed.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time

from django.conf import settings
from django.core.cache import cache

from apps.core.errors import DomainError

MAX_SKEW_SECONDS = 300
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


class SignatureInvalid(DomainError):
    code = "unauthorized"
    status = 401
    default_message = "The request signature is missing or not valid."


def engine_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()


def engine_request_verify(*, timestamp: str | None, signature: str | None, body: bytes,
                          now: float | None = None) -> None:
    """Raise SignatureInvalid unless the request is fresh, correctly signed and not seen before."""
    if not timestamp or not signature:
        raise SignatureInvalid("X-Timestamp and X-Signature headers are required.")
    if not _UNIX_SECONDS.fullmatch(timestamp):
        raise SignatureInvalid("X-Timestamp must be Unix seconds.")
    try:
        sent_at = int(timestamp)
    except ValueError as exc:
        raise SignatureInvalid("X-Timestamp must be Unix seconds.") from exc
    now = time.time() if now is None else now
    if abs(now - sent_at) > MAX_SKEW_SECONDS:
        raise SignatureInvalid("The request timestamp is outside the allowed window.")
    given = signature.strip().lower()
    if not _HEX_DIGEST.fullmatch(given):
        raise SignatureInvalid("X-Signature must be 64 hexadecimal characters.")
    expected = engine_signature(secret=settings.ENGINE_API_SECRET, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("ascii")):
        raise SignatureInvalid("The request signature does not match.")
    # Remember the signature for as long as its timestamp could still pass the window check.
    ttl = int(sent_at + MAX_SKEW_SECONDS - now) + 1
    if not cache.add(f"bias:v1:sig:{expected}", 1, timeout=max(ttl, 1)):
        raise SignatureInvalid("This request was already used.")
