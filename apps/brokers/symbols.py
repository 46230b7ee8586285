"""Canonical symbols: BASE-QUOTE (e.g. BTC-USD). Concatenated pairs (BTCUSDT) split by quote asset."""
from __future__ import annotations

# Quote assets seen on Binance and similar venues. Longest match wins, so FDUSD beats USD, USDT beats USD.
QUOTE_ASSETS = (
    "USDT", "BUSD", "USDC", "FDUSD", "TUSD", "USDP", "DAI", "UST", "PAX", "USD",
    "BTC", "ETH", "BNB", "XRP", "TRX", "DOGE", "DOT", "SOL",
    "EUR", "GBP", "TRY", "BRL", "AUD", "RUB", "UAH", "NGN", "ZAR", "IDRT", "BIDR", "ARS", "PLN", "RON",
    "JPY", "MXN", "COP", "CZK", "BKRW", "VAI",
)
_BY_LENGTH = sorted(QUOTE_ASSETS, key=len, reverse=True)


class SymbolError(ValueError):
    """A pair that cannot be split into base and quote."""


def split_pair(pair: str) -> tuple[str, str]:
    """'BTCUSDT' -> ('BTC', 'USDT'); 'BTC-USD', 'btc/usd', 'BTC_USD' -> ('BTC', 'USD').

    Concatenated pairs are split on the longest known quote asset suffix that leaves a non-empty base.
    """
    text = (pair or "").strip().upper()
    for separator in ("-", "/", "_", " "):
        if separator in text:
            base, _, quote = text.partition(separator)
            if base and quote and separator not in quote:
                return base, quote
            raise SymbolError(f"Cannot read the pair {pair!r}.")
    if not text.isalnum():
        raise SymbolError(f"Cannot read the pair {pair!r}.")
    for quote in _BY_LENGTH:
        if text.endswith(quote) and len(text) > len(quote):
            return text[: -len(quote)], quote
    raise SymbolError(f"Cannot find a known quote asset in {pair!r}.")


def canonical_symbol(pair: str) -> str:
    base, quote = split_pair(pair)
    return f"{base}-{quote}"


def exchange_pair(symbol: str) -> str:
    """'BTC-USDT' -> 'BTCUSDT' (Binance style)."""
    base, quote = split_pair(symbol)
    return f"{base}{quote}"
