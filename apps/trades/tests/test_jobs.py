"""Starting a job that already exists: what is re-queued and what is left alone."""
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import Audit
from apps.brokers.testing import BrokerConnectionFactory
from apps.core.errors import Conflict, ValidationFailed
from apps.core.jobs import job_claim
from apps.events.models import EventOutbox
from apps.trades.imports import import_job_id, import_job_run, import_job_start, import_window
from apps.trades.imports.lifecycle import TASK
from apps.trades.models import ImportJob

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SINCE = datetime(2026, 10, 1, tzinfo=UTC)
UNTIL = datetime(2026, 10, 31, tzinfo=UTC)


@pytest.fixture
def connection(user):
    return BrokerConnectionFactory(user=user, broker="binance")


def _start(user, capture):
    with capture(execute=False) as callbacks:
        job = import_job_start(user=user, broker="binance", since=SINCE, until=UNTIL)
    return job, len(callbacks)


def _existing(user, connection, **fields):
    job_id = import_job_id(user_id=user.pk, broker="binance", since=SINCE, until=UNTIL)
    ImportJob.objects.create(id=job_id, user=user, broker="binance", since=SINCE, until=UNTIL,
                             connection_id=connection.pk, **fields)
    if "updated_at" in fields:
        ImportJob.objects.filter(id=job_id).update(updated_at=fields["updated_at"])
    return job_id


def test_new_job_is_queued_once_with_start_event_and_audit(user, connection, django_capture_on_commit_callbacks):
    job, queued = _start(user, django_capture_on_commit_callbacks)

    assert (job.status, queued) == ("queued", 1)
    assert EventOutbox.objects.get(user=user, type="import.progress").payload == {
        "jobId": job.id, "page": 0, "fetched": 0, "inserted": 0, "duplicates": 0, "skipped": 0, "status": "queued",
        "done": False, "attempts": 0}
    assert Audit.objects.get(user=user, action="import_start").meta == {"jobId": job.id, "broker": "binance",
                                                                         "source": "api"}


def test_running_job_with_a_live_runner_is_left_to_it(user, connection, django_capture_on_commit_callbacks):
    lease = timezone.now() + timedelta(seconds=30)
    job_id = _existing(user, connection, status="running", pages=2, attempts=1, lease_owner="live-runner",
                       lease_expires_at=lease)

    job, queued = _start(user, django_capture_on_commit_callbacks)
    ran = import_job_run(job_id=job_id)  # the message sent again finds the lease taken

    assert queued == 1
    assert (ran.status, ran.pages, ran.attempts, ran.lease_owner, ran.lease_expires_at) == (
        "running", 2, 1, "live-runner", lease)


def test_running_job_whose_lease_expired_is_taken_over_by_a_new_runner(
        user, connection, django_capture_on_commit_callbacks):
    job_id = _existing(user, connection, status="running", pages=2, attempts=1, lease_owner="dead-runner",
                       lease_expires_at=timezone.now() - timedelta(seconds=1))

    job, queued = _start(user, django_capture_on_commit_callbacks)
    claimed, owner = job_claim(task_name=TASK, job_id=job_id)

    assert queued == 1
    assert owner is not None and owner != "dead-runner"
    assert (claimed.status, claimed.pages, claimed.attempts, claimed.lease_owner) == ("running", 2, 2, owner)


def test_failed_job_is_queued_again_keeping_its_checkpoint(user, connection, django_capture_on_commit_callbacks):
    _existing(user, connection, status="failed", pages=3, cursor="c3", inserted=1500, attempts=1, error="boom",
              finished_at=timezone.now())

    job, queued = _start(user, django_capture_on_commit_callbacks)

    job.refresh_from_db()
    assert (job.status, job.error, job.cursor, job.pages, job.inserted, job.finished_at, queued) == (
        "queued", "", "c3", 3, 1500, None, 1)


def test_done_job_is_returned_as_it_is(user, connection, django_capture_on_commit_callbacks):
    _existing(user, connection, status="done", inserted=42)

    job, queued = _start(user, django_capture_on_commit_callbacks)

    assert (job.status, job.inserted, queued) == ("done", 42, 0)
    assert EventOutbox.objects.filter(user=user).count() == 0


def test_parked_job_is_refused(user, connection):
    _existing(user, connection, status="parked", attempts=3, error="boom")

    with pytest.raises(Conflict):
        import_job_start(user=user, broker="binance", since=SINCE, until=UNTIL)

    assert ImportJob.objects.get(user=user).status == "parked"


def test_window_defaults_and_limits():
    now = datetime(2026, 11, 21, 12, 34, 56, 789, tzinfo=UTC)

    since, until = import_window(since=None, until=None, now=now)

    assert (since, until) == (datetime(2026, 10, 22, 12, 34, tzinfo=UTC), datetime(2026, 11, 21, 12, 34, tzinfo=UTC))
    with pytest.raises(ValidationFailed) as naive:
        import_window(since=datetime(2026, 1, 1), until=None, now=now)
    assert naive.value.fields == {"since": ["Give a timezone (e.g. 2026-01-31T00:00:00Z)."]}
