"""Reading one cell: numbers with currency symbols or glued assets, timestamps, pairs, sides."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, DecimalException
from functools import lru_cache

from .base import RowProblem

# Storage holds 18 decimal places and 22 integer digits (apps.core.models.money_field).
_QUANTUM = Decimal("1e-18")
_LIMIT = Decimal(10) ** 22
_ZERO = Decimal(0)
_ONE = Decimal(1)
_CONTEXT = Context(prec=80, rounding=ROUND_HALF_EVEN, Emax=999, Emin=-999)
_MAX_CELL = 120

CURRENCY_SYMBOLS = {
    "€": "EUR", "$": "USD", "US$": "USD", "£": "GBP", "¥": "JPY", "₩": "KRW", "₺": "TRY", "₽": "RUB",
    "₹": "INR", "₴": "UAH", "R$": "BRL", "A$": "AUD", "C$": "CAD", "CA$": "CAD", "AU$": "AUD", "zł": "PLN",
    "₦": "NGN", "₱": "PHP", "฿": "THB", "₫": "VND", "CHF": "CHF", "Fr.": "CHF", "kr": "SEK",
}

# Binance concatenates pairs (DOGEEUR); split on the longest known quote asset at the end.
QUOTE_ASSETS = tuple(sorted({
    "USDT", "BUSD", "USDC", "FDUSD", "TUSD", "USDP", "DAI", "PAX", "UST", "USD", "EURI", "AEUR",
    "BTC", "ETH", "BNB", "XRP", "DOGE", "TRX", "DOT", "SOL",
    "EUR", "GBP", "TRY", "BRL", "AUD", "RUB", "UAH", "JPY", "NGN", "ZAR", "PLN", "RON", "ARS", "MXN", "COP",
    "CZK", "IDRT", "BIDR", "BKRW", "VAI", "GYEN",
}, key=lambda asset: (-len(asset), asset)))

# Within one pair of legs, the asset that prices the other (for ledgers that only list the two legs).
_QUOTE_RANK = ("USD", "EUR", "GBP", "USDC", "USDT", "DAI", "BUSD", "FDUSD", "TUSD", "CAD", "AUD", "JPY", "CHF",
               "BTC", "ETH", "BNB")

_ASSET = re.compile(r"[A-Z0-9]{1,15}")
_NUMBER = re.compile(r"(?P<mantissa>(?:\d[\d.,' ]*)?\d\.?|\.\d+)(?P<exponent>[eE][-+]?\d{1,4})?")
_MONEY = re.compile(
    r"(?P<sign>[-+−]?)\s*(?P<prefix>[^\d\s.,+\-−]{0,4})\s*(?P<sign2>[-+−]?)\s*"
    r"(?P<number>(?:\d[\d.,' ]*)?\d\.?(?:[eE][-+]?\d{1,4})?|\.\d+(?:[eE][-+]?\d{1,4})?)"
    r"\s*(?P<suffix>[^\d\s.,+\-−]{0,10})"
)
_GLUED = re.compile(
    r"(?P<sign>[-+]?)(?P<number>(?:\d[\d.,]*)?\d\.?(?:[eE][-+]?\d{1,4})?|\.\d+(?:[eE][-+]?\d{1,4})?)"
    r"\s*(?P<asset>[A-Za-z][A-Za-z0-9]{0,14})?"
)
_PLAIN = re.compile(r"-?\d{1,30}(?:\.\d{1,40})?")
_GLUED_PLAIN = re.compile(r"(\d{1,30}(?:\.\d{1,40})?)([A-Za-z][A-Za-z0-9]{0,14})?")
_THOUSANDS_COMMA = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")
_THOUSANDS_DOT = re.compile(r"[1-9]\d{0,2}(?:\.\d{3}){2,}(?:,\d*)?")


# `1,234` is a thousand in a comma-separated file (the cell had to be quoted) but 1.234 in a semicolon-separated
# one, where spreadsheets in decimal-comma locales write numbers like `0,5` and `1.234,5`.
_DECIMAL_COMMA: ContextVar[bool] = ContextVar("decimal_comma", default=False)


@contextmanager
def decimal_comma(enabled: bool) -> Iterator[None]:
    token = _DECIMAL_COMMA.set(enabled)
    try:
        yield
    finally:
        _DECIMAL_COMMA.reset(token)


def _mantissa_text(mantissa: str) -> str:
    """Turn `1,234.5`, `1.234,5`, `0,5`, `1 234.5` into plain `1234.5`; refuse what stays ambiguous."""
    text = mantissa.replace(" ", "").replace("'", "")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            if text.count(",") > 1:
                raise RowProblem(f"{mantissa!r} is not a number")
            return text.replace(".", "").replace(",", ".")
        if not _THOUSANDS_COMMA.fullmatch(text):
            raise RowProblem(f"{mantissa!r} is not a number")
        return text.replace(",", "")
    if "," in text:
        if _THOUSANDS_COMMA.fullmatch(text) and not (_DECIMAL_COMMA.get() and text.count(",") == 1):
            return text.replace(",", "")
        if text.count(",") == 1:
            return text.replace(",", ".")
        raise RowProblem(f"{mantissa!r} is not a number")
    if text.count(".") > 1:
        if _THOUSANDS_DOT.fullmatch(text):
            return text.replace(".", "")
        raise RowProblem(f"{mantissa!r} is not a number")
    return text


def _finish(value: Decimal, original: str) -> Decimal:
    if not value.is_finite() or value.copy_abs() >= _LIMIT:
        raise RowProblem(f"{original!r} is out of range")
    if value.as_tuple().exponent < -18:
        value = value.quantize(_QUANTUM, context=_CONTEXT)
    if not value:
        return _ZERO
    value = value.normalize(_CONTEXT)
    if value.as_tuple().exponent > 0:
        value = value.quantize(_ONE, context=_CONTEXT)
    return value


def stored(value: Decimal) -> Decimal:
    """A computed value as storage holds it: 18 decimal places at most, no trailing zeros."""
    return _finish(value, format(value, "f"))


def _number(number: str, negative: bool, original: str) -> Decimal:
    match = _NUMBER.fullmatch(number)
    if not match:
        raise RowProblem(f"{original!r} is not a number")
    text = _mantissa_text(match["mantissa"]) + (match["exponent"] or "")
    try:
        value = Decimal(text)
    except DecimalException as exc:
        raise RowProblem(f"{original!r} is not a number") from exc
    return _finish(value.copy_negate() if negative and value else value, original)


def parse_decimal(cell: str, *, what: str) -> Decimal:
    """A plain number such as `0.31`, `1,234.5`, `-3.605E-05`."""
    value, currency = parse_money(cell, what=what)
    if currency:
        raise RowProblem(f"{what}: {cell.strip()!r} is not a number")
    return value


def parse_money(cell: str, *, what: str) -> tuple[Decimal, str]:
    """A number that may carry a currency symbol or code: `€3343.11`, `-€597.49`, `$1,234.56`, `12 EUR`.
    Returns the value and the currency code it names (or "")."""
    text = cell.strip()
    if _PLAIN.fullmatch(text):
        return _finish(Decimal(text), text), ""
    if not text:
        raise RowProblem(f"{what} is empty")
    if len(text) > _MAX_CELL:
        raise RowProblem(f"{what} is too long to be a number")
    match = _MONEY.fullmatch(text)
    if not match or (match["sign"] and match["sign2"]) or (match["prefix"] and match["suffix"]):
        raise RowProblem(f"{what}: {text!r} is not a number")
    symbol = match["prefix"] or match["suffix"]
    currency = ""
    if symbol:
        currency = CURRENCY_SYMBOLS.get(symbol) or CURRENCY_SYMBOLS.get(symbol.upper(), "")
        if not currency and re.fullmatch(r"[A-Za-z]{2,10}", symbol):
            currency = symbol.upper()
        if not currency:
            raise RowProblem(f"{what}: {text!r} is not a number")
    negative = (match["sign"] or match["sign2"]) in ("-", "−")
    try:
        return _number(match["number"], negative, text), currency
    except RowProblem as problem:
        raise RowProblem(f"{what}: {problem.reason}") from None


def parse_glued(cell: str, *, what: str, assets: tuple[str, ...] = ()) -> tuple[Decimal, str]:
    """A number with its asset glued on, as Binance writes them: `500DOGE`, `0.0000020100BTC`, `1,234.5USDT`.
    `assets` are the assets the cell is expected to end with, longest first (they may start with a digit,
    like 1INCH). Returns the value and the asset ("" when the cell is a bare number)."""
    text = cell.strip().replace(" ", "")
    if not text:
        raise RowProblem(f"{what} is empty")
    if len(text) > _MAX_CELL:
        raise RowProblem(f"{what} is too long to be a number")
    plain = _GLUED_PLAIN.fullmatch(text)
    if plain:
        asset = (plain[2] or "").upper()
        if not asset or (asset[0] != "E" and (not assets or asset in assets)):
            return _finish(Decimal(plain[1]), text), asset
    match = _GLUED.fullmatch(text)
    asset = (match["asset"] or "").upper() if match else ""
    if assets and asset not in assets:
        # The asset may itself start with digits (500 of 1INCH is written `5001INCH`): try the expected ones.
        upper = text.upper()
        for expected in assets:
            head = text[: -len(expected)]
            if expected and upper.endswith(expected) and head and (head[-1].isdigit() or head[-1] == "."):
                try:
                    return _number(head.lstrip("+-"), head.startswith("-"), text), expected
                except RowProblem:
                    continue
    if not match:
        raise RowProblem(f"{what}: {text!r} is not an amount")
    try:
        value = _number(match["number"], match["sign"] == "-", text)
    except RowProblem as problem:
        raise RowProblem(f"{what}: {problem.reason}") from None
    return value, asset


# --- Fast paths: the plain cells that make up almost every row, read without regular expressions. Each returns
# the value and its canonical text (as decimal_text would write it, for row hashes) or falls back to the full
# reader above, so the result is the same either way.


def plain_number(text: str) -> tuple[Decimal, str] | None:
    """`0.31031`, `-12`, `500.00` → (value, canonical text); None for anything that is not such a plain number
    (left to the full readers)."""
    if not (text.replace(".", "", 1).isdigit() and text.isascii()):
        if text[:1] == "-" and text[1:2].isdigit():
            unsigned = plain_number(text[1:])
            if unsigned is not None and unsigned[1] != "0":
                return unsigned[0].copy_negate(), "-" + unsigned[1]
            return unsigned
        return None
    dot = text.find(".")
    if dot < 0:
        if len(text) > 22 or (text[0] == "0" and len(text) > 1):
            return None
        return Decimal(text), text
    canonical = text.rstrip("0")
    if canonical[-1] == ".":
        canonical = canonical[:-1]
    if not 0 < dot <= 22 or len(canonical) - dot > 19 or (text[0] == "0" and dot > 1):
        return None
    return Decimal(canonical), canonical


def read_decimal(cell: str, *, what: str) -> tuple[Decimal, str]:
    """parse_decimal with the canonical text."""
    fast = plain_number(cell)
    if fast is not None:
        return fast
    value = parse_decimal(cell, what=what)
    return value, decimal_text(value)


_SYMBOL_CHARS = {symbol: code for symbol, code in CURRENCY_SYMBOLS.items() if len(symbol) == 1}


def read_money(cell: str, *, what: str) -> tuple[Decimal, str, str]:
    """parse_money with the canonical text: (value, text, currency)."""
    negative = cell[:1] == "-"
    body = cell[1:] if negative else cell
    currency = _SYMBOL_CHARS.get(body[:1], "")
    fast = plain_number(body[1:] if currency else body)
    if fast is not None:
        if negative and fast[1] != "0":
            return fast[0].copy_negate(), "-" + fast[1], currency
        return fast[0], fast[1], currency
    value, currency = parse_money(cell, what=what)
    return value, decimal_text(value), currency


def read_glued(cell: str, *, what: str, asset: str, assets: tuple[str, ...] = ()) -> tuple[Decimal, str, str]:
    """parse_glued with the canonical text: (value, text, asset). `asset` is the one the cell should end with;
    `assets` (longest first) are all it may end with."""
    if asset and cell.endswith(asset):
        fast = plain_number(cell[: -len(asset)])
        if fast is not None:
            return fast[0], fast[1], asset
    else:
        fast = plain_number(cell)
        if fast is not None:
            return fast[0], fast[1], ""
    value, written = parse_glued(cell, what=what, assets=assets or ((asset,) if asset else ()))
    return value, decimal_text(value), written


def read_time(cell: str, *, what: str = "Timestamp") -> tuple[datetime, str]:
    """parse_timestamp with the ISO text of the result (`2021-03-04T10:00:00+00:00`, for row hashes)."""
    text = cell[:19] if len(cell) == 23 and cell.endswith(" UTC") else cell
    if len(text) >= 19 and text[4] == "-" and text[10] in " T":
        try:
            moment = datetime.fromisoformat(text + "+00:00" if len(text) == 19 else text)
        except ValueError:
            moment = None
        if moment is not None and 2009 <= moment.year <= 2100:
            if len(text) == 19:
                return moment, text[:10] + "T" + text[11:] + "+00:00"
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            elif moment.utcoffset():
                moment = moment.astimezone(UTC)
            return moment, moment.isoformat()
    moment = parse_timestamp(cell, what=what)
    return moment, moment.isoformat()


def positive(value: Decimal, *, what: str) -> Decimal:
    if value <= 0:
        raise RowProblem(f"{what} must be greater than zero, got {decimal_text(value)}")
    return value


def decimal_text(value: Decimal) -> str:
    """The canonical text of a parsed value, used in row hashes."""
    return format(value, "f")


_ISO_PLAIN = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?")
_TWO_DIGIT_YEAR = re.compile(r"(\d{2})-(\d{1,2})-(\d{1,2})(?=$|[ T])")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")
_ZONE_WORD = re.compile(r"\s*(?:\(?\s*(?:UTC|GMT)\s*\)?)$", re.IGNORECASE)
_CLOCK = r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?)?"
# Layouts other than ISO-8601 that spreadsheets write; day before month where the year comes last.
_YEAR_FIRST = re.compile(r"(?P<year>\d{4})[/.](?P<month>\d{1,2})[/.](?P<day>\d{1,2})" + _CLOCK)
_DAY_FIRST = re.compile(r"(?P<day>\d{1,2})[./-](?P<month>\d{1,2})[./-](?P<year>\d{4})" + _CLOCK)
_MONTH_FIRST = re.compile(r"(?P<month>\d{1,2})[./-](?P<day>\d{1,2})[./-](?P<year>\d{4})" + _CLOCK)
# The start of a date written day and month first in some order, year last: `5/1/2022 10:00`, `5-1-2022`.
# Dotted dates (`05.01.2022`) are always day first: no locale writes the month first with dots.
NUMERIC_DATE = re.compile(r"\s*(\d{1,2})[/-](\d{1,2})[/-]\d{4}\b")


def parse_timestamp(cell: str, *, what: str = "Timestamp", fmt: str | None = None,
                    month_first: bool = False) -> datetime:
    """Any of `2025-01-17 16:57:02 UTC`, `2021-03-04T10:00:00Z`, `2023-11-26T10:19:47.504Z`,
    `21-03-04 10:00:00`, `2021-03-04 10:00:00+01:00`, epoch seconds or milliseconds. Always aware UTC.
    `5/1/2022` is 5 January unless `month_first`."""
    text = cell.strip()
    if not text:
        raise RowProblem(f"{what} is empty")
    if len(text) > 64:
        raise RowProblem(f"{what} is too long to be a time")
    try:
        if fmt:
            moment = datetime.strptime(text, fmt)
        else:
            moment = _parse_any_time(text, month_first)
        if moment is None:
            raise ValueError(text)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError, TypeError):
        raise RowProblem(f"{what}: {text!r} is not a date and time"
                         + (f" in the format {fmt!r}" if fmt else "")) from None
    if not 2009 <= moment.year <= 2100:
        raise RowProblem(f"{what}: {text!r} is outside 2009–2100")
    return moment


def _parse_any_time(text: str, month_first: bool = False) -> datetime | None:
    if _ISO_PLAIN.fullmatch(text):
        return datetime.fromisoformat(text)
    if text.isdigit() and len(text) in (10, 13):
        seconds = int(text) / 1000 if len(text) == 13 else int(text)
        return datetime.fromtimestamp(seconds, tz=UTC)
    text = _ZONE_WORD.sub("", text)
    if _TWO_DIGIT_YEAR.match(text):
        text = "20" + text
    text = _LONG_FRACTION.sub(r"\1", text)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(.*)", text)
    if match:
        text = f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}{match[4]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    match = _YEAR_FIRST.fullmatch(text) or (_MONTH_FIRST if month_first else _DAY_FIRST).fullmatch(text)
    if match is None:
        return None
    return datetime(int(match["year"]), int(match["month"]), int(match["day"]), int(match["hour"] or 0),
                    int(match["minute"] or 0), int(match["second"] or 0), int((match["fraction"] or "0").ljust(6, "0")))


def clean_asset(cell: str, *, what: str) -> str:
    asset = cell.strip().upper()
    if not asset:
        raise RowProblem(f"{what} is empty")
    if not _ASSET.fullmatch(asset):
        raise RowProblem(f"{what}: {cell.strip()[:40]!r} is not an asset code")
    return asset


@lru_cache(maxsize=4096)
def split_pair(cell: str, *, quote_hint: str = "", base_hint: str = "") -> tuple[str, str]:
    """`DOGEEUR`, `DOGE/EUR`, `doge-eur`, `BTC_USDT` → (base, quote)."""
    text = cell.strip().upper()
    if not text:
        raise RowProblem("Pair is empty")
    for separator in ("-", "/", "_", ":", " "):
        if separator in text:
            parts = [part.strip() for part in text.split(separator)]
            if len(parts) == 2 and all(_ASSET.fullmatch(part) for part in parts):
                return parts[0], parts[1]
            raise RowProblem(f"Pair: {cell.strip()[:40]!r} is not a pair")
    if not _ASSET.fullmatch(text) and not re.fullmatch(r"[A-Z0-9]{2,30}", text):
        raise RowProblem(f"Pair: {cell.strip()[:40]!r} is not a pair")
    if quote_hint and text.endswith(quote_hint) and len(text) > len(quote_hint):
        return text[: -len(quote_hint)], quote_hint
    if base_hint and text.startswith(base_hint) and len(text) > len(base_hint):
        return base_hint, text[len(base_hint):]
    for quote in QUOTE_ASSETS:
        if text.endswith(quote) and len(text) > len(quote):
            return text[: -len(quote)], quote
    raise RowProblem(f"Pair: cannot tell the base from the quote asset in {text!r}")


def quote_of(first: str, second: str) -> str:
    """Of two assets traded against each other, the one the pair is quoted in."""
    rank = {asset: index for index, asset in enumerate(_QUOTE_RANK)}
    return min((first, second), key=lambda asset: rank.get(asset, len(rank)))


def symbol_of(base: str, quote: str) -> str:
    symbol = f"{base}-{quote}"
    if base == quote or len(symbol) > 32:
        raise RowProblem(f"{symbol!r} is not a valid symbol")
    return symbol


_SIDES = {
    "buy": "BUY", "b": "BUY", "bought": "BUY", "bid": "BUY", "long": "BUY",
    "sell": "SELL", "s": "SELL", "sold": "SELL", "ask": "SELL", "short": "SELL",
    "kaufen": "BUY", "kauf": "BUY", "verkaufen": "SELL", "verkauf": "SELL",
    "achat": "BUY", "acheter": "BUY", "vente": "SELL", "vendre": "SELL",
    "compra": "BUY", "comprar": "BUY", "venta": "SELL", "vender": "SELL", "venda": "SELL",
    "acquista": "BUY", "acquisto": "BUY", "vendi": "SELL", "vendita": "SELL",
    "купить": "BUY", "покупка": "BUY", "продать": "SELL", "продажа": "SELL",
    "al": "BUY", "alış": "BUY", "aliş": "BUY", "sat": "SELL", "satış": "SELL", "satiş": "SELL",
    "买入": "BUY", "卖出": "SELL", "買入": "BUY", "賣出": "SELL", "买": "BUY", "卖": "SELL",
    "nákup": "BUY", "koupit": "BUY", "prodej": "SELL", "prodat": "SELL",
    "kupno": "BUY", "kup": "BUY", "kupić": "BUY", "sprzedaż": "SELL", "sprzedaj": "SELL", "sprzedać": "SELL",
    "купівля": "BUY", "купити": "BUY", "продаж": "SELL", "продати": "SELL",
    "mua": "BUY", "bán": "SELL", "beli": "BUY", "jual": "SELL",
    "買い": "BUY", "購入": "BUY", "売り": "SELL", "売却": "SELL", "매수": "BUY", "매도": "SELL",
}


def parse_side(cell: str, *, what: str = "Side") -> str:
    text = cell.strip()
    side = _SIDES.get(text.lower())
    if side is None:
        raise RowProblem(f"{what}: {text[:40]!r} is neither buy nor sell" if text else f"{what} is empty")
    return side


def divide(numerator: Decimal, denominator: Decimal, *, what: str) -> Decimal:
    if denominator == 0:
        raise RowProblem(f"{what}: division by zero")
    try:
        return _finish(_CONTEXT.divide(numerator, denominator), what)
    except DecimalException as exc:
        raise RowProblem(f"{what} is out of range") from exc
