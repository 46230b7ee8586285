"""A real Celery worker killed (SIGKILL) in the middle of an import: a new worker completes it exactly."""
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from apps.events.models import EventOutbox
from apps.trades.models import ImportJob, Trade
from apps.trades.imports import import_job_start

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CELERY = str(Path(sys.executable).with_name("celery"))
TASK = "apps.trades.tasks.import_job_run_task"


@pytest.fixture
def start_worker(stub_exchange, tmp_path):
    processes: list[subprocess.Popen] = []
    env = {**os.environ, **stub_exchange.settings_overrides(), "DJANGO_SETTINGS_MODULE": "twin.settings.test",
           "TEST_REDIS_URL": settings.REDIS_URL, "TEST_DB_NAME": settings.DATABASES["default"]["NAME"],
           "TWIN_USE_EXISTING_TEST_DB": "1", "PYTHONUNBUFFERED": "1", "STUB_EXCHANGE_EMBEDDED": "0"}
    env.pop("TWIN_REQUIRE_SERVICES", None)

    def start() -> subprocess.Popen:
        log = (tmp_path / f"worker-{len(processes)}.log").open("w")
        process = subprocess.Popen(
            [CELERY, "-A", "twin", "worker", "--pool", "solo", "-Q", "import", "-n",
             f"import-{uuid.uuid4().hex[:8]}@localhost", "--without-mingle", "--without-gossip", "-l", "INFO"],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=20)
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # this run's own Redis db: drop unacked leftovers


def _send(job_id: str) -> None:
    from twin.celery import app

    app.send_task(TASK, kwargs={"job_id": job_id}, queue="import")


def _wait(predicate, *, timeout: float, what: str, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"worker exited ({process.returncode}) while waiting for {what}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_worker_then_rerun_imports_every_fill_exactly_once(
        stub_exchange, coinbase_connection, user, start_worker):
    stub_exchange.state.set_trade_count(3000)
    expected = stub_exchange.state.expected_fill_count("coinbase")
    job = import_job_start(user=user, broker="coinbase", since=stub_exchange.state.anchor - timedelta(days=30),
                           enqueue=False)
    stub_exchange.state.latency = 0.4  # every exchange call is slow: the import is mid-way for seconds

    first = start_worker()
    _send(job.id)
    _wait(lambda: ImportJob.objects.get(id=job.id).pages >= 2, timeout=120, what="two committed pages",
          process=first)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=20)
    interrupted = ImportJob.objects.get(id=job.id)
    stored_at_kill = Trade.objects.filter(user=user).count()

    stub_exchange.state.latency = 0.0
    second = start_worker()
    _send(job.id)  # the redelivery of the lost message
    _wait(lambda: ImportJob.objects.get(id=job.id).status == "done", timeout=120, what="the job to finish",
          process=second)

    done = ImportJob.objects.get(id=job.id)
    assert first.returncode == -signal.SIGKILL
    assert interrupted.status == "running" and 2 <= interrupted.pages < 6
    assert stored_at_kill == interrupted.inserted == interrupted.pages * 500
    assert expected == 3000
    assert (done.status, done.fetched, done.inserted, done.duplicates, done.pages) == ("done", 3000, 3000, 0, 6)
    assert Trade.objects.filter(user=user).count() == 3000
    assert Trade.objects.filter(user=user).values("ext_id").distinct().count() == 3000
    pages = [e.payload["page"] for e in EventOutbox.objects.filter(user=user, type="import.progress").order_by("id")
             if e.payload["page"] > 0]
    assert pages == [1, 2, 3, 4, 5, 6]
