"""Every figure against the hand-computed BOOK (see conftest): partial fills, fees in the base asset and in a
third asset, two quote currencies never added together, and every filter."""
from __future__ import annotations

from datetime import timedelta

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]

FIGURES = ["summary", "equity", "calendar", "breakdown?by=hour", "breakdown?by=weekday",
           "breakdown?by=symbol", "breakdown?by=label", "breakdown?by=broker"]


def get(client, path: str, **params):
    response = client.get(f"/api/analytics/{path}", params)
    assert response.status_code == 200, response.content
    return response.json()


def by_quote(body: dict) -> dict:
    return {c["quote"]: c for c in body["currencies"]}


def test_summary_per_quote_currency(api_client, book):
    body = get(api_client, "summary")
    usd, eur = by_quote(body)["USD"], by_quote(body)["EUR"]
    assert usd == {
        "quote": "USD", "trades": 7, "closedPositions": 4, "wins": 2, "losses": 2, "breakeven": 0,
        "winRate": 0.5, "realizedPnl": "213.5", "grossProfit": "250", "grossLoss": "-36.5",
        "profitFactor": 6.8493, "expectancy": "53.375", "averageWin": "125", "averageLoss": "-18.25",
        "largestWin": "245", "largestLoss": "-26.5", "longestWinStreak": 1, "longestLossStreak": 2,
        # winners held (3h·1 + 2h·0.5)/1.5 and 2h; losers 4h and 1h
        "averageHoldHoursWinners": 2.33, "averageHoldHoursLosers": 2.5,
        "fees": "6.5", "feesPctOfPnl": 3.04,
    }
    assert eur == {
        "quote": "EUR", "trades": 3, "closedPositions": 1, "wins": 1, "losses": 0, "breakeven": 0,
        "winRate": 1.0, "realizedPnl": "188", "grossProfit": "188", "grossLoss": "0",
        "profitFactor": None, "expectancy": "188", "averageWin": "188", "averageLoss": None,
        "largestWin": "188", "largestLoss": None, "longestWinStreak": 1, "longestLossStreak": 0,
        "averageHoldHoursWinners": 2.0, "averageHoldHoursLosers": None,
        "fees": "12", "feesPctOfPnl": 6.38,  # 0.01 ETH × 1000 + 2 EUR; the BNB fee is kept apart
    }
    assert body["otherFees"] == {"BNB": "0.001"}


def test_equity_curve_and_drawdown(api_client, book):
    body = by_quote(get(api_client, "equity"))
    day1, day2 = book.date().isoformat(), (book + timedelta(days=1)).date().isoformat()
    assert body["USD"]["points"] == [
        {"date": day1, "pnl": "218.5", "equity": "218.5", "drawdown": "0"},
        {"date": day2, "pnl": "-5", "equity": "213.5", "drawdown": "-5"},
    ]
    assert (body["USD"]["maxDrawdown"], body["USD"]["final"]) == ("-5", "213.5")
    assert body["EUR"]["points"] == [{"date": day1, "pnl": "188", "equity": "188", "drawdown": "0"}]


def test_calendar(api_client, book):
    body = by_quote(get(api_client, "calendar"))
    day1, day2 = book.date().isoformat(), (book + timedelta(days=1)).date().isoformat()
    assert body["USD"]["days"] == [{"date": day1, "pnl": "218.5", "closedPositions": 2, "wins": 1},
                                   {"date": day2, "pnl": "-5", "closedPositions": 2, "wins": 1}]


def test_breakdowns(api_client, book):
    hours = {b["key"]: b for b in by_quote(get(api_client, "breakdown", by="hour"))["USD"]["buckets"]}
    assert len(hours) == 24
    assert hours[11] == {"key": 11, "name": "11", "closedPositions": 2, "wins": 2, "winRate": 1.0, "pnl": "250"}
    assert hours[13] == {"key": 13, "name": "13", "closedPositions": 1, "wins": 0, "winRate": 0.0, "pnl": "-26.5"}
    assert hours[10]["pnl"] == "-10"
    assert hours[0] == {"key": 0, "name": "0", "closedPositions": 0, "wins": 0, "winRate": None, "pnl": "0"}

    weekdays = {b["key"]: b for b in by_quote(get(api_client, "breakdown", by="weekday"))["USD"]["buckets"]}
    monday = book.isoweekday()
    tuesday = monday % 7 + 1
    assert (weekdays[monday]["closedPositions"], weekdays[monday]["pnl"]) == (2, "218.5")
    assert (weekdays[tuesday]["closedPositions"], weekdays[tuesday]["pnl"]) == (2, "-5")

    brokers = by_quote(get(api_client, "breakdown", by="broker"))
    assert [(b["key"], b["pnl"]) for b in brokers["USD"]["buckets"]] == [("coinbase", "213.5")]
    assert [(b["key"], b["pnl"]) for b in brokers["EUR"]["buckets"]] == [("binance", "188")]
    symbols = by_quote(get(api_client, "breakdown", by="symbol"))
    assert [(b["key"], b["closedPositions"]) for b in symbols["USD"]["buckets"]] == [("BTC-USD", 4)]


def test_label_breakdown_matches_label_filter(api_client, book):
    """Each label's bucket equals the summary filtered to that label (two different queries)."""
    labels = by_quote(get(api_client, "breakdown", by="label"))["USD"]["buckets"]
    assert sum(b["closedPositions"] for b in labels) >= 4
    for bucket in labels:
        summary = by_quote(get(api_client, "summary", label=bucket["key"]))["USD"]
        assert (summary["closedPositions"], summary["realizedPnl"], summary["wins"]) == (
            bucket["closedPositions"], bucket["pnl"], bucket["wins"])


def test_filters(api_client, book):
    only_btc = by_quote(get(api_client, "summary", symbol="btc-usd"))
    assert list(only_btc) == ["USD"]
    second_day = by_quote(get(api_client, "summary", since=(book + timedelta(days=1)).isoformat()))
    assert (second_day["USD"]["closedPositions"], second_day["USD"]["realizedPnl"]) == (2, "-5")
    assert "EUR" not in second_day
    first_day = by_quote(get(api_client, "summary", until=(book + timedelta(hours=5)).isoformat()))
    assert (first_day["USD"]["closedPositions"], first_day["USD"]["realizedPnl"]) == (1, "245")
    binance = by_quote(get(api_client, "equity", broker="binance"))
    assert list(binance) == ["EUR"]
    buys = by_quote(get(api_client, "summary", side="BUY"))
    assert (buys["USD"]["closedPositions"], buys["USD"]["trades"], buys["USD"]["fees"]) == (0, 3, "3")
    assert buys["EUR"]["fees"] == "10"


def test_other_users_trades_are_invisible(other_api_client, book):
    for path in FIGURES:
        assert other_api_client.get(f"/api/analytics/{path}").json()["currencies"] == []


@pytest.mark.parametrize("params, field", [
    ({"by": "minute"}, "by"), ({"since": "yesterday"}, "since"), ({"side": "LONG"}, "side"),
    ({"since": "2026-10-02", "until": "2026-10-01"}, "since"), ({"symbol": "X" * 65}, "symbol"),
])
def test_bad_filters_are_400(api_client, params, field):
    params = {"by": "hour", **params}
    response = api_client.get("/api/analytics/breakdown", params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_anonymous_is_refused(client):
    assert client.get("/api/analytics/summary").status_code in (401, 403)


@pytest.mark.parametrize("path", FIGURES)
def test_query_count(api_client, book, django_assert_max_num_queries, path):
    """One query per figure set (summary: aggregates, streak signs, fees); + session and user lookups."""
    limit = {"summary": 5}.get(path, 3)
    with django_assert_max_num_queries(limit):
        assert api_client.get(f"/api/analytics/{path}").status_code == 200
