"""Which format a file is, and what a person is told when it is none we read."""
from __future__ import annotations

import pytest

from apps.trades.parsers import ParseError, detect_format, parse_file, sniff_headers

from .helpers import fixture


@pytest.mark.parametrize(("name", "expected"), [
    ("coinbase_transactions_current.csv", "coinbase_transactions"),
    ("coinbase_transactions_2021.csv", "coinbase_transactions"),
    ("coinbase_transactions_2020_cp1252.csv", "coinbase_transactions"),
    ("coinbase_pro_fills.csv", "coinbase_pro_fills"),
    ("coinbase_pro_account.csv", "coinbase_pro_fills"),
    ("binance_spot_trade_history.csv", "binance_spot_trade_history"),
    ("binance_spot_trade_history_de.csv", "binance_spot_trade_history"),
    ("binance_trade_history_old.csv", "binance_trade_history_old"),
    ("binance_order_history_old.csv", "binance_order_history_old"),
    ("binance_order_history.csv", "binance_order_history"),
    ("binance_transaction_history.csv", "binance_transaction_history"),
    ("binance_transaction_history_2025.csv", "binance_transaction_history"),
    ("coinbase_transactions_spread.csv", "coinbase_transactions"),
    ("generic_semicolon.csv", "generic"),
    ("generic_base_quote.csv", "generic"),
])
def test_each_fixture_is_detected(name, expected):
    assert detect_format(fixture(name)) == expected


def test_headers_for_the_mapping_form_skip_the_preamble():
    assert sniff_headers(fixture("generic_semicolon.csv")) == [
        "trade_id", "When", "Instrument", "Direction", "Quantity", "Unit Price", "Commission", "Commission Currency"]
    assert sniff_headers(fixture("coinbase_transactions_2021.csv")) == [
        "Timestamp", "Transaction Type", "Asset", "Quantity Transacted", "Spot Price Currency",
        "Spot Price at Transaction", "Subtotal", "Total (inclusive of fees)", "Fees", "Notes"]
    assert sniff_headers(fixture("binance_spot_trade_history.csv")) == [
        "Date(UTC)", "Pair", "Side", "Price", "Executed", "Amount", "Fee"]


SUPPORTED = ("Supported: Coinbase transaction history (any header version), Coinbase Pro/Exchange fills or "
             "account statement, Binance Transaction History statement, Spot Trade History (from the Orders page or "
             "the Report Center) or Order History (in any Binance UI language; old semicolon Trade History and old "
             "Order History too), Binance Auto-Invest or Buy Crypto history, Kraken trades or ledgers, "
             "Bybit spot trade history, KuCoin filled spot orders, OKX trading history, or any other CSV with a column "
             "mapping.")


@pytest.mark.parametrize(("data", "code", "message"), [
    (b"Dear customer,\nplease find attached\n", "unknown_format",
     "This file is not a recognised trade export. " + SUPPORTED),
    (b"", "empty_file", "The file is empty."),
    (b"\xef\xbb\xbf \r\n\r\n", "empty_file", "The file is empty."),
    (b"PK\x03\x04\x14\x00\x06\x00", "unknown_format",
     "This is a spreadsheet (Excel) file, not CSV. Open it and save it as CSV (comma-separated), then upload the CSV."),
    (b"%PDF-1.7\n%\xe2\xe3", "unknown_format", "This is a PDF. Download the CSV export instead."),
    (bytes(range(256)) * 4, "unknown_format", "This does not look like a CSV text file. " + SUPPORTED),
])
def test_an_unknown_file_gets_a_helpful_error_from_every_entry_point(data, code, message):
    for call in (detect_format, sniff_headers, parse_file):
        with pytest.raises(ParseError) as raised:
            call(data)
        assert (raised.value.code, raised.value.message) == (code, message)


def test_the_parse_error_renders_as_an_api_error():
    with pytest.raises(ParseError) as raised:
        parse_file(b"")

    assert raised.value.status == 422
    assert raised.value.as_dict() == {"error": {"code": "empty_file", "message": "The file is empty."}}


def test_the_header_of_an_unknown_csv_is_the_first_row_without_numbers_or_dates():
    data = b"Report,2024-01-01T00:00:00Z\n\nTime,Symbol,Side,Qty,Price\n2024-01-02 10:00,BTC-USD,buy,1,100\n"

    assert sniff_headers(data) == ["Time", "Symbol", "Side", "Qty", "Price"]
