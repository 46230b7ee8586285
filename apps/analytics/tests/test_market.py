"""MAE/MFE and the reporting currency against hand-made hourly candles."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.analytics.services.readmodel import trade_facts_refresh
from apps.bias.services import bias_score_trades
from apps.brokers.models import Candle
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]
D = Decimal
T0 = datetime(2026, 6, 1, 10, tzinfo=UTC)


def bars(symbol: str, rows: list[tuple[int, str, str, str]]) -> None:
    """(hour offset from T0, low, high, close) hourly bars."""
    Candle.objects.bulk_create([
        Candle(symbol=symbol, granularity="1h", ts=T0 + timedelta(hours=h), open=D(close), high=D(high), low=D(low),
               close=D(close), volume=D(1)) for h, low, high, close in rows])


@pytest.fixture
def market_book(stub_exchange, user):
    bars("SOL-EUR", [(-1, "50", "200", "100"),  # before the entry's hour: outside the holding window
                     (0, "98", "103", "100"), (1, "95", "108", "105"), (2, "97", "115", "110"), (3, "105", "112", "110"),
                     (4, "1", "999", "110")])  # opens at the exit: outside
    bars("EUR-USD", [(0, "1.2", "1.3", "1.25"), (2, "1.1", "1.3", "1.2"), (3, "1.0", "1.2", "1.1"),
                     (4, "4", "6", "5")])      # closes after the exit: not used
    plan = [(0, "SOL-EUR", "BUY", "10", "100", "1"), (4, "SOL-EUR", "SELL", "10", "110", "1"),   # +98 EUR
            (1, "ABC-USD", "BUY", "1", "10", "0"), (2, "ABC-USD", "SELL", "1", "12", "0"),       # +2 USD
            (48, "ABC-USD", "BUY", "1", "10", "0"), (49, "ABC-USD", "SELL", "1", "9", "0")]     # -1 USD
    trades = [TradeFactory(user=user, ts=T0 + timedelta(hours=h), symbol=s, side=side, qty=D(q), price=D(p), fee=D(f),
                           fee_asset=s.split("-")[1], quote_asset=s.split("-")[1]) for h, s, side, q, p, f in plan]
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in trades])
    trade_facts_refresh(user_id=user.id)
    return {t.symbol + t.side + str(int((t.ts - T0).total_seconds() // 3600)): t for t in trades}


def test_mae_mfe_and_exit_efficiency(api_client, market_book):
    body = api_client.get("/api/analytics/excursions").json()
    eur = next(c for c in body["currencies"] if c["quote"] == "EUR")
    (position,) = eur["positions"]
    # basis (1100 - 1 - 98) / 10 = 100.1 per unit; bars 10:00-13:00: lowest 95, highest 115
    assert position == {"tradeId": market_book["SOL-EURSELL4"].id, "symbol": "SOL-EUR",
                        "exitTs": (T0 + timedelta(hours=4)).isoformat(), "entryTs": T0.isoformat(),
                        "pnl": 98.0, "mae": -51.0, "mfe": 149.0, "exitEfficiency": 0.6577}
    assert (eur["withCandles"], eur["withoutCandles"], eur["averageExitEfficiency"]) == (1, 0, 0.6577)
    usd = next(c for c in body["currencies"] if c["quote"] == "USD")
    assert (usd["withCandles"], usd["withoutCandles"]) == (0, 2)
    assert {p["mae"] for p in usd["positions"]} == {None}


def test_excursion_of_one_trade(api_client, other_api_client, market_book):
    trade = market_book["SOL-EURSELL4"]
    body = api_client.get("/api/analytics/excursions", {"tradeId": trade.id}).json()
    assert [p["mfe"] for c in body["currencies"] for p in c["positions"]] == [149.0]
    assert other_api_client.get("/api/analytics/excursions", {"tradeId": trade.id}).json()["currencies"] == []


def test_reporting_currency_usd(api_client, market_book):
    body = api_client.get("/api/analytics/summary", {"currency": "usd"}).json()
    reporting = body["reporting"]
    assert reporting["currency"] == "USD" and reporting["estimate"] is True
    assert reporting["realizedPnl"] == "108.8"  # 98 EUR × 1.1 + 2 − 1 USD
    assert reporting["conversions"] == [
        {"quote": "EUR", "pair": "EUR-USD", "inverse": False, "positions": 1, "withoutRate": 0,
         "realizedPnl": "98", "converted": "107.8"},
        {"quote": "USD", "pair": None, "inverse": False, "positions": 2, "withoutRate": 0,
         "realizedPnl": "1", "converted": "1"}]
    assert [c["realizedPnl"] for c in body["currencies"]] == ["98", "1"]  # the per-quote figures stay as they are
    equity = api_client.get("/api/analytics/equity", {"currency": "USD"}).json()["reporting"]["equity"]
    assert equity == [{"date": "2026-06-01", "equity": "109.8", "drawdown": "0"},
                      {"date": "2026-06-03", "equity": "108.8", "drawdown": "-1"}]


def test_reporting_currency_eur_leaves_out_what_has_no_rate(api_client, market_book):
    reporting = api_client.get("/api/analytics/summary", {"currency": "EUR"}).json()["reporting"]
    usd = next(c for c in reporting["conversions"] if c["quote"] == "USD")
    # 12:00 exit: EUR-USD bar of 10:00 closed at 11:00 at 1.25 → 2 / 1.25; the 3 June exit has no bar near it
    assert (usd["pair"], usd["inverse"], usd["withoutRate"], usd["converted"]) == ("EUR-USD", True, 1, "1.6")
    assert reporting["realizedPnl"] == "99.6"


def test_bad_currency_is_400(api_client):
    response = api_client.get("/api/analytics/summary", {"currency": "GBP"})
    assert response.status_code == 400 and "currency" in response.json()["error"]["fields"]


@pytest.mark.parametrize("path, limit", [("excursions", 6), ("summary?currency=USD", 9), ("equity?currency=EUR", 7)])
def test_market_query_count(api_client, market_book, django_assert_max_num_queries, path, limit):
    """The figure queries plus one candle query per symbol or currency pair (and the session lookups)."""
    with django_assert_max_num_queries(limit):
        assert api_client.get(f"/api/analytics/{path}").status_code == 200


def test_excursions_built_in_the_database_equal_the_python_ones(user, market_book):
    """PostgreSQL writes the JSON itself; the other databases' Python path gives the same document."""
    import json

    from apps.analytics.market import excursions
    from apps.analytics.selectors import Filters

    in_database = json.loads(excursions(user=user, filters=Filters(), in_database=True))
    assert in_database == json.loads(excursions(user=user, filters=Filters(), in_database=False))
    assert sum(len(c["positions"]) for c in in_database["currencies"]) == 3
