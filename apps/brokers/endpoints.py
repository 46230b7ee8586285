"""Where the brokers live: settings in production, the in-process stub in the embedded default."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Endpoints:
    coinbase_api: str
    coinbase_authorize: str
    coinbase_token: str
    coinbase_revoke: str
    coinbase_client_id: str
    coinbase_client_secret: str
    binance_api: str

    def __repr__(self) -> str:  # the client secret never reaches logs
        return f"Endpoints(coinbase_api={self.coinbase_api!r}, binance_api={self.binance_api!r})"


def broker_endpoints() -> Endpoints:
    values = {
        "COINBASE_API_BASE": settings.COINBASE_API_BASE,
        "COINBASE_OAUTH_AUTHORIZE_URL": settings.COINBASE_OAUTH_AUTHORIZE_URL,
        "COINBASE_OAUTH_TOKEN_URL": settings.COINBASE_OAUTH_TOKEN_URL,
        "COINBASE_OAUTH_REVOKE_URL": settings.COINBASE_OAUTH_REVOKE_URL,
        "COINBASE_CLIENT_ID": settings.COINBASE_CLIENT_ID,
        "COINBASE_CLIENT_SECRET": settings.COINBASE_CLIENT_SECRET,
        "BINANCE_API_BASE": settings.BINANCE_API_BASE,
    }
    if settings.STUB_EXCHANGE_EMBEDDED:
        from .stub import embedded_stub

        values.update(embedded_stub().settings_overrides())
    return Endpoints(
        coinbase_api=values["COINBASE_API_BASE"].rstrip("/"),
        coinbase_authorize=values["COINBASE_OAUTH_AUTHORIZE_URL"],
        coinbase_token=values["COINBASE_OAUTH_TOKEN_URL"],
        coinbase_revoke=values["COINBASE_OAUTH_REVOKE_URL"],
        coinbase_client_id=values["COINBASE_CLIENT_ID"],
        coinbase_client_secret=values["COINBASE_CLIENT_SECRET"],
        binance_api=values["BINANCE_API_BASE"].rstrip("/"),
    )
