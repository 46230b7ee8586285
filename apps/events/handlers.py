"""Socket message handlers owned by this app."""
from __future__ import annotations

from django.db import transaction
from rest_framework import serializers

from .registry import ws_handler
from .services import event_append


class NoteAddInput(serializers.Serializer):
    text = serializers.CharField(max_length=2000, trim_whitespace=True)
    tradeId = serializers.CharField(max_length=32, required=False)  # noqa: N815 - wire name


@ws_handler("note.add", NoteAddInput)
def note_add(user, payload: dict) -> dict:
    """Record a free-text note as a `note.added` event of the user (the journal app will own notes later)."""
    note = {"text": payload["text"]}
    if payload.get("tradeId"):
        note["tradeId"] = payload["tradeId"]
    with transaction.atomic():
        event = event_append(user=user, type="note.added", payload=note)
    return {"type": "note.add.ok", "eventId": event.id}
