"""The decision reaches the user's socket: POST → gate job (eager on commit) → outbox → relay → /ws/coach."""
import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from apps.events.relay import OutboxRelay
from apps.gate.models import PretradeIntent
from twin.asgi import application

from .conftest import intent_body

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
async def relay():
    stop = asyncio.Event()
    instance = OutboxRelay(poll_interval=0.05, listen=False)
    task = asyncio.create_task(instance.run(stop))
    yield instance
    stop.set()
    await asyncio.wait_for(task, 10)


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _post(user, body: dict) -> str:
    client = APIClient()
    client.force_login(user)
    response = client.post("/api/pretrade-intents", body, format="json")
    assert response.status_code == 202
    return response.json()["intentId"]


async def test_decision_is_pushed_to_the_users_socket(user, other_user, relay):
    cookie = await sync_to_async(_cookie)(user)
    communicator = WebsocketCommunicator(application, "/ws/coach", headers=[
        (b"host", b"testserver"), (b"origin", b"http://testserver"),
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())])
    connected, code = await communicator.connect(timeout=5)
    assert connected, code
    try:
        await sync_to_async(_post)(other_user, intent_body())  # someone else's decision never arrives here
        intent_id = await sync_to_async(_post)(user, intent_body(plan={"entry": "100", "thesis": "no stop"}))
        frames = [json.loads(await communicator.receive_from(timeout=10)) for _ in range(2)]
        assert [f["type"] for f in frames] == ["pretrade.intent.submitted", "pretrade.decision.returned"]
        intent = await PretradeIntent.objects.aget(id=intent_id)
        assert frames[1]["payload"] == {
            "intentId": intent_id, "symbol": "BTC-USD", "direction": "long", "decision": "WAIT",
            "reasons": intent.reasons, "until": intent.until.isoformat(), "tasks": intent.tasks, "persona": "crypto",
            "decidedAt": intent.decided_at.isoformat()}
        assert [r["code"] for r in frames[1]["payload"]["reasons"]] == ["stop_missing"]
        assert await communicator.receive_nothing(0.5)
    finally:
        await communicator.disconnect()
