"""MARKET_DATA_FALLBACK=ccxt:<exchange>: candles of a symbol the configured exchange does not list come from
another exchange through ccxt (pinned), here Kraken's wire format served by the stub on loopback."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from apps.brokers.models import Candle, CandleChunk
from apps.brokers.services import candles_ensure

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]

OHLC = "GET /kraken/0/public/OHLC"


@pytest.fixture
def kraken_fallback(stub_exchange, settings):
    settings.MARKET_DATA_FALLBACK = "ccxt:kraken"
    settings.MARKET_DATA_FALLBACK_API_BASE = stub_exchange.kraken_api_base
    return stub_exchange


def _recent(stub, hours: int):
    end = stub.state.anchor.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    return end - timedelta(hours=hours), end


def _stored(symbol: str, granularity: str = "1h", start=None, end=None):
    rows = Candle.objects.filter(symbol=symbol, granularity=granularity)
    if start is not None:
        rows = rows.filter(ts__gte=start, ts__lt=end)
    return list(rows.order_by("ts").values_list("ts", "open", "high", "low", "close", "volume"))


def test_a_symbol_coinbase_does_not_list_is_read_from_the_fallback_exchange_exactly(kraken_fallback):
    stub = kraken_fallback
    start, end = _recent(stub, 48)

    added = candles_ensure(symbol="BTC-EUR", granularity="1h", start=start, end=end)

    bars = stub.state.market.candles("BTC", seconds=3600, start=int(start.timestamp()), end=int(end.timestamp()),
                                     now=int(end.timestamp()))
    assert len(bars) == 48 and added >= 48  # the whole stored chunk around the window comes with it
    assert [(ts.timestamp(), *values) for ts, *values in _stored("BTC-EUR", "1h", start, end)] == [
        (bar.ts, bar.open, bar.high, bar.low, bar.close, Decimal(f"{bar.volume:.8f}")) for bar in bars]
    assert stub.state.hits["GET market/candles"] >= 1  # Coinbase was asked first and said it has no BTC-EUR
    assert stub.state.hits["GET /kraken/0/public/AssetPairs"] == 1
    assert set(CandleChunk.objects.filter(symbol="BTC-EUR").values_list("source", flat=True)) == {"ccxt:kraken"}


def test_once_served_by_the_fallback_the_symbol_goes_there_first_and_stored_windows_are_not_fetched_again(
        kraken_fallback):
    stub = kraken_fallback
    start, end = _recent(stub, 24)
    candles_ensure(symbol="ETH-EUR", granularity="1h", start=start, end=end)
    coinbase_hits, kraken_hits = stub.state.hits["GET market/candles"], stub.state.hits[OHLC]

    assert candles_ensure(symbol="ETH-EUR", granularity="1h", start=start, end=end) == 0
    earlier = (start - timedelta(hours=400), start - timedelta(hours=300))
    candles_ensure(symbol="ETH-EUR", granularity="1h", start=earlier[0], end=earlier[1])

    assert len(_stored("ETH-EUR", "1h", *earlier)) == 100
    assert stub.state.hits["GET market/candles"] == coinbase_hits
    assert stub.state.hits[OHLC] > kraken_hits


def test_without_a_fallback_an_unlisted_symbol_gets_no_candles(stub_exchange):
    start, end = _recent(stub_exchange, 24)

    assert candles_ensure(symbol="BTC-EUR", granularity="1h", start=start, end=end) == 0

    assert _stored("BTC-EUR") == [] and not CandleChunk.objects.filter(symbol="BTC-EUR").exists()
    assert stub_exchange.state.hits[OHLC] == 0


def test_a_symbol_neither_exchange_lists_writes_nothing(kraken_fallback):
    start, end = _recent(kraken_fallback, 24)

    assert candles_ensure(symbol="DOGE-EUR", granularity="1h", start=start, end=end) == 0

    assert _stored("DOGE-EUR") == [] and not CandleChunk.objects.filter(symbol="DOGE-EUR").exists()
    assert kraken_fallback.state.hits[OHLC] == 0  # its markets list already says no


def test_a_granularity_the_fallback_exchange_does_not_have_writes_nothing(kraken_fallback):
    start, end = _recent(kraken_fallback, 48)

    assert candles_ensure(symbol="SOL-EUR", granularity="6h", start=start, end=end) == 0

    assert _stored("SOL-EUR", "6h") == [] and kraken_fallback.state.hits[OHLC] == 0


def test_an_exchange_ccxt_does_not_know_is_no_fallback(stub_exchange, settings):
    settings.MARKET_DATA_FALLBACK = "ccxt:no-such-exchange"
    start, end = _recent(stub_exchange, 24)

    assert candles_ensure(symbol="BTC-EUR", granularity="1h", start=start, end=end) == 0
    assert _stored("BTC-EUR") == []


def test_a_fallback_naming_no_exchange_is_flagged_by_the_system_checks(settings):
    from apps.brokers.checks import market_data_fallback_known

    settings.MARKET_DATA_FALLBACK = "ccxt:no-such-exchange"
    assert [warning.id for warning in market_data_fallback_known(None)] == ["brokers.W002"]
    settings.MARKET_DATA_FALLBACK = "ccxt:kraken"
    assert market_data_fallback_known(None) == []
