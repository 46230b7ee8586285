"""Reads of the outbox in delivery order (see services.py for why `seq`, not id or ts)."""
from __future__ import annotations

from apps.core.errors import NotFound
from apps.core.validation import opaque_id_valid

from .models import EventOutbox
from .services import CONTROL_PREFIX


def event_position(*, user_id: str, event_id: str) -> int | None:
    """The delivery position of the user's event, None if it is not numbered yet. NotFound if not theirs."""
    if not opaque_id_valid(event_id):
        raise NotFound("No such event.", code="unknown_event")
    found = list(EventOutbox.objects.filter(id=event_id, user_id=user_id).values_list("seq", flat=True)[:1])
    if not found:
        raise NotFound("No such event.", code="unknown_event")
    return found[0]


def event_list_after(*, user_id: str, after: int | None, limit: int = 100) -> list[EventOutbox]:
    """The user's delivered-order events after position `after` (from the oldest retained when None)."""
    rows = EventOutbox.objects.filter(user_id=user_id, seq__isnull=False).exclude(type__startswith=CONTROL_PREFIX)
    if after is not None:
        rows = rows.filter(seq__gt=after)
    return list(rows.order_by("seq")[:limit])


def event_list_since(*, user_id: str, since: str | None, limit: int = 100) -> tuple[list[EventOutbox], int | None]:
    """Events after the event `since` (an eventId). Returns the rows and the position they continue from."""
    after = event_position(user_id=user_id, event_id=since) if since else None
    if since and after is None:
        return [], None
    return event_list_after(user_id=user_id, after=after, limit=limit), after
