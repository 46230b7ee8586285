"""The shared job mechanics: the reaper sends again what a dead runner left or nobody picked up (and only
that), a retry on the in-process runner is scheduled and runs, and beat has the reaper on its schedule."""
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.bias.models import BiasTag, ScoringRun
from apps.bias.services.scoring_runs import TASK, scoring_request
from apps.bias.tests.conftest import place_trades
from apps.core.jobs import job_claim, job_task, jobs_reap, jobs_run_pending

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def sent(monkeypatch) -> list[str]:
    ids: list[str] = []
    monkeypatch.setattr(job_task(TASK), "apply_async", lambda kwargs=None, **options: ids.append(kwargs["job_id"]))
    return ids


def _run(user, **fields) -> ScoringRun:
    run = ScoringRun.objects.create(user=user, source="test", **fields)
    if "updated_at" in fields:
        ScoringRun.objects.filter(id=run.id).update(updated_at=fields["updated_at"])
    return run


@pytest.mark.django_db
def test_the_reaper_sends_only_dead_and_forgotten_jobs_and_each_once_per_period(user, sent, settings):
    now = timezone.now()
    old = now - timedelta(seconds=settings.JOB_REDISPATCH_SECONDS + 5)
    dead = _run(user, status="running", attempts=1, lease_owner="x", lease_expires_at=now - timedelta(seconds=1))
    live = _run(user, status="running", attempts=1, lease_owner="y", lease_expires_at=now + timedelta(seconds=20))
    forgotten = _run(user, status="queued", updated_at=old)
    fresh = _run(user, status="queued")
    waiting = _run(user, status="queued", updated_at=old, not_before=now + timedelta(seconds=30))
    finished = _run(user, status="done", updated_at=old)

    first = jobs_reap(now=now)
    second = jobs_reap(now=now + timedelta(seconds=1))

    assert sorted(sent[:first]) == sorted([dead.id, forgotten.id])
    assert (first, second) == (2, 1)  # the queued one was touched: only the dead runner's is sent again
    assert sent[2:] == [dead.id]
    assert {live.id, fresh.id, waiting.id, finished.id}.isdisjoint(sent)


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.django_db
def test_a_fresh_process_sends_every_queued_job_at_once_but_not_a_retry_before_it_is_due(user, sent):
    fresh = _run(user, status="queued")
    waiting = _run(user, status="queued", not_before=timezone.now() + timedelta(seconds=30))

    assert jobs_reap(forgotten_after=0) == 1
    assert sent == [fresh.id] and waiting.id not in sent


@pytest.mark.django_db(transaction=True)
def test_a_retry_on_the_in_process_runner_is_scheduled_and_runs(user, stub_exchange, settings):
    settings.JOBS_IN_PROCESS = True
    settings.BROKER_CIRCUIT_COOLDOWN = 0.01
    trades = place_trades(stub_exchange, user, range(4))
    stub_exchange.state.fail_next(503, times=100_000, path_contains="candles")  # the exchange is down

    run = scoring_request(user_id=user.id, source="test")  # outside a transaction: sent at once
    _wait_for(lambda: ScoringRun.objects.filter(id=run.id, status="queued", attempts=1).exclude(error="").exists())
    stub_exchange.state.failures.clear()  # back up before the retry is due
    _wait_for(lambda: ScoringRun.objects.filter(id=run.id, status="done").exists())

    run.refresh_from_db()
    assert (run.status, run.attempts) == ("done", 2)
    assert set(BiasTag.objects.values_list("trade_id", flat=True)) == {t.id for t in trades}


@pytest.mark.django_db
def test_a_claimed_job_cannot_be_claimed_again_until_its_lease_expires(user):
    run = _run(user)

    _, first = job_claim(task_name=TASK, job_id=run.id)
    _, second = job_claim(task_name=TASK, job_id=run.id)
    ScoringRun.objects.filter(id=run.id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    taken, third = job_claim(task_name=TASK, job_id=run.id)

    assert first and second is None and third and third != first
    assert (taken.attempts, taken.lease_owner) == (2, third)


@pytest.mark.django_db(transaction=True)
def test_run_pending_waits_for_a_job_another_runner_holds_until_it_ends(user):
    held = _run(user)
    _, owner = job_claim(task_name=TASK, job_id=held.id)  # e.g. the in-process pool took it on commit
    ended = threading.Event()

    def other_runner_ends():
        time.sleep(0.5)
        ScoringRun.objects.filter(id=held.id, lease_owner=owner).update(status="done", lease_expires_at=None)
        ended.set()

    threading.Thread(target=other_runner_ends, daemon=True).start()
    ran = jobs_run_pending(user_id=user.id)

    assert ended.is_set(), "returned while another runner still held the job"
    assert ran == 0 and ScoringRun.objects.get(id=held.id).status == "done"


@pytest.mark.django_db(transaction=True)
def test_run_pending_runs_a_job_whose_runner_died_and_gives_up_waiting_after_its_bound(user, stub_exchange):
    trades = place_trades(stub_exchange, user, range(3))
    dead = _run(user, status="running", attempts=1, lease_owner="gone",
                lease_expires_at=timezone.now() - timedelta(seconds=1))

    assert jobs_run_pending(user_id=user.id) == 1
    assert ScoringRun.objects.get(id=dead.id).status == "done"
    assert set(BiasTag.objects.values_list("trade_id", flat=True)) == {t.id for t in trades}

    stuck = _run(user)
    job_claim(task_name=TASK, job_id=stuck.id)  # held by a live runner that never ends within the bound
    started = time.monotonic()
    assert jobs_run_pending(user_id=user.id, wait_seconds=0.3) == 0
    assert 0.3 <= time.monotonic() - started < 5
    assert ScoringRun.objects.get(id=stuck.id).status == "running"


@pytest.mark.django_db
def test_beat_runs_the_reaper_every_fifteen_seconds():
    task = PeriodicTask.objects.get(task="core.jobs_reap")
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 15, "seconds")
