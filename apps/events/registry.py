"""Client → server socket messages: apps register handlers here, the consumer stays generic.

    from apps.events.registry import ws_handler

    @ws_handler("chat.feedback", FeedbackInput)
    def chat_feedback(user, payload: dict) -> dict | None: ...

A handler is a plain (sync) function run in a worker thread with database access; `payload` is the
validated data of `input_serializer` (the raw `payload` object when None). A returned dict is sent back to
the socket as one frame. Raise `apps.core.errors.DomainError` to answer an error frame.
Register in your AppConfig.ready() (import the module that holds the decorated functions).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rest_framework import serializers

from apps.core.api import flatten_fields
from apps.core.errors import DomainError, ValidationFailed


@dataclass(frozen=True)
class WsHandler:
    type: str
    func: Callable[..., dict | None]
    input_serializer: type[serializers.Serializer] | None


_handlers: dict[str, WsHandler] = {}


def ws_handler(type: str, input_serializer: type[serializers.Serializer] | None = None):
    def register(func: Callable[..., dict | None]) -> Callable[..., dict | None]:
        existing = _handlers.get(type)
        if existing is not None and existing.func is not func:
            raise ValueError(f"A socket handler for {type!r} is already registered.")
        _handlers[type] = WsHandler(type=type, func=func, input_serializer=input_serializer)
        return func

    return register


def ws_handler_types() -> list[str]:
    return sorted(_handlers)


class UnknownMessage(DomainError):
    code = "unknown_type"
    default_message = "Unknown message type."


def ws_dispatch(*, user, type: str, payload) -> dict | None:
    """Validate and run the handler for `type` (sync). Raises DomainError for anything the client got wrong."""
    handler = _handlers.get(type)
    if handler is None:
        raise UnknownMessage(f"Unknown message type {type!r}.")
    if handler.input_serializer is not None:
        data = handler.input_serializer(data=payload if payload is not None else {})
        if not data.is_valid():
            raise ValidationFailed(fields=flatten_fields(data.errors))
        payload = data.validated_data
    elif not isinstance(payload, dict):
        raise ValidationFailed("payload must be an object.", fields={"payload": ["Must be an object."]})
    return handler.func(user, dict(payload))
