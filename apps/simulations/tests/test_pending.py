"""A simulation whose candles are not stored: 202, a job fetches them from the (stub) exchange, computes,
stores, and pushes `simulation.ready` in the transaction that marks it done."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.brokers.models import Candle
from apps.core.jobs import JobStatus
from apps.events.models import EventOutbox
from apps.simulations.models import Simulation
from apps.simulations.services import simulation_execute
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def bar_close(stub, ts: datetime) -> Decimal:
    return stub.state.market.bar_at("BTC", int(ts.timestamp())).close


def test_missing_candles_are_fetched_by_a_job_then_pushed(api_client, user, stub_exchange,
                                                          django_capture_on_commit_callbacks):
    ts = stub_exchange.state.anchor - timedelta(days=6) + timedelta(minutes=7)
    trade = TradeFactory(user=user, symbol="BTC-USD", side="BUY", qty=Decimal("0.5"),
                         price=bar_close(stub_exchange, ts), fee=Decimal("0.5"), ts=ts)
    assert Candle.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/simulations/simple", {"tradeId": trade.id, "horizonDays": 3}, format="json")

    assert response.status_code == 202
    simulation_id = response.json()["simulationId"]
    assert response.json() == {"simulationId": simulation_id, "status": "pending"}
    row = Simulation.objects.get(id=simulation_id)
    assert (row.status, row.attempts, row.error) == (JobStatus.DONE, 1, "")
    fetched = api_client.get(f"/api/simulations/{simulation_id}")
    assert fetched.status_code == 200
    document = fetched.json()
    assert document["status"] == "done" and document["tradeId"] == trade.id
    # the hold exit is the close of the last stored candle closed by the horizon (ts + 3 days)
    end = ts + timedelta(days=3)
    last = Candle.objects.filter(symbol="BTC-USD", ts__lte=end - timedelta(hours=1)).order_by("-ts").first()
    assert document["hold"]["exitPrice"] == format(last.close.normalize(), "f")
    assert document["hold"]["exitTs"] == (last.ts + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert len(document["hold"]["curve"]) == 72
    events = list(EventOutbox.objects.filter(type="simulation.ready"))
    assert [(e.user_id, e.payload) for e in events] == [(user.id, document)]


def test_candles_the_exchange_lacks_fail_the_job_with_the_window(api_client, user, stub_exchange,
                                                                 django_capture_on_commit_callbacks):
    ts = datetime.now(UTC) - timedelta(days=20)  # the stub's market covers no such symbol
    trade = TradeFactory(user=user, symbol="NOPE-USD", side="BUY", ts=ts)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/simulations/simple", {"tradeId": trade.id, "horizonDays": 2}, format="json")

    assert response.status_code == 202
    simulation_id = response.json()["simulationId"]
    row = Simulation.objects.get(id=simulation_id)
    assert (row.status, row.error_code, row.result) == (JobStatus.FAILED, "candles_unavailable", None)
    fetched = api_client.get(f"/api/simulations/{simulation_id}")
    assert fetched.status_code == 422
    error = fetched.json()["error"]
    start = ts.strftime("%Y-%m-%d %H:%M UTC")
    end = (ts + timedelta(days=2)).strftime("%Y-%m-%d %H:%M UTC")
    assert error == {"code": "candles_unavailable",
                     "message": f"The exchange has no hourly candles for NOPE-USD from {start} to {end}."}
    event = EventOutbox.objects.get(type="simulation.ready")
    assert event.payload == {"simulationId": simulation_id, "status": "failed", "error": error}


def test_a_finished_simulation_is_not_run_again(api_client, user, stub_exchange, django_capture_on_commit_callbacks):
    ts = stub_exchange.state.anchor - timedelta(days=6) + timedelta(minutes=7)
    trade = TradeFactory(user=user, symbol="BTC-USD", side="BUY", price=bar_close(stub_exchange, ts), ts=ts)
    with django_capture_on_commit_callbacks(execute=True):
        simulation_id = api_client.post("/api/simulations/simple", {"tradeId": trade.id, "horizonDays": 1},
                                        format="json").json()["simulationId"]

    again = simulation_execute(job_id=simulation_id)

    assert again.status == JobStatus.DONE and again.attempts == 1
    assert EventOutbox.objects.filter(type="simulation.ready").count() == 1


def test_an_exchange_outage_is_retried_then_finishes(api_client, user, stub_exchange, settings,
                                                     django_capture_on_commit_callbacks):
    settings.BROKER_HTTP_MAX_ATTEMPTS = 2
    ts = stub_exchange.state.anchor - timedelta(days=6) + timedelta(minutes=7)
    trade = TradeFactory(user=user, symbol="BTC-USD", side="BUY", price=bar_close(stub_exchange, ts), ts=ts)
    stub_exchange.state.fail_next(500, times=1000, path_contains="candles")

    with django_capture_on_commit_callbacks(execute=True):
        simulation_id = api_client.post("/api/simulations/simple", {"tradeId": trade.id, "horizonDays": 1},
                                        format="json").json()["simulationId"]

    row = Simulation.objects.get(id=simulation_id)
    assert (row.status, row.attempts, row.result) == (JobStatus.QUEUED, 1, None)
    assert row.error.endswith("It is retried automatically.") and row.not_before is not None
    pending = api_client.get(f"/api/simulations/{simulation_id}")
    assert (pending.status_code, pending.json()) == (202, {"simulationId": simulation_id, "status": "pending"})
    assert not EventOutbox.objects.filter(type="simulation.ready").exists()

    stub_exchange.state.failures.clear()
    Simulation.objects.filter(id=simulation_id).update(not_before=datetime.now(UTC) - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        finished = simulation_execute(job_id=simulation_id)

    assert (finished.status, finished.attempts) == (JobStatus.DONE, 2)
    done = api_client.get(f"/api/simulations/{simulation_id}").json()
    assert done["status"] == "done"
    assert [e.payload for e in EventOutbox.objects.filter(type="simulation.ready")] == [done]
