"""Brokers reads: the user's connections, stored candles as a DataFrame."""
from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.cache import cache
from django.db.models import FloatField
from django.db.models.functions import Cast

from apps.core.errors import NotFound, ValidationFailed

from .models import BrokerConnection, Candle
from .services.marketdata import (
    candles_version,
    candles_version_key,  # noqa: F401 - for readers that cache answers built on candles
    granularity_seconds,
    symbol_canonical,
)

COLUMNS = ["open", "high", "low", "close", "volume"]


def connection_list(*, user) -> list[BrokerConnection]:
    """The user's connections, newest first (disconnected ones included, without secrets)."""
    return list(BrokerConnection.objects.filter(user=user).defer("access_enc", "refresh_enc")
                .order_by("-created_at"))


def connection_get(*, user, connection_id: str) -> BrokerConnection:
    connection = BrokerConnection.objects.filter(user=user, id=connection_id).defer("access_enc", "refresh_enc").first()
    if connection is None:
        raise NotFound("No such connection.")
    return connection


def candle_queryset():
    """Every stored candle, for readers above brokers that join candles into one query of their own."""
    return Candle.objects.all()


def _empty_frame() -> pd.DataFrame:
    index = pd.DatetimeIndex([], tz="UTC", name="ts")
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in COLUMNS}, index=index)


def candle_frame(*, symbol: str, granularity: str = "1h", start: datetime, end: datetime) -> pd.DataFrame:
    """Stored candles with start <= ts < end: UTC DatetimeIndex (bar open time), float64 columns
    open, high, low, close, volume, ascending (empty for a symbol that is not a BASE-QUOTE pair).
    Reads only; call `candles_ensure` first to fetch.
    Cached in Redis per (symbol, granularity, window) until new candles of the series are stored."""
    canonical = symbol_canonical(symbol)
    granularity_seconds(granularity)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("Times must carry a time zone (UTC).")
    if canonical is None:  # not a spot pair: no candles are ever stored for it
        return _empty_frame()
    symbol = canonical
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    version = candles_version(symbol=symbol, granularity=granularity)
    key = f"brokers:frame:{symbol}:{granularity}:{version}:{int(start.timestamp())}:{int(end.timestamp())}"
    cached = cache.get(key)
    if cached is not None:
        return cached.copy()
    # the database turns the exact decimals into doubles: no Decimal object per value on the way
    rows = list(Candle.objects.filter(symbol=symbol, granularity=granularity, ts__gte=start, ts__lt=end)
                .order_by("ts").values_list("ts", *(Cast(c, FloatField()) for c in COLUMNS)))
    if not rows:
        frame = _empty_frame()
    else:
        index = pd.DatetimeIndex([r[0] for r in rows], name="ts").tz_convert("UTC")
        values = np.array([r[1:] for r in rows], dtype="float64")
        frame = pd.DataFrame(values, index=index, columns=COLUMNS)
    cache.set(key, frame, timeout=settings.CANDLE_CACHE_TTL)
    return frame.copy()
