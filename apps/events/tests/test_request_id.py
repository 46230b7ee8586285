"""One upload followed by its request id: the `X-Request-ID` sent with the upload is on every pushed frame it
causes (import progress, then the reflections of scoring) and on the relay's log lines — through a real
daphne, a relay process and a socket on PostgreSQL, and through the embedded default on SQLite."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from websockets.asyncio.client import connect

from apps.core.observability.context import REQUEST_ID_HEADER
from apps.events.models import EventOutbox
from apps.events.testing import ROOT, child_env, start_daphne, stop_process
from apps.trades.testing import fills_csv

FILLS = 12


def _signed_up(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    token = client.get("/api/auth/csrf").json()["csrfToken"]
    signup = client.post(
        "/api/auth/signup", json={"email": email, "password": "a-long-passphrase-7"}, headers={"X-CSRFToken": token}
    )
    assert signup.status_code == 201, signup.text
    client.headers["X-CSRFToken"] = client.get("/api/auth/csrf").json()["csrfToken"]
    client.headers["Referer"] = base + "/upload/"
    return client


async def _frames_of_an_upload(base: str, client: httpx.Client, request_id: str) -> tuple[list[dict], str]:
    """Open the socket, upload with `request_id`, collect frames until the import is done and a reflection
    arrived. -> (frames, the X-Request-ID the upload's response carried)."""
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    url = base.replace("http://", "ws://") + "/ws/coach"
    frames: list[dict] = []
    async with connect(url, additional_headers={"Cookie": cookie}, origin=base, open_timeout=10) as ws:
        await asyncio.sleep(0.3)
        response = await asyncio.to_thread(
            client.post,
            "/api/trades/upload",
            headers={REQUEST_ID_HEADER: request_id},
            files={
                "file": ("fills.csv", fills_csv(file_no=1, count=FILLS, end=datetime.now(UTC) - timedelta(hours=2)))
            },
        )
        assert response.status_code == 202, response.text
        deadline = time.monotonic() + 120
        while True:
            try:
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))))
            except TimeoutError:
                raise AssertionError(
                    f"no done import and reflection in time: {[f.get('type') for f in frames]}"
                ) from None
            finished = any(f.get("type") == "import.progress" and f["payload"]["done"] for f in frames)
            if finished and any(f.get("type") == "coach.reflect" for f in frames):
                break
    return frames, response.headers[REQUEST_ID_HEADER]


def _assert_carried(frames: list[dict], request_id: str) -> None:
    progress = [f for f in frames if f.get("type") == "import.progress"]
    reflections = [f for f in frames if f.get("type") == "coach.reflect"]
    assert progress and progress[-1]["payload"]["done"] is True
    assert reflections
    assert {f.get("requestId") for f in progress + reflections} == {request_id}


@pytest.mark.postgres
@pytest.mark.redis
def test_an_uploads_request_id_reaches_the_pushed_frames_and_the_relay_log(
    daphne_process, relay_process, stub_exchange
):
    env = child_env(JOBS_IN_PROCESS="1", RATELIMIT_ENABLE="0", **stub_exchange.settings_overrides())
    _, port = daphne_process(env=env)
    relay = relay_process(env={**env, "LOG_LEVEL": "DEBUG"}, poll_interval=0.2)
    relay_lines: list[str] = []
    reader = threading.Thread(target=lambda: relay_lines.extend(relay.stdout), daemon=True)  # never a full pipe
    reader.start()
    base = f"http://127.0.0.1:{port}"
    client = _signed_up(base, "traced@example.com")
    request_id = f"upload-{uuid.uuid4().hex}"

    frames, echoed = asyncio.run(_frames_of_an_upload(base, client, request_id))

    assert echoed == request_id
    _assert_carried(frames, request_id)
    stored = set(
        EventOutbox.objects.filter(type__in=["import.progress", "coach.reflect"]).values_list("request_id", flat=True)
    )
    assert stored == {request_id}
    # The relay said which request's events it published.
    assert stop_process(relay) == 0
    reader.join(10)
    published = [
        json.loads(line) for line in relay_lines if line.startswith("{") and '"outbox events published"' in line
    ]
    assert {line.get("requestId") for line in published} == {request_id}
    assert sum(line["events"] for line in published) >= len([f for f in frames if "eventId" in f])


def test_an_event_appended_outside_any_request_has_no_request_id(db, user):
    from django.db import transaction

    from apps.core.observability.context import context_clear
    from apps.events.services import event_append, event_envelope

    context_clear()
    with transaction.atomic():
        event = event_append(user=user, type="test.ping", payload={})
    assert event.request_id is None
    assert "requestId" not in event_envelope(event)


@pytest.mark.slow
def test_the_embedded_default_pushes_the_uploads_request_id(tmp_path, stub_exchange):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "TWIN_REQUIRE_SERVICES")}
    env.update(
        DJANGO_SETTINGS_MODULE="twin.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL="",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
        RATELIMIT_ENABLE="0",
        **stub_exchange.settings_overrides(),
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    process, port = start_daphne(env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        client = _signed_up(base, "embedded@example.com")
        request_id = f"embedded-{uuid.uuid4().hex}"
        frames, echoed = asyncio.run(_frames_of_an_upload(base, client, request_id))
    finally:
        stop_process(process)
    assert echoed == request_id
    _assert_carried(frames, request_id)
