"""POST /api/simulations/simple on stored candles: every figure below is worked out by hand.

The market: hourly candles from 2026-10-01 10:00 UTC whose close climbs 1 a candle from 100 (open = close,
high = close + 0.5, low = close − 0.5), so candle k closes at 100 + k at 11:00 + k hours.
"""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.events.models import EventOutbox
from apps.simulations.models import Simulation
from apps.simulations.testing import candles_store, ramp_bars
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]

OPEN = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
TS = datetime(2026, 10, 1, 10, 30, tzinfo=UTC)


def at(hours: float) -> datetime:
    return OPEN + timedelta(hours=hours)


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


@pytest.fixture
def market(db):
    # candle 3 (13:00–14:00) dips to 97.5: 2% under a buy at 100
    candles_store(symbol="BTC-USD", first_open=OPEN, bars=ramp_bars(72, dips={3: 97.5}))


def simulate(client, **body):
    return client.post("/api/simulations/simple", body, format="json")


def point(curve: list[dict], moment: datetime) -> float:
    return next(p["value"] for p in curve if p["t"] == unix(moment))


def test_buy_hold_wait_and_actual_with_fifo_and_fees(api_client, user, market):
    older = TradeFactory(user=user, side="BUY", qty=Decimal("1"), price=Decimal("90"), fee=Decimal("0"),
                         ts=TS - timedelta(days=1))
    trade = TradeFactory(user=user, side="BUY", qty=Decimal("2"), price=Decimal("100"), fee=Decimal("1"), ts=TS)
    # sells 1 of the older lot first (FIFO), then 0.5 of this trade's units, within the horizon
    TradeFactory(user=user, side="SELL", qty=Decimal("1.5"), price=Decimal("110"), fee=Decimal("0.6"),
                 ts=at(10.25))
    TradeFactory(user=user, side="SELL", qty=Decimal("1"), price=Decimal("130"), fee=Decimal("0.5"),
                 ts=TS + timedelta(days=2))  # after the horizon: the rest is marked at the horizon

    response = simulate(api_client, tradeId=trade.id, horizonDays=1)

    assert response.status_code == 200, response.content
    body = response.json()
    assert older.id != trade.id
    assert body["status"] == "done"
    assert (body["tradeId"], body["symbol"], body["side"], body["horizonDays"], body["pullbackPct"]) == \
        (trade.id, "BTC-USD", "BUY", 1, "2")
    # the last candle closed by 2026-10-02 10:30 opens at 09:00 (candle 23, close 123)
    assert body["candles"] == {"granularity": "1h", "from": "2026-10-01T10:00:00Z", "to": "2026-10-02T10:00:00Z"}
    hold = body["hold"]
    # (123 − 100) × 2 − 1 = 45; 45 / 200 = 22.5 %
    assert {k: hold[k] for k in ("pnl", "pnlPct", "entryTs", "entryPrice", "exitTs", "exitPrice")} == {
        "pnl": "45", "pnlPct": "22.50", "entryTs": "2026-10-01T10:30:00Z", "entryPrice": "100",
        "exitTs": "2026-10-02T10:00:00Z", "exitPrice": "123"}
    assert len(hold["curve"]) == 24
    assert hold["curve"][0] == {"t": unix(at(1)), "value": -1.0}  # (100 − 100) × 2 − 1
    wait = body["waitPullback"]
    # level 98 reached by candle 3 (opens 13:00); fee scaled 1 × 98/100; (123 − 98) × 2 − 0.98 = 49.02
    assert {k: wait[k] for k in ("pnl", "pnlPct", "entryTs", "entryPrice", "exitTs", "exitPrice", "filled", "level")} == {
        "pnl": "49.02", "pnlPct": "24.51", "entryTs": "2026-10-01T13:00:00Z", "entryPrice": "98",
        "exitTs": "2026-10-02T10:00:00Z", "exitPrice": "123", "filled": True, "level": "98"}
    assert point(wait["curve"], at(3)) == 0.0  # candle 2 closes before the fill
    assert point(wait["curve"], at(4)) == 9.02  # candle 3 closes at 103: 5 × 2 − 0.98
    actual = body["actual"]
    # sold 0.5 at 110: 0.5 × 10 − 1 × 0.5/2 − 0.6 × 0.5/1.5 = 4.55; 1.5 open at 123: 1.5 × 23 − 0.75 = 33.75
    assert {k: actual[k] for k in ("pnl", "pnlPct", "realizedPnl", "closedQty", "openQty", "exitTs", "exitPrice")} == {
        "pnl": "38.3", "pnlPct": "19.15", "realizedPnl": "4.55", "closedQty": "0.5", "openQty": "1.5",
        "exitTs": "2026-10-02T10:00:00Z", "exitPrice": "119.75"}
    assert point(actual["curve"], at(10)) == 17.0  # candle 9 closes 109 before the sale: 2 × 9 − 1
    assert point(actual["curve"], at(11)) == 18.8  # after it: 4.55 + 1.5 × 10 − 0.75
    assert body["summary"][1] == "Holding 1 day would have made +$6.70 more."
    assert Simulation.objects.get(id=body["simulationId"]).status == "done"


def test_unfilled_pullback_is_no_trade(api_client, user, market):
    trade = TradeFactory(user=user, side="BUY", qty=Decimal("2"), price=Decimal("100"), fee=Decimal("1"), ts=TS)

    body = simulate(api_client, tradeId=trade.id, horizonDays=1, pullbackPct="5").json()

    wait = body["waitPullback"]
    assert (wait["filled"], wait["pnl"], wait["pnlPct"], wait["entryTs"], wait["level"]) == (False, "0", "0.00", None, "95")
    assert {p["value"] for p in wait["curve"]} == {0.0}
    assert body["actual"]["pnl"] == body["hold"]["pnl"] == "45"  # nothing sold: actual is holding


def test_sell_hold_and_bounce_filled_and_unfilled(api_client, user, market):
    TradeFactory(user=user, side="BUY", qty=Decimal("1"), price=Decimal("90"), fee=Decimal("0"), ts=TS - timedelta(days=1))
    sale = TradeFactory(user=user, side="SELL", qty=Decimal("1"), price=Decimal("120"), fee=Decimal("0.3"), ts=TS)

    body = simulate(api_client, tradeId=sale.id, horizonDays=1).json()

    # keeping the unit instead: (123 − 120) × 1 = 3 (selling cost 3)
    assert (body["hold"]["pnl"], body["hold"]["pnlPct"]) == ("3", "2.50")
    # bounce to 122.4 first reached by candle 22 (high 122.5, opens 2026-10-02 08:00): (122.4 − 120) × 1
    wait = body["waitPullback"]
    assert (wait["filled"], wait["pnl"], wait["entryTs"], wait["exitTs"], wait["exitPrice"]) == \
        (True, "2.4", "2026-10-01T10:30:00Z", "2026-10-02T08:00:00Z", "122.4")
    # the sale is the reference; its realised P/L (FIFO): 120 − 0.3 − 90
    assert (body["actual"]["pnl"], body["actual"]["realizedPnl"]) == ("0", "29.7")

    unfilled = simulate(api_client, tradeId=sale.id, horizonDays=1, pullbackPct="5").json()["waitPullback"]
    assert (unfilled["filled"], unfilled["pnl"], unfilled["exitTs"]) == (False, "3", "2026-10-02T10:00:00Z")


def test_position_closed_before_the_horizon(api_client, user, market):
    trade = TradeFactory(user=user, side="BUY", qty=Decimal("1"), price=Decimal("100"), fee=Decimal("1"), ts=TS)
    TradeFactory(user=user, side="SELL", qty=Decimal("1"), price=Decimal("105"), fee=Decimal("0.5"), ts=at(5) + timedelta(minutes=10))

    actual = simulate(api_client, tradeId=trade.id, horizonDays=2).json()["actual"]

    # 1 × 5 − 1 − 0.5 = 3.5, flat from the sale on
    assert (actual["pnl"], actual["openQty"], actual["exitTs"], actual["exitPrice"]) == \
        ("3.5", "0", "2026-10-01T15:10:00Z", "105")
    assert point(actual["curve"], at(6)) == 3.5
    assert point(actual["curve"], at(40)) == 3.5


def test_symbol_picks_the_most_recent_trade_and_repeat_is_cached(api_client, user, market):
    TradeFactory(user=user, side="BUY", qty=Decimal("1"), price=Decimal("100"), fee=Decimal("0"), ts=TS - timedelta(hours=3))
    latest = TradeFactory(user=user, side="BUY", qty=Decimal("1"), price=Decimal("100"), fee=Decimal("0"), ts=TS)

    first = simulate(api_client, symbol="btc-usd", horizonDays=1).json()
    again = simulate(api_client, tradeId=latest.id, horizonDays=1).json()

    assert first["tradeId"] == latest.id
    assert again == first
    assert Simulation.objects.count() == 1
    fetched = api_client.get(f"/api/simulations/{first['simulationId']}")
    assert (fetched.status_code, fetched.json()) == (200, first)


def test_horizon_past_the_last_candle_is_a_clear_422(api_client, user):
    now = datetime.now(UTC)
    trade = TradeFactory(user=user, ts=now - timedelta(days=2))

    response = simulate(api_client, tradeId=trade.id, horizonDays=5)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "candles_unavailable"
    assert "5-day horizon ends at" in error["message"] and "after the last closed hourly candle" in error["message"]
    assert Simulation.objects.count() == 0


@pytest.mark.parametrize(("body", "fields"), [
    ({"horizonDays": 3}, {"$.tradeId", "$.symbol"}),
    ({"tradeId": "x", "symbol": "BTC-USD", "horizonDays": 3}, {"$.tradeId", "$.symbol"}),
    ({"tradeId": "x", "horizonDays": 0}, {"$.horizonDays"}),
    ({"tradeId": "x", "horizonDays": 31}, {"$.horizonDays"}),
    ({"tradeId": "x", "horizonDays": 2.5}, {"$.horizonDays"}),
    ({"tradeId": "x", "horizonDays": 3, "pullbackPct": "0.4"}, {"$.pullbackPct"}),
    ({"tradeId": "x", "horizonDays": 3, "pullbackPct": 20.5}, {"$.pullbackPct"}),
    ({"tradeId": "x", "horizonDays": 3, "pullbackPct": "NaN"}, {"$.pullbackPct"}),
    ({"tradeId": "x", "horizonDays": 3, "extra": 1}, {"$.extra"}),
])
def test_bad_input_is_400_with_fields(api_client, body, fields):
    response = simulate(api_client, **body)

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == fields
    assert Simulation.objects.count() == 0


def test_another_users_trade_or_unknown_id_is_404(api_client, other_user, market):
    theirs = TradeFactory(user=other_user, ts=TS)

    assert simulate(api_client, tradeId=theirs.id, horizonDays=1).status_code == 404
    assert simulate(api_client, tradeId="nope", horizonDays=1).status_code == 404
    assert simulate(api_client, symbol="BTC-USD", horizonDays=1).status_code == 404
    assert Simulation.objects.count() == 0


def test_another_users_simulation_is_404(api_client, other_api_client, user, market):
    trade = TradeFactory(user=user, side="BUY", qty=Decimal("1"), price=Decimal("100"), fee=Decimal("0"), ts=TS)
    simulation_id = simulate(api_client, tradeId=trade.id, horizonDays=1).json()["simulationId"]

    assert other_api_client.get(f"/api/simulations/{simulation_id}").status_code == 404


def test_eleventh_request_in_a_minute_is_429(api_client, user, market):
    from apps.core.testing import rate_window_fresh

    trade = TradeFactory(user=user, side="BUY", qty=Decimal("1"), price=Decimal("100"), fee=Decimal("0"), ts=TS)
    rate_window_fresh(key_value=str(user.pk))
    codes = [simulate(api_client, tradeId=trade.id, horizonDays=1).status_code for _ in range(11)]

    assert codes == [200] * 10 + [429]
    response = simulate(api_client, tradeId=trade.id, horizonDays=1)
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 60
    assert EventOutbox.objects.filter(type="simulation.ready").count() == 0


def _history(user) -> list:
    """Buys and sells of BTC-USD around TS (some matched FIFO within a day) and one ETH-USD buy."""
    candles_store(symbol="ETH-USD", first_open=OPEN, bars=ramp_bars(72, start=50))
    trades = []
    for k in range(20):
        trades.append(TradeFactory(user=user, side="BUY" if k % 3 else "SELL", qty=Decimal("0.5") + Decimal(k) / 10,
                                   price=Decimal(100 + k), fee=Decimal("0.1"), ts=TS + timedelta(hours=k, minutes=k)))
    trades.append(TradeFactory(user=user, symbol="ETH-USD", side="BUY", qty=Decimal("1"), price=Decimal("100"),
                               fee=Decimal("0"), ts=TS))
    return trades


def test_a_batch_costs_the_same_queries_as_one_simulation(user, market):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.simulations.services import SimulationAsk, simulation_request_many

    trades = _history(user)
    with CaptureQueriesContext(connection) as one:
        simulation_request_many(user=user, asks=[SimulationAsk(horizon_days=1, trade_id=trades[0].id)])
    with CaptureQueriesContext(connection) as many:
        answers = simulation_request_many(user=user, asks=[SimulationAsk(horizon_days=1, trade_id=t.id) for t in trades[1:]])
    with CaptureQueriesContext(connection) as again:  # all cached: the one input query
        simulation_request_many(user=user, asks=[SimulationAsk(horizon_days=1, trade_id=t.id) for t in trades])

    assert {a["status"] for a in answers} == {"done"} and len(answers) == 20
    assert Simulation.objects.count() == 21
    # the input query, then the insert: lz4 for the documents, a staging table copied into the table, in savepoints
    assert len(one.captured_queries) == len(many.captured_queries) == 11
    assert len(again.captured_queries) == 1


def test_a_batch_answers_what_single_simulations_answer(user, market):
    """Byte for byte: the batch, each ask alone, and the document computed from the whole-history readers."""
    import json

    from django.core.cache import cache

    from apps.simulations.counterfactual import candle_window
    from apps.simulations.counterfactual import simulate as engine
    from apps.simulations.selectors import bars_for, trade_fifo_pairs, trade_for_simulation
    from apps.simulations.services import SimulationAsk, simulation_request, simulation_request_many

    trades = _history(user)
    asks = [SimulationAsk(horizon_days=1 + k % 2, trade_id=t.id, pullback_pct=Decimal("1.5")) for k, t in enumerate(trades)]
    asks += [SimulationAsk(horizon_days=1, symbol="btc-usd"), SimulationAsk(horizon_days=2, trade_id=trades[3].id, pullback_pct=Decimal("1.5"))]

    batch = simulation_request_many(user=user, asks=asks)

    stored = {row.id: row.result for row in Simulation.objects.all()}
    assert len(stored) == len({a["simulationId"] for a in batch}) == len(trades) + 1  # the repeat is one row
    cache.clear()
    Simulation.objects.all().delete()
    for ask, answer in zip(asks, batch, strict=True):
        alone = simulation_request(user=user, horizon_days=ask.horizon_days, trade_id=ask.trade_id, symbol=ask.symbol,
                                   pullback_pct=ask.pullback_pct)
        values, quote = trade_for_simulation(user=user, trade_id=answer["tradeId"])
        _, end = candle_window(values.ts, ask.horizon_days)
        document = engine(trade=values, takes=trade_fifo_pairs(user_id=user.pk, trade=values, until=end),
                          bars=bars_for(symbol=values.symbol, start=candle_window(values.ts, ask.horizon_days)[0], end=end),
                          horizon_days=ask.horizon_days, pullback_pct=ask.pullback_pct, quote=quote)
        expected = json.dumps({"simulationId": answer["simulationId"], "status": "done", **document})
        assert json.dumps(answer) == json.dumps(alone) == expected
        assert stored[answer["simulationId"]] == document
    assert batch[-2]["tradeId"] == trades[19].id  # the latest BTC-USD trade


def test_a_batch_with_one_bad_ask_writes_nothing(user, market):
    from apps.core.errors import NotFound, Unprocessable
    from apps.simulations.services import SimulationAsk, simulation_request_many

    trades = _history(user)
    recent = TradeFactory(user=user, ts=datetime.now(UTC) - timedelta(days=1))

    with pytest.raises(NotFound):
        simulation_request_many(user=user, asks=[SimulationAsk(horizon_days=1, trade_id=trades[0].id),
                                                 SimulationAsk(horizon_days=1, trade_id="nope")])
    with pytest.raises(Unprocessable) as raised:
        simulation_request_many(user=user, asks=[SimulationAsk(horizon_days=1, trade_id=trades[0].id),
                                                 SimulationAsk(horizon_days=3, trade_id=recent.id)])
    assert raised.value.code == "candles_unavailable"
    assert Simulation.objects.count() == 0


@pytest.mark.parametrize("path", ["/api/simulations/" + "x" * 200, "/api/simulations/..%2F", "/api/simulations/a%20b"])
def test_a_malformed_simulation_id_is_404(api_client, path):
    assert api_client.get(path).status_code == 404


def test_malformed_trade_reference_is_404(api_client, user):
    assert simulate(api_client, tradeId="../x", horizonDays=1).status_code == 404
    assert simulate(api_client, tradeId="x" * 64, horizonDays=1).status_code == 404
    assert Simulation.objects.count() == 0


def test_both_request_contracts_are_served_and_name_json_paths(api_client, client):
    served = {c["name"]: c for c in client.get("/api/contracts/").json()["results"] if c["kind"] == "requests"}

    for name in ("simulation-simple", "simulation-rules"):
        assert served[name]["current"] == 1
        assert served[name]["schema"]["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    nested = api_client.post("/api/simulations/rules", {"since": "2026-01-01", "until": "2026-02-01",
                                                        "rules": [{"kind": "minHoldHours", "params": 3}]}, format="json")
    assert nested.status_code == 400
    assert nested.json()["error"]["fields"] == {"$.rules[0].params": ["3 is not of type 'object'"]}
    root = simulate(api_client)
    assert root.status_code == 400
    assert set(root.json()["error"]["fields"]) == {"$.horizonDays", "$.tradeId", "$.symbol"}
    assert Simulation.objects.count() == 0


def test_the_one_query_inputs_match_fifo_over_the_whole_history(user, market):
    """Buys, sells, sales beyond what is open (FIFO drops the excess), ties at one time: for every trade the
    one-statement inputs pair it with exactly what matching over the whole history does."""
    from apps.simulations.counterfactual import candle_window
    from apps.simulations.selectors import bars_for, simulation_inputs, trade_fifo_pairs, trade_for_simulation

    sides = "BBSBSSSBBBSBSSBSBB"
    qtys = ["1", "0.5", "0.7", "2", "1.5", "1", "0.3", "0.25", "1", "0.75", "1.2", "0.4", "2.5", "0.1", "1", "0.6",
            "0.9", "0.2"]
    for k, (side, qty) in enumerate(zip(sides, qtys, strict=True)):
        TradeFactory(user=user, side="BUY" if side == "B" else "SELL", qty=Decimal(qty), price=Decimal(100 + k),
                     fee=Decimal("0.1"), ts=TS + timedelta(hours=k // 3))  # three trades share each hour
    TradeFactory(user=user, symbol="ETH-USD", side="SELL", qty=Decimal("5"), ts=TS)  # another market: ignored
    # alone in their hours, whatever order ties take: a sale of more than is open, then one with nothing left
    TradeFactory(user=user, side="SELL", qty=Decimal("100"), price=Decimal("130"), fee=Decimal("0.1"),
                 ts=TS + timedelta(hours=6))
    TradeFactory(user=user, side="SELL", qty=Decimal("1"), price=Decimal("131"), fee=Decimal("0.1"),
                 ts=TS + timedelta(hours=7))

    matched = set()
    for trade in user.trades.filter(symbol="BTC-USD"):
        values, quote = trade_for_simulation(user=user, trade_id=trade.id)
        start, end = candle_window(values.ts, 1)
        inputs = simulation_inputs(user=user, trade_id=trade.id, horizon_days=1)

        assert (inputs.trade, inputs.quote) == (values, quote)
        expected_takes = trade_fifo_pairs(user_id=user.pk, trade=values, until=end)
        if values.side == "BUY":
            assert inputs.takes == expected_takes
        else:  # a sale's lots: what its P/L reads of them (the whole-history reader leaves out their id and time)
            assert [(lot.qty, lot.price, lot.fee, take) for lot, take in inputs.takes] == \
                [(lot.qty, lot.price, lot.fee, take) for lot, take in expected_takes]
            matched.add(bool(inputs.takes))
        expected = bars_for(symbol="BTC-USD", start=start, end=end)
        assert inputs.bars.open_ns.tolist() == expected.open_ns.tolist()
        assert inputs.bars.close.tolist() == expected.close.tolist()
        assert inputs.bars.low.tolist() == expected.low.tolist()
    assert matched == {True, False}  # sales that closed lots, and one past everything open
    assert simulation_inputs(user=user, symbol="btc-usd", horizon_days=1).trade.ts == TS + timedelta(hours=7)
