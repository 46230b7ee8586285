"""Adapters against the stub exchange: paging, retries, circuit breaker, normalisation."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from apps.brokers.adapters.binance import BinanceAdapter, trade_to_dto
from apps.brokers.adapters.coinbase import CoinbaseAdapter, fill_to_dto
from apps.brokers.adapters.errors import BrokerError, BrokerUnavailable
from apps.brokers.services import connection_adapter
from apps.brokers.stub import READ_ONLY_KEY, READ_ONLY_SECRET

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def _all_pages(adapter, since, until):
    items, cursor, pages = [], None, 0
    while True:
        page = adapter.fetch_trades(since=since, until=until, cursor=cursor)
        items.extend(page.items)
        pages += 1
        if page.next_cursor is None:
            return items, pages
        cursor = page.next_cursor


def _window(stub):
    until = stub.state.anchor + timedelta(hours=1)
    return until - timedelta(days=31), until


def test_coinbase_pages_every_fill_exactly_once_through_429_and_5xx(stub_exchange, coinbase_connection):
    stub_exchange.state.set_trade_count(1200)
    stub_exchange.state.fail_next(429, times=2, retry_after=0.01, path_contains="/fills")
    stub_exchange.state.fail_next(503, times=2, path_contains="/fills")
    adapter = connection_adapter(connection=coinbase_connection)
    adapter.page_size = 250
    since, until = _window(stub_exchange)

    items, pages = _all_pages(adapter, since, until)

    expected = {row["entry_id"] for row in stub_exchange.state.coinbase_fills()}
    assert len(items) == 1200
    assert {t.ext_id for t in items} == expected
    assert pages == 5
    assert stub_exchange.state.hits["GET /api/v3/brokerage/orders/historical/fills"] == 5 + 4
    assert all(t.symbol in {"BTC-USD", "ETH-USD", "SOL-USD"} and t.quote_asset == "USD" for t in items)
    assert all(isinstance(t.qty, Decimal) and t.qty > 0 and t.ts.tzinfo is not None for t in items)


def test_binance_pages_per_symbol_through_failures(stub_exchange, binance_connection):
    stub_exchange.state.set_trade_count(2500)
    stub_exchange.state.fail_next(429, times=1, retry_after=0.01, path_contains="/myTrades")
    stub_exchange.state.fail_next(500, times=2, path_contains="/myTrades")
    adapter = connection_adapter(connection=binance_connection)
    assert isinstance(adapter, BinanceAdapter)
    since, until = _window(stub_exchange)

    items, _pages = _all_pages(adapter, since, until)

    expected = {f"{symbol}:{row['id']}" for symbol, rows in stub_exchange.state.binance_trades().items() for row in rows}
    assert len(items) == 2500
    assert {t.ext_id for t in items} == expected
    assert {t.symbol for t in items} == {"BTC-USDT", "ETH-USDT", "SOL-USDT"}


def test_retries_exhausted_raise_broker_error_and_breaker_opens(stub_exchange, settings):
    settings.BROKER_HTTP_MAX_ATTEMPTS = 3
    settings.BROKER_CIRCUIT_THRESHOLD = 5
    stub_exchange.state.fail_next(502, times=100, path_contains="/candles")
    adapter = CoinbaseAdapter()
    start = stub_exchange.state.anchor - timedelta(days=2)

    with pytest.raises(BrokerError) as first:
        adapter.fetch_ohlcv(symbol="BTC-USD", granularity="1h", start=start, end=stub_exchange.state.anchor)
    assert "did not answer after 3 attempts (HTTP 502)" in first.value.message
    assert not isinstance(first.value, BrokerUnavailable)
    with pytest.raises(BrokerError):
        adapter.fetch_ohlcv(symbol="BTC-USD", granularity="1h", start=start, end=stub_exchange.state.anchor)
    hits_before = stub_exchange.state.hits["GET market/candles"]
    assert hits_before == 5  # 3 + 2: the breaker opened on the 5th consecutive failure

    with pytest.raises(BrokerUnavailable):
        adapter.fetch_ohlcv(symbol="BTC-USD", granularity="1h", start=start, end=stub_exchange.state.anchor)
    assert stub_exchange.state.hits["GET market/candles"] == hits_before


def test_retry_after_is_honoured(stub_exchange, settings):
    settings.BROKER_RETRY_AFTER_CAP = 5
    stub_exchange.state.fail_next(429, times=1, retry_after=0.6, path_contains="/candles")
    adapter = CoinbaseAdapter()
    import time

    began = time.monotonic()
    candles = adapter.fetch_ohlcv(symbol="ETH-USD", granularity="1h", start=stub_exchange.state.anchor - timedelta(hours=5),
                                  end=stub_exchange.state.anchor)
    assert time.monotonic() - began >= 0.6
    assert len(candles) == 5


def test_coinbase_candles_page_by_300_ascending(stub_exchange):
    adapter = CoinbaseAdapter()
    end = stub_exchange.state.anchor
    start = end - timedelta(hours=700)
    candles = adapter.fetch_ohlcv(symbol="BTC-USD", granularity="1h", start=start, end=end)
    assert stub_exchange.state.hits["GET market/candles"] == 3
    assert len(candles) == 700
    assert [c.ts for c in candles] == sorted(c.ts for c in candles)
    assert candles[0].ts == start and candles[-1].ts == end - timedelta(hours=1)


def test_binance_klines_page_by_1000(stub_exchange):
    adapter = BinanceAdapter()
    end = stub_exchange.state.anchor
    start = end - timedelta(hours=1500)
    candles = adapter.fetch_ohlcv(symbol="BTC-USDT", granularity="1h", start=start, end=end)
    assert len(candles) == 1500
    assert stub_exchange.state.hits["GET /binance/api/v3/klines"] == 2
    assert candles[0].ts == start


def test_coinbase_fill_normalisation_cases():
    base = {"entry_id": "e1", "trade_id": "t1", "product_id": "BTC-USD", "price": "50000", "size": "0.1",
            "commission": "3.5", "side": "BUY", "trade_type": "FILL", "trade_time": "2023-11-26T10:19:47.504Z",
            "size_in_quote": False}
    fill = fill_to_dto(base)
    assert (fill.ext_id, fill.side, fill.qty, fill.price, fill.fee, fill.fee_asset) == (
        "e1", "BUY", Decimal("0.1"), Decimal("50000"), Decimal("3.5"), "USD")
    assert fill.ts == datetime(2023, 11, 26, 10, 19, 47, 504000, tzinfo=UTC)
    in_quote = fill_to_dto({**base, "size": "1000", "size_in_quote": True, "trade_time": "2023-11-26T10:19:50.552204Z"})
    assert in_quote.qty == Decimal("0.02") and in_quote.ts.microsecond == 552204
    reversal = fill_to_dto({**base, "entry_id": "e2", "trade_type": "REVERSAL", "trade_time": "2023-11-26T10:19:47Z"})
    assert (reversal.ext_id, reversal.side, reversal.qty) == ("e2", "SELL", Decimal("0.1"))
    with pytest.raises(BrokerError):
        fill_to_dto({**base, "price": "abc"})


def test_binance_trade_normalisation_accepts_string_integers_and_fee_assets():
    raw = {"symbol": "BNBBTC", "id": "28457", "orderId": 100234, "price": "4.00000100", "qty": "12.00000000",
           "quoteQty": "48.000012", "commission": "10.10000000", "commissionAsset": "BNB", "time": "1499865549590",
           "isBuyer": True, "isMaker": False, "isBestMatch": True}
    trade = trade_to_dto(raw)
    assert (trade.ext_id, trade.symbol, trade.side, trade.fee_asset) == ("BNBBTC:28457", "BNB-BTC", "BUY", "BTC")
    assert trade.fee == Decimal("10.10000000") * Decimal("4.00000100")
    assert trade.ts == datetime(2017, 7, 12, 13, 19, 9, 590000, tzinfo=UTC)
    sell = trade_to_dto({**raw, "symbol": "DOGEFDUSD", "isBuyer": False, "commissionAsset": "FDUSD"})
    assert (sell.symbol, sell.side, sell.fee, sell.fee_asset) == ("DOGE-FDUSD", "SELL", Decimal("10.10000000"), "FDUSD")


def test_direct_binance_adapter_with_readonly_key(stub_exchange):
    adapter = BinanceAdapter(api_key=READ_ONLY_KEY, api_secret=READ_ONLY_SECRET)
    assert adapter.key_permissions()["enableReading"] is True


def test_reversal_and_correction_net_out_to_the_corrected_fill(stub_exchange, coinbase_connection):
    stub_exchange.state.set_trade_count(50)
    stub_exchange.state.set_adjustments(3)
    adapter = connection_adapter(connection=coinbase_connection)
    since, until = _window(stub_exchange)

    items, _pages = _all_pages(adapter, since, until)

    rows = {row["entry_id"]: row for row in stub_exchange.state.coinbase_fills()}
    assert len(items) == 56 and len({t.ext_id for t in items}) == 56
    by_trade: dict[str, list] = {}
    for item in items:
        by_trade.setdefault(rows[item.ext_id]["trade_id"], []).append(item)
    adjusted = [group for group in by_trade.values() if len(group) > 1]
    assert len(adjusted) == 3
    for group in adjusted:
        kinds = {rows[t.ext_id]["trade_type"]: t for t in group}
        assert set(kinds) == {"FILL", "REVERSAL", "CORRECTION"}
        original, reversal, correction = kinds["FILL"], kinds["REVERSAL"], kinds["CORRECTION"]
        assert reversal.side != original.side and reversal.qty == original.qty
        assert correction.side == original.side
        assert correction.price == original.price * Decimal("1.001")


def test_slow_exchange_times_out_into_a_readable_error(stub_exchange, settings):
    settings.BROKER_HTTP_TIMEOUT = 0.2
    settings.BROKER_HTTP_MAX_ATTEMPTS = 2
    stub_exchange.state.latency = 0.6
    with pytest.raises(BrokerError, match=r"Coinbase did not answer after 2 attempts \(ReadTimeout\)"):
        CoinbaseAdapter().fetch_ohlcv(symbol="BTC-USD", granularity="1h",
                                      start=stub_exchange.state.anchor - timedelta(hours=3),
                                      end=stub_exchange.state.anchor)


def test_stub_enforces_binance_parameter_rules(stub_exchange):
    adapter = BinanceAdapter(api_key=READ_ONLY_KEY, api_secret=READ_ONLY_SECRET)
    day = 24 * 3600 * 1000
    with pytest.raises(BrokerError, match="More than 24 hours"):
        adapter._signed_get("/api/v3/myTrades", {"symbol": "BTCUSDT", "startTime": 0, "endTime": day + 1})
    with pytest.raises(BrokerError, match="Combination of optional parameters invalid"):
        adapter._signed_get("/api/v3/myTrades", {"symbol": "BTCUSDT", "startTime": 0, "fromId": 1})
    assert adapter._signed_get("/api/v3/myTrades", {"symbol": "NOPEUSDT"}, allow_invalid_symbol=True) is None
