"""`manage.py slo_probe` against a real daphne (relay and job runner in-process, candles from the stub
exchange): the journey completes and reports every step; an unreachable deployment exits 2."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.core.testing import free_port, stop_process

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

ROOT = Path(settings.BASE_DIR)


def _env(**extra: str) -> dict:
    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "twin.settings.test", "PYTHONUNBUFFERED": "1",
           "TEST_DATABASE_URL": (f"postgres://{db.get('USER') or 'postgres'}:{db.get('PASSWORD') or ''}@"
                                 f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"),
           "TEST_DB_NAME": settings.CACHE_KEY_PREFIX, "TEST_REDIS_URL": settings.REDIS_URL, **extra}
    env.pop("TWIN_REQUIRE_SERVICES", None)
    return env


def _probe(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "slo_probe", *args], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def deployment(transactional_db, stub_exchange):
    port = free_port()
    env = _env(OUTBOX_RELAY_EMBEDDED="1", JOBS_IN_PROCESS="1", **stub_exchange.settings_overrides())
    process = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                "twin.asgi:application"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process, timeout=20)


def test_the_journey_reaches_the_first_reflection_and_reports_each_step(deployment):
    from django.contrib.auth import get_user_model

    result = _probe("--base-url", deployment, "--json")

    assert result.returncode in (0, 1), result.stdout + result.stderr  # 1 = a breach on a loaded machine
    document = json.loads(result.stdout.strip().splitlines()[-1])
    steps = {step["name"]: step for step in document["steps"]}
    assert list(steps) == ["signup", "socket", "upload", "import", "reflect", "push"]
    for step in steps.values():
        assert step["seconds"] is not None and step["seconds"] >= 0
        assert step["ok"] == (step["seconds"] <= step["sloSeconds"])
    assert steps["import"]["seconds"] <= steps["reflect"]["seconds"]
    assert (steps["signup"]["sloSeconds"], steps["import"]["sloSeconds"], steps["push"]["sloSeconds"]) == (0.8, 60.0, 0.5)
    assert document["ok"] == (result.returncode == 0)
    assert get_user_model().objects.filter(email__startswith="slo-probe-").count() == 1


def test_an_unreachable_deployment_fails_the_probe():
    result = _probe("--base-url", f"http://127.0.0.1:{free_port()}", "--json", timeout=120)

    assert result.returncode == 2
    document = json.loads(result.stdout.strip().splitlines()[-1])
    assert document["ok"] is False
    assert document["failed"]["step"] == "connect"
