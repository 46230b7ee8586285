"""A deleted account's open sockets are closed by a push at once, not at their next session check."""
import asyncio
import time

import httpx
import pytest
from django.conf import settings
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from apps.accounts.models import User
from apps.accounts.testing import DEFAULT_PASSWORD, UserFactory
from apps.events.consumers import CLOSE_SESSION_ENDED
from apps.events.models import EventOutbox
from apps.events.sockets import SLOT_REFRESH

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_delete_closes_the_open_sockets_by_a_push(daphne_process):
    """Two sockets of the account stay silent after the delete (no frame that would trigger a session
    check); both are closed with 4401 well before the heartbeat's session check, and no outbox row is left."""
    user = UserFactory()
    _, port = daphne_process()
    base = f"http://127.0.0.1:{port}"
    http = httpx.Client(base_url=base, timeout=15)
    token = http.get("/api/auth/csrf").json()["csrfToken"]
    assert http.post("/api/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD},
                     headers={"X-CSRFToken": token}).status_code == 200
    cookie = f"{settings.SESSION_COOKIE_NAME}={http.cookies[settings.SESSION_COOKIE_NAME]}"

    async def closed_code(ws) -> tuple[int, float]:
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await ws.recv()
        return closed.value.rcvd.code, time.monotonic()

    async def scenario():
        url = f"ws://127.0.0.1:{port}/ws/coach"
        async with connect(url, additional_headers={"Cookie": cookie}, origin=base, open_timeout=10) as first, \
                connect(url, additional_headers={"Cookie": cookie}, origin=base, open_timeout=10) as second:
            watchers = [asyncio.create_task(closed_code(first)), asyncio.create_task(closed_code(second))]
            token = (await asyncio.to_thread(http.get, "/api/auth/csrf")).json()["csrfToken"]
            deleted = await asyncio.to_thread(http.post, "/api/account/delete",
                                              json={"password": DEFAULT_PASSWORD, "confirm": "DELETE"},
                                              headers={"X-CSRFToken": token})
            assert deleted.status_code == 200, deleted.content
            answered = time.monotonic()
            return answered, await asyncio.wait_for(asyncio.gather(*watchers), SLOT_REFRESH - 5)

    try:
        answered, results = asyncio.run(scenario())
    finally:
        http.close()
    assert [code for code, _ in results] == [CLOSE_SESSION_ENDED, CLOSE_SESSION_ENDED]
    assert all(at - answered < 5 for _, at in results)
    assert not User.objects.filter(pk=user.pk).exists()
    assert not EventOutbox.objects.filter(user_id=user.pk).exists()
