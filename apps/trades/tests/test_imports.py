"""Imports through the stub exchange (real HTTP on loopback, real wire formats) into PostgreSQL."""
import time
from datetime import timedelta
from decimal import Decimal

import pytest

from apps.accounts.models import Audit
from apps.core.jobs import job_claim
from apps.events.models import EventOutbox
from apps.trades.imports import import_job_run, import_job_start
from apps.trades.imports.lifecycle import TASK, import_page_commit
from apps.trades.models import ImportJob, Trade

pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.usefixtures("scoring_handoff")]


def _window(stub_exchange):
    """The stub's whole fill history, [anchor − 30 days, anchor): the same window however often asked."""
    anchor = stub_exchange.state.anchor
    return {"since": anchor - timedelta(days=30), "until": anchor}


def _progress(user):
    return [e.payload for e in EventOutbox.objects.filter(user=user, type="import.progress").order_by("id")]


def _run(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_start(**kwargs)
    job.refresh_from_db()
    return job


def _first_page_committed_then_runner_lost(stub_exchange, connection, user, capture):
    """A runner claimed the job, committed page 1 through the real adapter, then vanished."""
    from apps.brokers.services import connection_adapter

    with capture(execute=False):
        job = import_job_start(user=user, broker="coinbase", **_window(stub_exchange))
    _, owner = job_claim(task_name=TASK, job_id=job.id)
    page = connection_adapter(connection=connection).fetch_trades(since=job.since, until=job.until)
    assert page.next_cursor
    import_page_commit(job_id=job.id, owner=owner, page=page)
    ImportJob.objects.filter(id=job.id).update(lease_expires_at=None)  # the runner died: its lease is gone
    return job


def _retry_is_due(job) -> None:
    ImportJob.objects.filter(id=job.id).update(not_before=None)


def test_coinbase_import_pages_through_429_and_5xx_storing_every_fill_once(
        stub_exchange, coinbase_connection, user, django_capture_on_commit_callbacks):
    stub_exchange.state.set_trade_count(1234)
    stub_exchange.state.fail_next(429, times=2, retry_after=0.01, path_contains="/fills")
    stub_exchange.state.fail_next(503, times=2, path_contains="/fills")
    expected = stub_exchange.state.expected_fill_count("coinbase")

    job = _run(django_capture_on_commit_callbacks, user=user, broker="coinbase", **_window(stub_exchange))

    assert expected == 1234
    assert (job.status, job.fetched, job.inserted, job.duplicates, job.pages) == ("done", 1234, 1234, 0, 3)
    assert Trade.objects.filter(user=user, broker="coinbase").count() == 1234
    assert Trade.objects.filter(user=user).values("ext_id").distinct().count() == 1234
    assert job.error == "" and job.cursor == ""
    events = _progress(user)
    assert [(e["page"], e["fetched"], e["inserted"], e["done"]) for e in events] == [
        (0, 0, 0, False), (1, 500, 500, False), (2, 1000, 1000, False), (3, 1234, 1234, True)]
    assert all(e["jobId"] == job.id for e in events)
    assert list(Audit.objects.filter(user=user, action__startswith="import_").order_by("created_at")
                .values_list("action", flat=True)) == ["import_start", "import_done"]


def test_binance_import_stores_canonical_symbols_and_exact_decimals(
        stub_exchange, binance_connection, user, django_capture_on_commit_callbacks):
    stub_exchange.state.set_trade_count(150)
    expected = stub_exchange.state.expected_fill_count("binance")

    job = _run(django_capture_on_commit_callbacks, user=user, broker="binance", **_window(stub_exchange))

    assert (job.status, job.inserted, job.duplicates) == ("done", expected, 0)
    trades = list(Trade.objects.filter(user=user))
    assert len(trades) == expected
    assert all("-" in t.symbol and t.symbol.split("-")[1] == t.quote_asset for t in trades)
    wire = sorted((row["symbol"], Decimal(row["qty"]), Decimal(row["price"]))
                  for rows in stub_exchange.state.binance_trades().values() for row in rows)
    assert sorted((t.symbol.replace("-", ""), t.qty, t.price) for t in trades) == wire


def test_reimport_of_an_overlapping_window_adds_no_rows(
        stub_exchange, coinbase_connection, user, django_capture_on_commit_callbacks):
    stub_exchange.state.set_trade_count(700)
    first = _run(django_capture_on_commit_callbacks, user=user, broker="coinbase", **_window(stub_exchange))

    second = _run(django_capture_on_commit_callbacks, user=user, broker="coinbase",
                  since=stub_exchange.state.anchor - timedelta(days=31))

    assert first.id != second.id
    assert (second.status, second.fetched, second.inserted, second.duplicates) == ("done", 700, 0, 700)
    assert Trade.objects.filter(user=user).count() == 700


def test_same_window_again_is_the_same_job_and_runs_nothing(
        stub_exchange, coinbase_connection, user, django_capture_on_commit_callbacks):
    stub_exchange.state.set_trade_count(50)
    window = _window(stub_exchange)
    first = _run(django_capture_on_commit_callbacks, user=user, broker="coinbase", **window)
    hits = sum(stub_exchange.state.hits.values())

    again = _run(django_capture_on_commit_callbacks, user=user, broker="coinbase", **window)

    assert again.id == first.id and again.status == "done" and again.attempts == 1
    assert sum(stub_exchange.state.hits.values()) == hits
    assert ImportJob.objects.filter(user=user).count() == 1


def test_exchange_outage_queues_a_retry_with_the_reason_keeping_committed_pages(
        stub_exchange, coinbase_connection, user, django_capture_on_commit_callbacks):
    stub_exchange.state.set_trade_count(1200)
    job = _first_page_committed_then_runner_lost(stub_exchange, coinbase_connection, user,
                                                 django_capture_on_commit_callbacks)
    stub_exchange.state.fail_next(500, times=1000, path_contains="/fills")

    job = import_job_run(job_id=job.id)

    assert (job.status, job.attempts) == ("queued", 2)
    assert job.error == "Coinbase did not answer after 5 attempts (HTTP 500)."
    assert job.not_before is not None and job.lease_owner == ""
    assert (job.pages, job.fetched, job.inserted) == (1, 500, 500)
    assert Trade.objects.filter(user=user).count() == 500
    last = _progress(user)[-1]
    assert last["done"] is False and last["error"] == job.error and last["status"] == "queued"


def test_failed_job_resumes_from_its_checkpoint_and_completes_exactly(
        stub_exchange, coinbase_connection, user, django_capture_on_commit_callbacks, settings):
    settings.BROKER_CIRCUIT_COOLDOWN = 0.01
    stub_exchange.state.set_trade_count(1200)
    job = _first_page_committed_then_runner_lost(stub_exchange, coinbase_connection, user,
                                                 django_capture_on_commit_callbacks)
    stub_exchange.state.fail_next(500, times=1000, path_contains="/fills")
    import_job_run(job_id=job.id)
    stub_exchange.state.failures.clear()
    time.sleep(0.05)  # the exchange recovered and the circuit breaker cooled down
    _retry_is_due(job)

    job = _run(django_capture_on_commit_callbacks, user=user, broker="coinbase", **_window(stub_exchange))

    assert (job.status, job.attempts, job.pages, job.fetched, job.inserted, job.duplicates) == (
        "done", 3, 3, 1200, 1200, 0)
    assert job.error == ""
    assert Trade.objects.filter(user=user).count() == 1200


def test_a_job_failing_on_every_attempt_is_parked_with_its_reason_and_not_restarted(
        stub_exchange, coinbase_connection, user, django_capture_on_commit_callbacks, settings):
    from apps.core.errors import Conflict

    settings.IMPORT_JOB_MAX_ATTEMPTS = 2
    stub_exchange.state.set_trade_count(20)
    stub_exchange.state.fail_next(500, times=10_000, path_contains="/fills")
    window = _window(stub_exchange)

    first = _run(django_capture_on_commit_callbacks, user=user, broker="coinbase", **window)
    _retry_is_due(first)
    second = _run(django_capture_on_commit_callbacks, user=user, broker="coinbase", **window)

    assert (first.status, second.status, second.attempts) == ("queued", "parked", 2)
    assert second.error.startswith("Coinbase ") and second.finished_at  # the last attempt's reason
    assert _progress(user)[-1] == {**_progress(user)[-1], "status": "parked", "done": True, "error": second.error}
    with pytest.raises(Conflict) as refused:
        import_job_start(user=user, broker="coinbase", **window)
    assert refused.value.code == "import_parked"
    assert Trade.objects.filter(user=user).count() == 0


def test_paused_connection_cannot_start_an_import(stub_exchange, coinbase_connection, user):
    from apps.core.errors import Conflict

    coinbase_connection.status = "paused"
    coinbase_connection.save(update_fields=["status"])

    with pytest.raises(Conflict) as refused:
        import_job_start(user=user, broker="coinbase")

    assert refused.value.code == "not_connected"
    assert ImportJob.objects.count() == 0


def test_connection_paused_after_start_fails_the_run(
        stub_exchange, coinbase_connection, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = import_job_start(user=user, broker="coinbase", **_window(stub_exchange))
    coinbase_connection.status = "paused"
    coinbase_connection.save(update_fields=["status"])

    job = import_job_run(job_id=job.id)

    assert job.status == "failed" and "no longer active" in job.error
    assert Trade.objects.count() == 0
