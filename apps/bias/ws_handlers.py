"""Client→server socket messages of the coach (registered with the events app's handler registry).

`chat.ask_reflection {tradeId}` appends a fresh `coach.reflect` for one of the user's own trades (the relay
delivers it like any other event) and answers `{type: "chat.ask_reflection.ok", eventId, tradeId}`.
`chat.feedback {eventId, vote}` stores the thumbs up/down against that reflection and answers
`{type: "chat.feedback.ok", eventId, vote}`.
"""
from __future__ import annotations

from rest_framework import serializers

from apps.events.registry import ws_handler

from .services import reflection_feedback_record, reflection_request


class AskReflectionInput(serializers.Serializer):
    tradeId = serializers.CharField(max_length=64)


class FeedbackInput(serializers.Serializer):
    eventId = serializers.CharField(max_length=26)
    vote = serializers.ChoiceField(choices=["up", "down"])


@ws_handler("chat.ask_reflection", AskReflectionInput)
def ask_reflection(user, payload: dict) -> dict:
    reflection, event = reflection_request(user=user, trade_id=payload["tradeId"])
    return {"type": "chat.ask_reflection.ok", "eventId": event.id, "tradeId": reflection.trade_id}


@ws_handler("chat.feedback", FeedbackInput)
def feedback(user, payload: dict) -> dict:
    record = reflection_feedback_record(user=user, event_id=payload["eventId"], vote=payload["vote"])
    return {"type": "chat.feedback.ok", "eventId": payload["eventId"], "vote": record.vote}
