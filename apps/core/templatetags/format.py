"""Template filters for numbers, money and times (`{% load format %}`); the rules live in apps.core.formatting.

    {{ trade.price|price }}  {{ trade.qty|qty }}  {{ fee|money:trade.feeAsset }}
    {{ pnl|pnl:trade.quoteAsset }}  (signed, coloured)   {{ trade.ts|when:user.timezone }}
    {{ held_hours|hours }}  (5 d 21 h)   {{ ts|ago }}  (3 h ago)
"""
from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html

from apps.core import formatting

register = template.Library()


@register.filter
def money(value, currency: str = "") -> str:
    return formatting.format_money(value, currency or None)


@register.filter
def pnl(value, currency: str = ""):
    """Signed P/L in a span coloured by its sign (class pnl pnl-gain / pnl-loss / pnl-flat)."""
    text = formatting.format_money(value, currency or None, signed=True)
    return format_html('<span class="pnl pnl-{}">{}</span>', formatting.pnl_tone(value), text)


@register.filter
def price(value) -> str:
    return formatting.format_price(value)


@register.filter
def qty(value) -> str:
    return formatting.format_quantity(value)


@register.filter
def percent(value, signed: str = "") -> str:
    """A ratio (0.123) as 12.3 %; `|percent:"signed"` adds the + sign."""
    return formatting.format_percent(value, signed=signed == "signed")


@register.filter
def when(value, tz_name: str = ""):
    """A moment in the reader's time zone, with the exact UTC instant in a <time> element."""
    moment = formatting.to_datetime(value)
    if moment is None:
        return "—"
    return format_html('<time datetime="{}">{}</time>', moment.isoformat(),
                       formatting.format_datetime(moment, tz_name or None))


@register.filter
def day(value, tz_name: str = "") -> str:
    return formatting.format_date(value, tz_name or None)


@register.filter
def ago(value) -> str:
    return formatting.format_relative(value, now=timezone.now())


@register.filter
def hours(value) -> str:
    seconds = formatting.hours_to_seconds(value)
    return "—" if seconds is None else formatting.format_duration(seconds=seconds)


@register.filter
def duration(seconds) -> str:
    number = formatting.to_decimal(seconds)
    return "—" if number is None else formatting.format_duration(seconds=float(number))


@register.filter
def number(value) -> str:
    return formatting.format_number(value)


@register.filter
def measure(value, unit: str = "") -> str:
    """An evidence value by its unit: 0.42 fraction → 42.0 %, 5400 s → 1 h 30 min, 1.04 ratio → 1.04×."""
    return formatting.format_measure(value, unit or "")


@register.filter
def line(condition: dict) -> str:
    """A condition's line in words: "at least 80.0 %"."""
    return formatting.format_comparison(condition.get("op", ""), condition.get("threshold"), condition.get("unit", ""))
