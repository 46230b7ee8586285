"""Brokers services (writes). Split by sub-domain; import from here."""
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

__all__ = [
    "ConnectionInactive", "ConnectionSecrets", "connection_adapter", "connection_disconnect",
    "connection_link_binance", "connection_link_stub", "connection_oauth_complete", "connection_oauth_start",
    "connection_open_tokens", "connection_pause", "connection_refresh_tokens", "connection_resume",
    "connection_seal_tokens", "data_key_get_or_create", "data_keys_rotate", "secret_open", "secret_seal",
]
