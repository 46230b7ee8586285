"""Bias reads over REST: a trade's evidence (own trades only), the label grid, the dashboard summary."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.bias.models import BiasTag, TradePosition
from apps.bias.services.rollups import label_days_rebuild
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)


def tag(trade, label, confidence="0.5"):
    return BiasTag.objects.create(trade=trade, label=label, confidence=Decimal(confidence), engine_version="1.0.0",
                                  features={"conditions": [{"name": "RSI_14", "value": 71.2, "op": ">=",
                                                            "threshold": 70, "fired": True, "evaluable": True,
                                                            "explain": "RSI was high."}]})


def test_bias_of_another_users_trade_is_404(api_client, other_user):
    theirs = TradeFactory(user=other_user)
    tag(theirs, "FOMO")
    for path in (f"/api/trades/{theirs.id}/bias", f"/api/trades/{theirs.id}/chart", "/api/trades/nope/bias"):
        response = api_client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_bias_of_own_trade(api_client, user):
    trade = TradeFactory(user=user, side="SELL", ts=T0)
    fomo = tag(trade, "PANIC", "0.8123")
    TradePosition.objects.create(trade=trade, user=user, symbol=trade.symbol, realized_pnl=None, held_hours=None,
                                 matched_qty=Decimal("0"), unmatched_qty=Decimal("0.5"))
    response = api_client.get(f"/api/trades/{trade.id}/bias")
    assert response.status_code == 200
    body = response.json()
    assert body["tradeId"] == trade.id
    assert body["tags"] == [{"id": fomo.id, "label": "PANIC", "confidence": 0.8123, "features": fomo.features,
                             "engineVersion": "1.0.0", "createdAt": fomo.created_at.isoformat()}]
    assert body["reflection"] is None
    assert body["position"]["realizedPnl"] is None
    assert body["position"]["realizedPnlKnown"] is False
    assert body["trade"]["qty"] == "0.5"


def test_bias_requires_login(client):
    trade = TradeFactory()
    assert client.get(f"/api/trades/{trade.id}/bias").status_code in (401, 403)


def test_grid_filters_by_label_and_pages_with_cursor(api_client, user, other_user):
    trades = [TradeFactory(user=user, ts=T0 + timedelta(hours=i), symbol="BTC-USD" if i % 2 else "ETH-USD")
              for i in range(5)]
    for i, trade in enumerate(trades):
        tag(trade, "FOMO" if i in (0, 2, 3) else "NONE")
    tag(TradeFactory(user=other_user, ts=T0), "FOMO")

    first = api_client.get("/api/bias/trades", {"label": "FOMO", "limit": 2})
    assert first.status_code == 200
    body = first.json()
    assert [r["id"] for r in body["results"]] == [trades[3].id, trades[2].id]
    assert body["results"][0]["labels"] == [{"name": "FOMO", "confidence": 0.5}]
    second = api_client.get("/api/bias/trades", {"label": "FOMO", "limit": 2, "cursor": body["nextCursor"]})
    assert [r["id"] for r in second.json()["results"]] == [trades[0].id]
    assert second.json()["nextCursor"] is None

    by_symbol = api_client.get("/api/bias/trades", {"sort": "symbol", "limit": 3}).json()
    assert [r["symbol"] for r in by_symbol["results"]] == ["BTC-USD", "BTC-USD", "ETH-USD"]
    rest = api_client.get("/api/bias/trades", {"sort": "symbol", "limit": 3, "cursor": by_symbol["nextCursor"]}).json()
    assert [r["id"] for r in rest["results"]] == [trades[2].id, trades[4].id]


def test_grid_filters_by_market_exchange_and_days_in_the_users_zone(api_client, user):
    user.timezone = "America/New_York"
    user.save(update_fields=["timezone"])
    late_evening = TradeFactory(user=user, ts=datetime(2026, 11, 3, 3, 30, tzinfo=UTC), symbol="BTC-USD",
                                broker="coinbase")  # 2 Nov, 22:30 in New York
    morning = TradeFactory(user=user, ts=datetime(2026, 11, 3, 14, 0, tzinfo=UTC), symbol="ETH-USD", broker="binance")
    TradeFactory(user=user, ts=datetime(2026, 11, 5, 14, 0, tzinfo=UTC), symbol="BTC-USD", broker="binance")

    def ids(**params):
        response = api_client.get("/api/bias/trades", params)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids(dayFrom="2026-11-03", dayTo="2026-11-03") == [morning.id]
    assert ids(dayFrom="2026-11-02", dayTo="2026-11-02") == [late_evening.id]
    assert ids(symbol="btc-usd", broker="coinbase") == [late_evening.id]
    assert ids(broker="binance", dayTo="2026-11-04") == [morning.id]
    bad = api_client.get("/api/bias/trades", {"dayFrom": "2026-11-05", "dayTo": "2026-11-01"})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"to": ["Pick a day on or after 'from'."]}
    assert api_client.get("/api/bias/trades", {"dayFrom": "yesterday"}).status_code == 400


def test_grid_rejects_bad_input(api_client):
    assert api_client.get("/api/bias/trades", {"label": "GREED"}).status_code == 400
    assert api_client.get("/api/bias/trades", {"sort": "price"}).status_code == 400
    assert api_client.get("/api/bias/trades", {"cursor": "!!"}).status_code == 400


def test_summary_empty_state(api_client):
    body = api_client.get("/api/bias/summary").json()
    assert body["hasTrades"] is False
    assert body["labelsPerDay"] == []
    assert body["pnlByLabel"] == []
    assert body["disposition"] is None


def test_summary_counts_labels_per_day_and_pnl(api_client, user):
    a = TradeFactory(user=user, ts=T0, side="SELL")
    b = TradeFactory(user=user, ts=T0 + timedelta(hours=1), side="SELL")
    c = TradeFactory(user=user, ts=T0 + timedelta(days=1))
    tag(a, "PANIC")
    tag(b, "PANIC")
    tag(c, "FOMO")
    TradePosition.objects.create(trade=a, user=user, symbol=a.symbol, realized_pnl=Decimal("-12.5"), held_hours=3)
    TradePosition.objects.create(trade=b, user=user, symbol=b.symbol, realized_pnl=None, held_hours=None)
    label_days_rebuild(user_id=user.id)  # what scoring does in the transaction that writes tags and positions
    body = api_client.get("/api/bias/summary", {"since": "2026-09-30", "until": "2026-10-02"}).json()
    assert body["hasTrades"] is True
    assert body["trades"] == 3
    assert body["labelsPerDay"] == [{"date": "2026-10-01", "counts": {"PANIC": 2}},
                                    {"date": "2026-10-02", "counts": {"FOMO": 1}}]
    quote = a.symbol.rsplit("-", 1)[-1]
    assert body["pnlByLabel"] == [{"label": "FOMO", "trades": 1, "withRealizedPnl": 0, "realizedPnl": None},
                                  {"label": "PANIC", "trades": 2, "withRealizedPnl": 1, "realizedPnl": {quote: "-12.5"}}]


def test_summary_never_adds_pnl_of_different_quote_currencies(api_client, user):
    usd = TradeFactory(user=user, ts=T0, side="SELL", symbol="BTC-USD")
    btc = TradeFactory(user=user, ts=T0 + timedelta(hours=1), side="SELL", symbol="ETH-BTC")
    tag(usd, "PANIC")
    tag(btc, "PANIC")
    TradePosition.objects.create(trade=usd, user=user, symbol=usd.symbol, realized_pnl=Decimal("-40"), held_hours=2)
    TradePosition.objects.create(trade=btc, user=user, symbol=btc.symbol, realized_pnl=Decimal("0.015"), held_hours=5)
    label_days_rebuild(user_id=user.id)
    body = api_client.get("/api/bias/summary", {"since": "2026-09-30", "until": "2026-10-02"}).json()
    assert body["pnlByLabel"] == [{"label": "PANIC", "trades": 2, "withRealizedPnl": 2,
                                   "realizedPnl": {"BTC": "0.015", "USD": "-40"}}]


def test_summary_rejects_bad_dates(api_client):
    assert api_client.get("/api/bias/summary", {"since": "last week"}).status_code == 400
    assert api_client.get("/api/bias/summary", {"since": "2026-10-05", "until": "2026-10-01"}).status_code == 400


def test_schema_stays_valid(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
