"""POST /api/simulations/rules: each rule replayed on a small hand-made history, figures worked out by hand.

Candles are hourly from 2026-09-01 00:00 UTC ("h" below counts hours from then); the period is h0–h72.
"""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.bias.services import rule_upsert
from apps.simulations.testing import candles_store
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]

START = datetime(2026, 9, 1, tzinfo=UTC)
UNTIL = START + timedelta(hours=72)


def h(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def closes(values: list[float], symbol: str = "BTC-USD") -> None:
    candles_store(symbol=symbol, first_open=START, bars=[(c, c, c, c) for c in values])


def trade(user, side: str, qty: str, price: str, at: float, fee: str = "0", symbol: str = "BTC-USD", quote: str = "USD"):
    return TradeFactory(user=user, symbol=symbol, side=side, qty=Decimal(qty), price=Decimal(price), fee=Decimal(fee),
                        ts=h(at), quote_asset=quote)


def run(client, rules=None, **extra):
    body = {"since": START.isoformat(), "until": UNTIL.isoformat(), **extra}
    if rules is not None:
        body["rules"] = rules
    return client.post("/api/simulations/rules", body, format="json")


def actions(body: dict) -> list[tuple]:
    return [(t["tradeId"], t["action"], t["rule"], t["pnlEffect"]) for t in body["trades"]]


def test_avoid_spike_skips_the_buy_and_the_exit_of_its_units(api_client, user):
    closes([100] * 48 + [110] * 24)  # +10 % at h48
    a = trade(user, "BUY", "1", "100", 20.5)  # no candle 24 h earlier: not evaluable, kept
    b = trade(user, "BUY", "1", "110", 49.5, fee="1")  # 110 / 100 − 1 = 10 % over 24 h > 5 %
    sale = trade(user, "SELL", "2", "115", 60, fee="2")

    body = run(api_client, [{"kind": "avoidSpikeOverPct", "params": {"pct": 5, "lookbackHours": 24}}]).json()

    # a: 15 − 1 (half the sale fee) = 14; b: 5 − 1 − 1 = 3
    assert (body["actualPnl"], body["rulesPnl"], body["difference"], body["quoteCurrency"]) == ("17", "14", "-3", "USD")
    assert actions(body) == [(a.id, "kept", None, "0"), (b.id, "skipped", "avoidSpikeOverPct", "-3"),
                             (sale.id, "kept", None, "0")]
    assert body["byRule"] == [{"kind": "avoidSpikeOverPct", "tradesAffected": 1, "pnlEffect": "-3"}]
    assert body["perQuoteCurrency"] == {"USD": {"actualPnl": "17", "rulesPnl": "14", "difference": "-3",
                                                "byRule": body["byRule"]}}


def test_max_trades_per_day_skips_past_the_limit_and_holds_a_skipped_sale(api_client, user):
    closes([100] * 48 + [110] * 24)
    a, b = trade(user, "BUY", "1", "100", 1.5), trade(user, "BUY", "1", "100", 2.5)
    c = trade(user, "BUY", "1", "100", 3.5)  # the day's third trade
    sale = trade(user, "SELL", "3", "105", 5.5)  # the fourth: a and b are held to the end (110) instead

    body = run(api_client, [{"kind": "maxTradesPerDay", "params": {"count": 2}}]).json()

    # actual 3 × 5 = 15; without c (−5) and holding a, b to 110 instead of selling at 105 (+10): 20
    assert (body["actualPnl"], body["rulesPnl"], body["difference"]) == ("15", "20", "5")
    assert actions(body) == [(a.id, "kept", None, "0"), (b.id, "kept", None, "0"),
                             (c.id, "skipped", "maxTradesPerDay", "-5"), (sale.id, "skipped", "maxTradesPerDay", "10")]
    assert body["byRule"] == [{"kind": "maxTradesPerDay", "tradesAffected": 2, "pnlEffect": "5"}]


def test_cooldown_after_losses_skips_an_entry_inside_it(api_client, user):
    closes([100] * 72)
    trade(user, "BUY", "1", "100", 1)
    trade(user, "SELL", "1", "90", 2)  # −10
    trade(user, "BUY", "1", "100", 3)
    trade(user, "SELL", "1", "95", 4)  # −5: two losses in a row at h4
    early = trade(user, "BUY", "1", "100", 10)  # 6 h later, inside a 12 h cooldown
    exit_ = trade(user, "SELL", "1", "110", 20)  # its exit goes with it
    later = trade(user, "BUY", "1", "100", 30)  # after the cooldown; held to the end at 100

    body = run(api_client, [{"kind": "cooldownAfterLosses", "params": {"losses": 2, "hours": 12}}]).json()

    assert (body["actualPnl"], body["rulesPnl"], body["difference"]) == ("-5", "-15", "-10")
    assert actions(body)[4:] == [(early.id, "skipped", "cooldownAfterLosses", "-10"),
                                 (exit_.id, "skipped", "cooldownAfterLosses", "0"), (later.id, "kept", None, "0")]
    assert body["byRule"] == [{"kind": "cooldownAfterLosses", "tradesAffected": 2, "pnlEffect": "-10"}]


def test_min_hold_moves_an_early_exit_to_the_first_candle_after_the_minimum(api_client, user):
    closes([100] * 24 + [120] * 48)
    buy = trade(user, "BUY", "1", "100", 1.5)
    sale = trade(user, "SELL", "1", "102", 3.5)  # held 2 h; 24 h ends at h25.5 → candle closing at h26: 120

    body = run(api_client, [{"kind": "minHoldHours", "params": {"hours": 24}}]).json()

    assert (body["actualPnl"], body["rulesPnl"], body["difference"]) == ("2", "20", "18")
    assert actions(body) == [(buy.id, "kept", None, "0"), (sale.id, "exitMoved", "minHoldHours", "18")]


def test_stop_loss_pct_moves_a_sale_past_the_stop_to_the_stop_price(api_client, user):
    closes([100] * 72)
    buy = trade(user, "BUY", "2", "100", 1.5)
    deep = trade(user, "SELL", "1", "88", 5.5)  # 12% under the buy: a 5% stop sells at 95 → +7 on 1 unit
    shallow = trade(user, "SELL", "1", "97", 6.5)  # 3% under: the stop was not reached, nothing changes

    body = run(api_client, [{"kind": "stopLossPct", "params": {"pct": 5}}]).json()

    # actual: (88 − 100) + (97 − 100) = −15; with the stop: (95 − 100) + (97 − 100) = −8
    assert (body["actualPnl"], body["rulesPnl"], body["difference"]) == ("-15", "-8", "7")
    assert actions(body) == [(buy.id, "kept", None, "0"), (deep.id, "exitMoved", "stopLossPct", "7"),
                             (shallow.id, "kept", None, "0")]


def test_active_rules_are_the_default_and_inactive_ones_are_not_used(api_client, user):
    closes([100] * 24 + [120] * 48)
    trade(user, "BUY", "1", "100", 1.5)
    trade(user, "SELL", "1", "102", 3.5)
    rule_upsert(user=user, kind="minHoldHours", params={"hours": 24})
    rule_upsert(user=user, kind="maxTradesPerDay", params={"count": 1}, active=False)

    body = run(api_client).json()

    assert body["rules"] == [{"kind": "minHoldHours", "params": {"hours": 24.0}}]
    assert (body["rulesPnl"], body["difference"]) == ("20", "18")


def test_quote_currencies_are_never_added_together(api_client, user):
    closes([100] * 72)
    closes([50] * 72, symbol="ETH-EUR")
    trade(user, "BUY", "1", "90", 1)  # +10 USD at the end
    trade(user, "BUY", "2", "40", 1, symbol="ETH-EUR", quote="EUR")  # +20 EUR

    body = run(api_client, []).json()

    assert (body["actualPnl"], body["rulesPnl"], body["difference"], body["quoteCurrency"]) == (None, None, None, None)
    assert body["perQuoteCurrency"] == {
        "EUR": {"actualPnl": "20", "rulesPnl": "20", "difference": "0", "byRule": []},
        "USD": {"actualPnl": "10", "rulesPnl": "10", "difference": "0", "byRule": []}}


@pytest.mark.parametrize(("body", "fields"), [
    ({"rules": [{"kind": "minHoldHours", "params": {"hours": -1}}]}, {"$.rules[0].params.hours"}),
    ({"rules": [{"kind": "nope", "params": {}}]}, {"$.rules[0].kind"}),
    ({"rules": ["x"]}, {"$.rules[0]"}),
    ({"until": START.isoformat()}, {"$.until"}),
    ({"since": (START - timedelta(days=400)).isoformat()}, {"$.since"}),
    ({"extra": True}, {"$.extra"}),
])
def test_bad_input_is_400_with_fields(api_client, body, fields):
    response = run(api_client, **body)

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == fields


def test_the_backtest_reads_without_a_query_per_trade(api_client, user, django_assert_max_num_queries):
    closes([100] * 72)
    for k in range(30):
        trade(user, "BUY" if k % 2 == 0 else "SELL", "1", "100", 1 + k)

    with django_assert_max_num_queries(12):
        response = run(api_client, [{"kind": "maxTradesPerDay", "params": {"count": 5}},
                                    {"kind": "avoidSpikeOverPct", "params": {"pct": 3, "lookbackHours": 6}}])

    assert response.status_code == 200
    assert len(response.json()["trades"]) == 30


@pytest.mark.parametrize(("since", "until", "field"), [
    ("0001-01-01", "2026-01-01", "since"), ("2026-01-01", "9999-12-31T23:59:59-23:59", "until"),
    ("yesterday", "2026-01-01", "since")])
def test_dates_out_of_range_are_400(api_client, since, until, field):
    response = api_client.post("/api/simulations/rules", {"since": since, "until": until}, format="json")

    assert response.status_code == 400
    assert f"$.{field}" in response.json()["error"]["fields"]
