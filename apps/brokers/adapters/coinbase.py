"""Coinbase Advanced Trade: OAuth2 (authorization code + PKCE S256), fills, candles.

Fill normalisation
------------------
* ``ext_id`` is ``entry_id`` (``trade_id`` repeats across adjusted fills).
* ``size_in_quote: true`` means ``size`` is in quote units; base quantity = size / price.
* ``commission`` is in the quote currency: ``fee`` with ``fee_asset`` = quote.
* ``trade_type``: ``FILL`` and ``SYNTHETIC`` are trades as given. ``REVERSAL`` undoes an earlier fill
  (same ``trade_id``): it is emitted as the *offsetting* trade (opposite side, same size and price) so
  positions and P/L net out without rewriting history that may already be stored. ``CORRECTION`` is the
  corrected fill that follows a reversal: emitted as given. Negative sizes flip the side.
* Symbols are Coinbase's ``product_id`` (already ``BASE-QUOTE``); derivative products such as
  ``ADA-PERP-INTX`` keep their product id as symbol with quote ``USDC`` (their settlement asset).
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from oauthlib.oauth2 import WebApplicationClient

from ..endpoints import Endpoints, broker_endpoints
from .base import AuthStart, CandleDTO, TokenSet, TradeDTO, TradePage, decimal_from
from .errors import BrokerAuthError, BrokerError, BrokerRequestError
from .http import BrokerHttp, error_detail

logger = logging.getLogger("apps.brokers.coinbase")

GRANULARITIES = {
    "1m": ("ONE_MINUTE", 60), "5m": ("FIVE_MINUTE", 300), "15m": ("FIFTEEN_MINUTE", 900),
    "30m": ("THIRTY_MINUTE", 1800), "1h": ("ONE_HOUR", 3600), "2h": ("TWO_HOUR", 7200),
    "6h": ("SIX_HOUR", 21600), "1d": ("ONE_DAY", 86400),
}
CANDLES_PER_REQUEST = 300
QTY_STEP = Decimal("1e-18")
DEFAULT_SCOPE = "wallet:user:read,wallet:accounts:read,wallet:transactions:read,offline_access"


def pkce_pair() -> tuple[str, str]:
    """-> (code_verifier, S256 code_challenge)."""
    client = WebApplicationClient("")
    verifier = client.create_code_verifier(64)
    return verifier, client.create_code_challenge(verifier, "S256")


def parse_timestamp(value: str) -> datetime:
    """RFC 3339 with none, 3 or 6 fractional digits and a Z or offset -> aware UTC datetime."""
    if len(value) == 27 and value[26] == "Z" and value[19] == "." and value[20:26].isdigit():
        try:  # the form Coinbase sends (microseconds, Z): read as it is, already UTC
            return datetime.fromisoformat(value)
        except ValueError:
            pass  # the general reading below decides
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        for char in rest:
            if not char.isdigit():
                break
            digits += char
        zone = rest[len(digits):]
        text = f"{head}.{(digits + '000000')[:6]}{zone}"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def fill_to_dto(raw: dict) -> TradeDTO:
    """One Coinbase fill -> TradeDTO; raises BrokerError on a fill that cannot be read."""
    try:
        product = str(raw["product_id"]).upper()
        quote = _quotes.get(product)
        if quote is None:
            parts = product.split("-")
            quote = parts[1] if len(parts) == 2 else "USDC"
            if len(_quotes) < _QUOTES_KEPT:
                _quotes[product] = quote
        price = _amount(raw["price"])
        size = _amount(raw["size"])
        commission = _amount(raw.get("commission") or "0")
        side = str(raw["side"]).upper()
        kind = raw.get("trade_type") or "FILL"
        if kind != "FILL":
            kind = str(kind).upper()
        if side not in _SIDES or price <= 0:
            raise ValueError("side/price")
        in_quote = raw.get("size_in_quote") in (True, "true", "True", 1)
        qty = (size / price).quantize(QTY_STEP) if in_quote else size  # stored with 18 decimal places
        if qty < 0:
            qty, side = -qty, ("SELL" if side == "BUY" else "BUY")
        if kind == "REVERSAL":
            side = "SELL" if side == "BUY" else "BUY"
        if qty == 0:
            raise ValueError("zero size (or a quote size too small to convert at this price)")
        # the fields in TradeDTO's order, made at C speed (no keyword matching)
        return _new_dto(TradeDTO, (str(raw["entry_id"]), product, side, qty, price,
                                   parse_timestamp(str(raw["trade_time"])), abs(commission), quote, quote))
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise BrokerError(f"Coinbase sent a fill we cannot read ({type(exc).__name__}).") from exc


_SIDES = frozenset({"BUY", "SELL"})
_new_dto = tuple.__new__
_quotes: dict[str, str] = {}  # product id -> its quote asset, for the products seen so far (a few dozen)
_QUOTES_KEPT = 4096


def _amount(value) -> Decimal:
    """`decimal_from`, without its copy of a text amount: Decimal strips the same surrounding whitespace."""
    if type(value) is not str:
        return decimal_from(value)
    try:
        amount = Decimal(value)
    except ArithmeticError as exc:
        raise ValueError("not an amount") from exc
    if not amount.is_finite():
        raise ValueError("not a finite amount")
    return amount


class CoinbaseAdapter:
    name = "coinbase"

    def __init__(self, *, access_token: str | None = None, on_unauthorized: Callable[[], str] | None = None,
                 endpoints: Endpoints | None = None, page_size: int = 500):
        self.endpoints = endpoints or broker_endpoints()
        self._access_token = access_token
        self._on_unauthorized = on_unauthorized
        self.page_size = page_size
        self.http = BrokerHttp(self.endpoints.coinbase_api, label="Coinbase")
        self.oauth_http = BrokerHttp(self.endpoints.coinbase_token, label="Coinbase sign-in")

    def __repr__(self) -> str:
        return f"CoinbaseAdapter({self.endpoints.coinbase_api!r})"

    def close(self) -> None:
        self.http.close()
        self.oauth_http.close()

    # ---- OAuth ------------------------------------------------------------------------------
    def start_auth(self, *, redirect_uri: str, scope: str | None = None) -> AuthStart:
        """A fresh state and PKCE pair; the caller keeps state + verifier (in `extra`) bound to the session.
        Scope: `scope`, else settings.COINBASE_OAUTH_SCOPE, else read-only wallet scopes + offline_access."""
        scope = scope or settings.COINBASE_OAUTH_SCOPE or DEFAULT_SCOPE
        state = secrets.token_urlsafe(32)
        verifier, challenge = pkce_pair()
        query = urlencode({
            "response_type": "code", "client_id": self.endpoints.coinbase_client_id, "redirect_uri": redirect_uri,
            "scope": scope, "state": state, "code_challenge": challenge, "code_challenge_method": "S256",
        })
        return AuthStart(redirect_url=f"{self.endpoints.coinbase_authorize}?{query}", state=state,
                         extra={"code_verifier": verifier, "redirect_uri": redirect_uri})

    @sensitive_variables()
    def complete_auth(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        client = WebApplicationClient(self.endpoints.coinbase_client_id)
        body = client.prepare_request_body(code=code, redirect_uri=redirect_uri, include_client_id=True,
                                           client_secret=self.endpoints.coinbase_client_secret,
                                           code_verifier=code_verifier)
        return self._token_request(body, what="exchange the authorization code")

    @sensitive_variables()
    def refresh_tokens(self, *, refresh_token: str) -> TokenSet:
        client = WebApplicationClient(self.endpoints.coinbase_client_id)
        body = client.prepare_refresh_body(refresh_token=refresh_token, client_id=self.endpoints.coinbase_client_id,
                                           client_secret=self.endpoints.coinbase_client_secret)
        return self._token_request(body, what="refresh the access token")

    @sensitive_variables()
    def revoke(self, *, token: str) -> None:
        response = self.oauth_http.request("POST", self.endpoints.coinbase_revoke, data={
            "token": token, "client_id": self.endpoints.coinbase_client_id,
            "client_secret": self.endpoints.coinbase_client_secret,
        })
        if response.status_code >= 400:
            raise BrokerError(f"Coinbase did not revoke the token ({error_detail(response)}).")

    @sensitive_variables()
    def _token_request(self, body: str, *, what: str) -> TokenSet:
        response = self.oauth_http.request("POST", self.endpoints.coinbase_token, data=dict(parse_qsl(body)),
                                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        if response.status_code in (400, 401):
            raise BrokerAuthError(f"Coinbase refused to {what} ({error_detail(response)}).")
        if response.status_code >= 300:
            raise BrokerError(f"Coinbase could not {what} ({error_detail(response)}).")
        try:
            payload = response.json()
            access = str(payload["access_token"])
            if str(payload.get("token_type", "bearer")).lower() != "bearer":
                raise ValueError("token_type")
        except (ValueError, KeyError, TypeError) as exc:
            raise BrokerError(f"Coinbase answered an unreadable token response when asked to {what}.") from exc
        expires_in = payload.get("expires_in")
        expires_at = datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else None
        return TokenSet(access_token=access, refresh_token=payload.get("refresh_token"), expires_at=expires_at,
                        scope=str(payload.get("scope") or ""))

    # ---- data -------------------------------------------------------------------------------
    @sensitive_variables()
    def _authorized_get(self, path: str, params: dict) -> dict:
        if not self._access_token:
            raise BrokerAuthError("No Coinbase access token is available. Reconnect the account.")
        response = self.http.request("GET", path, params=params,
                                     headers=lambda: {"Authorization": f"Bearer {self._access_token}"})
        if response.status_code == 401 and self._on_unauthorized is not None:
            self._access_token = self._on_unauthorized()
            response = self.http.request("GET", path, params=params,
                                         headers=lambda: {"Authorization": f"Bearer {self._access_token}"})
        if response.status_code == 401:
            raise BrokerAuthError()
        if response.status_code >= 300:
            raise BrokerRequestError(f"Coinbase rejected the request ({error_detail(response)}).")
        try:
            return response.json()
        except ValueError as exc:
            raise BrokerError("Coinbase answered something that is not JSON.") from exc

    def fetch_trades(self, *, since: datetime, until: datetime, cursor: str | None = None) -> TradePage:
        params = {"limit": self.page_size, "start_sequence_timestamp": rfc3339(since),
                  "end_sequence_timestamp": rfc3339(until)}
        if cursor:
            params["cursor"] = cursor
        body = self._authorized_get("/api/v3/brokerage/orders/historical/fills", params)
        fills = body.get("fills") or []
        items = [fill_to_dto(raw) for raw in fills]
        next_cursor = body.get("cursor") or None
        if not fills:
            next_cursor = None
        return TradePage(items=items, next_cursor=next_cursor)

    def fetch_ohlcv(self, *, symbol: str, granularity: str, start: datetime, end: datetime) -> list[CandleDTO]:
        """Candles with start <= ts < end, ascending, paged 300 per request (gaps stay gaps)."""
        if granularity not in GRANULARITIES:
            raise BrokerRequestError(f"Coinbase has no {granularity!r} candles.", code="invalid_granularity", status=400)
        name, seconds = GRANULARITIES[granularity]
        authenticated = bool(self._access_token)
        path = (f"/api/v3/brokerage/products/{symbol}/candles" if authenticated
                else f"/api/v3/brokerage/market/products/{symbol}/candles")
        lo = int(start.timestamp()) - int(start.timestamp()) % seconds
        hi = int(end.timestamp())
        out: dict[int, CandleDTO] = {}
        while lo < hi:
            stop = min(hi, lo + CANDLES_PER_REQUEST * seconds)
            params = {"start": str(lo), "end": str(stop), "granularity": name}
            if authenticated:
                body = self._authorized_get(path, params)
            else:
                response = self.http.request("GET", path, params=params)
                if response.status_code >= 300:
                    raise BrokerRequestError(f"Coinbase rejected the candles request ({error_detail(response)}).")
                body = response.json()
            for raw in body.get("candles") or []:
                try:
                    ts = int(raw["start"])
                    candle = CandleDTO(ts=datetime.fromtimestamp(ts, tz=UTC), open=decimal_from(raw["open"]),
                                       high=decimal_from(raw["high"]), low=decimal_from(raw["low"]),
                                       close=decimal_from(raw["close"]), volume=decimal_from(raw["volume"]))
                except (KeyError, TypeError, ValueError, ArithmeticError, OSError) as exc:
                    raise BrokerError("Coinbase sent a candle we cannot read.") from exc
                if lo <= ts < stop and ts < hi:
                    out[ts] = candle
            lo = stop
        return [out[ts] for ts in sorted(out)]

