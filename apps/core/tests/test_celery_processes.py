"""`celery -A twin worker` and `celery -A twin beat` start against the real Redis (and PostgreSQL for beat)."""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

CELERY = str(Path(sys.executable).with_name("celery"))


def _env(**extra) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "twin.settings.test", "TEST_REDIS_URL": settings.REDIS_URL,
           "PYTHONUNBUFFERED": "1", **extra}
    env.pop("TWIN_REQUIRE_SERVICES", None)
    return env


def _stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    return process.stdout.read() if process.stdout else ""


@pytest.fixture
def worker_process(tmp_path):
    name = f"probe-{uuid.uuid4().hex[:8]}@localhost"
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [CELERY, "-A", "twin", "worker", "--pool", "solo", "-Q", ",".join(settings.CELERY_TASK_QUEUES_NAMES),
             "-n", name, "--without-mingle", "--without-gossip", "-l", "INFO"],
            cwd=settings.BASE_DIR, env=_env(), stdout=out, stderr=subprocess.STDOUT, text=True,
        )
        try:
            yield name, process, log
        finally:
            _stop(process)


def test_worker_starts_and_answers_ping(worker_process):
    from twin.celery import app

    name, process, log = worker_process
    deadline = time.monotonic() + 90
    replies = []
    while time.monotonic() < deadline and not replies:
        assert process.poll() is None, log.read_text()
        replies = app.control.ping(destination=[name], timeout=1.0)
    assert replies == [{name: {"ok": "pong"}}], log.read_text()
    text = log.read_text()
    assert f"{name} ready." in text
    for queue in settings.CELERY_TASK_QUEUES_NAMES:
        assert f".> {queue} " in text


@pytest.mark.django_db(transaction=True)
def test_beat_starts_with_the_database_scheduler(tmp_path):
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    log = tmp_path / "beat.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [CELERY, "-A", "twin", "beat", "-l", "DEBUG", "--schedule", str(tmp_path / "beat-schedule"),
             "--pidfile", str(tmp_path / "beat.pid")],
            cwd=settings.BASE_DIR, env=_env(TEST_DATABASE_URL=database_url), stdout=out, stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and "beat: Ticking with max interval" not in log.read_text():
                assert process.poll() is None, log.read_text()
                time.sleep(0.5)
            text = log.read_text()
            assert "beat: Starting..." in text, text
            assert "django_celery_beat.schedulers.DatabaseScheduler" in text, text
            assert "DatabaseScheduler: Fetching database schedule" in text, text
            assert "beat: Ticking with max interval" in text, text
            time.sleep(2)
            assert process.poll() is None, log.read_text()
        finally:
            _stop(process)
