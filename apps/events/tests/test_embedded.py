"""The embedded default (SQLite, in-memory channel layer): the relay runs inside the daphne process."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from websockets.asyncio.client import connect

from apps.events.testing import ROOT, start_daphne

SCRIPT_LOGIN = """
from django.test import Client
from apps.accounts.models import User
user = User.objects.create_user("embedded@example.com", "x-long-enough-passphrase-1")
client = Client(); client.force_login(user)
print(client.cookies["sessionid"].value)
"""
SCRIPT_APPEND = """
from django.db import transaction
from apps.accounts.models import User
from apps.events.services import event_append
with transaction.atomic():
    print(event_append(user=User.objects.get(email="embedded@example.com"), type="test.ping", payload={}).id)
"""


@pytest.fixture
def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="twin.settings.local", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               REDIS_URL="", PYTHONUNBUFFERED="1", LOG_LEVEL="WARNING")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    return env


def _manage_shell(env: dict, code: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def test_live_events_without_a_relay_process(embedded_env):
    session = _manage_shell(embedded_env, SCRIPT_LOGIN)
    process, port = start_daphne(env=embedded_env)
    try:
        async def scenario():
            async with connect(f"ws://127.0.0.1:{port}/ws/coach", origin=f"http://127.0.0.1:{port}",
                               additional_headers={"Cookie": f"sessionid={session}"}) as ws:
                # Appended inside the web process: woken right after commit.
                await ws.send(json.dumps({"type": "note.add", "payload": {"text": "wait for the close"}}))
                first = json.loads(await asyncio.wait_for(ws.recv(), 5))
                second = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert first["type"] == "note.add.ok"
                assert second["type"] == "journal.entry.created" and second["eventId"] == first["eventId"]
                # Appended by another process: picked up by the in-process relay's short poll.
                event_id = await asyncio.to_thread(_manage_shell, embedded_env, SCRIPT_APPEND)
                third = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert third["eventId"] == event_id

        asyncio.run(scenario())
    finally:
        process.terminate()
        process.wait(10)
