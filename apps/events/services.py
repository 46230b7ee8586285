"""Writes to the event outbox. Call inside the caller's transaction."""
from __future__ import annotations

from django.utils import timezone

from .models import EventOutbox


def event_append(*, user, type: str, payload: dict, v: int = 1) -> EventOutbox:
    return EventOutbox.objects.create(user=user, type=type, payload=payload, v=v, ts=timezone.now())


def event_envelope(event: EventOutbox) -> dict:
    return {"type": event.type, "eventId": event.id, "ts": event.ts.isoformat(), "v": event.v, "payload": event.payload}
