"""The disposition effect on the summary: per-day counts stored by scoring, summed over since/until."""
from datetime import UTC, date, datetime, timedelta

import pytest

from apps.bias.engine import TradeInput, score_trades
from apps.bias.models import DispositionDay
from apps.bias.services import bias_score_trades
from apps.bias.services.payloads import candle_window, stored_candles

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def day_row(user, day, *, rg=0, rl=0, pg=0, pl=0, unpriced=0, unknown=0, counted=True):
    return DispositionDay.objects.create(user=user, day=day, realized_gains=rg, realized_losses=rl, paper_gains=pg,
                                         paper_losses=pl, paper_unpriced=unpriced, sales_unknown=unknown,
                                         counted=counted, engine_version="test")


def summary(api_client, **params):
    response = api_client.get("/api/bias/summary", params)
    assert response.status_code == 200
    return response.json()["disposition"]


def test_the_period_selects_sale_days_and_sums_their_counts(api_client, user, other_user):
    day_row(user, date(2026, 3, 1), rg=2, pl=1)
    day_row(user, date(2026, 3, 2), rl=1, pg=3, unpriced=1)
    day_row(user, date(2026, 3, 3), counted=False, unknown=2)
    day_row(user, date(2026, 3, 4), rg=1, pl=4)
    day_row(other_user, date(2026, 3, 2), rg=50, pg=50)

    whole = summary(api_client, since="2026-03-01", until="2026-03-04")
    assert (whole["realizedGains"], whole["realizedLosses"], whole["paperGains"], whole["paperLosses"]) == (3, 1, 3, 5)
    assert (whole["saleDays"], whole["singleMarketDays"], whole["salesUnknown"], whole["paperUnpriced"]) == (4, 1, 2, 1)
    assert whole["pgr"] == 0.5 and whole["plr"] == pytest.approx(1 / 6, abs=1e-6)
    assert whole["effect"] == pytest.approx(1 / 3, abs=1e-6)
    se = (0.5 * 0.5 / 6 + (1 / 6) * (5 / 6) / 6) ** 0.5
    assert whole["standardError"] == pytest.approx(se, abs=1e-6)
    assert whole["tStat"] == pytest.approx((1 / 3) / se, abs=1e-5)
    assert whole["significance"] == "too_few"

    # `until` as a date includes that day; as a time, a day counts when part of it lies before it
    second_only = summary(api_client, since="2026-03-02", until="2026-03-02")
    assert (second_only["realizedLosses"], second_only["paperGains"], second_only["saleDays"]) == (1, 3, 1)
    assert second_only["pgr"] == 0.0 and second_only["plr"] == 1.0
    partial = summary(api_client, since="2026-03-01T18:00:00Z", until="2026-03-02T00:00:01Z")
    assert (partial["realizedGains"], partial["paperLosses"], partial["realizedLosses"]) == (2, 1, 1)
    assert summary(api_client, since="2026-03-05", until="2026-03-09") is None


def test_scoring_stores_the_engines_sale_days(api_client, user, market_trades):
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])

    inputs = [TradeInput(id=t.id, symbol=t.symbol, side=t.side, qty=t.qty, price=t.price, fee=t.fee, ts=t.ts)
              for t in market_trades]
    start, end = candle_window(min(t.ts for t in market_trades), max(t.ts for t in market_trades))
    candles = {symbol: stored_candles(symbol=symbol, start=start, end=end) for symbol in ("BTC-USD", "ETH-USD")}
    expected = score_trades(trades=inputs, candles=candles).disposition
    stored = {row.day.isoformat(): (row.realized_gains, row.realized_losses, row.paper_gains, row.paper_losses,
                                    row.counted)
              for row in DispositionDay.objects.filter(user=user)}
    assert stored == {d["date"]: (d["RG"], d["RL"], d["PG"], d["PL"], d["counted"]) for d in expected["days"]}
    sale_days = {t.ts.astimezone(UTC).date().isoformat() for t in market_trades if t.side == "SELL"}
    assert set(stored) == sale_days
    assert sum(1 for counted in stored.values() if counted[4]) >= 2

    first = min(t.ts for t in market_trades)
    body = summary(api_client, since=(first - timedelta(days=1)).isoformat(), until=datetime.now(UTC).isoformat())
    assert (body["realizedGains"], body["realizedLosses"], body["paperGains"], body["paperLosses"]) == (
        expected["RG"], expected["RL"], expected["PG"], expected["PL"])
    assert body["saleDays"] == expected["sale_days"]

    # re-scoring replaces the days, never duplicates them
    bias_score_trades(user_id=user.id, trade_ids=[t.id for t in market_trades])
    assert DispositionDay.objects.filter(user=user).count() == len(stored)
