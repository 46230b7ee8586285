"""Binance spot: signed read-only calls (HMAC-SHA256 over the query, X-MBX-APIKEY), myTrades, klines.

Trade normalisation
-------------------
* myTrades is per symbol. The symbols to read come from the account's assets (non-zero balances)
  crossed with the common quote assets, plus ``settings.BINANCE_EXTRA_SYMBOLS``; pairs the exchange does
  not list (-1121) are skipped. A fully sold-out asset with no balance is only read if listed in
  ``BINANCE_EXTRA_SYMBOLS`` — a limit of the exchange API (there is no "all my symbols" call).
* ``ext_id`` = ``"<SYMBOL>:<id>"`` (ids are unique per symbol only); side from ``isBuyer``.
* Fees: in the quote asset when paid in quote or base (base fees are converted at the fill price);
  fees paid in a third asset (BNB) keep that asset in ``fee_asset``.
* Integers may arrive as strings; both are accepted.

Paging: the first request per symbol uses ``startTime`` (Binance rejects startTime+endTime spans over
24 h, and ``fromId`` cannot be combined with times), later ones ``fromId = last id + 1``; a symbol ends at
a short page or the first trade at/after ``until``. The opaque cursor carries the remaining symbols and
the next ``fromId``.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from ..endpoints import Endpoints, broker_endpoints
from ..symbols import SymbolError, canonical_symbol, exchange_pair, split_pair
from .base import CandleDTO, TradeDTO, TradePage, decimal_from
from .errors import BrokerAuthError, BrokerError, BrokerRequestError
from .http import BrokerHttp, error_detail

INTERVALS = {"1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "2h": 7200, "4h": 14400, "6h": 21600,
             "12h": 43200, "1d": 86400}
KLINES_PER_REQUEST = 1000
TRADES_PER_REQUEST = 1000
SYMBOL_QUOTES = ("USDT", "USDC", "FDUSD", "BTC", "EUR")
# Permissions a read-only key must NOT have.
FORBIDDEN_PERMISSIONS = {
    "enableSpotAndMarginTrading": "spot & margin trading",
    "enableWithdrawals": "withdrawals",
    "enableInternalTransfer": "internal transfers",
    "permitsUniversalTransfer": "universal transfers",
    "enableMargin": "margin",
    "enableFutures": "futures",
    "enableVanillaOptions": "options",
    "enablePortfolioMarginTrading": "portfolio margin trading",
}


def _int(value) -> int:
    return int(str(value))


def ms_to_datetime(value) -> datetime:
    ms = _int(value)
    return datetime.fromtimestamp(ms // 1000, tz=UTC) + timedelta(milliseconds=ms % 1000)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def trade_to_dto(raw: dict) -> TradeDTO:
    try:
        pair = str(raw["symbol"]).upper()
        base, quote = split_pair(pair)
        price = decimal_from(raw["price"])
        qty = decimal_from(raw["qty"])
        commission = abs(decimal_from(raw.get("commission") or "0"))
        fee_asset = str(raw.get("commissionAsset") or quote).upper()
        if price <= 0 or qty <= 0:
            raise ValueError("price/qty")
        if fee_asset == base:
            commission, fee_asset = commission * price, quote
        buyer = raw["isBuyer"]
        is_buyer = buyer if isinstance(buyer, bool) else str(buyer).lower() == "true"
        return TradeDTO(ext_id=f"{pair}:{_int(raw['id'])}", symbol=f"{base}-{quote}", side="BUY" if is_buyer else "SELL",
                        qty=qty, price=price, ts=ms_to_datetime(raw["time"]), fee=commission, fee_asset=fee_asset,
                        quote_asset=quote)
    except (KeyError, TypeError, ValueError, ArithmeticError, OSError, SymbolError) as exc:
        raise BrokerError(f"Binance sent a trade we cannot read ({type(exc).__name__}).") from exc


def _encode_cursor(symbols: list[str], from_id: int | None) -> str:
    raw = json.dumps({"s": symbols, "f": from_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[list[str], int | None]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return [str(s) for s in data["s"]], (int(data["f"]) if data["f"] is not None else None)
    except (ValueError, KeyError, TypeError) as exc:
        raise BrokerError("The Binance paging cursor is not valid.", status=400, code="invalid_cursor") from exc


class BinanceAdapter:
    name = "binance"

    def __init__(self, *, api_key: str | None = None, api_secret: str | None = None,
                 endpoints: Endpoints | None = None, page_size: int = TRADES_PER_REQUEST):
        self.endpoints = endpoints or broker_endpoints()
        self._api_key = api_key
        self._api_secret = api_secret
        self.page_size = page_size
        self.http = BrokerHttp(self.endpoints.binance_api, label="Binance")

    def __repr__(self) -> str:
        return f"BinanceAdapter({self.endpoints.binance_api!r})"

    def close(self) -> None:
        self.http.close()

    @sensitive_variables()
    def _signed_get(self, path: str, params: dict, *, allow_invalid_symbol: bool = False) -> object:
        if not (self._api_key and self._api_secret):
            raise BrokerAuthError("No Binance API key is stored. Add a read-only key again.")

        def signed() -> dict:
            query = {**params, "timestamp": int(time.time() * 1000), "recvWindow": 10000}
            payload = urlencode(query)
            signature = hmac.new(self._api_secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
            return {**query, "signature": signature}

        response = self.http.request("GET", path, params=signed, headers={"X-MBX-APIKEY": self._api_key})
        if response.status_code in (401, 403) or _binance_code(response) in (-2014, -2015, -1022):
            raise BrokerAuthError(f"Binance refused the API key ({error_detail(response)}).")
        if allow_invalid_symbol and _binance_code(response) == -1121:
            return None
        if response.status_code >= 300:
            raise BrokerRequestError(f"Binance rejected the request ({error_detail(response)}).")
        return response.json()

    # ---- key validation -----------------------------------------------------------------------------
    def key_permissions(self) -> dict:
        """One signed call: the key's permissions (also proves key + secret are valid)."""
        body = self._signed_get("/sapi/v1/account/apiRestrictions", {})
        if not isinstance(body, dict):
            raise BrokerError("Binance answered an unreadable permissions response.")
        return body

    @staticmethod
    def forbidden_permissions(permissions: dict) -> list[str]:
        return [label for key, label in FORBIDDEN_PERMISSIONS.items() if permissions.get(key) is True]

    # ---- trades -------------------------------------------------------------------------------------
    def candidate_symbols(self) -> list[str]:
        account = self._signed_get("/api/v3/account", {"omitZeroBalances": "true"})
        assets = []
        for balance in (account or {}).get("balances", []):
            try:
                held = Decimal(str(balance.get("free") or 0)) + Decimal(str(balance.get("locked") or 0))
            except InvalidOperation:
                continue
            if held > 0:
                assets.append(str(balance["asset"]).upper())
        symbols = [f"{asset}{quote}" for asset in sorted(set(assets)) for quote in SYMBOL_QUOTES if asset != quote]
        for extra in settings.BINANCE_EXTRA_SYMBOLS:
            pair = exchange_pair(extra)
            if pair not in symbols:
                symbols.append(pair)
        return symbols

    def fetch_trades(self, *, since: datetime, until: datetime, cursor: str | None = None) -> TradePage:
        symbols, from_id = _decode_cursor(cursor) if cursor else (self.candidate_symbols(), None)
        while symbols:
            symbol = symbols[0]
            params: dict = {"symbol": symbol, "limit": self.page_size}
            if from_id is None:
                params["startTime"] = to_ms(since)
            else:
                params["fromId"] = from_id
            rows = self._signed_get("/api/v3/myTrades", params, allow_invalid_symbol=True)
            if rows is None:  # not a listed pair
                symbols, from_id = symbols[1:], None
                continue
            if not isinstance(rows, list):
                raise BrokerError("Binance answered an unreadable trades response.")
            until_ms = to_ms(until)
            in_window = [r for r in rows if _int(r["time"]) < until_ms and _int(r["time"]) >= to_ms(since)]
            finished = len(rows) < self.page_size or any(_int(r["time"]) >= until_ms for r in rows)
            if finished:
                symbols, from_id = symbols[1:], None
            else:
                from_id = max(_int(r["id"]) for r in rows) + 1
            next_cursor = _encode_cursor(symbols, from_id) if symbols else None
            if in_window or not symbols:
                return TradePage(items=[trade_to_dto(r) for r in in_window], next_cursor=next_cursor)
        return TradePage(items=[], next_cursor=None)

    # ---- candles ------------------------------------------------------------------------------------
    def fetch_ohlcv(self, *, symbol: str, granularity: str, start: datetime, end: datetime) -> list[CandleDTO]:
        """Klines with start <= open time < end, ascending, 1000 per request. Public: no key needed."""
        if granularity not in INTERVALS:
            raise BrokerRequestError(f"Binance has no {granularity!r} klines.", code="invalid_granularity", status=400)
        seconds = INTERVALS[granularity]
        pair = exchange_pair(canonical_symbol(symbol))
        lo = to_ms(start) - to_ms(start) % (seconds * 1000)
        hi = to_ms(end)
        out: dict[int, CandleDTO] = {}
        while lo < hi:
            response = self.http.request("GET", "/api/v3/klines", params={
                "symbol": pair, "interval": granularity, "startTime": lo, "endTime": hi - 1,
                "limit": KLINES_PER_REQUEST})
            if response.status_code >= 300:
                raise BrokerRequestError(f"Binance rejected the klines request ({error_detail(response)}).")
            rows = response.json()
            if not rows:
                break
            for row in rows:
                try:
                    opened = _int(row[0])
                    candle = CandleDTO(ts=ms_to_datetime(opened), open=decimal_from(row[1]), high=decimal_from(row[2]),
                                       low=decimal_from(row[3]), close=decimal_from(row[4]),
                                       volume=decimal_from(row[5]))
                except (IndexError, TypeError, ValueError, ArithmeticError, OSError) as exc:
                    raise BrokerError("Binance sent a kline we cannot read.") from exc
                if lo <= opened < hi:
                    out[opened] = candle
            last = _int(rows[-1][0])
            if len(rows) < KLINES_PER_REQUEST:
                break
            lo = last + seconds * 1000
        return [out[ts] for ts in sorted(out)]


def _binance_code(response) -> int | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None
