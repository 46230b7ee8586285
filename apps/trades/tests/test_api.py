"""Trades API: import start/status, idempotency, rate limit, listing, IDOR and bad input."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.accounts.models import Audit
from apps.brokers.testing import BrokerConnectionFactory
from apps.core.testing import csrf_token_for, rate_window_fresh
from apps.events.models import EventOutbox
from apps.trades.imports import import_job_id
from apps.trades.models import IdempotencyKey, ImportJob, Trade
from apps.trades.services import trade_upsert_many
from apps.trades.testing import BASE_TS, TradeFactory, trade_dtos

pytestmark = [pytest.mark.postgres, pytest.mark.django_db, pytest.mark.usefixtures("scoring_handoff")]

SINCE = "2026-10-01T00:00:00Z"
UNTIL = "2026-10-15T00:00:00Z"


@pytest.fixture
def connection(user):
    return BrokerConnectionFactory(user=user, broker="coinbase")


def _nothing_written(user) -> None:
    assert ImportJob.objects.filter(user=user).count() == 0
    assert EventOutbox.objects.filter(user=user, type="import.progress").count() == 0
    assert Audit.objects.filter(user=user, action="import_start").count() == 0


# ---- POST /api/trades/import ---------------------------------------------------------------

def test_start_import_answers_202_with_the_deterministic_job_id(api_client, user, connection):
    response = api_client.post("/api/trades/import", {"broker": "coinbase", "since": SINCE, "until": UNTIL},
                               format="json")

    assert response.status_code == 202, response.content
    expected = import_job_id(user_id=user.pk, broker="coinbase", since=datetime(2026, 10, 1, tzinfo=UTC),
                             until=datetime(2026, 10, 15, tzinfo=UTC))
    assert response.json() == {"jobId": expected}
    job = ImportJob.objects.get(id=expected)
    assert (job.user_id, job.broker, job.status, job.connection_id) == (user.pk, "coinbase", "queued", connection.pk)
    assert Audit.objects.filter(user=user, action="import_start").count() == 1


def test_default_window_is_30_days_ending_this_minute(api_client, user, connection):
    before = timezone.now().replace(second=0, microsecond=0)

    response = api_client.post("/api/trades/import", {"broker": "coinbase"}, format="json")

    job = ImportJob.objects.get(id=response.json()["jobId"])
    assert job.until in (before, before + timedelta(minutes=1))
    assert job.until - job.since == timedelta(days=30)


def test_job_status_shows_counts_and_times(api_client, user, connection):
    job_id = api_client.post("/api/trades/import", {"broker": "coinbase", "since": SINCE, "until": UNTIL},
                             format="json").json()["jobId"]
    ImportJob.objects.filter(id=job_id).update(fetched=10, inserted=7, duplicates=3, status="running")

    body = api_client.get(f"/api/trades/import/{job_id}").json()

    assert body["jobId"] == job_id
    assert body["status"] == "running"
    assert body["counts"] == {"fetched": 10, "inserted": 7, "duplicates": 3, "skipped": 0}
    assert body["error"] is None
    assert body["since"] == SINCE and body["until"] == UNTIL
    assert body["createdAt"].endswith("Z") and body["updatedAt"].endswith("Z")


def test_same_idempotency_key_and_body_replays_the_first_answer(api_client, user, connection):
    payload = {"broker": "coinbase", "since": SINCE, "until": UNTIL}
    first = api_client.post("/api/trades/import", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api_client.post("/api/trades/import", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json() == second.json()
    assert ImportJob.objects.filter(user=user).count() == 1
    assert IdempotencyKey.objects.filter(user=user, key="k-1").count() == 1
    assert Audit.objects.filter(user=user, action="import_start").count() == 1


def test_same_idempotency_key_with_a_different_body_is_422(api_client, user, connection):
    api_client.post("/api/trades/import", {"broker": "coinbase", "since": SINCE, "until": UNTIL}, format="json",
                    HTTP_IDEMPOTENCY_KEY="k-2")

    response = api_client.post("/api/trades/import", {"broker": "coinbase", "since": "2026-09-01T00:00:00Z",
                                                      "until": UNTIL}, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert ImportJob.objects.filter(user=user).count() == 1


def test_idempotency_key_expires_after_24_hours(api_client, user, connection):
    api_client.post("/api/trades/import", {"broker": "coinbase", "since": SINCE, "until": UNTIL}, format="json",
                    HTTP_IDEMPOTENCY_KEY="k-3")
    IdempotencyKey.objects.filter(key="k-3").update(created_at=timezone.now() - timedelta(hours=24, seconds=1))

    response = api_client.post("/api/trades/import", {"broker": "coinbase", "since": "2026-09-01T00:00:00Z",
                                                      "until": UNTIL}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")

    assert response.status_code == 202
    assert ImportJob.objects.filter(user=user).count() == 2
    assert IdempotencyKey.objects.filter(key="k-3").count() == 1


def test_idempotency_keys_are_per_user(api_client, other_api_client, user, other_user, connection):
    BrokerConnectionFactory(user=other_user, broker="coinbase")
    payload = {"broker": "coinbase", "since": SINCE, "until": UNTIL}

    mine = api_client.post("/api/trades/import", payload, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    theirs = other_api_client.post("/api/trades/import", payload, format="json", HTTP_IDEMPOTENCY_KEY="shared")

    assert mine.json()["jobId"] != theirs.json()["jobId"]
    assert ImportJob.objects.get(id=theirs.json()["jobId"]).user == other_user


def test_fourth_import_request_in_a_minute_is_429_with_retry_after(api_client, user, connection):
    rate_window_fresh(key_value=str(user.pk))
    statuses = [api_client.post("/api/trades/import", {"broker": "coinbase", "since": SINCE, "until": UNTIL},
                                format="json").status_code for _ in range(3)]

    fourth = api_client.post("/api/trades/import", {"broker": "coinbase"}, format="json")

    assert statuses == [202, 202, 202]
    assert fourth.status_code == 429
    assert fourth.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(fourth["Retry-After"]) <= 60
    assert ImportJob.objects.filter(user=user).count() == 1


def test_rate_limit_is_per_user(api_client, other_api_client, user, other_user, connection):
    BrokerConnectionFactory(user=other_user, broker="coinbase")
    for _ in range(3):
        api_client.post("/api/trades/import", {"broker": "coinbase", "since": SINCE, "until": UNTIL}, format="json")

    response = other_api_client.post("/api/trades/import", {"broker": "coinbase", "since": SINCE, "until": UNTIL},
                                     format="json")

    assert response.status_code == 202


@pytest.mark.parametrize("payload, field", [
    ({"broker": "kraken"}, "broker"),
    ({}, "broker"),
    ({"broker": "coinbase", "since": "yesterday"}, "since"),
    ({"broker": "coinbase", "since": "2026-13-45T00:00:00Z"}, "since"),
    ({"broker": "coinbase", "since": UNTIL, "until": SINCE}, "since"),
    ({"broker": "coinbase", "until": "2999-01-01T00:00:00Z"}, "until"),
    ({"broker": "coinbase", "since": "2015-01-01T00:00:00Z", "until": UNTIL}, "since"),
])
def test_bad_import_input_is_400_and_writes_nothing(api_client, user, connection, payload, field):
    response = api_client.post("/api/trades/import", payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    _nothing_written(user)


def test_import_without_a_connection_is_409_and_writes_nothing(api_client, user):
    response = api_client.post("/api/trades/import", {"broker": "binance"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_connected"
    _nothing_written(user)


def test_user_b_cannot_import_into_user_a_connection(other_api_client, other_user, user, connection):
    response = other_api_client.post("/api/trades/import", {"broker": "coinbase"}, format="json")

    assert response.status_code == 409
    assert ImportJob.objects.count() == 0
    _nothing_written(other_user)


def test_user_b_cannot_read_user_a_job(api_client, other_api_client, connection):
    job_id = api_client.post("/api/trades/import", {"broker": "coinbase"}, format="json").json()["jobId"]

    response = other_api_client.get(f"/api/trades/import/{job_id}")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Import job not found."}}


def test_anonymous_cannot_start_or_read(csrf_client, connection):
    token = csrf_token_for(csrf_client)
    start = csrf_client.post("/api/trades/import", {"broker": "coinbase"}, format="json", HTTP_X_CSRFTOKEN=token)
    listing = csrf_client.get("/api/trades")

    assert start.status_code in (401, 403) and listing.status_code in (401, 403)
    assert ImportJob.objects.count() == 0


def test_post_without_csrf_token_is_refused(user, connection):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/api/trades/import", {"broker": "coinbase"}, format="json")

    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


# ---- GET /api/trades, /api/trades/{id} -------------------------------------------------------

def test_trade_detail_renders_decimals_as_plain_strings(api_client, user):
    trade = TradeFactory(user=user, qty=Decimal("0.000000000000000001"), price=Decimal("30000"), fee=None,
                         ts=datetime(2026, 10, 1, 12, 0, 0, 123456, tzinfo=UTC))

    body = api_client.get(f"/api/trades/{trade.id}").json()

    assert body == {"id": trade.id, "broker": "coinbase", "extId": trade.ext_id, "symbol": "BTC-USD",
                    "side": "BUY", "qty": "0.000000000000000001", "price": "30000", "fee": None, "feeAsset": "USD",
                    "quoteAsset": "USD", "ts": "2026-10-01T12:00:00.123456Z", "raw": None}


def test_user_b_cannot_read_user_a_trade(other_api_client, user):
    trade = TradeFactory(user=user)

    assert other_api_client.get(f"/api/trades/{trade.id}").status_code == 404


def test_list_pages_by_ts_then_id_and_only_shows_own_trades(api_client, user, other_user):
    trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(25))
    trade_upsert_many(user=other_user, broker="coinbase", items=trade_dtos(5))

    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        body = api_client.get("/api/trades", params).json()
        seen += [row["extId"] for row in body["results"]]
        pages += 1
        cursor = body["nextCursor"]
        if not cursor:
            break

    assert pages == 3
    assert seen == [f"fill-{n}" for n in range(25)]


def test_list_is_stable_while_trades_are_inserted(api_client, user):
    trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(20, start=0))
    first = api_client.get("/api/trades", {"limit": 10}).json()

    # new fills land before and after the cursor position (and at the very same timestamp)
    trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(5, start=0, prefix="early") +
                      trade_dtos(5, start=100, prefix="late"))
    rest, cursor = [], first["nextCursor"]
    while cursor:
        body = api_client.get("/api/trades", {"limit": 10, "cursor": cursor}).json()
        rest += body["results"]
        cursor = body["nextCursor"]

    first_ids = [row["id"] for row in first["results"]]
    rest_ext = [row["extId"] for row in rest]
    assert not set(first_ids) & {row["id"] for row in rest}
    assert [e for e in rest_ext if e.startswith("fill")] == [f"fill-{n}" for n in range(10, 20)]
    assert [e for e in rest_ext if e.startswith("late")] == [f"late-{n}" for n in range(100, 105)]
    assert not [e for e in rest_ext if e.startswith("early")]


def test_list_filters_by_window_and_symbol(api_client, user):
    trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(10) + trade_dtos(3, prefix="e", symbol="ETH-EUR"))

    windowed = api_client.get("/api/trades", {"since": (BASE_TS + timedelta(minutes=2)).isoformat(),
                                              "until": (BASE_TS + timedelta(minutes=5)).isoformat()}).json()
    eth = api_client.get("/api/trades", {"symbol": "eth-eur"}).json()

    assert sorted(r["extId"] for r in windowed["results"]) == ["e-2", "fill-2", "fill-3", "fill-4"]
    assert [r["ts"] for r in windowed["results"]] == sorted(r["ts"] for r in windowed["results"])
    assert [r["extId"] for r in eth["results"]] == ["e-0", "e-1", "e-2"]


def test_list_newest_first(api_client, user):
    trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(5))

    first = api_client.get("/api/trades", {"order": "-ts", "limit": 3}).json()
    second = api_client.get("/api/trades", {"order": "-ts", "limit": 3, "cursor": first["nextCursor"]}).json()

    assert [r["extId"] for r in first["results"] + second["results"]] == [f"fill-{n}" for n in range(4, -1, -1)]
    assert second["nextCursor"] is None


@pytest.mark.parametrize("params", [
    {"limit": 10000}, {"limit": 0}, {"limit": "ten"}, {"cursor": "garbage!!"}, {"cursor": "WzEsMl0"},
    {"since": "not-a-date"}, {"symbol": "BTC/USD;drop"}, {"order": "price"},
])
def test_bad_list_parameters_are_400_json(api_client, user, params):
    TradeFactory(user=user)

    response = api_client.get("/api/trades", params)

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in ("invalid", "invalid_cursor")


def test_cursor_of_the_other_order_is_refused(api_client, user):
    trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(3))
    cursor = api_client.get("/api/trades", {"limit": 1}).json()["nextCursor"]

    response = api_client.get("/api/trades", {"limit": 1, "order": "-ts", "cursor": cursor})

    assert response.status_code == 400


def test_list_limit_500_is_allowed(api_client, user):
    trade_upsert_many(user=user, broker="coinbase", items=trade_dtos(501))

    body = api_client.get("/api/trades", {"limit": 500}).json()

    assert len(body["results"]) == 500 and body["nextCursor"]
    assert Trade.objects.filter(user=user).count() == 501
