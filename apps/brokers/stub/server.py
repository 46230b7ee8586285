"""A small real HTTP server speaking the Coinbase and Binance wire formats the adapters use.

Coinbase (paths as on api.coinbase.com / login.coinbase.com):
  GET  /oauth2/auth                                   auto-approves: 302 redirect_uri?code&state
  POST /oauth2/token                                  authorization_code (+PKCE S256) | refresh_token (single use)
  POST /oauth2/revoke
  GET  /api/v3/brokerage/orders/historical/fills      bearer; cursor paging; start/end_sequence_timestamp
  GET  /api/v3/brokerage/products/{id}/candles        bearer; newest first; <= 350 per request
  GET  /api/v3/brokerage/market/products/{id}/candles public variant
Binance (under the /binance prefix, i.e. BINANCE_API_BASE = <url>/binance):
  GET  /api/v3/myTrades  /api/v3/account  /sapi/v1/account/apiRestrictions   (signed, X-MBX-APIKEY)
  GET  /api/v3/klines  /api/v3/time                                          (public)
Kraken public market data (under /kraken, i.e. MARKET_DATA_FALLBACK_API_BASE = <url>/kraken for ccxt:kraken):
  GET  /0/public/Assets  /0/public/AssetPairs  /0/public/OHLC   (the latest 720 bars only, as Kraken serves them;
                                                                 pairs in USD and EUR; errors in the `error` list)

Controls (``StubState``): trade count, latency, injected failures (429 with Retry-After, 5xx),
authorization denial, access-token lifetime, and keys with trading/withdrawal permissions.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from .data import ASSETS, Fill, MarketData, floor_hour

CLIENT_ID = "twin-local-client"
CLIENT_SECRET = "twin-local-secret"
READ_ONLY_KEY = "stub-read-only-key"
READ_ONLY_SECRET = "stub-read-only-secret"
TRADING_KEY = "stub-trading-key"
TRADING_SECRET = "stub-trading-secret"
WITHDRAW_KEY = "stub-withdraw-key"
WITHDRAW_SECRET = "stub-withdraw-secret"

COINBASE_GRANULARITIES = {"ONE_HOUR": 3600, "SIX_HOUR": 21600, "ONE_DAY": 86400}
BINANCE_INTERVALS = {"1h": 3600, "6h": 21600, "1d": 86400}
COINBASE_QUOTE = "USD"
BINANCE_QUOTE = "USDT"
KRAKEN_ASSETS = {"BTC": "XXBT", "ETH": "XETH", "SOL": "SOL", "USD": "ZUSD", "EUR": "ZEUR"}  # code -> Kraken id
KRAKEN_ALTNAMES = {"XXBT": "XBT", "XETH": "ETH", "SOL": "SOL", "ZUSD": "USD", "ZEUR": "EUR"}
KRAKEN_QUOTES = ("USD", "EUR")
KRAKEN_INTERVALS = {60: 3600, 240: 14400, 1440: 86400}  # minutes -> seconds
KRAKEN_OHLC_BARS = 720


def _permissions(*, trading: bool = False, withdrawals: bool = False) -> dict:
    return {
        "ipRestrict": False,
        "createTime": 1698645219000,
        "enableReading": True,
        "enableSpotAndMarginTrading": trading,
        "enableWithdrawals": withdrawals,
        "enableInternalTransfer": False,
        "enableMargin": False,
        "enableFutures": False,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enablePortfolioMarginTrading": False,
    }


@dataclass
class Failure:
    status: int
    remaining: int
    retry_after: float | None
    path_contains: str


@dataclass
class StubState:
    """Mutable controls and data of one stub exchange. Thread-safe through `lock`."""

    seed: int = 7
    trade_count: int = 300
    window_days: int = 30
    anchor: datetime = field(default_factory=lambda: floor_hour(datetime.now(UTC)))
    latency: float = 0.0
    access_token_ttl: int = 3600
    deny_authorization: bool = False
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    adjustments: int = 0  # REVERSAL + CORRECTION pairs added to the Coinbase fills
    binance_keys: dict = field(default_factory=lambda: {
        READ_ONLY_KEY: (READ_ONLY_SECRET, _permissions()),
        TRADING_KEY: (TRADING_SECRET, _permissions(trading=True)),
        WITHDRAW_KEY: (WITHDRAW_SECRET, _permissions(withdrawals=True)),
    })
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    hits: Counter = field(default_factory=Counter)
    calls: deque = field(default_factory=lambda: deque(maxlen=5000))  # the latest requests' routes, in order
    in_flight: int = 0  # requests being answered right now
    max_in_flight: int = 0  # the most answered at once since the stub started
    failures: list[Failure] = field(default_factory=list)
    codes: dict = field(default_factory=dict)
    used_refresh: set = field(default_factory=set)
    revoked_grants: set = field(default_factory=set)
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    _market: MarketData | None = None
    _coinbase: list[dict] | None = None
    _coinbase_times: list[datetime] = field(default_factory=list)
    _binance: dict[str, list[dict]] | None = None

    # ---- controls -------------------------------------------------------------------------
    def fail_next(self, status: int, *, times: int = 1, retry_after: float | None = None,
                  path_contains: str = "") -> None:
        """The next `times` requests whose path contains `path_contains` answer `status`."""
        with self.lock:
            self.failures.append(Failure(status, times, retry_after, path_contains))

    def set_trade_count(self, count: int) -> None:
        with self.lock:
            self.trade_count = count
            self._coinbase = self._binance = None

    def set_adjustments(self, count: int) -> None:
        with self.lock:
            self.adjustments = count
            self._coinbase = None

    def take_failure(self, path: str) -> Failure | None:
        with self.lock:
            for failure in self.failures:
                if failure.path_contains in path and failure.remaining > 0:
                    failure.remaining -= 1
                    if failure.remaining == 0:
                        self.failures.remove(failure)
                    return failure
        return None

    # ---- data -----------------------------------------------------------------------------
    @property
    def market(self) -> MarketData:
        with self.lock:
            if self._market is None:
                self._market = _market_for(self.seed, self.anchor)
            return self._market

    def coinbase_fills(self) -> list[dict]:
        """Wire-format fills, newest first (as the API lists them)."""
        with self.lock:
            if self._coinbase is None:
                fills = _fills_for(self.seed, self.anchor, "coinbase", self.trade_count, self.window_days)
                rows = [_coinbase_fill(f) for f in fills]
                rows.extend(self._coinbase_adjustments(rows))
                rows.sort(key=lambda r: (r["sequence_timestamp"], r["entry_id"]), reverse=True)
                self._coinbase_times = [_parse_rfc3339(r["sequence_timestamp"]) for r in rows]
                self._coinbase = rows
            return self._coinbase

    def _coinbase_adjustments(self, rows: list[dict]) -> list[dict]:
        out = []
        for index in range(min(self.adjustments, len(rows))):
            original = rows[(index * 7919) % len(rows)]
            later = _parse_rfc3339(original["sequence_timestamp"]).timestamp() + 600 + index
            for kind, price in (("REVERSAL", original["price"]),
                                ("CORRECTION", str(Decimal(original["price"]) * Decimal("1.001")))):
                entry = dict(original)
                later += 1
                stamp = datetime.fromtimestamp(later, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                entry.update(entry_id=_uuid_from(self.seed, kind, original["entry_id"]), trade_type=kind,
                             trade_time=stamp, sequence_timestamp=stamp, price=price)
                out.append(entry)
        return out

    def binance_trades(self) -> dict[str, list[dict]]:
        """symbol -> wire-format trades ascending by id."""
        with self.lock:
            if self._binance is None:
                fills = _fills_for(self.seed, self.anchor, "binance", self.trade_count, self.window_days)
                by_symbol: dict[str, list[dict]] = {f"{a}{BINANCE_QUOTE}": [] for a in ASSETS}
                for fill in fills:
                    symbol = f"{fill.asset}{BINANCE_QUOTE}"
                    rows = by_symbol[symbol]
                    rows.append(_binance_trade(fill, symbol=symbol, trade_id=100_000 + len(rows)))
                self._binance = by_symbol
            return self._binance

    def expected_fill_count(self, broker: str) -> int:
        if broker == "binance":
            return sum(len(rows) for rows in self.binance_trades().values())
        return len(self.coinbase_fills())

    # ---- tokens ---------------------------------------------------------------------------
    def _sign(self, payload: dict) -> str:
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
        mac = hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{body}.{mac}"

    def _verify(self, token: str, kind: str) -> dict | None:
        body, _, mac = token.rpartition(".")
        if not body or not hmac.compare_digest(mac, hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()[:32]):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        if payload.get("k") != kind or payload.get("g") in self.revoked_grants:
            return None
        return payload

    def issue_tokens(self, *, scope: str, grant: str | None = None) -> dict:
        grant = grant or secrets.token_hex(8)
        now = int(time.time())
        access = self._sign({"k": "at", "g": grant, "exp": now + self.access_token_ttl, "n": secrets.token_hex(4)})
        refresh = self._sign({"k": "rt", "g": grant, "s": scope, "n": secrets.token_hex(8)})
        return {"access_token": access, "token_type": "bearer", "expires_in": self.access_token_ttl,
                "refresh_token": refresh, "scope": scope}

    def access_token_valid(self, token: str) -> bool:
        payload = self._verify(token, "at")
        return bool(payload) and payload["exp"] > time.time()

    def refresh(self, token: str) -> dict | None:
        with self.lock:
            payload = self._verify(token, "rt")
            if payload is None or payload["n"] in self.used_refresh:
                return None
            self.used_refresh.add(payload["n"])
            return self.issue_tokens(scope=payload["s"], grant=payload["g"])

    def revoke(self, token: str) -> None:
        with self.lock:
            for kind in ("at", "rt"):
                payload = self._verify(token, kind)
                if payload:
                    self.revoked_grants.add(payload["g"])


@functools.lru_cache(maxsize=4)
def _market_for(seed: int, anchor: datetime) -> MarketData:
    return MarketData.build(seed=seed, anchor=anchor)


@functools.lru_cache(maxsize=8)
def _fills_for(seed: int, anchor: datetime, venue: str, count: int, window_days: int) -> tuple[Fill, ...]:
    return tuple(_market_for(seed, anchor).fills(venue=venue, count=count, window_days=window_days))


def _uuid_from(*parts) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(map(str, parts))))


def _stamp(fill: Fill) -> str:
    base = fill.ts.strftime("%Y-%m-%dT%H:%M:%S")
    if fill.precision == 0:
        return base + "Z"
    return f"{base}.{fill.ts.microsecond:06d}"[: len(base) + 1 + fill.precision] + "Z"


def _coinbase_fill(fill: Fill) -> dict:
    product = f"{fill.asset}-{COINBASE_QUOTE}"
    notional = fill.price * fill.qty
    commission = (notional * Decimal("0.006")).quantize(Decimal("0.0000000001"))
    size = notional.quantize(Decimal("0.00000001")) if fill.size_in_quote else fill.qty
    return {
        "entry_id": fill.key,
        "trade_id": _uuid_from("trade", fill.key),
        "order_id": _uuid_from("order", fill.key),
        "trade_time": _stamp(fill),
        "trade_type": "FILL",
        "price": str(fill.price),
        "size": str(size),
        "commission": str(commission),
        "product_id": product,
        "sequence_timestamp": fill.ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "liquidity_indicator": "MAKER" if fill.is_maker else "TAKER",
        "size_in_quote": fill.size_in_quote,
        "user_id": "3a5e0f5e-stub-user",
        "side": fill.side,
        "retail_portfolio_id": "b1a3c3f0-stub-portfolio",
    }


def _binance_trade(fill: Fill, *, symbol: str, trade_id: int) -> dict:
    quote_qty = (fill.price * fill.qty).quantize(Decimal("0.00000001"))
    if fill.is_maker:  # maker fees paid in BNB, as with the BNB discount
        commission, asset = (quote_qty * Decimal("0.00000125")).quantize(Decimal("0.00000001")), "BNB"
    elif fill.side == "BUY":
        commission, asset = (fill.qty * Decimal("0.001")).quantize(Decimal("0.00000001")), fill.asset
    else:
        commission, asset = (quote_qty * Decimal("0.001")).quantize(Decimal("0.00000001")), BINANCE_QUOTE
    return {
        "symbol": symbol, "id": trade_id, "orderId": 5_000_000 + trade_id, "orderListId": -1,
        "price": f"{fill.price:.8f}", "qty": f"{fill.qty:.8f}", "quoteQty": f"{quote_qty:.8f}",
        "commission": f"{commission:.8f}", "commissionAsset": asset,
        "time": int(fill.ts.timestamp() * 1000), "isBuyer": fill.side == "BUY",
        "isMaker": fill.is_maker, "isBestMatch": True,
    }


def _parse_rfc3339(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class StubHandler(BaseHTTPRequestHandler):
    server_version = "StubExchange/1.0"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive answers go out at once, not after the peer's delayed ACK

    @property
    def state(self) -> StubState:
        return self.server.state  # type: ignore[attr-defined]

    def log_message(self, format, *args):  # keep test output quiet; never echo query strings
        return

    # ---- plumbing ---------------------------------------------------------------------------
    def _send(self, status: int, body, headers: dict | None = None) -> None:
        raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _form(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        return dict(parse_qsl(raw, keep_blank_values=True))

    def do_GET(self):  # noqa: N802
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
        state = self.state
        with state.lock:
            state.hits[f"{method} {_route_name(path)}"] += 1
            state.calls.append(f"{method} {_route_name(path)}")
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            self._answer(method, path, query, parts.query)
        finally:
            with state.lock:
                state.in_flight -= 1

    def _answer(self, method: str, path: str, query: dict, raw_query: str) -> None:
        state = self.state
        if state.latency:
            time.sleep(state.latency)
        failure = state.take_failure(path)
        if failure:
            headers = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
            if path.startswith("/binance"):
                body = {"code": -1003, "msg": "Too many requests."} if failure.status == 429 else \
                    {"code": -1001, "msg": "Internal error; unable to process your request. Please try again."}
            else:
                body = {"error": "RATE_LIMIT_EXCEEDED" if failure.status == 429 else "INTERNAL",
                        "message": "Too many requests" if failure.status == 429 else "internal error"}
            self._send(failure.status, body, headers)
            return
        try:
            self._route(method, path, query, raw_query)
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, {"error": "INVALID_ARGUMENT", "message": f"bad request: {type(exc).__name__}"})

    def _route(self, method: str, path: str, query: dict, raw_query: str) -> None:
        if method == "GET" and path == "/oauth2/auth":
            return self._authorize(query)
        if method == "POST" and path == "/oauth2/token":
            return self._token()
        if method == "POST" and path == "/oauth2/revoke":
            form = self._form()
            self.state.revoke(form.get("token", ""))
            return self._send(200, {})
        if method == "GET" and path == "/api/v3/brokerage/orders/historical/fills":
            return self._require_bearer() and self._fills(query)
        if method == "GET" and path.startswith("/api/v3/brokerage/market/products/") and path.endswith("/candles"):
            return self._coinbase_candles(path.split("/")[-2], query)
        if method == "GET" and path.startswith("/api/v3/brokerage/products/") and path.endswith("/candles"):
            return self._require_bearer() and self._coinbase_candles(path.split("/")[-2], query)
        if path.startswith("/binance/") and method == "GET":
            sub = path[len("/binance"):]
            if sub == "/api/v3/time":
                return self._send(200, {"serverTime": int(time.time() * 1000)})
            if sub == "/api/v3/klines":
                return self._klines(query)
            if sub in ("/api/v3/myTrades", "/api/v3/account", "/sapi/v1/account/apiRestrictions"):
                key = self._binance_signed(query, raw_query)
                if key is None:
                    return None
                if sub == "/api/v3/myTrades":
                    return self._my_trades(query)
                if sub == "/api/v3/account":
                    return self._account()
                return self._send(200, self.state.binance_keys[key][1])
        if path.startswith("/kraken/0/public/") and method == "GET":
            return self._kraken(path[len("/kraken/0/public/"):], query)
        return self._send(404, {"error": "NOT_FOUND", "message": "no such route"})

    # ---- Kraken public market data --------------------------------------------------------------
    @staticmethod
    def _kraken_pairs() -> dict[str, tuple[str, str, str]]:
        """Pair id -> (base code, quote code, altname), as Kraken names them (XXBTZEUR, altname XBTEUR)."""
        pairs = {}
        for base in ASSETS:
            for quote in KRAKEN_QUOTES:
                base_id, quote_id = KRAKEN_ASSETS[base], KRAKEN_ASSETS[quote]
                pair_id = base_id + quote_id if base_id.startswith("X") else base + quote
                pairs[pair_id] = (base, quote, KRAKEN_ALTNAMES[base_id] + quote)
        return pairs

    def _kraken(self, endpoint: str, query: dict) -> None:
        if endpoint == "Assets":
            return self._send(200, {"error": [], "result": {
                asset_id: {"aclass": "currency", "altname": altname, "decimals": 10, "display_decimals": 5,
                           "status": "enabled"} for asset_id, altname in KRAKEN_ALTNAMES.items()}})
        pairs = self._kraken_pairs()
        if endpoint == "AssetPairs":
            return self._send(200, {"error": [], "result": {pair_id: {
                "altname": altname, "wsname": f"{KRAKEN_ALTNAMES[KRAKEN_ASSETS[base]]}/{quote}",
                "aclass_base": "currency", "base": KRAKEN_ASSETS[base], "aclass_quote": "currency",
                "quote": KRAKEN_ASSETS[quote], "lot": "unit", "cost_decimals": 5, "pair_decimals": 2,
                "lot_decimals": 8, "lot_multiplier": 1, "leverage_buy": [], "leverage_sell": [],
                "fees": [[0, 0.26], [50000, 0.24]], "fees_maker": [[0, 0.16], [50000, 0.14]],
                "fee_volume_currency": "ZUSD", "margin_call": 80, "margin_stop": 40, "ordermin": "0.0001",
                "costmin": "0.5", "tick_size": "0.01", "status": "online"}
                for pair_id, (base, quote, altname) in pairs.items()}})
        if endpoint != "OHLC":
            return self._send(404, {"error": ["EGeneral:Unknown method"], "result": {}})
        by_name = {name: pair_id for pair_id, (_, _, altname) in pairs.items() for name in (pair_id, altname)}
        pair_id = by_name.get(query.get("pair", ""))
        if pair_id is None:
            return self._send(200, {"error": ["EQuery:Unknown asset pair"]})
        seconds = KRAKEN_INTERVALS.get(int(query.get("interval") or 1))
        if seconds is None:
            return self._send(200, {"error": ["EGeneral:Invalid arguments"]})
        now = int(time.time())
        oldest = now - now % seconds - (KRAKEN_OHLC_BARS - 1) * seconds
        since = int(query.get("since") or 0)
        bars = [bar for bar in self.state.market.candles(pairs[pair_id][0], seconds=seconds, start=oldest,
                                                         end=now + seconds, now=now) if bar.ts > since]
        rows = [[bar.ts, f"{bar.open:.2f}", f"{bar.high:.2f}", f"{bar.low:.2f}", f"{bar.close:.2f}",
                 f"{(bar.high + bar.low + bar.close) / 3:.2f}", f"{bar.volume:.8f}", 7] for bar in bars]
        last = rows[-2][0] if len(rows) > 1 else since
        return self._send(200, {"error": [], "result": {pair_id: rows, "last": last}})

    # ---- Coinbase OAuth -------------------------------------------------------------------------
    def _authorize(self, query: dict) -> None:
        state = self.state
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")) or query.get("client_id") != state.client_id:
            return self._send(400, {"error": "invalid_request", "error_description": "unknown client or redirect"})
        sep = "&" if "?" in redirect_uri else "?"
        if state.deny_authorization:
            return self._redirect(redirect_uri + sep + urlencode({"error": "access_denied",
                                                                 "state": query.get("state", "")}))
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256" \
                or not query.get("code_challenge"):
            return self._redirect(redirect_uri + sep + urlencode({"error": "invalid_request",
                                                                 "state": query.get("state", "")}))
        code = secrets.token_urlsafe(24)
        with state.lock:
            state.codes[code] = {"redirect_uri": redirect_uri, "challenge": query["code_challenge"],
                                 "scope": query.get("scope", ""), "exp": time.time() + 600}
        return self._redirect(redirect_uri + sep + urlencode({"code": code, "state": query.get("state", "")}))

    def _client_ok(self, form: dict) -> bool:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False
        return client_id == self.state.client_id and client_secret == self.state.client_secret

    def _token(self) -> None:
        form = self._form()
        state = self.state
        if not self._client_ok(form):
            return self._send(401, {"error": "invalid_client"})
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            with state.lock:
                issued = state.codes.pop(form.get("code", ""), None)
            if issued is None or issued["exp"] < time.time() or issued["redirect_uri"] != form.get("redirect_uri"):
                return self._send(400, {"error": "invalid_grant", "error_description": "bad or used code"})
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if not verifier or not hmac.compare_digest(challenge, issued["challenge"]):
                return self._send(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
            return self._send(200, state.issue_tokens(scope=issued["scope"]))
        if grant_type == "refresh_token":
            tokens = state.refresh(form.get("refresh_token", ""))
            if tokens is None:
                return self._send(400, {"error": "invalid_grant", "error_description": "refresh token invalid or used"})
            return self._send(200, tokens)
        return self._send(400, {"error": "unsupported_grant_type"})

    def _require_bearer(self) -> bool:
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not self.state.access_token_valid(auth[7:]):
            self._send(401, {"error": "unauthorized", "message": "invalid or expired access token"})
            return False
        return True

    # ---- Coinbase data --------------------------------------------------------------------------
    def _fills(self, query: dict) -> None:
        rows = self.state.coinbase_fills()
        times = self.state._coinbase_times
        start = query.get("start_sequence_timestamp")
        end = query.get("end_sequence_timestamp")
        products = {p for p in query.get("product_ids", "").split(",") if p}
        if start or end or products:
            low = _parse_rfc3339(start) if start else None
            high = _parse_rfc3339(end) if end else None
            rows = [r for r, t in zip(rows, times, strict=True)
                    if (low is None or t >= low) and (high is None or t < high)
                    and (not products or r["product_id"] in products)]
        limit = max(1, min(int(query.get("limit") or 100), 1000))
        offset = 0
        if query.get("cursor"):
            offset = int(base64.urlsafe_b64decode(query["cursor"].encode()).decode())
        page = rows[offset:offset + limit]
        next_offset = offset + len(page)
        cursor = base64.urlsafe_b64encode(str(next_offset).encode()).decode() if next_offset < len(rows) else ""
        items = [dict(row, cursor=cursor) for row in page]
        return self._send(200, {"fills": items, "cursor": cursor})

    def _coinbase_candles(self, product_id: str, query: dict) -> None:
        asset, _, quote = product_id.partition("-")
        seconds = COINBASE_GRANULARITIES.get(query.get("granularity", ""))
        if asset not in ASSETS or quote != COINBASE_QUOTE:
            return self._send(404, {"error": "NOT_FOUND", "message": f"product {product_id} not found"})
        if seconds is None:
            return self._send(400, {"error": "INVALID_ARGUMENT", "message": "unsupported granularity"})
        start, end = int(query["start"]), int(query["end"])
        if end <= start or (end - start) // seconds > 350:
            return self._send(400, {"error": "INVALID_ARGUMENT",
                                    "message": "number of candles requested should be less than 350"})
        bars = self.state.market.candles(asset, seconds=seconds, start=start, end=end, now=int(time.time()))
        candles = [{"start": str(b.ts), "low": str(b.low), "high": str(b.high), "open": str(b.open),
                    "close": str(b.close), "volume": str(b.volume)} for b in reversed(bars)]
        return self._send(200, {"candles": candles})

    # ---- Binance --------------------------------------------------------------------------------
    def _binance_error(self, status: int, code: int, msg: str) -> None:
        self._send(status, {"code": code, "msg": msg})

    def _binance_signed(self, query: dict, raw_query: str) -> str | None:
        key = self.headers.get("X-MBX-APIKEY", "")
        entry = self.state.binance_keys.get(key)
        if entry is None:
            self._binance_error(401, -2015, "Invalid API-key, IP, or permissions for action.")
            return None
        payload, _, signature = raw_query.rpartition("&signature=")
        expected = hmac.new(entry[0].encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not signature or not hmac.compare_digest(signature, expected):
            self._binance_error(400, -1022, "Signature for this request is not valid.")
            return None
        timestamp = int(query.get("timestamp") or 0)
        window = int(query.get("recvWindow") or 5000)
        now = int(time.time() * 1000)
        if timestamp > now + 1000 or now - timestamp > window:
            self._binance_error(400, -1021, "Timestamp for this request is outside of the recvWindow.")
            return None
        return key

    def _account(self) -> None:
        balances = [{"asset": a, "free": "0.50000000", "locked": "0.00000000"} for a in ASSETS]
        balances += [{"asset": BINANCE_QUOTE, "free": "1250.00000000", "locked": "0.00000000"},
                     {"asset": "BNB", "free": "0.04000000", "locked": "0.00000000"},
                     {"asset": "DOGE", "free": "0.00000000", "locked": "0.00000000"}]
        return self._send(200, {"makerCommission": 10, "takerCommission": 10, "canTrade": True,
                                "canWithdraw": True, "canDeposit": True, "accountType": "SPOT",
                                "updateTime": int(time.time() * 1000), "balances": balances,
                                "permissions": ["SPOT"]})

    def _my_trades(self, query: dict) -> None:
        symbol = query.get("symbol", "")
        trades = self.state.binance_trades().get(symbol)
        if trades is None:
            return self._binance_error(400, -1121, "Invalid symbol.")
        limit = int(query.get("limit") or 500)
        if not 1 <= limit <= 1000:
            return self._binance_error(400, -1100, "Illegal characters found in parameter 'limit'.")
        from_id, start, end = query.get("fromId"), query.get("startTime"), query.get("endTime")
        if from_id is not None and (start or end):
            return self._binance_error(400, -1128, "Combination of optional parameters invalid.")
        if start and end and int(end) - int(start) > 24 * 3600 * 1000:
            return self._binance_error(400, -1127, "More than 24 hours between startTime and endTime.")
        rows = trades
        if from_id is not None:
            rows = [t for t in rows if t["id"] >= int(from_id)]
        else:
            if start:
                rows = [t for t in rows if t["time"] >= int(start)]
            if end:
                rows = [t for t in rows if t["time"] <= int(end)]
            if not start and not end:  # most recent trades
                rows = rows[-limit:]
        return self._send(200, rows[:limit])

    def _klines(self, query: dict) -> None:
        symbol = query.get("symbol", "")
        seconds = BINANCE_INTERVALS.get(query.get("interval", ""))
        asset = symbol[: -len(BINANCE_QUOTE)] if symbol.endswith(BINANCE_QUOTE) else ""
        if asset not in ASSETS:
            return self._binance_error(400, -1121, "Invalid symbol.")
        if seconds is None:
            return self._binance_error(400, -1120, "Invalid interval.")
        limit = int(query.get("limit") or 500)
        if not 1 <= limit <= 1000:
            return self._binance_error(400, -1100, "Illegal characters found in parameter 'limit'.")
        start = int(query.get("startTime") or 0) // 1000
        end = int(query.get("endTime") or time.time() * 1000) // 1000 + 1
        bars = self.state.market.candles(asset, seconds=seconds, start=start - start % seconds if start else 0,
                                         end=end, now=int(time.time()))
        bars = [b for b in bars if b.ts >= start]
        bars = bars[:limit] if query.get("startTime") else bars[-limit:]  # no start: the most recent ones
        rows = [[b.ts * 1000, f"{b.open:.8f}", f"{b.high:.8f}", f"{b.low:.8f}", f"{b.close:.8f}",
                 f"{b.volume:.8f}", (b.ts + seconds) * 1000 - 1, f"{b.volume * b.close:.8f}", 42,
                 f"{b.volume / 2:.8f}", f"{b.volume * b.close / 2:.8f}", "0"] for b in bars]
        return self._send(200, rows)


def _route_name(path: str) -> str:
    if "/candles" in path:
        return "market/candles" if "/market/" in path else "candles"
    return path


class StubExchange:
    """The stub running on a background thread. `url` is its base URL."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, state: StubState | None = None):
        self.state = state or StubState()
        self.server = ThreadingHTTPServer((host, port), StubHandler)
        self.server.daemon_threads = True
        self.server.state = self.state  # type: ignore[attr-defined]
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def coinbase_api_base(self) -> str:
        return self.url

    @property
    def binance_api_base(self) -> str:
        return f"{self.url}/binance"

    @property
    def kraken_api_base(self) -> str:
        return f"{self.url}/kraken"

    def start(self) -> StubExchange:
        self.thread = threading.Thread(target=self.server.serve_forever, name="stub-exchange", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread:
            self.thread.join(timeout=5)

    def settings_overrides(self) -> dict:
        return {
            "COINBASE_API_BASE": self.coinbase_api_base,
            "COINBASE_OAUTH_AUTHORIZE_URL": f"{self.url}/oauth2/auth",
            "COINBASE_OAUTH_TOKEN_URL": f"{self.url}/oauth2/token",
            "COINBASE_OAUTH_REVOKE_URL": f"{self.url}/oauth2/revoke",
            "COINBASE_CLIENT_ID": self.state.client_id,
            "COINBASE_CLIENT_SECRET": self.state.client_secret,
            "BINANCE_API_BASE": self.binance_api_base,
        }
