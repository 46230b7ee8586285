"""Kraken, Bybit, KuCoin and OKX exports, each from a fixture in its real layout, to the exact trades."""
from __future__ import annotations

from apps.trades.parsers import RowError, detect_format, parse_file

from .helpers import at, fixture, trade


def test_kraken_trades_with_legacy_asset_names():
    result = parse_file(fixture("kraken_trades.csv"))

    assert (result.format, result.broker) == ("kraken_trades", "kraken")
    assert result.trades == [
        trade("TQ2XAB-GH3KL-PO9UYT", "BTC-EUR", "BUY", "0.01", "40000", at(2021, 3, 4, 10, 0, 0, 123400), "1.04",
              "EUR", "EUR"),
        trade("TQ2XAB-GH3KL-PO9UYU", "ETH-USD", "SELL", "0.5", "1500.1", at(2021, 3, 5, 11, 30, 0, 500000),
              "1.95013", "USD", "USD"),
        trade("TQ2XAB-GH3KL-PO9UYV", "ADA-EUR", "BUY", "100", "1.05", at(2021, 3, 6, 12), "0.273", "EUR", "EUR"),
        # XXDG is DOGE and XXBT is BTC.
        trade("TQ2XAB-GH3KL-PO9UYW", "DOGE-BTC", "BUY", "1000", "0.0000012", at(2021, 3, 7, 13), "0.0000031", "BTC",
              "BTC"),
        trade("TQ2XAB-GH3KL-PO9UYX", "SOL-USD", "SELL", "10", "98.5", at(2024, 2, 1, 9, 0, 0, 100), "2.561", "USD",
              "USD"),
    ]
    assert result.errors == [RowError(7, "type: 'hold' is neither buy nor sell"), RowError(8, "txid is empty")]
    assert result.total_rows == 7


def test_kraken_ledgers_pair_the_two_rows_of_a_refid():
    result = parse_file(fixture("kraken_ledgers.csv"))

    assert (result.format, result.broker) == ("kraken_ledgers", "kraken")
    assert result.trades == [
        # The refid is the trade's txid: the same fill from trades.csv is the same trade.
        trade("TQ2XAB-GH3KL-PO9UYT", "BTC-EUR", "BUY", "0.01", "40000", at(2021, 3, 4, 10), "1.04", "EUR", "EUR"),
        trade("TQ3XAB-GH3KL-PO9UYZ", "ETH-BTC", "SELL", "0.5", "0.03", at(2021, 3, 9, 16), "0.00003", "BTC", "BTC"),
        # An instant buy: spend + receive.
        trade("RUSTABC-DEFGH-IJKLMN", "DOT-EUR", "BUY", "2", "25", at(2021, 3, 10, 9), "0.75", "EUR", "EUR"),
    ]
    assert result.skipped == {"deposit": 1, "staking": 1, "failed (no txid)": 1}
    assert result.errors == [RowError(10, "refid TQ6XAB-GH3KL-PO9UZA: a trade needs one row received and one spent, "
                                          "found 1 and 0")]
    assert result.total_rows == 10


def test_bybit_spot_trades_with_the_fee_in_the_asset_received():
    result = parse_file(fixture("bybit_spot_trades.csv"))

    assert (result.format, result.broker) == ("bybit_spot_trades", "bybit")
    assert result.trades == [
        trade("bybit:2200000000355489633", "ICP-USDT", "SELL", "5.36", "9.3234", at(2024, 11, 16, 14, 35),
              "0.049973424", "USDT", "USDT"),
        trade("bybit:2200000000351234567", "ICP-USDT", "BUY", "10", "8.0203", at(2024, 11, 15, 9, 5), "0.01", "ICP",
              "USDT"),
        trade("bybit:2200000000350000001", "BTC-USDC", "BUY", "0.01", "90000", at(2024, 11, 14, 23, 59), "0.00001",
              "BTC", "USDC"),
    ]
    assert result.errors == [RowError(5, "Direction: 'HOLD' is neither buy nor sell")]


def test_kucoin_filled_orders_in_the_zone_named_by_the_header():
    result = parse_file(fixture("kucoin_spot_trades.csv"))

    assert (result.format, result.broker) == ("kucoin_spot_trades", "kucoin")
    assert result.trades == [
        trade("kucoin:6650a1b2c3d4e5f600000001", "BTC-USDT", "BUY", "0.01", "67000", at(2024, 5, 24, 10, 0, 5), "0.67",
              "USDT", "USDT"),
        trade("kucoin:6650a1b2c3d4e5f600000002", "KCS-USDT", "SELL", "25", "9.8", at(2024, 5, 24, 23, 59, 59),
              "0.245", "USDT", "USDT"),
    ]
    assert result.skipped == {"Cancel (nothing filled)": 1}
    assert result.errors == []


def test_okx_trading_history_one_trade_per_fill_in_the_zone_of_the_preamble():
    result = parse_file(fixture("okx_trading_history.csv"))

    assert (result.format, result.broker) == ("okx_trading_history", "okx")
    assert result.trades == [
        trade("okx:1001", "BTC-USDT", "BUY", "0.01", "67000", at(2024, 5, 24, 10, 0, 5), "0.00001", "BTC", "USDT"),
        # The fee of a sell is on the quote row.
        trade("okx:1003", "ETH-USDT", "SELL", "0.5", "3800", at(2024, 5, 24, 23, 59, 59), "1.9", "USDT", "USDT"),
        trade("okx:1006", "SOL-USDT", "BUY", "2", "160", at(2024, 5, 26, 2), "0.002", "SOL", "USDT"),
    ]
    assert result.skipped == {"Transfer": 1}
    assert result.total_rows == 6


def test_each_venue_file_is_detected():
    assert [detect_format(fixture(name)) for name in (
        "kraken_trades.csv", "kraken_ledgers.csv", "bybit_spot_trades.csv", "kucoin_spot_trades.csv",
        "okx_trading_history.csv")] == [
        "kraken_trades", "kraken_ledgers", "bybit_spot_trades", "kucoin_spot_trades", "okx_trading_history"]


def test_okx_order_filled_twice_in_one_second_gives_one_trade_per_fill():
    """The shape of a real export: an order's two fills share order id and second, each with a base row and a
    quote row (whose Trading Unit names the base); newer exports add the USD columns at the end."""
    result = parse_file(fixture("okx_trading_history_split_order.csv"))

    assert result.errors == []
    assert result.trades == [
        trade("okx:15", "ETH-USDC", "SELL", "1", "2100", at(2025, 3, 2, 6, 10, 11), "2.1", "USDC", "USDC"),
        trade("okx:12", "ETH-USDC", "BUY", "1.55", "2000.5", at(2025, 3, 1, 13, 35, 20), "0.00155", "ETH", "USDC"),
        trade("okx:13", "ETH-USDC", "BUY", "0.2", "2000.5", at(2025, 3, 1, 13, 35, 20), "0.0002", "ETH", "USDC"),
    ]
    assert result.skipped == {"Transfer": 1}


def test_okx_order_whose_rows_do_not_pair_is_reported_not_guessed():
    lines = fixture("okx_trading_history_split_order.csv").decode().splitlines()
    data = "\n".join(line for line in lines if not line.startswith("10,")).encode()

    result = parse_file(data)

    assert [t.ext_id for t in result.trades] == ["okx:15"]
    assert sorted(error.line for error in result.errors) == [6, 7, 8]
    assert "2 ETH rows but 1 rows in the other asset" in result.errors[0].reason


def test_okx_fill_whose_id_is_not_a_plain_number_is_still_paired():
    """`¹³` counts as a digit for `str.isdigit` but not for `int`: the file was refused as unreadable."""
    data = fixture("okx_trading_history_split_order.csv").decode().replace("\n13,", "\n¹³,").encode()

    result = parse_file(data)

    assert result.errors == []
    assert sorted(t.ext_id for t in result.trades) == ["okx:12", "okx:15", "okx:¹³"]
