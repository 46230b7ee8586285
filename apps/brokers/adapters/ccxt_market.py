"""Public candles from any exchange ccxt covers, for symbols the two exchange adapters do not list.

`settings.MARKET_DATA_FALLBACK = "ccxt:<exchange id>"` (e.g. `ccxt:kraken`) names the exchange;
`MARKET_DATA_FALLBACK_API_BASE` sends its public API elsewhere (a mirror, or the stub exchange's `/kraken`).
Only public endpoints are called (the exchange's markets and its OHLCV); no credentials. Amounts are read as
the exchange wrote them (ccxt hands them over as text), so no float ever touches a price.

What an exchange serves differs: Kraken, for one, answers only its latest 720 bars of a granularity, so older
windows come back empty and are recorded as fetched with no candles, like a gap in any feed.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.conf import settings

from ..types import CandleDTO, decimal_from
from .errors import BrokerError, BrokerRequestError

logger = logging.getLogger("apps.brokers.marketdata")

PREFIX = "ccxt:"
TIMEFRAMES = {"1h": "1h", "6h": "6h", "1d": "1d"}
_PAGE_LIMIT = 720
_MAX_PAGES = 200


def _ccxt():
    """ccxt, imported on first use: once imported it holds ~55 MB, which a process that never reads a fallback
    exchange (the web, the scoring worker, `rescore`) need not carry."""
    import ccxt

    return ccxt


def fallback_exchange_id(value: str | None = None) -> str | None:
    """The ccxt exchange id of `MARKET_DATA_FALLBACK` (`ccxt:kraken` → `kraken`), or None when unset or unknown."""
    value = (settings.MARKET_DATA_FALLBACK if value is None else value).strip()
    if not value.startswith(PREFIX):
        return None
    exchange_id = value[len(PREFIX):].strip().lower()
    return exchange_id if exchange_id in _ccxt().exchanges else None


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class CcxtMarketAdapter:
    """fetch_ohlcv/close like the exchange adapters, through ccxt's synchronous client."""

    def __init__(self, exchange_id: str, *, api_base: str | None = None, timeout: float | None = None):
        ccxt = _ccxt()
        if exchange_id not in ccxt.exchanges:
            raise BrokerRequestError(f"ccxt has no exchange {exchange_id!r}.", code="invalid_fallback", status=400)
        self.source = self.source_name(exchange_id)
        self.exchange = getattr(ccxt, exchange_id)({
            "enableRateLimit": True,
            "timeout": int(1000 * (timeout or settings.BROKER_HTTP_TIMEOUT)),
        })
        base = settings.MARKET_DATA_FALLBACK_API_BASE if api_base is None else api_base
        if base:
            api = self.exchange.urls.get("api")
            base = base.rstrip("/")
            self.exchange.urls["api"] = {name: base for name in api} if isinstance(api, dict) else base
        self._loaded = False

    @staticmethod
    def source_name(exchange_id: str) -> str:
        return PREFIX + exchange_id

    def _market_symbol(self, symbol: str) -> str:
        if not self._loaded:
            self._call(self.exchange.load_markets)
            self._loaded = True
            self.exchange.number = str  # amounts from here on stay text, read as Decimal below
        base, _, quote = symbol.partition("-")
        unified = f"{base}/{quote}"
        if unified not in self.exchange.markets:
            raise BrokerRequestError(f"{self.source} does not list {symbol}.", code="unknown_symbol", status=404)
        return unified

    def _call(self, function, *args, **kwargs):
        ccxt = _ccxt()
        try:
            return function(*args, **kwargs)
        except ccxt.BadSymbol as exc:
            raise BrokerRequestError(f"{self.source} does not list that market.", code="unknown_symbol",
                                     status=404) from exc
        except (ccxt.BadRequest, ccxt.NotSupported) as exc:
            raise BrokerRequestError(f"{self.source} rejected the request ({type(exc).__name__}).") from exc
        except ccxt.BaseError as exc:  # network errors, outages, rate limits: try again later
            raise BrokerError(f"{self.source} did not answer as expected ({type(exc).__name__}).") from exc

    def fetch_ohlcv(self, *, symbol: str, granularity: str, start: datetime, end: datetime) -> list[CandleDTO]:
        """Candles with start <= open time < end, ascending, page by page from `start`."""
        timeframe = TIMEFRAMES.get(granularity)
        market = self._market_symbol(symbol)
        if timeframe is None or timeframe not in (self.exchange.timeframes or {}):
            raise BrokerRequestError(f"{self.source} has no {granularity!r} candles.", code="invalid_granularity",
                                     status=400)
        since, until = _ms(start), _ms(end)
        out: dict[int, CandleDTO] = {}
        for _ in range(_MAX_PAGES):
            rows = self._call(self.exchange.fetch_ohlcv, market, timeframe, since=since, limit=_PAGE_LIMIT)
            fresh = [row for row in rows or [] if isinstance(row, list | tuple) and len(row) >= 6]
            newest = since - 1
            for row in fresh:
                try:
                    opened = int(row[0])
                    candle = CandleDTO(ts=datetime.fromtimestamp(opened / 1000, tz=UTC), open=decimal_from(row[1]),
                                       high=decimal_from(row[2]), low=decimal_from(row[3]),
                                       close=decimal_from(row[4]), volume=decimal_from(row[5]))
                except (TypeError, ValueError, OverflowError, OSError) as exc:
                    raise BrokerError(f"{self.source} sent a candle we cannot read.") from exc
                newest = max(newest, opened)
                if since <= opened < until:
                    out[opened] = candle
            if not fresh or newest < since or newest + 1 >= until:
                break
            since = newest + 1
        return [out[ts] for ts in sorted(out)]

    def close(self) -> None:
        session = getattr(self.exchange, "session", None)
        if session is not None:
            session.close()
