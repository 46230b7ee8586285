"""The hand-off to scoring at an import's final state, whatever that state is: done (even when the last
page is empty) or parked after its attempts ran out — the pages stored before are labelled either way."""
import time
from datetime import timedelta

import pytest

from apps.bias.models import BiasTag, ScoringRun
from apps.bias.services.scoring_runs import scoring_run_execute
from apps.core.jobs import job_claim
from apps.events.models import EventOutbox
from apps.trades.imports import import_job_run, import_job_start
from apps.trades.imports.lifecycle import TASK, import_page_commit
from apps.trades.models import ImportJob, Trade

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]


def _labelled(user) -> set[str]:
    return set(BiasTag.objects.filter(trade__user=user).values_list("trade_id", flat=True))


def _window(stub_exchange) -> dict:
    anchor = stub_exchange.state.anchor
    return {"since": anchor - timedelta(days=30), "until": anchor}


def test_binance_import_whose_last_page_is_empty_labels_every_trade(
        stub_exchange, binance_connection, user, settings, django_capture_on_commit_callbacks):
    settings.BINANCE_EXTRA_SYMBOLS = ["DOGEUSDT"]  # read last, and the account never traded it
    stub_exchange.state.set_trade_count(120)

    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_start(user=user, broker="binance", **_window(stub_exchange))
    job.refresh_from_db()

    trades = set(Trade.objects.filter(user=user).values_list("id", flat=True))
    assert job.status == "done" and job.inserted == len(trades) == stub_exchange.state.expected_fill_count("binance")
    pages = [e.payload for e in EventOutbox.objects.filter(user=user, type="import.progress").order_by("id")]
    assert pages[-1]["done"] and pages[-1]["fetched"] == pages[-2]["fetched"]  # the last page was empty
    assert _labelled(user) == trades
    assert list(ScoringRun.objects.filter(user=user).values_list("source", "status")) == [(f"import:{job.id}", "done")]


def _page_one_stored_then_failure_at_page_two(stub_exchange, coinbase_connection, user, capture):
    from apps.brokers.services import connection_adapter

    stub_exchange.state.set_trade_count(1200)
    with capture(execute=False):
        job = import_job_start(user=user, broker="coinbase", **_window(stub_exchange))
    _, owner = job_claim(task_name=TASK, job_id=job.id)
    page = connection_adapter(connection=coinbase_connection).fetch_trades(since=job.since, until=job.until)
    import_page_commit(job_id=job.id, owner=owner, page=page)
    ImportJob.objects.filter(id=job.id).update(lease_expires_at=None)  # that runner died after page 1
    stub_exchange.state.fail_next(503, times=10_000, path_contains="/fills")  # page 2 cannot be read
    return job


def test_a_job_failing_at_page_two_resumes_on_its_next_attempt_and_labels_everything(
        stub_exchange, coinbase_connection, user, settings, django_capture_on_commit_callbacks):
    settings.BROKER_CIRCUIT_COOLDOWN = 0.01
    job = _page_one_stored_then_failure_at_page_two(stub_exchange, coinbase_connection, user,
                                                    django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        retried = import_job_run(job_id=job.id)
    handed_off_before_the_end = ScoringRun.objects.count()
    stub_exchange.state.failures.clear()
    time.sleep(0.05)  # the exchange is back and the circuit breaker cooled down
    ImportJob.objects.filter(id=job.id).update(not_before=None)  # the backoff has passed
    with django_capture_on_commit_callbacks(execute=True):
        done = import_job_run(job_id=job.id)

    assert (retried.status, retried.pages, retried.attempts) == ("queued", 1, 2)
    assert handed_off_before_the_end == 0  # nothing is handed off before the final state
    assert (done.status, done.pages, done.fetched, done.inserted, done.duplicates, done.attempts) == (
        "done", 3, 1200, 1200, 0, 3)
    assert _labelled(user) == set(Trade.objects.filter(user=user).values_list("id", flat=True))
    assert ScoringRun.objects.get().source == f"import:{job.id}"


def test_attempts_running_out_park_the_job_with_a_reason_the_user_sees_and_label_what_was_stored(
        stub_exchange, coinbase_connection, user, api_client, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_JOB_MAX_ATTEMPTS = 2
    settings.BROKER_CIRCUIT_COOLDOWN = 0.01
    job = _page_one_stored_then_failure_at_page_two(stub_exchange, coinbase_connection, user,
                                                    django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        parked = import_job_run(job_id=job.id)
    # The outage also kept scoring from reading candles: its run waits for its own retry, which the
    # reaper sends once the backoff has passed.
    stub_exchange.state.failures.clear()
    time.sleep(0.05)
    ScoringRun.objects.update(not_before=None)
    scoring_run_execute(run_id=ScoringRun.objects.get().id)

    shown = api_client.get(f"/api/trades/import/{job.id}").json()
    assert (parked.status, parked.attempts, parked.pages) == ("parked", 2, 1)
    assert shown["status"] == "parked" and shown["error"] == parked.error and shown["error"].startswith("Coinbase")
    assert shown["counts"]["inserted"] == 500 == Trade.objects.filter(user=user).count()
    assert _labelled(user) == set(Trade.objects.filter(user=user).values_list("id", flat=True))
    assert list(ScoringRun.objects.values_list("source", "status")) == [(f"import:{job.id}", "done")]
