"""A CSV that is no known export, read through the column mapping its owner saved."""
from __future__ import annotations

from decimal import Decimal

import pytest

from apps.trades.parsers import ColumnMapping, ParseError, RowError, parse_file

from .helpers import at, fixture, trade

SEMICOLON_MAPPING = ColumnMapping(
    timestamp="When", symbol="Instrument", base=None, quote=None, side="Direction", qty="Quantity",
    price="Unit Price", fee="Commission", fee_asset="Commission Currency", ext_id="trade_id",
    timestamp_format="%d.%m.%Y %H:%M:%S",
)
BASE_QUOTE_MAPPING = ColumnMapping(
    timestamp="date", symbol=None, base="BASE", quote="Quote", side="Type", qty="Amount", price="Price", fee="Fee",
)


def test_semicolons_decimal_commas_preamble_ids_and_a_timestamp_format():
    result = parse_file(fixture("generic_semicolon.csv"), mapping=SEMICOLON_MAPPING)

    assert (result.format, result.broker) == ("generic", "csv")
    assert result.trades == [
        trade("T-1001", "BTC-EUR", "BUY", "0.01", "40000.5", at(2021, 3, 4, 10), "1.99", "EUR", "EUR"),
        # No fee currency given: the fee is in the quote currency.
        trade("T-1002", "ETH-EUR", "SELL", "0.5", "1400.25", at(2021, 3, 5, 11, 30), "0.7", "EUR", "EUR"),
        trade("T-1003", "ADA-USDT", "BUY", "1000", "1.2", at(2021, 3, 6, 12), None, "", "USDT"),
        # An empty id column falls back to the row hash.
        trade("csv-2bc6c05690e6a2f18dbd7dada1c93dd88a097a10", "BTC-EUR", "SELL", "0.02", "41000",
              at(2021, 3, 9, 12), "2", "EUR", "EUR"),
    ]
    assert result.skipped == {}
    assert result.errors == [
        RowError(7, "When: '2021-03-07 10:00:00' is not a date and time in the format '%d.%m.%Y %H:%M:%S'"),
        RowError(8, "Direction: 'Hold' is neither buy nor sell"),
    ]
    assert result.total_rows == 6


def test_base_and_quote_columns_currency_symbols_and_header_case():
    result = parse_file(fixture("generic_base_quote.csv"), mapping=BASE_QUOTE_MAPPING)

    assert result.trades == [
        trade("csv-9187072969569bdcf8e1907e6a0e8d5d6edef7f5", "SOL-USD", "BUY", "10", "98.5", at(2024, 2, 1, 9),
              "0.99", "USD", "USD"),
        # The same fill written differently (no zone, trailing zeros) is a second identical fill.
        trade("csv-9d64ef4796aafbac12a3a76076ab698baf0fd2e0", "SOL-USD", "BUY", "10", "98.5", at(2024, 2, 1, 9),
              "0.99", "USD", "USD"),
        trade("csv-56e9a1a18028050c09bd9b3754bec7bbdd24e769", "SOL-USD", "SELL", "4", "1101.25", at(2024, 2, 2, 8),
              None, "", "USD"),
    ]
    assert result.errors == [RowError(5, "Quote is empty")]
    assert result.total_rows == 4


def test_a_mapping_overrides_detection_of_a_known_export():
    mapping = ColumnMapping(timestamp="Date(UTC)", symbol="Market", base=None, quote=None, side="Type", qty="Amount",
                            price="Price")

    result = parse_file(fixture("binance_trade_history_old.csv"), mapping=mapping)

    assert (result.format, result.broker, len(result.trades)) == ("generic", "csv", 4)
    assert result.trades[0] == trade("csv-ef456a8017cb6ef6a293a1be0d27f0be5f265866", "DOGE-EUR", "BUY", "500",
                                     "0.31031", at(2021, 3, 4, 10), None, "", "EUR")


def test_an_unknown_csv_without_a_mapping_asks_for_one_naming_its_columns():
    with pytest.raises(ParseError) as raised:
        parse_file(fixture("generic_base_quote.csv"), filename="mine.csv")

    assert raised.value.code == "mapping_required"
    assert raised.value.message.startswith(
        "mine.csv is not a known export (columns: Date, Base, Quote, Type, Amount, Price, Fee). Map its columns")


def test_a_mapping_naming_columns_the_file_does_not_have():
    mapping = ColumnMapping(timestamp="Date", symbol="Ticker", base=None, quote=None, side="Type", qty="Amount",
                            price="Price")

    with pytest.raises(ParseError) as raised:
        parse_file(fixture("generic_base_quote.csv"), mapping=mapping)

    assert raised.value.code == "mapping_mismatch"
    assert raised.value.message == ("The file has no header row with the mapped columns "
                                    "(Amount, Date, Price, Ticker, Type).")


@pytest.mark.parametrize(("changes", "message"), [
    ({"symbol": None}, "The column mapping needs: symbol (or base and quote)."),
    ({"qty": ""}, "The column mapping needs: qty."),
    ({"price": 5}, "The column mapping for price must be a column name."),
    ({"timestamp_format": 3}, "The timestamp format must be text."),
])
def test_an_incomplete_mapping_is_refused(changes, message):
    fields = {"timestamp": "Date", "symbol": "Base", "base": None, "quote": None, "side": "Type", "qty": "Amount",
              "price": "Price", **changes}

    with pytest.raises(ParseError) as raised:
        parse_file(fixture("generic_base_quote.csv"), mapping=ColumnMapping(**fields))

    assert (raised.value.code, raised.value.message) == ("mapping_mismatch", message)


def test_amounts_with_the_coin_glued_on_or_after_a_space():
    mapping = ColumnMapping(timestamp="Time", symbol="Market", base=None, quote=None, side="Side", qty="Filled",
                            price="Price", fee="Fee")
    data = (b"Time,Market,Side,Filled,Price,Fee\n"
            b"2024-02-01T09:00:00Z,BTC/EUR,buy,0.05BTC,40000EUR,0.0001BTC\n"
            b"2024-02-01T10:00:00Z,1INCH/USDT,sell,5001INCH,0.5,0.25 USDT\n"
            b"2024-02-01T11:00:00Z,ETH/EUR,buy,0.5 ETH,2000,\n"
            b"2024-02-01T12:00:00Z,ETH/EUR,buy,0.5BTC,2000,\n")

    result = parse_file(data, mapping=mapping)

    assert [(t.symbol, str(t.qty), str(t.price), t.fee, t.fee_asset) for t in result.trades] == [
        ("BTC-EUR", "0.05", "40000", Decimal("0.0001"), "BTC"),
        ("1INCH-USDT", "500", "0.5", Decimal("0.25"), "USDT"),
        ("ETH-EUR", "0.5", "2000", None, ""),
    ]
    assert result.errors == [RowError(5, "Filled is in BTC, not in ETH")]


DATE_MAPPING = ColumnMapping(timestamp="Date", symbol="Pair", base=None, quote=None, side="Side", qty="Qty",
                             price="Price")


def _dated(*dates: str) -> bytes:
    return ("Date,Pair,Side,Qty,Price\n" + "".join(f"{date},BTC-USD,buy,1,100\n" for date in dates)).encode()


def test_a_first_part_over_twelve_anywhere_in_the_column_makes_every_date_day_first():
    result = parse_file(_dated("5/1/2022 10:00", "6/2/2022", "25/12/2022 08:30"), mapping=DATE_MAPPING)

    assert [t.ts for t in result.trades] == [at(2022, 1, 5, 10), at(2022, 2, 6), at(2022, 12, 25, 8, 30)]


def test_a_second_part_over_twelve_anywhere_in_the_column_makes_every_date_month_first():
    result = parse_file(_dated("5/1/2022 10:00", "12/25/2022 08:30", "6/6/2022"), mapping=DATE_MAPPING)

    assert [t.ts for t in result.trades] == [at(2022, 5, 1, 10), at(2022, 12, 25, 8, 30), at(2022, 6, 6)]


def test_a_column_of_only_ambiguous_dates_asks_for_the_format_with_examples():
    with pytest.raises(ParseError) as raised:
        parse_file(_dated("5/1/2022 10:00", "6/6/2022", "6/2/2022", "7/3/2022", "8/4/2022"), mapping=DATE_MAPPING)

    assert raised.value.code == "ambiguous_date_format"
    assert raised.value.message == (
        "The dates in 'Date' ('5/1/2022 10:00', '6/2/2022', '7/3/2022') can be read day first or month first. Give "
        "the timestamp format in the mapping: %d/%m/%Y %H:%M for day first, %m/%d/%Y %H:%M for month first.")


def test_the_timestamp_format_settles_an_ambiguous_column():
    mapping = ColumnMapping(timestamp="Date", symbol="Pair", base=None, quote=None, side="Side", qty="Qty",
                            price="Price", timestamp_format="%m/%d/%Y")

    result = parse_file(_dated("5/1/2022", "6/2/2022"), mapping=mapping)

    assert [t.ts for t in result.trades] == [at(2022, 5, 1), at(2022, 6, 2)]


def test_dotted_dates_are_day_first_without_asking():
    result = parse_file(_dated("5.1.2022 10:00", "6.2.2022"), mapping=DATE_MAPPING)

    assert [t.ts for t in result.trades] == [at(2022, 1, 5, 10), at(2022, 2, 6)]


def test_a_column_written_both_ways_is_refused():
    with pytest.raises(ParseError) as raised:
        parse_file(_dated("25/1/2022", "1/25/2022"), mapping=DATE_MAPPING)

    assert (raised.value.code, raised.value.message) == (
        "ambiguous_date_format", "The dates in 'Date' are written both day first ('25/1/2022') and month first "
                                 "('1/25/2022').")
