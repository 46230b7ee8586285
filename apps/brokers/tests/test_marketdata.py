"""Market data: fetch missing ranges once, store closed candles, cached frames, backfill, snapshots."""
from __future__ import annotations

import gzip
import hashlib
import io
from datetime import timedelta

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.brokers.models import Candle, CandleChunk, MarketSnapshot
from apps.brokers.selectors import candle_frame
from apps.brokers.services import candles_ensure, candles_ensure_many, market_snapshot_write, market_snapshots_weekly
from apps.core.errors import ValidationFailed

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def _window(stub, hours: int):
    end = stub.state.anchor
    return end - timedelta(hours=hours), end


def test_ensure_stores_candles_once_and_frame_reads_them(stub_exchange):
    start, end = _window(stub_exchange, 400)

    added = candles_ensure(symbol="BTC-USD", granularity="1h", start=start, end=end)

    hits = stub_exchange.state.hits["GET market/candles"]
    assert added >= 400
    assert Candle.objects.filter(symbol="BTC-USD", granularity="1h", ts__gte=start, ts__lt=end).count() == 400
    assert candles_ensure(symbol="BTC-USD", granularity="1h", start=start, end=end) == 0
    assert stub_exchange.state.hits["GET market/candles"] == hits  # complete chunks are not fetched again

    frame = candle_frame(symbol="BTC-USD", granularity="1h", start=start, end=end)
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(frame[c].dtype == np.float64 for c in frame.columns)
    assert str(frame.index.tz) == "UTC"
    assert len(frame) == 400 and frame.index.is_monotonic_increasing
    assert frame.index[0] == start and frame.index[-1] == end - timedelta(hours=1)
    stored = Candle.objects.get(symbol="BTC-USD", granularity="1h", ts=start)
    assert frame.iloc[0]["close"] == float(stored.close)


def test_gaps_stay_gaps_and_are_not_refetched(stub_exchange):
    start, end = _window(stub_exchange, 24 * 60)
    candles_ensure(symbol="SOL-USD", granularity="1h", start=start, end=end)
    stored = Candle.objects.filter(symbol="SOL-USD", granularity="1h", ts__gte=start, ts__lt=end).count()
    expected = len(stub_exchange.state.market.candles("SOL", seconds=3600, start=int(start.timestamp()),
                                                      end=int(end.timestamp()), now=int(end.timestamp())))
    assert stored == expected < 24 * 60  # the stub leaves ~1% of hours without trades
    hits = stub_exchange.state.hits["GET market/candles"]
    assert candles_ensure(symbol="SOL-USD", granularity="1h", start=start, end=end) == 0
    assert stub_exchange.state.hits["GET market/candles"] == hits


def test_open_bars_are_not_stored(stub_exchange):
    now = timezone.now()
    candles_ensure(symbol="ETH-USD", granularity="1h", start=now - timedelta(hours=5), end=now)
    latest = Candle.objects.filter(symbol="ETH-USD").order_by("-ts").first()
    assert latest.ts + timedelta(hours=1) <= now
    # Five hours may straddle a chunk boundary: the chunk holding the current hour is the open one,
    # and any chunk before it lies wholly in the past.
    chunks = list(CandleChunk.objects.filter(symbol="ETH-USD").order_by("start"))
    assert 1 <= len(chunks) <= 2
    chunk = chunks[-1]
    assert chunk.is_complete is False
    assert all(earlier.is_complete for earlier in chunks[:-1])
    hour = now.replace(minute=0, second=0, microsecond=0)
    assert chunk.covered_until in (hour, hour + timedelta(hours=1))  # the hour may turn during the test


def test_usdt_pairs_come_from_binance_klines(stub_exchange):
    start, end = _window(stub_exchange, 48)
    added = candles_ensure(symbol="ETH-USDT", granularity="1h", start=start, end=end)
    assert added >= 48
    assert stub_exchange.state.hits["GET /binance/api/v3/klines"] == 1
    assert stub_exchange.state.hits["GET market/candles"] == 0
    assert len(candle_frame(symbol="ETHUSDT", granularity="1h", start=start, end=end)) == 48


def test_daily_granularity(stub_exchange):
    start, end = _window(stub_exchange, 24 * 20)
    start = start.replace(hour=0)
    candles_ensure(symbol="BTC-USD", granularity="1d", start=start, end=end)
    frame = candle_frame(symbol="BTC-USD", granularity="1d", start=start, end=end)
    assert len(frame) == (end - start).days
    assert (frame.index.hour == 0).all()


def test_frame_cache_is_invalidated_when_candles_arrive(stub_exchange):
    start, end = _window(stub_exchange, 10)
    assert candle_frame(symbol="BTC-USD", start=start, end=end).empty
    candles_ensure(symbol="BTC-USD", granularity="1h", start=start, end=end)
    assert len(candle_frame(symbol="BTC-USD", start=start, end=end)) == 10


def test_unknown_product_yields_nothing(stub_exchange):
    start, end = _window(stub_exchange, 10)
    assert candles_ensure(symbol="NOPE-USD", granularity="1h", start=start, end=end) == 0
    assert Candle.objects.count() == 0 and CandleChunk.objects.count() == 0


def test_bad_inputs_are_validation_errors(stub_exchange):
    start, end = _window(stub_exchange, 10)
    with pytest.raises(ValidationFailed):
        candles_ensure(symbol="BTC-USD", granularity="7m", start=start, end=end)
    with pytest.raises(ValidationFailed):
        candle_frame(symbol="BTC-USD", granularity="2w", start=start, end=end)
    with pytest.raises(ValidationFailed):
        candles_ensure(symbol="BTC-USD", start=start.replace(tzinfo=None), end=end)


def test_backfill_command_is_idempotent(stub_exchange):
    since = (stub_exchange.state.anchor - timedelta(days=3)).strftime("%Y-%m-%d")
    out = io.StringIO()
    call_command("backfill_candles", "--symbol", "BTC-USD", "--since", since, stdout=out)
    first = Candle.objects.count()
    assert first >= 72
    assert out.getvalue().startswith(f"BTC-USD 1h: {first} new candle(s)")
    again = io.StringIO()
    call_command("backfill_candles", "--symbol", "BTC-USD", "--since", since, stdout=again)
    assert Candle.objects.count() == first
    assert again.getvalue() == "BTC-USD 1h: 0 new candle(s)\n"
    with pytest.raises(CommandError, match="not a BASE-QUOTE pair"):
        call_command("backfill_candles", "--symbol", "ADA-PERP-INTX", "--since", since)


def test_weekly_snapshot_written_to_storage(stub_exchange, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    now = timezone.now()
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    candles_ensure(symbol="BTC-USD", granularity="1h", start=monday - timedelta(days=7), end=monday)

    assert market_snapshots_weekly(now=now) == 1
    assert market_snapshots_weekly(now=now) == 0

    snapshot = MarketSnapshot.objects.get()
    assert (snapshot.symbol, snapshot.rows) == ("BTC-USD", 168)
    with default_storage.open(snapshot.path, "rb") as handle:
        payload = handle.read()
    assert hashlib.sha256(payload).hexdigest() == snapshot.sha256
    lines = gzip.decompress(payload).decode().splitlines()
    assert lines[0] == "ts,open,high,low,close,volume" and len(lines) == 169
    assert market_snapshot_write(symbol="BTC-USD", granularity="1h", period_start=snapshot.period_start,
                                 period_end=snapshot.period_end) == snapshot


def test_weekly_snapshot_is_scheduled(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="brokers: weekly market-data snapshot")
    assert task.task == "apps.brokers.tasks.market_snapshot_weekly_task" and task.enabled
    assert (task.crontab.day_of_week, task.crontab.hour, task.crontab.minute) == ("1", "2", "30")


def test_symbols_that_are_not_spot_pairs_yield_nothing(stub_exchange):
    start, end = _window(stub_exchange, 10)
    assert candles_ensure(symbol="ADA-PERP-INTX", granularity="1h", start=start, end=end) == 0
    frame = candle_frame(symbol="ADA-PERP-INTX", start=start, end=end)
    assert frame.empty and list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert str(frame.index.tz) == "UTC"
    assert sum(stub_exchange.state.hits.values()) == 0


# ---- several windows at once ----------------------------------------------------------------------------

def _stub_count(stub, asset: str, start, end) -> int:
    return len(stub.state.market.candles(asset, seconds=3600, start=int(start.timestamp()), end=int(end.timestamp()),
                                         now=int(end.timestamp())))


def _backends_of_this_database() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_several_windows_are_fetched_in_concurrent_pieces_and_all_stored(stub_exchange, settings):
    import time

    settings.MARKET_DATA_CONCURRENCY = 3
    stub_exchange.state.latency = 0.05  # answers overlap only if requests really are in flight together
    end = stub_exchange.state.anchor
    windows = [("BTC-USD", end - timedelta(hours=1500), end), ("ETH-USD", end - timedelta(hours=1500), end),
               ("SOL-USD", end - timedelta(hours=700), end)]
    backends = _backends_of_this_database()

    added = candles_ensure_many(windows=windows, granularity="1h")

    expected = {s: _stub_count(stub_exchange, s.split("-")[0], a, b) for s, a, b in windows}
    stored = {s: Candle.objects.filter(symbol=s, granularity="1h", ts__gte=a, ts__lt=b).count() for s, a, b in windows}
    assert stored == expected
    assert added == Candle.objects.count()  # whole chunks are fetched, so a little around each window too
    assert 1 < stub_exchange.state.max_in_flight <= 3
    assert stub_exchange.state.in_flight == 0
    hits = stub_exchange.state.hits["GET market/candles"]
    assert candles_ensure_many(windows=windows, granularity="1h") == 0
    assert stub_exchange.state.hits["GET market/candles"] == hits  # nothing is fetched twice
    deadline = time.monotonic() + 5  # the helper threads' connections were closed (the server needs a moment)
    while _backends_of_this_database() > backends and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _backends_of_this_database() <= backends


@pytest.mark.django_db(transaction=True)
def test_stored_windows_are_answered_on_the_callers_connection(stub_exchange, settings, django_assert_num_queries):
    settings.MARKET_DATA_CONCURRENCY = 3
    end = stub_exchange.state.anchor
    windows = [("BTC-USD", end - timedelta(hours=1500), end), ("ETH-USD", end - timedelta(hours=700), end)]
    candles_ensure_many(windows=windows, granularity="1h")
    hits = stub_exchange.state.hits["GET market/candles"]

    with django_assert_num_queries(len(windows)):  # one coverage query per window, no piece on a thread
        assert candles_ensure_many(windows=windows, granularity="1h") == 0

    assert stub_exchange.state.hits["GET market/candles"] == hits
    sol = ("SOL-USD", end - timedelta(hours=700), end)  # beside stored windows, one not stored is still fetched
    assert candles_ensure_many(windows=[*windows, sol], granularity="1h") > 0
    assert stub_exchange.state.hits["GET market/candles"] > hits
    assert Candle.objects.filter(symbol="SOL-USD", ts__gte=sol[1], ts__lt=end).count() == _stub_count(
        stub_exchange, "SOL", sol[1], end)


def test_inside_a_transaction_the_pieces_are_fetched_one_at_a_time(stub_exchange, settings):
    settings.MARKET_DATA_CONCURRENCY = 3
    stub_exchange.state.latency = 0.02
    end = stub_exchange.state.anchor
    windows = [("BTC-USD", end - timedelta(hours=900), end), ("ETH-USD", end - timedelta(hours=900), end)]

    added = candles_ensure_many(windows=windows, granularity="1h")

    assert stub_exchange.state.max_in_flight == 1
    assert added == Candle.objects.count()
    for symbol, start, end in windows:
        assert Candle.objects.filter(symbol=symbol, ts__gte=start, ts__lt=end).count() == _stub_count(
            stub_exchange, symbol.split("-")[0], start, end)


@pytest.mark.django_db(transaction=True)
def test_an_exchange_that_keeps_failing_raises_after_every_piece_finished(stub_exchange, settings):
    from apps.brokers.adapters.errors import BrokerError

    settings.MARKET_DATA_CONCURRENCY = 3
    stub_exchange.state.fail_next(500, times=1000, path_contains="/candles")
    end = stub_exchange.state.anchor
    windows = [("BTC-USD", end - timedelta(hours=1500), end), ("ETH-USD", end - timedelta(hours=700), end)]

    with pytest.raises(BrokerError):
        candles_ensure_many(windows=windows, granularity="1h")

    assert stub_exchange.state.in_flight == 0
    assert Candle.objects.count() == 0 and CandleChunk.objects.count() == 0
