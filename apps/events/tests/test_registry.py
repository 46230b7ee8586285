from __future__ import annotations

import pytest
from rest_framework import serializers

from apps.core.errors import ValidationFailed
from apps.events.registry import UnknownMessage, ws_dispatch, ws_handler, ws_handler_types


class EchoInput(serializers.Serializer):
    word = serializers.CharField(max_length=5)


def echo(user, payload: dict) -> dict:
    return {"type": "echo.ok", "word": payload["word"], "user": user}


def raw(user, payload: dict) -> None:
    return None


ws_handler("test.echo", EchoInput)(echo)
ws_handler("test.raw")(raw)


def test_registered_types_include_the_apps_handlers():
    assert {"note.add", "test.echo", "test.raw", "chat.ask_reflection", "chat.feedback"} <= set(ws_handler_types())


def test_dispatch_validates_then_calls():
    assert ws_dispatch(user="u1", type="test.echo", payload={"word": "hi"}) == {"type": "echo.ok", "word": "hi",
                                                                                 "user": "u1"}
    assert ws_dispatch(user="u1", type="test.raw", payload={"any": 1}) is None


def test_invalid_payload_and_unknown_type_raise_domain_errors():
    with pytest.raises(ValidationFailed) as invalid:
        ws_dispatch(user="u1", type="test.echo", payload={"word": "far too long"})
    assert invalid.value.fields == {"word": ["Ensure this field has no more than 5 characters."]}
    with pytest.raises(ValidationFailed):
        ws_dispatch(user="u1", type="test.raw", payload=["not", "a", "dict"])
    with pytest.raises(UnknownMessage):
        ws_dispatch(user="u1", type="test.nothing", payload={})


def test_a_type_cannot_be_taken_twice():
    ws_handler("test.echo", EchoInput)(echo)  # the same function again is fine (module re-import)
    with pytest.raises(ValueError):
        ws_handler("test.echo")(raw)
