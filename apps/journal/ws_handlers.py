"""Socket message handlers owned by the journal (registered from JournalConfig.ready)."""
from __future__ import annotations

from rest_framework import serializers

from apps.events.registry import ws_handler

from .services import entry_note_add


class NoteAddInput(serializers.Serializer):
    text = serializers.CharField(max_length=2000, trim_whitespace=True)
    tradeId = serializers.CharField(max_length=32, required=False)  # noqa: N815 - wire name


@ws_handler("note.add", NoteAddInput)
def note_add(user, payload: dict) -> dict:
    """Write a note entry of the user (sealed like every entry); answered with its id and its event's id."""
    entry, event_id = entry_note_add(user=user, text=payload["text"], trade_id=payload.get("tradeId"))
    return {"type": "note.add.ok", "eventId": event_id, "entryId": entry.id}
