"""Claiming many jobs of a kind in one statement: the rules of a single claim, and two runners racing for
overlapping sets on PostgreSQL each take a job at most once, all of them between them, without deadlock."""
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.testing import UserFactory
from apps.bias.models import ScoringRun
from apps.bias.services.scoring_runs import TASK
from apps.core.jobs import JobStatus, job_claim, job_claim_many, job_done_many, job_kind, job_locked_many

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _runs(user, count: int) -> list[str]:
    return [ScoringRun.objects.create(user=user, source="test").id for _ in range(count)]


@pytest.mark.django_db
def test_a_bulk_claim_follows_the_rules_of_a_single_claim(user):
    queued, live, expired, not_due, worn_out, finished = _runs(user, 6)
    _, live_owner = job_claim(task_name=TASK, job_id=live)
    ScoringRun.objects.filter(id=expired).update(status=JobStatus.RUNNING, lease_owner="gone", attempts=1,
                                                 lease_expires_at=timezone.now() - timedelta(seconds=1))
    ScoringRun.objects.filter(id=not_due).update(not_before=timezone.now() + timedelta(minutes=5))
    ScoringRun.objects.filter(id=worn_out).update(attempts=job_kind(TASK).max_attempts(), error="It broke.")
    ScoringRun.objects.filter(id=finished).update(status=JobStatus.DONE)

    claimed = job_claim_many(task_name=TASK, job_ids=[queued, live, expired, not_due, worn_out, finished, "nope"])

    assert set(claimed) == {queued, expired}
    rows = {run.id: run for run in ScoringRun.objects.all()}
    assert (rows[queued].status, rows[queued].attempts, rows[queued].lease_owner) == ("running", 1, claimed[queued])
    assert (rows[expired].attempts, rows[expired].lease_owner) == (2, claimed[expired])
    assert rows[queued].lease_expires_at > timezone.now()
    assert rows[live].lease_owner == live_owner  # a live lease is left alone
    assert (rows[not_due].status, rows[not_due].attempts) == ("queued", 0)
    assert rows[worn_out].status == "parked" and "It broke." in rows[worn_out].error
    assert rows[finished].status == "done"
    assert job_claim_many(task_name=TASK, job_ids=[queued, expired]) == {}  # held now


@pytest.mark.django_db
def test_locking_and_finishing_many_skips_a_lost_lease(user):
    ids = _runs(user, 3)
    claimed = job_claim_many(task_name=TASK, job_ids=ids)
    ScoringRun.objects.filter(id=ids[0]).update(lease_owner="another runner")

    with transaction.atomic():
        locked = job_locked_many(task_name=TASK, owners=claimed)
        job_done_many(task_name=TASK, jobs=list(locked.values()))

    assert set(locked) == set(ids[1:])
    statuses = dict(ScoringRun.objects.values_list("id", "status"))
    assert statuses == {ids[0]: "running", ids[1]: "done", ids[2]: "done"}
    assert not ScoringRun.objects.filter(id__in=ids[1:]).exclude(lease_owner="").exists()


def _race(sets: list[list[str]]) -> list[dict[str, str]]:
    """`job_claim_many` of each set on its own thread and connection, released at the same moment."""
    barrier = threading.Barrier(len(sets))
    results: list = [None] * len(sets)
    errors: list = []

    def body(k: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[k] = job_claim_many(task_name=TASK, job_ids=sets[k])
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(k,)) for k in range(len(sets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_two_runners_racing_on_overlapping_sets_take_each_job_once():
    user = UserFactory()
    ids = _runs(user, 60)
    sets = [ids[:45], list(reversed(ids[15:]))]  # overlapping, claimed in opposite orders
    for _ in range(5):
        ScoringRun.objects.filter(id__in=ids).update(status=JobStatus.QUEUED, attempts=0, lease_owner="",
                                                     lease_expires_at=None)

        first, second = _race(sets)

        assert set(first).isdisjoint(second)
        assert set(first) | set(second) == set(ids)
        rows = {run.id: run for run in ScoringRun.objects.filter(id__in=ids)}
        assert all(run.attempts == 1 and run.status == "running" for run in rows.values())
        assert all(rows[job_id].lease_owner == owner for job_id, owner in {**first, **second}.items())
