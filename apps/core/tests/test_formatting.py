"""The display formatting layer: exact decimals in, what a trader reads out."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template

from apps.core import formatting


@pytest.mark.parametrize(("value", "currency", "signed", "expected"), [
    ("-128.588702857143", "USD", True, "−128.59 USD"),
    ("-1082.99146155", "usdt", False, "−1,082.99 USDT"),
    ("2.2992556927", "USD", False, "2.30 USD"),
    ("1234567.5", "EUR", True, "+1,234,567.50 EUR"),
    ("0.00012345678", "BTC", False, "0.00012346 BTC"),
    ("0.0000001", "ETH", True, "0.000000 ETH"),
    ("-0.001", "USD", True, "0.00 USD"),
    (None, "USD", False, "—"),
    ("not a number", "USD", False, "—"),
])
def test_money_rounds_to_the_currency_precision_with_separators_and_sign(value, currency, signed, expected):
    assert formatting.format_money(value, currency, signed=signed) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("80002.25", "80,002.25"), ("3500.1", "3,500.10"), ("150", "150.00"), ("1.23456789", "1.23457"),
    ("0.000123456789", "0.000123457"), ("0", "0.00"), (Decimal("-2.5"), "−2.50"),
])
def test_price_keeps_about_six_significant_digits(value, expected):
    assert formatting.format_price(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("0.00669267999998802", "0.00669268"), ("0.35000000", "0.35"), ("12000", "12,000"), ("-1.5", "−1.5"),
])
def test_quantity_is_trimmed_to_at_most_eight_decimals(value, expected):
    assert formatting.format_quantity(value) == expected


def test_times_are_shown_in_the_readers_zone_to_the_minute():
    iso = "2026-11-26T00:50:57.872000+00:00"
    assert formatting.format_datetime(iso, "Europe/Berlin") == "26 Nov 2026, 01:50 CET"
    assert formatting.format_datetime(iso, "UTC") == "26 Nov 2026, 00:50 UTC"
    assert formatting.format_datetime(iso, "Not/AZone") == "26 Nov 2026, 00:50 UTC"
    assert formatting.format_datetime("garbage") == "—"


@pytest.mark.parametrize(("seconds", "expected"), [
    (141.4 * 3600, "5 d 21 h"), (3 * 86400, "3 d"), (3 * 3600 + 20 * 60, "3 h 20 min"), (7200, "2 h"),
    (45 * 60, "45 min"), (30, "30 s"),
])
def test_durations_read_as_days_hours_minutes(seconds, expected):
    assert formatting.format_duration(seconds=seconds) == expected


def test_relative_times():
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert formatting.format_relative("2026-11-29T11:59:30+00:00", now=now) == "just now"
    assert formatting.format_relative("2026-11-29T09:00:00+00:00", now=now) == "3 h ago"
    assert formatting.format_relative("2026-11-24T10:00:00+00:00", now=now) == "5 d ago"
    assert formatting.format_relative("2026-12-01T12:00:00+00:00", now=now) == "in 2 d"


@pytest.mark.parametrize(("value", "unit", "expected"), [
    (0.42, "fraction", "42.0 %"), (5400, "s", "1 h 30 min"), (141.4, "hours", "5 d 21 h"),
    (1.040841, "ratio", "1.04×"), (1, "bool", "yes"), (0, "bool", "no"), (3, "trades", "3 trades"),
    (1, "exits", "1 exit"), (12.3456789, "", "12.35"),
])
def test_evidence_measures_in_words(value, unit, expected):
    assert formatting.format_measure(value, unit) == expected


def test_comparison_lines_in_words():
    assert formatting.format_comparison(">=", 0.8, "fraction") == "at least 80.0 %"
    assert formatting.format_comparison("<", 3, "trades") == "below 3 trades"


def test_template_filters_render_signed_coloured_pnl_and_local_times():
    html = Template(
        "{% load format %}{{ p|pnl:'USDT' }}|{{ z|pnl:'USD' }}|{{ q|qty }}|{{ price|price }}|{{ fee|money:'USD' }}|"
        "{{ ts|when:'America/New_York' }}|{{ h|hours }}"
    ).render(Context({"p": "-128.588702857143", "z": "0", "q": "0.00669267999998802", "price": "80002.25",
                      "fee": "2.2992556927", "ts": "2026-11-26T00:50:57.872000+00:00", "h": 141.4}))
    assert html == ('<span class="pnl pnl-loss">−128.59 USDT</span>|<span class="pnl pnl-flat">0.00 USD</span>|'
                    '0.00669268|80,002.25|2.30 USD|'
                    '<time datetime="2026-11-26T00:50:57.872000+00:00">25 Nov 2026, 19:50 EST</time>|5 d 21 h')
