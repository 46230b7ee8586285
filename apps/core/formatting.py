"""Display formatting of numbers, money and times: the one place the pages' server side turns exact values
into what a trader reads. The API keeps exact decimal strings; only templates (through the `format` filter
library) and static/js/format.js (the same rules in the browser) format."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUS = "\u2212"
# Quote currencies shown with more than 2 decimals: the usual precision of their markets.
CRYPTO_DECIMALS = {"BTC": 8, "XBT": 8, "ETH": 6, "BNB": 4, "SOL": 4}
MAX_QTY_DECIMALS = 8
PRICE_SIGNIFICANT = 6


def to_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _grouped(number: Decimal, decimals: int, *, trim_to: int | None = None) -> str:
    """`number` (non-negative) with thousands separators and `decimals` places; trailing zeros trimmed down to
    `trim_to` places when given."""
    quantum = Decimal(1).scaleb(-decimals)
    text = f"{number.quantize(quantum, rounding=ROUND_HALF_EVEN):,.{decimals}f}"
    if trim_to is not None and "." in text:
        whole, fraction = text.split(".")
        fraction = fraction.rstrip("0")
        fraction = fraction.ljust(trim_to, "0")
        text = f"{whole}.{fraction}" if fraction else whole
    return text


def _signed(number: Decimal, body: str, *, always: bool) -> str:
    if number < 0 and body.strip("0.,") != "":
        return MINUS + body
    if always and number > 0 and body.strip("0.,") != "":
        return "+" + body
    return body


def currency_decimals(currency: str | None) -> int:
    return CRYPTO_DECIMALS.get((currency or "").upper(), 2)


def format_money(value, currency: str | None = None, *, signed: bool = False) -> str:
    number = to_decimal(value)
    if number is None:
        return "—"
    body = _grouped(abs(number), currency_decimals(currency))
    text = _signed(number, body, always=signed)
    return f"{text} {currency.upper()}" if currency else text


def format_price(value) -> str:
    """Separators and about six significant digits: 80,002.25 · 1.2345 · 0.00012345."""
    number = to_decimal(value)
    if number is None:
        return "—"
    magnitude = abs(number)
    if magnitude >= 1000:
        decimals = 2
    elif magnitude == 0:
        decimals = 2
    else:
        decimals = max(2, min(10, PRICE_SIGNIFICANT - 1 - magnitude.adjusted()))
    return _signed(number, _grouped(magnitude, decimals, trim_to=2), always=False)


def format_quantity(value) -> str:
    """At most 8 decimals, trailing zeros trimmed: 0.00669267999998802 → 0.00669268."""
    number = to_decimal(value)
    if number is None:
        return "—"
    return _signed(number, _grouped(abs(number), MAX_QTY_DECIMALS, trim_to=0), always=False)


def format_percent(value, *, signed: bool = False, ratio: bool = True) -> str:
    number = to_decimal(value)
    if number is None:
        return "—"
    if ratio:
        number *= 100
    return _signed(number, _grouped(abs(number), 1), always=signed) + " %"


def pnl_tone(value) -> str:
    number = to_decimal(value)
    if number is None or number == 0:
        return "flat"
    return "gain" if number > 0 else "loss"


def to_datetime(value) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_datetime(value, tz_name: str | None = None) -> str:
    """26 Nov 2026, 01:50 CET — in the reader's time zone, to the minute."""
    moment = to_datetime(value)
    if moment is None:
        return "—"
    local = moment.astimezone(zone(tz_name))
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def format_date(value, tz_name: str | None = None) -> str:
    moment = to_datetime(value)
    if moment is None:
        return "—"
    local = moment.astimezone(zone(tz_name))
    return f"{local.day} {local:%b %Y}"


def format_duration(*, seconds: float) -> str:
    """5 d 21 h · 3 h 20 min · 45 min · 30 s."""
    seconds = max(0, int(round(seconds)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def format_relative(value, *, now: datetime) -> str:
    """"3 h ago", "in 2 d", "just now"."""
    moment = to_datetime(value)
    if moment is None:
        return "—"
    delta = (now - moment).total_seconds()
    if abs(delta) < 60:
        return "just now"
    span = format_duration(seconds=abs(delta)).split(" ")
    text = " ".join(span[:2])
    return f"{text} ago" if delta > 0 else f"in {text}"


def hours_to_seconds(hours) -> float | None:
    number = to_decimal(hours)
    return None if number is None else float(number) * 3600


def format_number(value, *, significant: int = 4) -> str:
    """A plain measure with separators and about four significant digits, trailing zeros trimmed."""
    number = to_decimal(value)
    if number is None:
        return "—"
    magnitude = abs(number)
    decimals = 0 if magnitude == 0 else max(0, min(8, significant - 1 - magnitude.adjusted()))
    return _signed(number, _grouped(magnitude, decimals, trim_to=0), always=False)


COMPARISONS = {">=": "at least", ">": "above", "<=": "at most", "<": "below", "==": "exactly", "abs<=": "within ±",
               "abs>=": "beyond ±"}


def format_measure(value, unit: str = "") -> str:
    """An evidence value in words: fractions as percentages, seconds and hours as durations, ratios as ×."""
    number = to_decimal(value)
    if number is None:
        return "—"
    if unit == "fraction":
        return format_percent(number)
    if unit == "s":
        return format_duration(seconds=float(number))
    if unit == "hours":
        return format_duration(seconds=float(number) * 3600)
    if unit == "ratio":
        return format_number(number, significant=3) + "×"
    if unit == "bool":
        return "yes" if number else "no"
    if unit in {"trades", "exits"}:
        count = format_number(number, significant=6)
        return f"{count} {unit[:-1] if number == 1 else unit}"
    return format_number(number)


def format_comparison(op: str, threshold, unit: str = "") -> str:
    """`>= 0.8` with unit fraction → "at least 80.0 %"."""
    if unit == "bool":
        return "yes" if to_decimal(threshold) else "no"
    return f"{COMPARISONS.get(op, op)} {format_measure(threshold, unit)}"
