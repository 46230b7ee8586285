"""The parts of an import's broker source that run beside the runner: the page fetched ahead, the candles
prefetched in batches."""
import threading
import time
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from apps.trades.imports import sources


def test_a_page_fetcher_left_with_a_page_in_flight_does_not_wait_for_it():
    release = threading.Event()

    def slow_fetch(cursor):
        release.wait(timeout=30)
        return cursor

    started = time.monotonic()
    with sources._PageFetcher(slow_fetch, ahead=True) as fetcher:
        fetcher.request("page-2")
    left_after = time.monotonic() - started
    release.set()

    assert left_after < 5


class _Moment:
    def __init__(self, symbol: str, hour: int):
        self.symbol, self.ts = symbol, datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=hour)


def test_candles_of_pages_that_come_while_a_batch_runs_are_prefetched_together(monkeypatch):
    batches: list[tuple[dict, Future]] = []

    def start(*, trades):
        spans = {}
        for trade in trades:
            first, last = spans.get(trade.symbol, (trade.ts, trade.ts))
            spans[trade.symbol] = (min(first, trade.ts), max(last, trade.ts))
        batches.append((spans, Future()))
        return batches[-1][1]

    waited: list[list[Future]] = []
    monkeypatch.setattr(sources, "candles_prefetch_start", start)
    monkeypatch.setattr(sources, "candles_prefetch_wait", lambda futures: waited.append(list(futures)))
    monkeypatch.setattr(sources._CandlePrefetch, "BATCH_SECONDS", 0.0)
    prefetch = sources._CandlePrefetch()

    prefetch.add([_Moment("BTC-USD", 100), _Moment("ETH-USD", 90)])  # page 1: sent at once
    prefetch.add([_Moment("BTC-USD", 80)])  # page 2 and 3 come while it runs
    prefetch.add([_Moment("BTC-USD", 70), _Moment("SOL-USD", 60)])
    sent_while_running = len(batches)
    batches[0][1].set_result(1)
    prefetch.add([_Moment("ETH-USD", 50)])  # page 4: the first batch is done, pages 2-4 go together
    prefetch.add([_Moment("ETH-USD", 40)])  # page 5 waits for that one
    prefetch.finish()  # the last page: what waits is sent, then every batch not done is waited for

    hour = _Moment("", 0).ts
    spans = [{symbol: ((first - hour) // timedelta(hours=1), (last - hour) // timedelta(hours=1))
              for symbol, (first, last) in sent.items()} for sent, _ in batches]
    assert sent_while_running == 1
    assert spans == [{"BTC-USD": (100, 100), "ETH-USD": (90, 90)},
                     {"BTC-USD": (70, 80), "SOL-USD": (60, 60), "ETH-USD": (50, 50)},
                     {"ETH-USD": (40, 40)}]
    assert waited == [[batches[1][1], batches[2][1]]]


def test_candle_batches_wait_for_their_interval_while_pages_come_fast(monkeypatch):
    sent = []

    def start(*, trades):
        sent.append(sorted({trade.symbol for trade in trades}))
        future = Future()
        future.set_result(0)
        return future

    clock = SimpleNamespace(now=100.0)
    monkeypatch.setattr(sources, "candles_prefetch_start", start)
    monkeypatch.setattr(sources, "candles_prefetch_wait", lambda futures: None)
    monkeypatch.setattr(sources, "time", SimpleNamespace(monotonic=lambda: clock.now))
    prefetch = sources._CandlePrefetch()

    for page in range(10):  # ten pages within the interval: the first is sent at once, the others wait
        prefetch.add([_Moment(f"S{page}-USD", -page)])
    clock.now += sources._CandlePrefetch.BATCH_SECONDS
    for page in range(10, 15):  # the interval has passed: pages 1-10 go, 11-14 wait for the next one
        prefetch.add([_Moment(f"S{page}-USD", -page)])
    prefetch.finish()

    assert sent == [["S0-USD"], sorted(f"S{page}-USD" for page in range(1, 11)),
                    sorted(f"S{page}-USD" for page in range(11, 15))]
