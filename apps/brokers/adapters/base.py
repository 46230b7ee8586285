"""The shape every broker adapter and file parser produces: Decimal DTOs in canonical form."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ..types import CandleDTO, TradeDTO, TradePage, decimal_from

__all__ = ["AuthStart", "BrokerAdapter", "CandleDTO", "OAuthBrokerAdapter", "TokenSet", "TradeDTO", "TradePage",
           "decimal_from"]


@dataclass(slots=True)
class AuthStart:
    redirect_url: str
    state: str
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TokenSet:
    """An OAuth token response. Plaintext: in memory only (repr never shows the tokens)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime | None
    scope: str

    def __repr__(self) -> str:
        return f"TokenSet(expires_at={self.expires_at!r}, scope={self.scope!r})"


class BrokerAdapter(Protocol):
    name: str

    def fetch_trades(self, *, since: datetime, until: datetime, cursor: str | None = None) -> TradePage: ...

    def fetch_ohlcv(self, *, symbol: str, granularity: str, start: datetime, end: datetime) -> list[CandleDTO]: ...

    def close(self) -> None: ...


class OAuthBrokerAdapter(BrokerAdapter, Protocol):
    """Adapters whose users connect through an OAuth2 authorization-code + PKCE redirect."""

    def start_auth(self, *, redirect_uri: str, scope: str | None = None) -> AuthStart: ...

    def complete_auth(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet: ...

    def refresh_tokens(self, *, refresh_token: str) -> TokenSet: ...

    def revoke(self, *, token: str) -> None: ...
