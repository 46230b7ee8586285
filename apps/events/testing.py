"""Fixtures for this app (collected through the root conftest): outbox helpers, sockets, a private Redis."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from apps.core.testing import free_port, stop_process  # noqa: F401  (re-exported for the events tests)

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def request_context_fresh():
    """Every test starts outside any request: the test client leaves the last request's id bound to the
    thread's log context, and events appended later would be stamped with it."""
    from apps.core.observability.context import context_clear

    context_clear()
    yield


def wait_for_port(port: int, *, timeout: float = 15.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


def append_committed(*, user, count: int = 1, type: str = "test.ping", payload=None) -> list[str]:
    """Append `count` events, one committed transaction each; returns their ids in append order."""
    from .services import event_append

    ids = []
    for index in range(count):
        with transaction.atomic():
            ids.append(event_append(user=user, type=type, payload=payload or {"n": index}).id)
    return ids


def relay_drain() -> int:
    """Number and mark everything pending without publishing (for read-side tests without a channel layer)."""
    from .services import ALL_PARTITIONS, outbox_claim_batch, outbox_mark_delivered

    total = 0
    while rows := outbox_claim_batch(limit=500)[0]:
        outbox_mark_delivered(partitions=ALL_PARTITIONS, through=rows[-1].seq)
        total += len(rows)
    return total


def child_env(**extra: str) -> dict:
    """Environment for a child process that must use this test run's database and Redis."""
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "twin.settings.test", "PYTHONUNBUFFERED": "1"}
    if db["ENGINE"].endswith("postgresql"):
        env["TEST_DATABASE_URL"] = (
            f"postgres://{db.get('USER') or 'postgres'}:{db.get('PASSWORD') or ''}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{db['NAME']}"
        )
    env["TEST_DB_NAME"] = settings.CACHE_KEY_PREFIX
    env["TEST_REDIS_URL"] = settings.REDIS_URL
    env.update(extra)
    return env


RELAY_APPLICATION_NAME = "twin-relay-test"  # how the relay child's database sessions are named (libpq PGAPPNAME)


def start_relay(*, env: dict | None = None, poll_interval: float = 1.0) -> subprocess.Popen:
    env = {"PGAPPNAME": RELAY_APPLICATION_NAME, **(env or child_env())}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "relay_outbox", "--poll-interval", str(poll_interval)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    seen = []
    while "relay started" not in (line := process.stdout.readline()):  # log lines may come first
        seen.append(line)
        if not line or len(seen) > 200:
            process.kill()
            raise RuntimeError(f"relay did not start: {''.join(seen)}{process.stdout.read()}")
    return process


class PrivateRedis:
    """A throwaway redis-server on a free port (never the shared one), restartable on the same port."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, process=self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def relay_process(transactional_db):
    """A `manage.py relay_outbox` child process on this run's database and Redis."""
    processes: list[subprocess.Popen] = []

    def start(**kwargs) -> subprocess.Popen:
        process = start_relay(**kwargs)
        processes.append(process)
        return process

    yield start
    for process in processes:
        stop_process(process)


def start_daphne(*, env: dict | None = None, port: int | None = None) -> tuple[subprocess.Popen, int]:
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "twin.asgi:application"],
        cwd=ROOT, env=env or child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    wait_for_port(port, timeout=30, process=process)
    return process, port


@pytest.fixture
def daphne_process(transactional_db):
    """Start `daphne twin.asgi:application` children on free ports; returns (process, port)."""
    processes: list[subprocess.Popen] = []

    def start(**kwargs) -> tuple[subprocess.Popen, int]:
        process, port = start_daphne(**kwargs)
        processes.append(process)
        return process, port

    yield start
    for process in processes:
        stop_process(process)


def session_cookie_for(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
