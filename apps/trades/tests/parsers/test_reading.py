"""The same export saved differently reads the same: encodings, line endings, delimiters, header case."""
from __future__ import annotations

import codecs

from apps.trades.parsers import RowError, parse_file

from .helpers import at, fixture, trade


def test_utf16_with_bom_reads_like_utf8():
    original = fixture("binance_spot_trade_history.csv")
    utf16 = codecs.BOM_UTF16_LE + original.decode("utf-8-sig").encode("utf-16-le")

    assert parse_file(utf16) == parse_file(original)


def test_utf16_without_bom_reads_like_utf8():
    original = fixture("binance_trade_history_old.csv")

    assert parse_file(original.decode().encode("utf-16-le")) == parse_file(original)
    assert parse_file(original.decode().encode("utf-16-be")) == parse_file(original)


def test_cp1252_reads_like_utf8():
    original = fixture("binance_spot_trade_history_de.csv")

    assert parse_file(original.decode("utf-8").encode("cp1252")) == parse_file(original)


def test_bytes_no_codec_can_read_fall_back_to_latin1():
    data = b"Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n2021-03-04 10:00:00,DOGEEUR,BUY,0.31031,500DOGE,155EUR,\x81\n"

    result = parse_file(data)

    assert result.trades == []
    assert result.errors == [RowError(2, "Fee: '\\x81' is not an amount")]


def test_crlf_and_lf_and_cr_read_the_same():
    original = fixture("coinbase_transactions_current.csv")
    expected = parse_file(original)

    assert parse_file(original.replace(b"\n", b"\r\n")) == expected
    assert parse_file(original.replace(b"\n", b"\r")) == expected


def test_header_case_and_spacing_do_not_matter():
    original = fixture("coinbase_pro_fills.csv")
    header, _, body = original.partition(b"\n")
    shouted = header.upper().replace(b"TRADE ID", b"Trade  ID") + b"\n" + body

    assert parse_file(shouted) == parse_file(original)


def test_a_coinbase_history_resaved_with_semicolons():
    original = fixture("coinbase_transactions_2021.csv")

    assert parse_file(original.replace(b",", b";")) == parse_file(original)


def test_tab_separated_old_binance_history():
    original = fixture("binance_trade_history_old.csv")

    assert parse_file(original.replace(b";", b"\t")) == parse_file(original)


def test_a_quoted_cell_spanning_lines_keeps_later_line_numbers_physical():
    data = (
        "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,"
        "Total (inclusive of fees and/or spread),Fees and/or Spread,Notes\n"
        'a1,2025-01-17 16:57:02 UTC,Buy,BTC,0.001,EUR,€90000,€90,€91,€1,"first line\nsecond line\nthird"\n'
        "a2,2025-01-17 16:58:02 UTC,Buy,BTC,0.001,EUR,€oops,€90,€91,€1,\n"
    ).encode()

    result = parse_file(data)

    assert result.trades == [trade("a1", "BTC-EUR", "BUY", "0.001", "90000", at(2025, 1, 17, 16, 57, 2), "1", "EUR",
                                   "EUR")]
    assert result.errors == [RowError(5, "Price at Transaction: '€oops' is not a number")]


def test_short_rows_and_an_unclosed_quote_are_row_errors():
    data = (
        b"Date(UTC);Market;Type;Price;Amount;Total;Fee;Fee Coin\n"
        b"2019-05-01 10:05:00;ETHUSDT;SELL\n"
        b"2019-05-01 10:05:00;ETHUSDT;SELL;165.12;0.5;82.56;0.08256;USDT\n"
        b'2019-05-02 10:05:00;ETHUSDT;SELL;"165.12;0.5;82.56;0.08256;USDT\n'
    )

    result = parse_file(data)

    assert [t.ts for t in result.trades] == [at(2019, 5, 1, 10, 5)]
    assert result.errors == [RowError(2, "Price is empty"),
                             RowError(4, "Price: '165.12;0.5;82.56;0.08256;USDT' is not a number")]
    assert result.total_rows == 3
