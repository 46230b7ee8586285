"""What every log line of one request, task or socket carries: `requestId`, `userRef`, `route`.

The values live in structlog's context variables, so they follow the code through `sync_to_async`,
asyncio tasks and Celery task bodies without any call site passing them along.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import uuid

import structlog
from django.conf import settings

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a proxy: a UUID, a hex/base64url token or similar; anything else is replaced.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_accept(value: str | None) -> str:
    """The proxy's id when it is well-formed (8–128 characters of letters, digits, `.`, `_`, `:`, `-`);
    otherwise a new one."""
    if value and _WELL_FORMED.match(value):
        return value
    return request_id_new()


def user_ref(user_id: object) -> str:
    """A stable, peppered reference to a user for logs: never the email, not reversible without the pepper."""
    pepper = getattr(settings, "LOG_USER_PEPPER", "") or settings.SESSION_HASH_PEPPER
    digest = hmac.new(pepper.encode(), f"user:{user_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:16]


def request_id_current() -> str | None:
    """The request id of the request, task or socket this code runs for (None outside of one)."""
    value = structlog.contextvars.get_contextvars().get("requestId")
    return value if isinstance(value, str) and value else None


def context_bind(**values: object) -> None:
    structlog.contextvars.bind_contextvars(**{key: value for key, value in values.items() if value is not None})


def context_clear() -> None:
    structlog.contextvars.clear_contextvars()

