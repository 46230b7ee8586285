"""Binance Spot Trade History as the Report Center writes it: base and quote in their own columns, bare numbers."""
from __future__ import annotations

import pytest

from apps.trades.parsers import ParseError, detect_format, parse_file

from .helpers import at, fixture, trade

HEADER = "Date(UTC),Pair,Base Asset,Quote Asset,Type,Price,Amount,Total,Fee,Fee Coin"

EXPECTED = [
    trade("bnc-5cebd8c185ef30d806ff5e0cd424d9fbdc1a6f0d", "BTC-USDT", "BUY", "0.00236", "87622.38",
          at(2025, 12, 25, 14, 0, 15), "0.00018534", "BNB", "USDT"),
    trade("bnc-c718843f6d7785a12293ed1281f8f23dd029c40f", "ETH-BTC", "SELL", "0.5", "0.03412", at(2025, 12, 27, 9, 41, 2),
          "0.00001706", "BTC", "BTC"),
    trade("bnc-60c5d72f100e2a859a5a302fb098e61f31eedfdd", "XAUT-USDT", "BUY", "0.1234", "4000",
          at(2026, 1, 2, 18, 31, 37), "0.0001234", "XAUT", "USDT"),
]


def test_report_center_spot_trade_history_reads_each_fill():
    result = parse_file(fixture("binance_spot_trade_history_report.csv"))

    assert result.format == "binance_spot_trade_history_report"
    assert result.trades == EXPECTED
    assert (result.skipped, result.errors, result.notes, result.total_rows) == ({}, [], [], 3)


def test_the_chinese_header_reads_the_same_fills():
    result = parse_file(fixture("binance_spot_trade_history_report_zh.csv"))

    assert result.format == "binance_spot_trade_history_report"
    assert result.trades == EXPECTED[:2]


def test_a_fill_gets_the_same_id_from_the_orders_page_download():
    # The same three fills as the Orders page writes them: glued coins, pairs without a slash.
    orders_page = (b"Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n"
                   b"2025-12-25 14:00:15,BTCUSDT,BUY,87622.38000000,0.00236000BTC,206.78881680USDT,0.00018534BNB\n"
                   b"2025-12-27 09:41:02,ETHBTC,SELL,0.03412000,0.50000000ETH,0.01706000BTC,0.00001706BTC\n"
                   b"2026-01-02 18:31:37,XAUTUSDT,BUY,4000.00,0.1234XAUT,493.60000000USDT,0.0001234XAUT\n")

    result = parse_file(orders_page)

    assert result.format == "binance_spot_trade_history"
    assert result.trades == EXPECTED


def test_rows_that_cannot_be_read_are_reported_by_line():
    data = (f"{HEADER}\n"
            "2025-12-25 14:00:15,BTC/EUR,BTC,USDT,BUY,87622.38,0.00236,206.7888168,0.00018534,BNB\n"
            "2025-12-25 14:00:15,BTC/USDT,BTC,USDT,HOLD,87622.38,0.00236,206.7888168,0.00018534,BNB\n"
            "2025-12-25 14:00:15,BTC/USDT,BTC,USDT,BUY,87622.38,0,0,0.00018534,BNB\n"
            "2025-12-25 14:00:15,BTC/USDT,BTC,USDT,BUY,87622.38,0.00236,206.7888168,0.00018534,\n"
            "2025-12-25 14:00:15,BTC/USDT,BTC,USDT,BUY,87622.38,0.00236,206.7888168,,\n").encode()

    result = parse_file(data)

    assert [(error.line, error.reason) for error in result.errors] == [
        (2, "Pair 'BTC/EUR' is not BTC/USDT"),
        (3, "Type: 'HOLD' is neither buy nor sell"),
        (4, "Amount must be greater than zero, got 0"),
        (5, "Fee Coin is empty"),
    ]
    assert [(t.symbol, t.fee, t.fee_asset) for t in result.trades] == [("BTC-USDT", None, "")]


def test_dates_saved_by_a_spreadsheet_read_in_the_order_the_column_shows():
    data = (f"{HEADER}\n"
            "25/12/2025 14:00,BTC/USDT,BTC,USDT,BUY,87622.38,0.00236,206.7888168,0.00018534,BNB\n"
            "2/1/2026 18:31,XAUT/USDT,XAUT,USDT,BUY,4000,0.1234,493.6,0.0001234,XAUT\n").encode()

    assert [t.ts for t in parse_file(data).trades] == [at(2025, 12, 25, 14), at(2026, 1, 2, 18, 31)]


def test_dates_that_read_both_ways_are_refused():
    data = f"{HEADER}\n2/1/2026 18:31,XAUT/USDT,XAUT,USDT,BUY,4000,0.1234,493.6,0.0001234,XAUT\n".encode()

    with pytest.raises(ParseError) as caught:
        parse_file(data)

    assert caught.value.code == "ambiguous_date_format"


def test_the_layout_is_recognised_by_its_header_in_english_and_chinese():
    assert detect_format(f"{HEADER}\n".encode()) == "binance_spot_trade_history_report"
    assert detect_format("时间,交易对,基准货币,计价货币,类型,价格,数量,成交额,手续费,手续费结算币种\n".encode()) == (
        "binance_spot_trade_history_report")
