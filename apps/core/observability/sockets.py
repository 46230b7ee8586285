"""What the `/ws/coach` consumer reports: connections open, frames sent, overflow markers, error frames and
push latency (outbox commit → socket send), and the log context of one socket (its `requestId` — the
upgrade request's `X-Request-ID` when well-formed — and the user's reference)."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from .context import context_bind, request_id_accept, user_ref
from .metrics import PUSH_LATENCY, WS_ERRORS, WS_FRAMES, WS_OPEN, WS_OPENED, WS_OVERFLOWS


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def socket_opened(*, scope: dict, user_id: str) -> str:
    """A socket was admitted: count it and bind its log context. Returns its request id."""
    request_id = request_id_accept(_header(scope, b"x-request-id"))
    context_bind(requestId=request_id, userRef=user_ref(user_id), route="ws/coach")
    WS_OPEN.inc()
    WS_OPENED.inc()
    return request_id


def socket_closed() -> None:
    WS_OPEN.dec()


def socket_frame_sent(*, frame: dict) -> None:
    WS_FRAMES.inc()
    kind = frame.get("type")
    if kind == "sync" and frame.get("synced") is False:
        WS_OVERFLOWS.inc()
    elif kind == "error":
        WS_ERRORS.labels(code=str(frame.get("code", "unknown"))[:48]).inc()


def socket_push_observed(*, envelope: dict, now: datetime | None = None) -> None:
    """A live push: the time since its event was written."""
    try:
        written = datetime.fromisoformat(envelope["ts"])
    except (KeyError, TypeError, ValueError):
        return
    PUSH_LATENCY.observe(max(0.0, ((now or timezone.now()) - written).total_seconds()))
