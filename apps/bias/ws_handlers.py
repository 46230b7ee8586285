"""Client→server socket messages of the coach (registered with the events app's handler registry)."""
from __future__ import annotations

from rest_framework import serializers

from apps.events.registry import ws_handler
from apps.events.services import event_envelope

from .services import reflection_feedback_record, reflection_request


class AskReflectionInput(serializers.Serializer):
    tradeId = serializers.CharField(max_length=64)


class FeedbackInput(serializers.Serializer):
    eventId = serializers.CharField(max_length=26)
    vote = serializers.ChoiceField(choices=["up", "down"])


@ws_handler("chat.ask_reflection", input_serializer=AskReflectionInput)
def ask_reflection(user, payload: dict) -> dict:
    """A fresh `coach.reflect` on one of the user's own trades; the envelope is also sent back at once."""
    _, event = reflection_request(user=user, trade_id=payload["tradeId"])
    return event_envelope(event)


@ws_handler("chat.feedback", input_serializer=FeedbackInput)
def feedback(user, payload: dict) -> dict:
    record = reflection_feedback_record(user=user, event_id=payload["eventId"], vote=payload["vote"])
    return {"type": "chat.feedback.ok", "payload": {"eventId": payload["eventId"], "vote": record.vote}}
