"""Candles fetched while an import is still paging, so scoring finds them stored when the import ends.

`trade_candle_window` is the span of hourly candles the app reads around trades: a warm-up before the
first (indicators settle) and the hours after the last (a trade's chart and sparkline).

An import fetches pages of trades one round trip after another; the candles scoring will need for a page
(its symbols, from the indicator warm-up before its first trade to the sparkline after its last) can be
fetched meanwhile on a background thread. This only saves time: scoring still calls `ensure_candles`,
which fetches whatever is missing, so a prefetch that failed, was skipped or is still running loses
nothing. Skipped on SQLite (one writer at a time) and inside a transaction (another connection could not
see its rows, and its own would outlive it).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import Future, wait
from datetime import datetime, timedelta

from django.db import connection

from apps.core.background import background_pool

from .marketdata import candles_ensure_many

logger = logging.getLogger(__name__)
WAIT_SECONDS = 30.0
TRADE_CANDLE_GRANULARITY = "1h"
TRADE_CANDLE_WARMUP = timedelta(days=30)
TRADE_CANDLE_AFTER = timedelta(hours=13)


def trade_candle_window(first: datetime, last: datetime) -> tuple[datetime, datetime]:
    """The hourly candles needed for trades from `first` to `last`: the warm-up before, the chart after."""
    return first - TRADE_CANDLE_WARMUP, last + TRADE_CANDLE_AFTER


def candles_prefetch_start(*, trades: Iterable) -> Future | None:
    """Start fetching the candles for these trades (objects with `.symbol` and `.ts`) in the background."""
    if connection.vendor == "sqlite" or connection.in_atomic_block:
        return None
    spans: dict[str, tuple] = {}
    for trade in trades:
        first, last = spans.get(trade.symbol, (trade.ts, trade.ts))
        spans[trade.symbol] = (min(first, trade.ts), max(last, trade.ts))
    if not spans:
        return None
    windows = [(symbol, *trade_candle_window(first, last)) for symbol, (first, last) in spans.items()]
    return background_pool("candles-prefetch", workers=1).submit(_prefetch, windows)


def candles_prefetch_wait(futures: Iterable[Future | None], *, timeout: float = WAIT_SECONDS) -> None:
    """Wait (at most `timeout` seconds) for prefetches started earlier; what is not done, scoring fetches."""
    pending = [future for future in futures if future is not None]
    if pending:
        wait(pending, timeout=timeout)


def _prefetch(windows: list) -> int:
    try:
        return candles_ensure_many(windows=windows, granularity=TRADE_CANDLE_GRANULARITY)
    except Exception:  # only a head start: scoring fetches what is still missing and reports real failures
        logger.warning("prefetching candles for %d market(s) failed; scoring will fetch them", len(windows),
                       exc_info=True)
        return 0
    finally:
        connection.close()  # this thread's own connection
