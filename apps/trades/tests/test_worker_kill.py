"""A real Celery worker killed (SIGKILL) mid-import and mid-scoring: after a restart the reaper hands the
work to the new worker, the import finishes exactly and every trade is labelled, nothing lost or doubled."""
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery import current_app

from apps.bias.models import BiasTag, ScoringRun
from apps.core.jobs import job_dispatch, jobs_reap
from apps.events.models import EventOutbox
from apps.trades.imports import import_job_start
from apps.trades.imports.lifecycle import TASK
from apps.trades.models import ImportJob, Trade

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CELERY = str(Path(sys.executable).with_name("celery"))
LEASE_SECONDS = 3
BOOT_SECONDS = 300  # a worker process starting on a busy machine; the waits below start once it consumes


@pytest.fixture
def start_worker(stub_exchange, tmp_path, settings):
    """Workers on the import and score queues; this process sends tasks to Redis (not eagerly), like beat."""
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    settings.JOB_LEASE_SECONDS = LEASE_SECONDS
    processes: list[subprocess.Popen] = []
    env = {**os.environ, **stub_exchange.settings_overrides(), "DJANGO_SETTINGS_MODULE": "twin.settings.test",
           "TEST_REDIS_URL": settings.REDIS_URL, "TEST_DB_NAME": settings.DATABASES["default"]["NAME"],
           "TWIN_USE_EXISTING_TEST_DB": "1", "PYTHONUNBUFFERED": "1", "STUB_EXCHANGE_EMBEDDED": "0",
           "CELERY_TASK_ALWAYS_EAGER": "0", "JOB_LEASE_SECONDS": str(LEASE_SECONDS)}
    env.pop("TWIN_REQUIRE_SERVICES", None)

    def start() -> subprocess.Popen:
        log_path = tmp_path / f"worker-{len(processes)}.log"
        log = log_path.open("w")
        process = subprocess.Popen(
            [CELERY, "-A", "twin", "worker", "--pool", "solo", "-Q", "import,score", "-n",
             f"jobs-{uuid.uuid4().hex[:8]}@localhost", "--without-mingle", "--without-gossip", "-l", "INFO"],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        process.log_path = log_path
        processes.append(process)
        _wait(lambda: " ready." in log_path.read_text(), timeout=BOOT_SECONDS, what="the worker to start",
              process=process)
        return process

    yield start
    current_app.conf.task_always_eager = eager
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=20)
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # this run's own Redis db: drop unacked leftovers


def _wait(predicate, *, timeout: float, what: str, process: subprocess.Popen | None = None, reap: bool = False):
    deadline = time.monotonic() + timeout
    last_reap = 0.0
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"worker exited ({process.returncode}) while waiting for {what}{_log_tail(process)}")
        if reap and time.monotonic() - last_reap >= 1.0:  # what beat does every few seconds
            jobs_reap()
            last_reap = time.monotonic()
        time.sleep(0.05)
    jobs = list(ImportJob.objects.values_list("status", "pages", "attempts", "error"))
    raise AssertionError(f"timed out waiting for {what}; import jobs {jobs}{_log_tail(process)}")


def _log_tail(process: subprocess.Popen | None) -> str:
    if process is None or not hasattr(process, "log_path"):
        return ""
    return "; the worker's log ends:\n" + "\n".join(process.log_path.read_text().splitlines()[-30:])


@pytest.fixture
def fills_held_after(monkeypatch):
    """`hold(pages)`: the stub exchange answers the first `pages` fills requests, then holds every later one
    until `release()`: an import on a worker stops mid-way however fast or slow the machine is."""
    from apps.brokers.stub.server import StubHandler

    answer = StubHandler._answer
    gate = threading.Event()
    limit = {"pages": None, "served": 0}
    lock = threading.Lock()

    def holding(self, method, path, query, raw_query):
        if path.endswith("/fills") and limit["pages"] is not None:
            with lock:
                limit["served"] += 1
                held = limit["served"] > limit["pages"]
            if held:
                gate.wait(timeout=300)
        return answer(self, method, path, query, raw_query)

    monkeypatch.setattr(StubHandler, "_answer", holding)

    def hold(pages: int) -> None:
        limit["pages"] = pages

    yield SimpleNamespace(hold=hold, release=gate.set)
    gate.set()


def _every_trade_labelled_once(user) -> bool:
    trades = Trade.objects.filter(user=user).count()
    labelled = BiasTag.objects.filter(trade__user=user).values("trade_id").distinct().count()
    return trades > 0 and labelled == trades and not ScoringRun.objects.filter(user=user).exclude(
        status="done").exists()


def _kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=20)
    assert process.returncode == -signal.SIGKILL


def test_worker_killed_mid_import_then_restarted_finishes_and_labels_every_trade(
        stub_exchange, coinbase_connection, user, start_worker, fills_held_after):
    stub_exchange.state.set_trade_count(3000)
    job = import_job_start(user=user, broker="coinbase", since=stub_exchange.state.anchor - timedelta(days=30),
                           enqueue=False)
    stub_exchange.state.latency = 0.4  # every exchange call is slow: the import is mid-way for seconds
    fills_held_after.hold(3)  # and the fourth page is not answered before the kill: at most three are stored

    first = start_worker()
    job_dispatch(task_name=TASK, job_id=job.id)
    _wait(lambda: ImportJob.objects.get(id=job.id).pages >= 2, timeout=120, what="two committed pages",
          process=first)
    _kill(first)
    interrupted = ImportJob.objects.get(id=job.id)
    stored_at_kill = Trade.objects.filter(user=user).count()

    stub_exchange.state.latency = 0.0
    fills_held_after.release()
    second = start_worker()  # the lost message is never redelivered in time: the reaper sends the job again
    started = time.monotonic()
    _wait(lambda: _every_trade_labelled_once(user), timeout=120, what="every trade labelled", process=second,
          reap=True)

    done = ImportJob.objects.get(id=job.id)
    assert time.monotonic() - started < 120
    assert interrupted.status == "running" and 2 <= interrupted.pages <= 3
    assert stored_at_kill == interrupted.inserted == interrupted.pages * 500
    assert (done.status, done.fetched, done.inserted, done.duplicates, done.pages, done.attempts) == (
        "done", 3000, 3000, 0, 6, 2)
    assert Trade.objects.filter(user=user).values("ext_id").distinct().count() == 3000
    pages = [e.payload["page"] for e in EventOutbox.objects.filter(user=user, type="import.progress").order_by("id")
             if e.payload["page"] > 0]
    assert pages == [1, 2, 3, 4, 5, 6]
    assert list(ScoringRun.objects.filter(user=user).values_list("source", "status", "trades_scored")) == [
        (f"import:{job.id}", "done", 3000)]
    announced = list(EventOutbox.objects.filter(user=user, type="coach.reflect").values_list("payload__tradeId",
                                                                                              flat=True))
    assert len(announced) == len(set(announced)) == 3000


def test_worker_killed_mid_scoring_then_restarted_labels_every_trade_once(
        stub_exchange, coinbase_connection, user, start_worker):
    stub_exchange.state.set_trade_count(3000)
    job = import_job_start(user=user, broker="coinbase", since=stub_exchange.state.anchor - timedelta(days=30),
                           enqueue=False)

    first = start_worker()
    job_dispatch(task_name=TASK, job_id=job.id)
    _wait(lambda: ImportJob.objects.get(id=job.id).status == "done", timeout=120, what="the import", process=first)
    stub_exchange.state.latency = 0.5  # candle requests are slow: scoring is mid-way for seconds
    _wait(lambda: ScoringRun.objects.filter(user=user, status="running").exists(), timeout=60,
          what="scoring to start", process=first)
    _kill(first)
    assert BiasTag.objects.filter(trade__user=user).count() == 0

    stub_exchange.state.latency = 0.0
    second = start_worker()
    _wait(lambda: _every_trade_labelled_once(user), timeout=120, what="every trade labelled", process=second,
          reap=True)

    run = ScoringRun.objects.get(user=user)
    assert (run.source, run.status, run.attempts, run.trades_scored) == (f"import:{job.id}", "done", 2, 3000)
    announced = list(EventOutbox.objects.filter(user=user, type="coach.reflect").values_list("payload__tradeId",
                                                                                              flat=True))
    assert len(announced) == len(set(announced)) == 3000 == Trade.objects.filter(user=user).count()
