"""Candles fetched while an import pages: a head start for scoring that can never fail or block an import."""
from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest

from apps.bias.models import BiasTag
from apps.bias.services.payloads import candle_window
from apps.brokers.models import Candle
from apps.brokers.services import candles_prefetch_start, candles_prefetch_wait
from apps.trades.imports import import_job_start
from apps.trades.models import Trade

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _trades(stub, symbol: str, hours_back: list[int]) -> list[SimpleNamespace]:
    return [SimpleNamespace(symbol=symbol, ts=stub.state.anchor - timedelta(hours=h)) for h in hours_back]


@pytest.mark.django_db(transaction=True)
def test_a_prefetch_stores_the_window_scoring_will_read(stub_exchange):
    trades = _trades(stub_exchange, "BTC-USD", [200, 50]) + _trades(stub_exchange, "ETH-USD", [100])

    future = candles_prefetch_start(trades=trades)
    candles_prefetch_wait([future])

    assert future.done() and future.result() > 0
    for symbol, first, last in (("BTC-USD", trades[0].ts, trades[1].ts), ("ETH-USD", trades[2].ts, trades[2].ts)):
        start, end = candle_window(first, last)
        end = min(end, stub_exchange.state.anchor)  # only closed bars exist
        expected = len(stub_exchange.state.market.candles(symbol.split("-")[0], seconds=3600,
                                                          start=int(start.timestamp()), end=int(end.timestamp()),
                                                          now=int(end.timestamp())))
        assert Candle.objects.filter(symbol=symbol, ts__gte=start, ts__lt=end).count() == expected > 700


@pytest.mark.django_db
def test_inside_a_transaction_nothing_is_prefetched(stub_exchange):
    assert candles_prefetch_start(trades=_trades(stub_exchange, "BTC-USD", [10])) is None
    assert stub_exchange.state.hits["GET market/candles"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_failing_prefetch_is_logged_and_swallowed(stub_exchange, caplog):
    stub_exchange.state.fail_next(500, times=1000, path_contains="/candles")

    with caplog.at_level(logging.WARNING, logger="apps.bias.services.prefetch"):
        future = candles_prefetch_start(trades=_trades(stub_exchange, "BTC-USD", [10]))
        candles_prefetch_wait([future])

    assert future.result() == 0
    assert "prefetching candles" in caplog.text
    assert Candle.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_an_import_fetches_candles_while_it_is_still_paging(stub_exchange, coinbase_connection, user):
    stub_exchange.state.set_trade_count(1234)  # three pages of fills
    # Each answer takes as long as a real exchange's: the next page is fetched while one is stored, so with
    # instant answers the last page may be asked for before the candle check of the first page is through.
    stub_exchange.state.latency = 0.3
    anchor = stub_exchange.state.anchor

    job = import_job_start(user=user, broker="coinbase", since=anchor - timedelta(days=30), until=anchor)

    job.refresh_from_db()
    assert (job.status, job.pages) == ("done", 3)
    calls = list(stub_exchange.state.calls)
    fills = [i for i, call in enumerate(calls) if "/fills" in call]
    candles = [i for i, call in enumerate(calls) if call.endswith("candles")]
    assert len(fills) == 3 and candles
    assert candles[0] < fills[-1]  # candles were on their way before the last page of fills was asked for
    assert Trade.objects.filter(user=user).count() == 1234
    assert BiasTag.objects.filter(trade__user=user).values("trade").distinct().count() == 1234
