"""Binance Auto-Invest history, and the Spanish exports as Binance writes them (header and two-digit years)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from apps.trades.parsers import ParseError, detect_format, parse_file

from .helpers import at, fixture


def test_auto_invest_purchases_are_buys_at_amount_over_units_with_the_fee_given():
    result = parse_file(fixture("binance_auto_invest.csv"))

    assert result.format == "binance_auto_invest"
    assert [(t.symbol, t.side, t.qty, t.price, t.ts, t.fee, t.fee_asset, t.quote_asset) for t in result.trades] == [
        ("ETH-USDT", "BUY", Decimal("0.01585"), Decimal("1577.287066246056782334"), at(2023, 2, 1, 14),
         Decimal("0.025"), "USDT", "USDT"),
        ("BTC-USDT", "BUY", Decimal("0.00217"), Decimal("23041.474654377880184332"), at(2023, 2, 1, 14),
         Decimal("0"), "USDT", "USDT"),
        ("SOL-EUR", "BUY", Decimal("0.92"), Decimal("21.739130434782608696"), at(2023, 2, 15, 14),
         Decimal("0.02"), "EUR", "EUR"),
    ]
    assert (result.skipped, result.errors, result.total_rows) == ({"Failed": 1}, [], 4)
    assert len({t.ext_id for t in result.trades}) == 3
    assert all(t.ext_id.startswith("bnc-autoinvest-") for t in result.trades)


def test_a_re_upload_gives_the_same_ids():
    first, second = parse_file(fixture("binance_auto_invest.csv")), parse_file(fixture("binance_auto_invest.csv"))

    assert [t.ext_id for t in first.trades] == [t.ext_id for t in second.trades]


def test_an_auto_invest_row_with_no_status_is_skipped_by_the_column_and_the_row_reading_alike():
    rows = (b"Auto-Invest Date(UTC),Holding Coin,Amount per period,Trading Fee,Units,From,Status\n"
            b"2024-03-01 00:00:00,BTC,10.00000000 USDT,0.01000000 USDT,0.00020000 BTC,Spot Wallet,Success\n"
            b"2024-03-02 00:00:00,BTC,10.00000000 USDT,0.01000000 USDT,0.00020000 BTC,Spot Wallet,\n"
            b"2024-03-03 00:00:00,BTC,10.00000000 USDT,0.01000000 USDT,0.00025000 BTC,Spot Wallet,Success\n")
    odd = b"2024-03-04 00:00:00,BTC,ten USDT,0.01000000 USDT,0.00020000 BTC,Spot Wallet,Success\n"

    by_columns, by_rows = parse_file(rows), parse_file(rows + odd)

    for result in (by_columns, by_rows):
        assert [t.ts for t in result.trades] == [at(2024, 3, 1), at(2024, 3, 3)]
        assert result.skipped == {"(empty type)": 1}
    assert by_rows.trades == by_columns.trades and len(by_rows.errors) == 1


def test_auto_invest_saved_again_by_a_spreadsheet_reads_its_date_order_from_the_column():
    result = parse_file(fixture("binance_auto_invest_resaved.csv"))

    assert [(t.symbol, t.ts, t.price) for t in result.trades] == [
        ("ETH-USDT", at(2023, 2, 1, 14), Decimal("1600")),
        ("BTC-USDT", at(2023, 2, 28, 14), Decimal("23529.411764705882352941")),
    ]


def test_auto_invest_dates_that_read_both_ways_are_refused_with_examples():
    data = (b"Auto-Invest Date(UTC),Holding Coin,Amount per period,Trading Fee,Units,From,Status\n"
            b"5/1/2022 14:00,ETH,10.00000000 USDT,0.00250000 USDT,0.01000000 ETH,Flexible Savings,Success\n")

    with pytest.raises(ParseError) as caught:
        parse_file(data)

    assert caught.value.code == "ambiguous_date_format"
    assert "'5/1/2022 14:00'" in caught.value.message


def test_auto_invest_rows_that_cannot_be_read_are_reported_by_line():
    data = (b"Auto-Invest Date(UTC),Holding Coin,Amount per period,Trading Fee,Units,From,Status\n"
            b"2023-02-01 14:00:00,ETH,25 USDT,--,0 ETH,Spot Wallet,Success\n"
            b"2023-02-01 14:00:00,ETH,25,--,0.01 ETH,Spot Wallet,Success\n"
            b"2023-02-01 14:00:00,ETH,25 USDT,--,0.01 BTC,Spot Wallet,Success\n")

    result = parse_file(data)

    assert result.trades == []
    assert [error.line for error in result.errors] == [2, 3, 4]


def test_spanish_spot_trade_history_as_binance_writes_it():
    result = parse_file(fixture("binance_spot_trade_history_es.csv"))

    assert result.format == "binance_spot_trade_history"
    assert [(t.symbol, t.side, t.qty, t.price, t.ts, t.fee, t.fee_asset) for t in result.trades] == [
        ("ADA-EUR", "BUY", Decimal("120"), Decimal("0.95"), at(2024, 11, 30, 9, 15, 2), Decimal("0.12"), "ADA"),
        ("ADA-EUR", "SELL", Decimal("60"), Decimal("1.04"), at(2024, 12, 2, 17, 40, 51), Decimal("0.0624"), "EUR"),
    ]


def test_spanish_transaction_history_as_binance_writes_it():
    data = fixture("binance_transaction_history_es.csv")

    assert detect_format(data) == "binance_transaction_history"
    result = parse_file(data)
    assert [(t.symbol, t.side, t.qty, t.price, t.ts, t.fee, t.fee_asset) for t in result.trades] == [
        ("ADA-EUR", "BUY", Decimal("120"), Decimal("0.95"), at(2024, 11, 30, 10, 1, 44), Decimal("0.12"), "ADA")]
    assert result.skipped == {"Deposit": 1}
