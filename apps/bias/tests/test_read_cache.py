"""The per-user read cache (`apps.core.readcache`): a repeated read is answered without the database, and any
write that changes what the user reads — stored trades, a finished scoring run, a reflection vote, new
candles of the market — changes the next answer at once. Each test reads, writes through the real service,
and reads again."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.accounts.testing import UserFactory
from apps.bias.models import BiasTag, Reflection
from apps.bias.services.reflections import reflection_feedback_record
from apps.bias.services.scoring_runs import scoring_request, scoring_run_execute
from apps.brokers.services.marketdata import candles_version_key
from apps.brokers.types import TradeDTO
from apps.core.readcache import read_through, user_data_changed, user_data_version
from apps.trades.services.upsert import trade_upsert_many

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _score(user) -> None:
    run = scoring_request(user_id=user.id, source="test")
    assert scoring_run_execute(run_id=run.id).status == "done"


def _get(client, path: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    return response.json(), [q["sql"] for q in queries.captured_queries]


def _own_queries(sql: list[str]) -> list[str]:
    """What the view asked, beyond the session and the user behind it."""
    return [s for s in sql if "accounts_session" not in s and "accounts_user" not in s]


def _new_trade(user, *, ts, ext_id="later-1", symbol="BTC-USD", side="BUY") -> str:
    stored = trade_upsert_many(user=user, broker="coinbase", items=[TradeDTO(
        ext_id=ext_id, symbol=symbol, side=side, qty=Decimal("0.01"), price=Decimal("30000"), ts=ts,
        fee=Decimal("0.1"), fee_asset="USD", quote_asset="USD")])
    assert stored.inserted == 1
    return stored.inserted_ids[0]


def test_a_repeated_trades_page_is_answered_from_the_cache_and_a_stored_trade_shows_at_once(
        api_client, user, market_trades):
    first, sql = _get(api_client, "/api/trades?limit=100")
    assert len(first["results"]) == 12 and _own_queries(sql)

    again, sql = _get(api_client, "/api/trades?limit=100")
    assert again == first
    assert _own_queries(sql) == []  # no trade was read

    new_id = _new_trade(user, ts=market_trades[-1].ts + timedelta(hours=1))
    after, sql = _get(api_client, "/api/trades?limit=100")
    assert [row["id"] for row in after["results"]] == [t["id"] for t in first["results"]] + [new_id]
    assert _own_queries(sql)


def test_the_summary_and_the_grid_change_when_a_scoring_run_commits(api_client, user, market_trades):
    summary, _ = _get(api_client, "/api/bias/summary")
    grid, _ = _get(api_client, "/api/bias/trades?limit=50")
    assert summary["hasTrades"] is True and summary["pnlByLabel"] == []  # nothing labelled yet
    assert all(row["labels"] == [] for row in grid["results"])
    assert _get(api_client, "/api/bias/summary")[0] == summary  # cached, unchanged

    _score(user)

    summary_after, _ = _get(api_client, "/api/bias/summary")
    grid_after, _ = _get(api_client, "/api/bias/trades?limit=50")
    tags = BiasTag.objects.filter(trade__user=user).count()
    assert tags >= 12
    assert summary_after["trades"] == 12
    assert sum(entry["trades"] for entry in summary_after["pnlByLabel"]) == tags
    labelled = {row["id"]: [label["name"] for label in row["labels"]] for row in grid_after["results"]}
    stored = {}
    for trade_id, label, confidence in BiasTag.objects.filter(trade__user=user).values_list(
            "trade_id", "label", "confidence"):
        stored.setdefault(trade_id, []).append((-float(confidence), label))
    assert labelled == {trade_id: [label for _, label in sorted(pairs)] for trade_id, pairs in stored.items()}


def test_a_vote_on_a_reflection_shows_on_the_trade_page_at_once(client, user, market_trades):
    _score(user)
    reflection = Reflection.objects.filter(user=user).order_by("created_at").first()
    assert reflection is not None
    client.force_login(user)
    path = f"/trades/{reflection.trade_id}/"
    assert client.get(path).context["bias"]["reflection"]["vote"] is None
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).context["bias"]["reflection"]["vote"] is None
    assert _own_queries([q["sql"] for q in queries.captured_queries]) == []  # the page's data came from the cache

    reflection_feedback_record(user=user, event_id=reflection.event_id, vote="down")

    assert client.get(path).context["bias"]["reflection"]["vote"] == "down"


def test_the_chart_changes_when_its_market_gets_new_candles(api_client, user, market_trades):
    trade = market_trades[0]
    path = f"/api/trades/{trade.id}/chart"
    chart, _ = _get(api_client, path)
    assert _own_queries(_get(api_client, path)[1]) == []

    # What `_store` does when candles of the market arrive: the market's candle version moves.
    from django.core.cache import cache

    key = candles_version_key(symbol=trade.symbol, granularity="1h")
    cache.set(key, int(cache.get(key) or 0) + 1, None)

    again, sql = _get(api_client, path)
    assert again == chart and _own_queries(sql)  # built again (same candles in the database, same answer)


def test_another_users_write_leaves_the_answer_cached_and_their_reads_are_their_own(api_client, user, market_trades):
    other = UserFactory()
    first, _ = _get(api_client, "/api/trades?limit=100")
    other_trade = _new_trade(other, ts=market_trades[0].ts)
    again, sql = _get(api_client, "/api/trades?limit=100")
    assert again == first and _own_queries(sql) == []
    assert other_trade not in {row["id"] for row in again["results"]}
    # the other user's chart of a trade of `user` is not found, whatever `user` has cached
    _get(api_client, f"/api/trades/{market_trades[0].id}/chart")
    from rest_framework.test import APIClient

    stranger = APIClient()
    stranger.force_authenticate(other)
    assert stranger.get(f"/api/trades/{market_trades[0].id}/chart").status_code == 404


def test_the_version_moves_inside_the_transaction_and_again_when_it_commits(user, django_capture_on_commit_callbacks):
    read_through(user_id=user.id, name="t", params=(), build=lambda: 1)  # hands out the first version
    before = user_data_version(user.id)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        user_data_changed(user.id)
        inside = user_data_version(user.id)
    after = user_data_version(user.id)
    assert len(callbacks) == 1
    assert before != inside != after and None not in (before, inside, after)


def test_a_failed_build_keeps_nothing(user):
    calls = []

    def build():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return {"ok": len(calls)}

    with pytest.raises(RuntimeError):
        read_through(user_id=user.id, name="t.fail", params=(1,), build=build)
    assert read_through(user_id=user.id, name="t.fail", params=(1,), build=build) == {"ok": 2}
    assert read_through(user_id=user.id, name="t.fail", params=(1,), build=build) == {"ok": 2}  # kept now
    assert read_through(user_id=user.id, name="t.fail", params=(2,), build=build) == {"ok": 3}  # other params
