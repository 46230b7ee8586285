"""Two beats or two workers at once on PostgreSQL: one Digest row and one `digest.ready` per (user, week)."""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.accounts.testing import UserFactory
from apps.core.jobs import JobStatus
from apps.digest.models import Digest
from apps.digest.periods import week_parse
from apps.digest.services import digest_execute, digest_request
from apps.events.models import EventOutbox

from .conftest import at, scored_trade

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(target, count: int = 2) -> list:
    barrier = threading.Barrier(count)
    results, errors = [], []

    def body():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_two_beats_at_once_leave_one_digest_and_one_event():
    user = UserFactory()
    scored_trade(user, ts=at(17), side="BUY", qty="1", price="100", labels=("FOMO",))
    week = week_parse(value="2026-W47", zone="UTC")

    results = run_together(lambda: digest_request(user=user, week=week))

    assert sorted(created for _, created in results) == [False, True]
    digest = Digest.objects.get(user=user)
    assert digest.status == JobStatus.DONE and digest.payload["labels"] == {"FOMO": 1}
    assert EventOutbox.objects.filter(user=user, type="digest.ready").count() == 1


def test_two_workers_on_one_digest_build_it_once():
    user = UserFactory()
    week = week_parse(value="2026-W46", zone="UTC")
    digest = Digest.objects.create(user=user, period_start=week.start, period_end=week.end, week=week.label)

    results = run_together(lambda: digest_execute(job_id=digest.id))

    digest.refresh_from_db()
    assert digest.status == JobStatus.DONE and digest.attempts == 1
    assert {r.status for r in results} <= {JobStatus.DONE, JobStatus.RUNNING}
    assert EventOutbox.objects.filter(user=user, type="digest.ready").count() == 1
