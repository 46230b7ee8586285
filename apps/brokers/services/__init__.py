"""Brokers services (writes), split by sub-domain: keys (sealing), connections, market data."""
from .connections import (
    ConnectionInactive,
    connection_adapter,
    connection_disconnect,
    connection_link_binance,
    connection_link_stub,
    connection_oauth_complete,
    connection_oauth_start,
    connection_pause,
    connection_refresh_tokens,
    connection_resume,
)
from .keys import (
    ConnectionSecrets,
    connection_open_tokens,
    connection_seal_tokens,
    data_key_get_or_create,
    data_keys_rotate,
    secret_open,
    secret_seal,
)
from .marketdata import candles_ensure, candles_ensure_many, market_snapshot_write, market_snapshots_weekly
from .prefetch import (
    TRADE_CANDLE_GRANULARITY,
    candles_prefetch_start,
    candles_prefetch_wait,
    trade_candle_window,
)

__all__ = [
    "TRADE_CANDLE_GRANULARITY", "candles_prefetch_start", "candles_prefetch_wait", "trade_candle_window",
    "ConnectionInactive", "ConnectionSecrets", "candles_ensure", "candles_ensure_many", "connection_adapter", "connection_disconnect",
    "connection_link_binance", "connection_link_stub", "connection_oauth_complete", "connection_oauth_start",
    "connection_open_tokens", "connection_pause", "connection_refresh_tokens", "connection_resume",
    "connection_seal_tokens", "data_key_get_or_create", "data_keys_rotate", "market_snapshot_write",
    "market_snapshots_weekly", "secret_open", "secret_seal",
]
