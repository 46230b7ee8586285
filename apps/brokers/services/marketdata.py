"""Market data: OHLCV fetched from the configured source, stored in Candle, cached, snapshotted weekly.

Source per symbol (``settings.MARKET_DATA_SOURCE``): ``"auto"`` (default) reads Binance klines for
stablecoin/BNB/TRY-quoted pairs and Coinbase public candles for everything else; ``"coinbase"`` or
``"binance"`` forces one. Both are public endpoints: no user credentials are used for market data. A symbol the
chosen exchange does not list is read, when ``settings.MARKET_DATA_FALLBACK`` is ``"ccxt:<exchange>"``, from that
exchange through ccxt (``adapters.ccxt_market``), and remembered for a day as served there.

Coverage is tracked in chunks of 300 bars (one Coinbase request) aligned to the epoch: each chunk records
up to when its closed bars were fetched (`covered_until`), so a window is fetched once even where the feed
has gaps, and a chunk that was still open is later topped up from where it stopped. Only closed bars are
stored, so a stored candle never changes.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from apps.core.background import ContextThreadPoolExecutor
from apps.core.bulk import Conflict, rows_insert
from apps.core.errors import ValidationFailed

from ..adapters.binance import BinanceAdapter
from ..adapters.ccxt_market import CcxtMarketAdapter, fallback_exchange_id
from ..adapters.coinbase import CoinbaseAdapter
from ..adapters.errors import BrokerRequestError
from ..models import Candle, CandleChunk, MarketSnapshot
from ..symbols import SymbolError, split_pair

logger = logging.getLogger("apps.brokers.marketdata")

GRANULARITY_SECONDS = {"1h": 3600, "6h": 21600, "1d": 86400}
CHUNK_BARS = 300
PIECE_CHUNKS = 2  # chunks (requests) per piece fetched concurrently by candles_ensure_many
BINANCE_QUOTES = {"USDT", "FDUSD", "BUSD", "TUSD", "BNB", "TRY"}


def granularity_seconds(granularity: str) -> int:
    if granularity not in GRANULARITY_SECONDS:
        raise ValidationFailed(f"Unsupported granularity {granularity!r}; use one of {', '.join(GRANULARITY_SECONDS)}.",
                               fields={"granularity": ["Unsupported."]})
    return GRANULARITY_SECONDS[granularity]


def symbol_canonical(symbol: str) -> str | None:
    """'btcusdt' -> 'BTC-USDT'; None for something that is not a spot pair (e.g. 'ADA-PERP-INTX')."""
    try:
        base, quote = split_pair(symbol)
    except SymbolError:
        return None
    return f"{base}-{quote}"


FALLBACK_MEMORY_SECONDS = 86400


def market_source_for(symbol: str) -> str:
    configured = settings.MARKET_DATA_SOURCE
    fallback = fallback_exchange_id()
    if fallback and cache.get(_fallback_key(symbol)) == fallback:
        return CcxtMarketAdapter.source_name(fallback)
    if configured in ("coinbase", "binance"):
        return configured
    return "binance" if split_pair(symbol)[1] in BINANCE_QUOTES else "coinbase"


def _fallback_key(symbol: str) -> str:
    return f"brokers:candles-fallback:{symbol}"


def _adapter_for(source: str):
    if source == "binance":
        return BinanceAdapter()
    if source == "coinbase":
        return CoinbaseAdapter()
    return CcxtMarketAdapter(source.removeprefix(CcxtMarketAdapter.source_name("")))


def candles_version_key(*, symbol: str, granularity: str) -> str:
    """The cache key of the market's candle version (bumped when its stored candles change)."""
    return f"brokers:candles-version:{symbol}:{granularity}"


def candles_version(*, symbol: str, granularity: str) -> int:
    return int(cache.get(candles_version_key(symbol=symbol, granularity=granularity)) or 0)


def _bump_version(symbol: str, granularity: str) -> None:
    key = candles_version_key(symbol=symbol, granularity=granularity)
    if not cache.add(key, 1, timeout=None):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=None)


def _aware(moment: datetime) -> datetime:
    if timezone.is_naive(moment):
        raise ValidationFailed("Times must carry a time zone (UTC).")
    return moment.astimezone(UTC)


def candles_ensure(*, symbol: str, granularity: str = "1h", start: datetime, end: datetime) -> int:
    """Fetch and store the closed candles of [start, end) not fetched yet. -> number of new candles.

    Idempotent; safe to call concurrently (inserts are ON CONFLICT DO NOTHING). A symbol that is not a
    spot pair or a product the source does not list is logged and yields 0; an exchange that keeps failing
    raises BrokerError; a bad granularity or naive datetimes raise ValidationFailed."""
    canonical = symbol_canonical(symbol)
    seconds = granularity_seconds(granularity)
    start, end = _aware(start), _aware(end)
    if canonical is None:
        logger.warning("no market data for %r: not a BASE-QUOTE spot pair", symbol)
        return 0
    symbol = canonical
    now = timezone.now()
    span = seconds * CHUNK_BARS
    wanted = _chunks_wanted(symbol=symbol, granularity=granularity, start=start, end=min(end, now))
    if not wanted:
        return 0
    source = market_source_for(symbol)
    adapter = _adapter_for(source)
    closed_until = int(now.timestamp()) // seconds * seconds
    inserted = 0
    try:
        for run in _runs(wanted, span):
            fetch_from, run_end = run[0][1], run[-1][0] + span
            window = {"symbol": symbol, "granularity": granularity, "start": datetime.fromtimestamp(fetch_from, tz=UTC),
                      "end": datetime.fromtimestamp(min(run_end, closed_until), tz=UTC)}
            try:
                candles = adapter.fetch_ohlcv(**window)
            except BrokerRequestError as exc:
                fallback = fallback_exchange_id()
                if not fallback or source.startswith(CcxtMarketAdapter.source_name("")):
                    logger.warning("no %s candles for %s from %s: %s", granularity, symbol, source, exc.message)
                    return inserted
                logger.info("%s: %s Reading its candles from ccxt:%s.", symbol, exc.message, fallback)
                adapter.close()
                adapter = CcxtMarketAdapter(fallback)
                source = adapter.source
                try:
                    candles = adapter.fetch_ohlcv(**window)
                except BrokerRequestError as fallback_exc:
                    logger.warning("no %s candles for %s from %s: %s", granularity, symbol, source,
                                   fallback_exc.message)
                    return inserted
                cache.set(_fallback_key(symbol), fallback, timeout=FALLBACK_MEMORY_SECONDS)
            inserted += _store(symbol=symbol, granularity=granularity, seconds=seconds, candles=candles, now=now,
                               chunks=[c for c, _ in run], span=span, source=source, closed_until=closed_until)
    finally:
        adapter.close()
    return inserted


def _chunks_wanted(*, symbol: str, granularity: str, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """The chunks of [start, end) of a canonical symbol not stored yet, as (chunk start, fetch from) in
    epoch seconds, in order; one query. [] when the window is empty or fully stored."""
    if end <= start:
        return []
    span = granularity_seconds(granularity) * CHUNK_BARS
    first = int(start.timestamp()) // span * span
    end_ts = int(end.timestamp())
    chunk_starts = list(range(first, end_ts, span))
    covered = {int(c.timestamp()): int(u.timestamp()) if u else None for c, u in CandleChunk.objects.filter(
        symbol=symbol, granularity=granularity,
        start__in=[datetime.fromtimestamp(s, tz=UTC) for s in chunk_starts]).values_list("start", "covered_until")}
    wanted: list[tuple[int, int]] = []
    for chunk in chunk_starts:
        until = covered.get(chunk)
        if until is not None and until >= min(chunk + span, end_ts):
            continue
        wanted.append((chunk, max(chunk, until or chunk)))
    return wanted


def candles_ensure_many(*, windows: list[tuple[str, datetime, datetime]], granularity: str = "1h") -> int:
    """`candles_ensure` for several (symbol, start, end) windows. -> number of new candles.

    An exchange is a network round trip away, so a long history is many sequential requests: the windows
    are cut at chunk boundaries into pieces of a few requests each, and up to `MARKET_DATA_CONCURRENCY`
    pieces are fetched at once, each on its own thread and database connection. Sequential instead inside
    a transaction (other connections could not see its rows) and on SQLite (one writer at a time). The
    first error is raised once every piece has finished. A window whose chunks are all stored is answered
    by one query on the caller's connection (no thread or connection of its own)."""
    seconds = granularity_seconds(granularity)
    span = seconds * CHUNK_BARS * PIECE_CHUNKS
    pieces = []
    now = timezone.now()
    for symbol, start, end in windows:
        start, end = _aware(start), _aware(end)
        canonical = symbol_canonical(symbol)
        if canonical is not None and not _chunks_wanted(symbol=canonical, granularity=granularity, start=start,
                                                        end=min(end, now)):
            continue  # stored already: no piece, thread or connection for it
        edge = int(start.timestamp()) // span * span
        while datetime.fromtimestamp(edge, tz=UTC) < end:
            piece_start = max(start, datetime.fromtimestamp(edge, tz=UTC))
            piece_end = min(end, datetime.fromtimestamp(edge + span, tz=UTC))
            pieces.append((symbol, piece_start, piece_end))
            edge += span
    workers = min(len(pieces), max(1, settings.MARKET_DATA_CONCURRENCY))
    if workers <= 1 or connection.vendor == "sqlite" or connection.in_atomic_block:
        return sum(candles_ensure(symbol=s, granularity=granularity, start=a, end=b) for s, a, b in pieces)
    with ContextThreadPoolExecutor(max_workers=workers, thread_name_prefix="candles") as pool:
        futures = [pool.submit(_ensure_on_own_connection, s, granularity, a, b) for s, a, b in pieces]
    return sum(future.result() for future in futures)


def _ensure_on_own_connection(symbol: str, granularity: str, start: datetime, end: datetime) -> int:
    try:
        return candles_ensure(symbol=symbol, granularity=granularity, start=start, end=end)
    finally:
        connection.close()  # this thread's own connection


def _runs(wanted: list[tuple[int, int]], span: int) -> list[list[tuple[int, int]]]:
    """Group contiguous chunks (a later chunk starting where the previous ended and fetched from its start)."""
    runs: list[list[tuple[int, int]]] = []
    for chunk, fetch_from in wanted:
        if runs and runs[-1][-1][0] + span == chunk and fetch_from == chunk:
            runs[-1].append((chunk, fetch_from))
        else:
            runs.append([(chunk, fetch_from)])
    return runs


def _store(*, symbol: str, granularity: str, seconds: int, candles: list, now: datetime, chunks: list[int],
           span: int, source: str, closed_until: int) -> int:
    bar = timedelta(seconds=seconds)
    rows = [(symbol, granularity, c.ts, c.open, c.high, c.low, c.close, c.volume)
            for c in candles if c.ts + bar <= now]
    with transaction.atomic():
        _, inserted = rows_insert(Candle, ("symbol", "granularity", "ts", "open", "high", "low", "close", "volume"),
                                  rows, conflict=Conflict(("symbol", "granularity", "ts")))
        CandleChunk.objects.bulk_create(
            [CandleChunk(symbol=symbol, granularity=granularity, start=datetime.fromtimestamp(s, tz=UTC),
                         source=source[:16], fetched_at=now, is_complete=s + span <= closed_until,
                         covered_until=datetime.fromtimestamp(min(s + span, closed_until), tz=UTC)) for s in chunks],
            update_conflicts=True, unique_fields=["symbol", "granularity", "start"],
            update_fields=["is_complete", "covered_until", "fetched_at", "source"],
        )
        if inserted:
            # now (readers inside this transaction see the rows) and after commit (readers elsewhere do)
            _bump_version(symbol, granularity)
            transaction.on_commit(lambda: _bump_version(symbol, granularity))
    return inserted


# ---- snapshots ----------------------------------------------------------------------------------------
def market_snapshot_write(*, symbol: str, granularity: str, period_start: datetime,
                          period_end: datetime) -> MarketSnapshot | None:
    """Freeze the stored candles of [period_start, period_end) to storage (gzip CSV). Idempotent: an
    existing snapshot of the period is returned unchanged. None when there are no candles."""
    existing = MarketSnapshot.objects.filter(symbol=symbol, granularity=granularity, period_start=period_start).first()
    if existing:
        return existing
    rows = list(Candle.objects.filter(symbol=symbol, granularity=granularity, ts__gte=period_start,
                                      ts__lt=period_end).order_by("ts")
                .values_list("ts", "open", "high", "low", "close", "volume"))
    if not rows:
        return None
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["ts", "open", "high", "low", "close", "volume"])
    for ts, *values in rows:
        writer.writerow([ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), *[format(v, "f") for v in values]])
    payload = gzip.compress(text.getvalue().encode(), mtime=0)
    path = f"market/snapshots/{granularity}/{symbol}/{period_start:%Y-%m-%d}.csv.gz"
    if default_storage.exists(path):
        default_storage.delete(path)
    stored_path = default_storage.save(path, ContentFile(payload))
    snapshot, _ = MarketSnapshot.objects.get_or_create(
        symbol=symbol, granularity=granularity, period_start=period_start,
        defaults={"period_end": period_end, "path": stored_path, "rows": len(rows),
                  "sha256": hashlib.sha256(payload).hexdigest()},
    )
    return snapshot


def market_snapshots_weekly(*, now: datetime | None = None) -> int:
    """Snapshot last complete ISO week (Monday 00:00 UTC to Monday) for every stored series. -> count written."""
    now = (now or timezone.now()).astimezone(UTC)
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    period_start, period_end = monday - timedelta(days=7), monday
    series = (Candle.objects.filter(ts__gte=period_start, ts__lt=period_end)
              .values_list("symbol", "granularity").distinct())
    written = 0
    for symbol, granularity in series:
        before = MarketSnapshot.objects.filter(symbol=symbol, granularity=granularity,
                                               period_start=period_start).exists()
        if market_snapshot_write(symbol=symbol, granularity=granularity, period_start=period_start,
                                 period_end=period_end) and not before:
            written += 1
    return written
