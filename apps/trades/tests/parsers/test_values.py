"""Reading single cells: money with currency symbols, glued assets, timestamps, pairs."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.trades.parsers.base import RowProblem
from apps.trades.parsers.values import decimal_comma, parse_glued, parse_money, parse_timestamp, split_pair


@pytest.mark.parametrize(("cell", "value", "currency"), [
    ("€3343.11", "3343.11", "EUR"),
    ("-€597.49846", "-597.49846", "EUR"),
    ("€-597.49846", "-597.49846", "EUR"),
    ("$1,234.56", "1234.56", "USD"),
    (" 12.5 EUR ", "12.5", "EUR"),
    ("£0.000000000000000000000001", "0", "GBP"),
    ("0.1234567890123456789012", "0.123456789012345679", ""),
    ("-3.605E-05", "-0.00003605", ""),
    ("1.234.567,89", "1234567.89", ""),
    ("0,5", "0.5", ""),
    ("1 234.5", "1234.5", ""),
    (".5", "0.5", ""),
    ("0.30000000000000004", "0.30000000000000004", ""),
])
def test_money(cell, value, currency):
    assert parse_money(cell, what="Price") == (Decimal(value), currency)


def test_a_single_comma_group_is_thousands_unless_the_file_uses_decimal_commas():
    assert parse_money("1,234", what="Price") == (Decimal("1234"), "")
    with decimal_comma(True):
        assert parse_money("1,234", what="Price") == (Decimal("1.234"), "")


@pytest.mark.parametrize(("cell", "reason"), [
    ("", "Price is empty"),
    ("abc", "Price: 'abc' is not a number"),
    ("1,2,3", "Price: '1,2,3' is not a number"),
    ("1.2.3", "Price: '1.2.3' is not a number"),
    ("--5", "Price: '--5' is not a number"),
    ("NaN", "Price: 'NaN' is not a number"),
    ("1e30", "Price: '1e30' is out of range"),
    ("€5$", "Price: '€5$' is not a number"),
])
def test_money_that_cannot_be_read(cell, reason):
    with pytest.raises(RowProblem) as raised:
        parse_money(cell, what="Price")
    assert raised.value.reason == reason


@pytest.mark.parametrize(("cell", "assets", "value", "asset"), [
    ("500DOGE", (), "500", "DOGE"),
    ("155.15500000EUR", (), "155.155", "EUR"),
    ("0.0000020100BTC", (), "0.00000201", "BTC"),
    ("1,234.5USDT", (), "1234.5", "USDT"),
    ("5001INCH", ("1INCH",), "500", "1INCH"),
    ("5001INCH", (), "5001", "INCH"),
    ("1.5E-5BTC", (), "0.000015", "BTC"),
    ("0.5", (), "0.5", ""),
    ("-2 ETH", (), "-2", "ETH"),
])
def test_glued_amounts(cell, assets, value, asset):
    assert parse_glued(cell, what="Executed", assets=assets) == (Decimal(value), asset)


@pytest.mark.parametrize("cell", ["DOGE500", "5DOGE!", "", "€5"])
def test_glued_amounts_that_cannot_be_read(cell):
    with pytest.raises(RowProblem):
        parse_glued(cell, what="Executed")


@pytest.mark.parametrize(("cell", "expected"), [
    ("2025-01-17 16:57:02 UTC", datetime(2025, 1, 17, 16, 57, 2, tzinfo=UTC)),
    ("2021-03-04T10:00:00Z", datetime(2021, 3, 4, 10, tzinfo=UTC)),
    ("2023-11-26T10:19:47.504Z", datetime(2023, 11, 26, 10, 19, 47, 504000, tzinfo=UTC)),
    ("2023-11-26T10:19:50.5522049Z", datetime(2023, 11, 26, 10, 19, 50, 552204, tzinfo=UTC)),
    ("2021-03-04 11:00:00+01:00", datetime(2021, 3, 4, 10, tzinfo=UTC)),
    ("21-03-04 10:00:00", datetime(2021, 3, 4, 10, tzinfo=UTC)),
    ("2021-3-4 10:00:00", datetime(2021, 3, 4, 10, tzinfo=UTC)),
    ("2021/03/04 10:00", datetime(2021, 3, 4, 10, tzinfo=UTC)),
    ("04.03.2021 10:00:00", datetime(2021, 3, 4, 10, tzinfo=UTC)),
    ("1614852000", datetime(2021, 3, 4, 10, tzinfo=UTC)),
    ("1614852000123", datetime(2021, 3, 4, 10, 0, 0, 123000, tzinfo=UTC)),
    ("2021-03-04 10:00:00 (UTC)", datetime(2021, 3, 4, 10, tzinfo=UTC)),
])
def test_timestamps_are_aware_utc(cell, expected):
    parsed = parse_timestamp(cell)
    assert parsed == expected and parsed.tzinfo is UTC


@pytest.mark.parametrize(("cell", "reason"), [
    ("", "Timestamp is empty"),
    ("yesterday", "Timestamp: 'yesterday' is not a date and time"),
    ("2021-02-30 10:00:00", "Timestamp: '2021-02-30 10:00:00' is not a date and time"),
    ("1999-01-01T00:00:00Z", "Timestamp: '1999-01-01T00:00:00Z' is outside 2009–2100"),
    ("0001-01-01T00:00:00+01:00", "Timestamp: '0001-01-01T00:00:00+01:00' is not a date and time"),
])
def test_timestamps_that_cannot_be_read(cell, reason):
    with pytest.raises(RowProblem) as raised:
        parse_timestamp(cell)
    assert raised.value.reason == reason


def test_a_timestamp_format_is_used_as_given():
    assert parse_timestamp("04/03/2021 10h00", fmt="%d/%m/%Y %Hh%M") == datetime(2021, 3, 4, 10, tzinfo=UTC)


@pytest.mark.parametrize(("cell", "hint", "expected"), [
    ("DOGEEUR", "", ("DOGE", "EUR")),
    ("SOLBUSD", "", ("SOL", "BUSD")),
    ("BNBFDUSD", "", ("BNB", "FDUSD")),
    ("ETHBTC", "", ("ETH", "BTC")),
    ("XRPUSDT", "", ("XRP", "USDT")),
    ("1INCHUSDT", "", ("1INCH", "USDT")),
    ("ABCXYZ", "XYZ", ("ABC", "XYZ")),
    ("btc-usd", "", ("BTC", "USD")),
    ("BTC/EUR", "", ("BTC", "EUR")),
    ("ETH_BTC", "", ("ETH", "BTC")),
])
def test_pairs(cell, hint, expected):
    assert split_pair(cell, quote_hint=hint) == expected


@pytest.mark.parametrize("cell", ["", "ZZZ", "BTC-", "A/B/C", "USDT", "BTC EUR X"])
def test_pairs_that_cannot_be_split(cell):
    with pytest.raises(RowProblem):
        split_pair(cell)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.decimals(min_value=Decimal("1e-12"), max_value=Decimal("1e12"), places=10),
                          st.decimals(min_value=Decimal("1e-12"), max_value=Decimal("1e12"), places=10)),
                min_size=1, max_size=20))
def test_column_quotients_are_the_row_readers_quotients_written_the_same_way(pairs):
    from apps.trades.parsers.columns import quotients
    from apps.trades.parsers.values import divide

    numerators = [a for a, _ in pairs]
    denominators = [b for _, b in pairs]
    try:
        by_row = [divide(a, b, what="x") for a, b in pairs]
    except RowProblem:  # a quotient out of range (1e12 / 1e-10): the column reader leaves it to the row reader
        assert quotients(numerators, denominators) is None
        return
    assert [str(q) for q in quotients(numerators, denominators)] == [str(q) for q in by_row]


def test_column_quotients_leave_zero_denominators_to_the_row_reader():
    from apps.trades.parsers.columns import quotients

    assert quotients([Decimal(1)], [Decimal(0)]) is None
    assert [str(q) for q in quotients([Decimal(100), Decimal("0.3")], [Decimal(10), Decimal(3)])] == ["10", "0.1"]
