"""Socket handlers through the real ASGI application: ask for a reflection, give feedback."""
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from apps.bias.models import Reflection, ReflectionFeedback
from apps.bias.services import bias_score_trades
from apps.events.models import EventOutbox
from apps.trades.testing import TradeFactory
from twin.asgi import application

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def open_socket(user) -> WebsocketCommunicator:
    cookie = await sync_to_async(session_cookie)(user)
    communicator = WebsocketCommunicator(application, "/ws/coach", headers=[
        (b"host", b"testserver"), (b"origin", b"http://testserver"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())])
    connected, code = await communicator.connect(timeout=5)
    assert connected, code
    return communicator


async def frame(communicator) -> dict:
    return json.loads(await communicator.receive_from(timeout=10))


async def test_ask_reflection_appends_a_coach_reflect_for_own_trade(user, market_trades):
    ids = [t.id for t in market_trades]
    await sync_to_async(bias_score_trades)(user_id=user.id, trade_ids=ids)
    communicator = await open_socket(user)
    try:
        await communicator.send_json_to({"type": "chat.ask_reflection", "payload": {"tradeId": ids[3]},
                                         "requestId": "q1"})
        answer = await frame(communicator)
        event = await EventOutbox.objects.aget(id=answer["eventId"])
        assert answer == {"type": "chat.ask_reflection.ok", "eventId": event.id, "tradeId": ids[3],
                          "requestId": "q1"}
        assert event.type == "coach.reflect"
        assert event.payload["tradeId"] == ids[3]
        reflection = await Reflection.objects.aget(event_id=event.id)
        assert event.payload["insight"] == reflection.text
        assert await EventOutbox.objects.filter(type="coach.reflect").acount() == 13
    finally:
        await communicator.disconnect()


async def test_ask_reflection_for_someone_elses_or_unscored_trade_is_an_error(user, other_user, market_trades):
    theirs = await sync_to_async(TradeFactory)(user=other_user)
    communicator = await open_socket(user)
    try:
        await communicator.send_json_to({"type": "chat.ask_reflection", "payload": {"tradeId": theirs.id}})
        error = await frame(communicator)
        assert (error["type"], error["code"]) == ("error", "not_found")
        await communicator.send_json_to({"type": "chat.ask_reflection", "payload": {"tradeId": market_trades[0].id}})
        error = await frame(communicator)
        assert (error["type"], error["code"]) == ("error", "not_scored")
        await communicator.send_json_to({"type": "chat.ask_reflection", "payload": {}})
        error = await frame(communicator)
        assert error["code"] == "invalid" and "tradeId" in error["fields"]
        assert await EventOutbox.objects.acount() == 0
    finally:
        await communicator.disconnect()


async def test_feedback_is_stored_once_per_user_and_reflection(user, other_user, market_trades):
    await sync_to_async(bias_score_trades)(user_id=user.id, trade_ids=[market_trades[0].id])
    reflection = await Reflection.objects.aget(trade_id=market_trades[0].id)
    communicator = await open_socket(user)
    try:
        await communicator.send_json_to({"type": "chat.feedback", "payload": {"eventId": reflection.event_id, "vote": "up"}})
        assert await frame(communicator) == {"type": "chat.feedback.ok", "eventId": reflection.event_id, "vote": "up"}
        await communicator.send_json_to({"type": "chat.feedback", "payload": {"eventId": reflection.event_id, "vote": "down"}})
        assert (await frame(communicator))["vote"] == "down"
        await communicator.send_json_to({"type": "chat.feedback", "payload": {"eventId": reflection.event_id, "vote": "meh"}})
        assert (await frame(communicator))["code"] == "invalid"
    finally:
        await communicator.disconnect()
    votes = [(f.user_id, f.vote) async for f in ReflectionFeedback.objects.all()]
    assert votes == [(user.id, "down")]

    other = await open_socket(other_user)
    try:
        await other.send_json_to({"type": "chat.feedback", "payload": {"eventId": reflection.event_id, "vote": "up"}})
        assert (await frame(other))["code"] == "not_found"
    finally:
        await other.disconnect()
    assert await ReflectionFeedback.objects.acount() == 1
