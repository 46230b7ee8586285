"""How an import job commits its pages on PostgreSQL: each page in its own transaction with the job's
checkpoint, the pages before the last without waiting for the WAL flush, the last one (the job done)
waiting for it; the next page fetched while one is stored."""
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from apps.brokers.adapters.coinbase import CoinbaseAdapter
from apps.events.models import EventOutbox
from apps.trades.imports import import_job_run, import_job_start, lifecycle
from apps.trades.models import ImportJob, Trade

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("scoring_handoff")]


def _job(stub_exchange, user, count: int) -> ImportJob:
    stub_exchange.state.set_trade_count(count)
    anchor = stub_exchange.state.anchor
    return import_job_start(user=user, broker="coinbase", since=anchor - timedelta(days=30), until=anchor,
                            enqueue=False)


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def _watch_pages(monkeypatch, before_store=None) -> list[str]:
    """Record `synchronous_commit` inside each page's transaction (where its trades are stored)."""
    seen: list[str] = []
    upsert = lifecycle.trade_upsert_many

    def recording(**kwargs):
        seen.append(_synchronous_commit())
        if before_store is not None:
            before_store(len(seen))
        return upsert(**kwargs)

    monkeypatch.setattr(lifecycle, "trade_upsert_many", recording)
    return seen


def test_pages_before_the_last_commit_without_waiting_for_the_flush_and_the_last_one_waits(
        stub_exchange, coinbase_connection, user, monkeypatch):
    job = _job(stub_exchange, user, 1234)
    seen = _watch_pages(monkeypatch)

    done = import_job_run(job_id=job.id)

    assert seen == ["off", "off", "on"]  # the last page's commit (the job done, its hand-off) waits
    assert _synchronous_commit() == "on"  # for those transactions only
    assert (done.status, done.pages, done.fetched, done.inserted, done.duplicates) == ("done", 3, 1234, 1234, 0)
    assert Trade.objects.filter(user=user).values("ext_id").distinct().count() == 1234 == Trade.objects.filter(
        user=user).count()


def test_a_page_that_fails_stores_nothing_and_the_job_resumes_after_the_last_stored_one(
        stub_exchange, coinbase_connection, user, monkeypatch):
    job = _job(stub_exchange, user, 1234)

    def fail_on_page_two_once(page: int) -> None:
        if page == 2:
            raise RuntimeError("the database went away")

    _watch_pages(monkeypatch, before_store=fail_on_page_two_once)
    retried = import_job_run(job_id=job.id)
    stored_then = Trade.objects.filter(user=user).count()
    _watch_pages(monkeypatch)
    ImportJob.objects.filter(id=job.id).update(not_before=None)  # the backoff has passed
    done = import_job_run(job_id=job.id)

    assert (retried.status, retried.pages, retried.inserted, retried.cursor != "") == ("queued", 1, 500, True)
    assert stored_then == 500
    assert (done.status, done.attempts, done.pages, done.fetched, done.inserted, done.duplicates) == (
        "done", 2, 3, 1234, 1234, 0)
    assert Trade.objects.filter(user=user).values("ext_id").distinct().count() == 1234 == Trade.objects.filter(
        user=user).count()
    progress = [(e.payload["page"], e.payload["status"], e.payload["inserted"])
                for e in EventOutbox.objects.filter(user=user, type="import.progress").order_by("id")]
    assert progress == [(0, "queued", 0), (1, "running", 500), (1, "queued", 500), (2, "running", 1000),
                        (3, "done", 1234)]


def test_the_next_page_is_fetched_while_a_page_is_stored(stub_exchange, coinbase_connection, user, monkeypatch):
    job = _job(stub_exchange, user, 1234)
    fetch = CoinbaseAdapter.fetch_trades
    fetches_started: list[threading.Event] = [threading.Event() for _ in range(4)]
    calls = []

    def counting_fetch(self, **kwargs):
        fetches_started[min(len(calls), 3)].set()
        calls.append(threading.current_thread().name)
        return fetch(self, **kwargs)

    fetched_beside: list[bool] = []

    def wait_for_the_next_fetch(page: int) -> None:
        if page < 3:  # pages 1 and 2 have a next page: its fetch starts while this one is stored
            fetched_beside.append(fetches_started[page].wait(timeout=30))

    monkeypatch.setattr(CoinbaseAdapter, "fetch_trades", counting_fetch)
    _watch_pages(monkeypatch, before_store=wait_for_the_next_fetch)
    done = import_job_run(job_id=job.id)

    assert fetched_beside == [True, True]
    assert len(calls) == 3 and all(name.startswith("import-fetch") for name in calls)
    assert (done.status, done.pages, done.inserted) == ("done", 3, 1234)


def test_an_exchange_outage_on_a_page_fetched_ahead_keeps_the_stored_ones_and_the_job_resumes_exactly(
        stub_exchange, coinbase_connection, user, monkeypatch, settings):
    settings.BROKER_CIRCUIT_COOLDOWN = 0.01
    job = _job(stub_exchange, user, 1234)
    fetch = CoinbaseAdapter.fetch_trades
    calls = []

    def failing_after_the_first(self, **kwargs):
        calls.append(kwargs.get("cursor"))
        if len(calls) == 2:
            stub_exchange.state.fail_next(503, times=10_000, path_contains="/fills")
        return fetch(self, **kwargs)

    monkeypatch.setattr(CoinbaseAdapter, "fetch_trades", failing_after_the_first)
    retried = import_job_run(job_id=job.id)
    stored_then = Trade.objects.filter(user=user).count()
    stub_exchange.state.failures.clear()
    time.sleep(0.05)  # the circuit breaker cooled down
    ImportJob.objects.filter(id=job.id).update(not_before=None)
    done = import_job_run(job_id=job.id)

    assert (retried.status, retried.pages, retried.inserted) == ("queued", 1, 500)
    assert retried.error.startswith("Coinbase")
    assert stored_then == 500
    assert (done.status, done.attempts, done.pages, done.fetched, done.inserted, done.duplicates) == (
        "done", 2, 3, 1234, 1234, 0)
    assert Trade.objects.filter(user=user).count() == 1234
