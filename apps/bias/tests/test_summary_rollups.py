"""The summary read from the daily label rollups equals a full recomputation over the tags, trades and
positions — for random histories and random since/until windows (part-days at either end included) —
and costs a fixed number of queries whatever the length of the history."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.bias.engine_io import decimal_str
from apps.bias.models import BiasTag, LabelDay, TradePosition
from apps.bias.services import bias_score_trades
from apps.bias.services.rollups import label_days_rebuild
from apps.bias.services.scoring import bias_rescore_user
from apps.bias.summary import bias_summary
from apps.core.readcache import user_data_changed
from apps.trades.models import Trade
from apps.trades.testing import TradeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

T0 = datetime(2026, 5, 1, tzinfo=UTC)
SYMBOLS = ("BTC-USD", "ETH-USD", "ETH-BTC")
LABELS = ("FOMO", "PANIC", "DISCIPLINE", "OVERTRADING", "NONE")
SPAN_S = 9 * 24 * 3600


def full_summary(*, user, since: datetime, until: datetime) -> dict:
    """The oracle: every tag, trade and position of the period read one by one and counted in Python."""
    per_day: dict = defaultdict(lambda: defaultdict(int))
    per_label: dict = {}
    positions = dict(TradePosition.objects.filter(user=user).values_list("trade_id", "realized_pnl"))
    for trade_id, label, ts, symbol in BiasTag.objects.filter(trade__user=user).values_list(
            "trade_id", "label", "trade__ts", "trade__symbol"):
        if not since <= ts < until:
            continue
        per_day[ts.astimezone(UTC).date().isoformat()][label] += 1
        entry = per_label.setdefault(label, [0, 0, defaultdict(Decimal)])
        entry[0] += 1
        pnl = positions.get(trade_id)
        if pnl is not None:
            entry[1] += 1
            entry[2][symbol.rsplit("-", 1)[-1]] += pnl
    trades = sum(1 for ts in Trade.objects.filter(user=user).values_list("ts", flat=True) if since <= ts < until)
    return {
        "trades": trades,
        "labelsPerDay": [{"date": day, "counts": dict(sorted(counts.items()))} for day, counts in sorted(per_day.items())],
        "pnlByLabel": [{"label": label, "trades": n, "withRealizedPnl": known,
                        "realizedPnl": ({q: decimal_str(v) for q, v in sorted(pnl.items())} if known else None)}
                       for label, (n, known, pnl) in sorted(per_label.items())],
    }


def read(user, since, until) -> dict:
    body = bias_summary(user=user, since=since, until=until)
    return {key: body[key] for key in ("trades", "labelsPerDay", "pnlByLabel")}


trade_spec = st.tuples(
    st.integers(0, SPAN_S),  # seconds after T0
    st.sampled_from(SYMBOLS),
    st.lists(st.sampled_from(LABELS), min_size=0, max_size=2, unique=True),  # no tag: stored, not labelled yet
    st.one_of(st.none(), st.decimals(min_value=-500, max_value=500, places=6, allow_nan=False)),
)
window = st.tuples(st.integers(-86400, SPAN_S + 86400), st.integers(1, SPAN_S + 2 * 86400))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=st.lists(trade_spec, min_size=0, max_size=40), windows=st.lists(window, min_size=1, max_size=4),
       rebuild_from=st.one_of(st.none(), st.integers(0, SPAN_S)), micro=st.integers(0, 999_999))
def test_the_rollup_summary_equals_a_full_recomputation(user, history, windows, rebuild_from, micro):
    Trade.objects.filter(user=user).delete()
    LabelDay.objects.filter(user=user).delete()
    trades = [TradeFactory(user=user, symbol=symbol, ts=T0 + timedelta(seconds=at, microseconds=micro))
              for at, symbol, _, _ in history]
    BiasTag.objects.bulk_create([BiasTag(trade=trade, label=label, confidence=Decimal("0.5"), features={})
                                 for trade, (_, _, labels, _) in zip(trades, history, strict=True)
                                 for label in labels])
    TradePosition.objects.bulk_create([TradePosition(trade=trade, user=user, symbol=trade.symbol, realized_pnl=pnl)
                                       for trade, (_, _, _, pnl) in zip(trades, history, strict=True)])
    label_days_rebuild(user_id=user.id)
    if rebuild_from is not None:  # a later run changes the labels from some day on and rebuilds from there
        cut = T0 + timedelta(seconds=rebuild_from)
        later = [t for t in trades if t.ts >= cut]
        BiasTag.objects.filter(trade__in=later).delete()
        BiasTag.objects.bulk_create([BiasTag(trade=t, label="REVENGE", confidence=Decimal("0.5"), features={})
                                     for t in later])
        TradePosition.objects.filter(trade__in=later).update(realized_pnl=Decimal("1.25"))
        label_days_rebuild(user_id=user.id, since=cut)
    for start, length in windows:
        since = T0 + timedelta(seconds=start, microseconds=micro // 2)
        until = since + timedelta(seconds=length)
        assert read(user, since, until) == full_summary(user=user, since=since, until=until)
    # whole days exactly (no part-days: rollups alone)
    assert read(user, T0, T0 + timedelta(days=10)) == full_summary(user=user, since=T0, until=T0 + timedelta(days=10))


@pytest.mark.redis
def test_scoring_and_rescoring_keep_the_rollups_equal_to_a_full_recomputation(user, market_trades):
    bias_score_trades(user_id=user.id, trade_ids=[])
    since, until = market_trades[0].ts - timedelta(hours=5), market_trades[-1].ts + timedelta(hours=1)
    assert read(user, since, until) == full_summary(user=user, since=since, until=until)
    assert read(user, since, until)["trades"] == len(market_trades)
    assert LabelDay.objects.filter(user=user).exists()
    # a late, older trade re-labels the later ones; the rollups follow in the same transaction
    TradeFactory(user=user, symbol="BTC-USD", side="BUY", qty=Decimal("0.3"), price=market_trades[0].price,
                 ts=market_trades[0].ts + timedelta(minutes=30))
    bias_score_trades(user_id=user.id, trade_ids=[])
    assert read(user, since, until) == full_summary(user=user, since=since, until=until)
    LabelDay.objects.filter(user=user).delete()
    bias_rescore_user(user_id=user.id)
    assert read(user, since, until) == full_summary(user=user, since=since, until=until)
    assert read(user, since, until)["trades"] == len(market_trades) + 1


def _history(user, days: int, per_day: int) -> None:
    trades = [TradeFactory.build(user=user, symbol=SYMBOLS[n % 3], ts=T0 + timedelta(days=d, minutes=n * 7))
              for d in range(days) for n in range(per_day)]
    Trade.objects.bulk_create(trades)
    BiasTag.objects.bulk_create([BiasTag(trade=t, label=LABELS[i % 5], confidence=Decimal("0.5"), features={})
                                 for i, t in enumerate(trades)])
    TradePosition.objects.bulk_create([TradePosition(trade=t, user=user, symbol=t.symbol,
                                                     realized_pnl=Decimal(i % 7 - 3)) for i, t in enumerate(trades)])
    label_days_rebuild(user_id=user.id)


@pytest.mark.parametrize("days", [2, 120])
def test_the_summary_endpoint_is_a_fixed_number_of_queries(api_client, user, days, django_assert_num_queries):
    _history(user, days, per_day=12)
    params = {"since": "2026-04-30T06:00:00Z", "until": "2026-09-01T13:30:00Z"}
    api_client.get("/api/bias/summary", params)  # the session and user are loaded once per request
    user_data_changed(user.id)  # as a write does: the next answer is built again
    # the user, rollups ×2, part-days ×2, any trade, disposition (the session comes from the cache)
    with django_assert_num_queries(7):
        body = api_client.get("/api/bias/summary", params).json()
    assert body["trades"] == days * 12
    with django_assert_num_queries(0):  # the session, the user and the answer come from the cache
        assert api_client.get("/api/bias/summary", params).json() == body
