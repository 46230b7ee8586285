"""The shape every broker adapter and file parser produces: Decimal DTOs in canonical form."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol


def decimal_from(value) -> Decimal:
    """An exchange amount (string or number) as a finite Decimal; ValueError otherwise (NaN, Infinity, junk)."""
    if isinstance(value, bool) or value is None:
        raise ValueError("not an amount")
    try:
        amount = Decimal(str(value).strip())
    except ArithmeticError as exc:
        raise ValueError("not an amount") from exc
    if not amount.is_finite():
        raise ValueError("not a finite amount")
    return amount


@dataclass(frozen=True, slots=True)
class TradeDTO:
    """One fill, normalised. `symbol` is canonical BASE-QUOTE (e.g. BTC-USD); `ts` is aware UTC."""

    ext_id: str
    symbol: str
    side: str  # "BUY" | "SELL"
    qty: Decimal  # base units, > 0
    price: Decimal  # quote per base, > 0
    ts: datetime
    fee: Decimal | None = None
    fee_asset: str = ""
    quote_asset: str = ""


@dataclass(frozen=True, slots=True)
class TradePage:
    items: list[TradeDTO]
    next_cursor: str | None  # None when there is nothing more


@dataclass(frozen=True, slots=True)
class CandleDTO:
    ts: datetime  # candle open time, aware UTC
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


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
