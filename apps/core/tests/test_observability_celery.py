"""A real worker: the sender's request id arrives in the task's log lines, and the worker serves its metrics."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from apps.core.observability.celery import REQUEST_ID_HEADER
from apps.core.observability.context import context_bind, context_clear
from apps.core.testing import free_port

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

CELERY = str(Path(sys.executable).with_name("celery"))


@pytest.fixture
def worker(tmp_path, transactional_db):
    from twin.celery import app

    with app.connection_for_write() as conn:  # nothing left over from an earlier run
        conn.default_channel.client.delete("default")
    port = free_port()
    name = f"obs-{uuid.uuid4().hex[:8]}@localhost"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "twin.settings.test", "TEST_REDIS_URL": settings.REDIS_URL,
           "TWIN_USE_EXISTING_TEST_DB": "1", "TEST_DB_NAME": connection.settings_dict["NAME"],
           "METRICS_PORT": str(port), "LOG_FORMAT": "json", "PYTHONUNBUFFERED": "1"}
    env.pop("TWIN_REQUIRE_SERVICES", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [CELERY, "-A", "twin", "worker", "--pool", "solo", "-Q", "default", "-n", name, "--without-mingle",
             "--without-gossip", "-l", "INFO"],
            cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        try:
            yield process, port, log
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _json_lines(path: Path) -> list[dict]:
    lines = []
    for raw in path.read_text().splitlines():
        if raw.startswith("{"):
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue
    return lines


def test_the_request_id_travels_to_the_worker_and_its_task_is_measured(worker):
    from twin.celery import app

    process, port, log = worker
    context_bind(requestId="req-from-web-0001", userRef="0123456789abcdef")
    try:
        result = app.send_task("core.jobs_reap", queue="default")
    finally:
        context_clear()

    deadline = time.monotonic() + 90
    finished: list[dict] = []
    while time.monotonic() < deadline and not finished:
        assert process.poll() is None, log.read_text()
        finished = [line for line in _json_lines(log) if result.id in line.get("event", "")
                    and "succeeded" in line.get("event", "")]
        time.sleep(0.3)
    assert finished, log.read_text()
    [line] = finished
    assert line["requestId"] == "req-from-web-0001"
    assert line["userRef"] == "0123456789abcdef"
    assert line["task"] == "core.jobs_reap"
    assert line["taskId"] == result.id
    assert line["logger"] == "celery.app.trace"

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:  # noqa: S310
        text = response.read().decode()
    found = {(s.name, tuple(sorted(s.labels.items()))): s.value
             for family in text_string_to_metric_families(text) for s in family.samples}
    assert found[("twin_celery_tasks_total", (("state", "success"), ("task", "core.jobs_reap")))] == 1
    assert found[("twin_celery_task_duration_seconds_count", (("task", "core.jobs_reap"),))] == 1
    assert found[("twin_celery_task_queue_wait_seconds_count", (("task", "core.jobs_reap"),))] == 1


def test_a_task_sent_outside_any_request_carries_no_request_id():
    from apps.core.observability.celery import _headers_add

    headers: dict = {}
    context_clear()
    _headers_add(headers=headers)

    assert REQUEST_ID_HEADER not in headers
    assert isinstance(headers["sent_at"], float)


def test_an_eager_task_logs_in_the_sender_s_context_and_leaves_it_as_it_was():
    import structlog
    from celery import shared_task

    seen = {}

    @shared_task(name="tests.observability_context_probe")
    def probe() -> None:
        seen.update(structlog.contextvars.get_contextvars())

    context_clear()
    context_bind(requestId="req-eager-000001", route="api/x")
    try:
        result = probe.apply_async()
        after = structlog.contextvars.get_contextvars()
    finally:
        context_clear()

    assert seen == {"requestId": "req-eager-000001", "route": "api/x", "task": "tests.observability_context_probe",
                    "taskId": result.id}
    assert after == {"requestId": "req-eager-000001", "route": "api/x"}
