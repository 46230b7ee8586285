"""Scoring runs: durable hand-offs that label every unlabelled trade, one run at a time per user, retried
and finally parked with a reason when they keep failing."""
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.bias.models import BiasTag, ScoringRun
from apps.bias.services.scoring_runs import TASK, scoring_request, scoring_run_execute
from apps.core.jobs import job_claim

from .conftest import place_trades

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def test_a_run_labels_every_unlabelled_trade_and_records_how_many(user, market_trades):
    run = scoring_request(user_id=user.id, source="import:job-1")

    done = scoring_run_execute(run_id=run.id)

    assert (done.status, done.trades_scored, done.attempts, done.error) == ("done", 12, 1, "")
    assert set(BiasTag.objects.values_list("trade_id", flat=True)) == {t.id for t in market_trades}
    assert scoring_run_execute(run_id=run.id).status == "done"  # a message delivered again changes nothing
    assert ScoringRun.objects.get(id=run.id).attempts == 1


def test_a_second_run_waits_for_the_running_one_which_then_takes_it_over(user, stub_exchange):
    first_batch = place_trades(stub_exchange, user, range(6))
    first = scoring_request(user_id=user.id, source="import:a")
    _, owner = job_claim(task_name=TASK, job_id=first.id)  # a runner is labelling the first batch
    second_batch = place_trades(stub_exchange, user, range(6, 12))
    second = scoring_request(user_id=user.id, source="import:b")

    refused = scoring_run_execute(run_id=second.id)

    assert (owner is not None, refused.status, refused.attempts) == (True, "queued", 0)
    assert BiasTag.objects.count() == 0

    ScoringRun.objects.filter(id=first.id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    last = scoring_run_execute(run_id=first.id)  # the reaper sends the dead runner's run again

    runs = {r.source: r for r in ScoringRun.objects.filter(user=user)}
    assert last.id == second.id
    assert [(runs[s].status, runs[s].attempts) for s in ("import:a", "import:b")] == [("done", 2), ("done", 1)]
    assert runs["import:a"].trades_scored == 12 and runs["import:b"].trades_scored == 0
    assert set(BiasTag.objects.values_list("trade_id", flat=True)) == {t.id for t in first_batch + second_batch}


def test_a_run_that_keeps_failing_is_retried_then_parked_with_its_reason_writing_no_tags(
        user, market_trades, stub_exchange, settings):
    settings.SCORING_MAX_ATTEMPTS = 2
    ScoringRun.objects.all().delete()
    from apps.brokers.models import Candle

    Candle.objects.all().delete()
    stub_exchange.state.fail_next(503, times=10_000, path_contains="candles")
    stub_exchange.state.fail_next(503, times=10_000, path_contains="klines")
    run = scoring_request(user_id=user.id, source="import:c")

    first = scoring_run_execute(run_id=run.id)
    ScoringRun.objects.filter(id=run.id).update(not_before=None)
    second = scoring_run_execute(run_id=run.id)

    assert (first.status, first.attempts) == ("queued", 1) and first.error
    assert (second.status, second.attempts) == ("parked", 2) and second.finished_at is not None
    assert second.error.startswith("Coinbase ")  # the last attempt's reason
    assert BiasTag.objects.count() == 0
