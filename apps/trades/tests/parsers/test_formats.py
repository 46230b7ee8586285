"""Every supported export, parsed from a fixture written in its real layout, to the exact trades."""
from __future__ import annotations

from apps.trades.parsers import RowError, parse_file

from .helpers import at, fixture, trade


def errors(*pairs: tuple[int, str]) -> list[RowError]:
    return [RowError(line=line, reason=reason) for line, reason in pairs]


def test_coinbase_transaction_history_current_header():
    result = parse_file(fixture("coinbase_transactions_current.csv"))

    assert (result.format, result.broker) == ("coinbase_transactions", "coinbase")
    assert result.trades == [
        # The price paid is Subtotal ÷ Quantity, not the spot "Price at Transaction".
        trade("67a1c2d3e4f5a6b7c8d9e0f1", "BTC-EUR", "BUY", "0.00345678", "96711.390369071795138829",
              at(2025, 1, 17, 16, 57, 2), "5", "EUR", "EUR"),
        # Sells carry a negative quantity and negative money cells: the side comes from the type.
        trade("67a1c2d3e4f5a6b7c8d9e0f2", "ETH-EUR", "SELL", "0.5", "3343.11", at(2025, 1, 16, 9, 12, 44),
              "24", "EUR", "EUR"),
        # Advanced Trade rows name the real product and price in the notes; the fee stays in the price currency.
        trade("67a1c2d3e4f5a6b7c8d9e0f3", "ETH-BTC", "SELL", "0.25", "0.0348", at(2025, 1, 15, 21, 3, 10),
              "1.23", "EUR", "BTC"),
        trade("67a1c2d3e4f5a6b7c8d9e0f4", "BTC-USD", "BUY", "0.0001", "104321.99", at(2025, 1, 15, 8),
              "0.06", "USD", "USD"),
        # "Converted 0.1 ETH to 0.0033 BTC": a sell of ETH-BTC at the implied rate, the spread column as the fee.
        trade("67a1c2d3e4f5a6b7c8d9e0f9", "ETH-BTC", "SELL", "0.1", "0.033", at(2025, 1, 10, 10, 10, 10), "0", "EUR",
              "BTC"),
        # Scientific notation; Subtotal ÷ Quantity rounded half-even to the 18 places that are stored.
        trade("67a1c2d3e4f5a6b7c8d9e0fd", "BTC-EUR", "BUY", "0.00003605", "92094.313453536754507628",
              at(2025, 1, 6, 6, 6, 6), "0.99", "EUR", "EUR"),
        trade("67a1c2d3e4f5a6b7c8d9e0fe", "ADA-EUR", "BUY", "250", "0.95", at(2025, 1, 5, 5, 5, 5), None, "", "EUR"),
        trade("67a1c2d3e4f5a6b7c8d9e101", "SOL-EUR", "SELL", "1.25", "1234.504", at(2025, 1, 3, 3, 3, 3),
              "23.13", "EUR", "EUR"),
    ]
    assert result.raw["67a1c2d3e4f5a6b7c8d9e0fd"] == {
        "spotPrice": "92000.123456789012345679", "priceSource": "subtotal", "subtotal": "3.32",
        "spread": "0.003395549382756105"}
    assert result.raw["67a1c2d3e4f5a6b7c8d9e0f3"] == {"spotPrice": "3300", "priceSource": "notes"}
    assert result.raw["67a1c2d3e4f5a6b7c8d9e0f9"] == {"converted": "0.1 ETH", "into": "0.0033 BTC"}
    assert result.skipped == {"Send": 1, "Receive": 1, "Staking Income": 2, "Rewards Income": 1,
                              "Learning Reward": 1}
    assert result.errors == errors(
        (15, "Quantity Transacted must be greater than zero, got 0"),
        (16, "Price at Transaction: 'n/a' is not a number"),
        (19, "Timestamp: 'yesterday' is not a date and time"),
        (23, "Price at Transaction must be greater than zero, got -90000"),
    )
    assert result.total_rows == 18


def test_coinbase_execution_price_spread_and_converts():
    result = parse_file(fixture("coinbase_transactions_spread.csv"))

    assert result.trades == [
        # Spot 40000, but 0.01 BTC cost 401.80: the user's price is 40180, 0.45 % above spot.
        trade("6790a0000000000000000001", "BTC-USD", "BUY", "0.01", "40180", at(2024, 3, 1, 9), "1.99", "USD", "USD"),
        trade("6790a0000000000000000002", "BTC-USD", "SELL", "0.01", "41314.5", at(2024, 3, 2, 9), "1.99", "USD",
              "USD"),
        # USDC → BTC: a buy of BTC-USDC; 1,000 USDC for 0.0245 BTC.
        trade("6790a0000000000000000003", "BTC-USDC", "BUY", "0.0245", "40816.326530612244897959",
              at(2024, 3, 3, 9), "4.5", "USD", "USDC"),
    ]
    assert result.raw["6790a0000000000000000001"] == {"spotPrice": "40000", "priceSource": "subtotal",
                                                     "subtotal": "401.8", "spread": "1.8"}
    assert result.raw["6790a0000000000000000002"] == {"spotPrice": "41500", "priceSource": "subtotal",
                                                     "subtotal": "413.145", "spread": "1.855"}
    assert result.errors == [RowError(5, "Convert: the notes do not say what was converted into what")]


def test_coinbase_transaction_history_2021_header_with_preamble_and_no_id():
    result = parse_file(fixture("coinbase_transactions_2021.csv"))

    assert (result.format, result.broker) == ("coinbase_transactions", "coinbase")
    assert result.trades == [
        trade("cbtx-4cb62904c59fc69b9785669065e1081b9e4a208e", "BTC-EUR", "BUY", "0.01", "40000",
              at(2021, 3, 4, 10), "5.99", "EUR", "EUR"),
        # The identical row right after it is a second fill, with its own id.
        trade("cbtx-3a4bc5673ddf66d102a71bc19f110d48dd4e74fb", "BTC-EUR", "BUY", "0.01", "40000",
              at(2021, 3, 4, 10), "5.99", "EUR", "EUR"),
        trade("cbtx-21870092913b2442da5a2faf6407cc1294ac34bb", "ETH-EUR", "SELL", "0.5", "1400.5",
              at(2021, 3, 5, 11, 30), "10.25", "EUR", "EUR"),
        # +01:00 converted to UTC.
        trade("cbtx-e39affc068d01cc0179948cd8c462d5d6dedf4c8", "LTC-EUR", "BUY", "1.5", "150.253333333333333333",
              at(2021, 3, 8, 13), "3.99", "EUR", "EUR"),
    ]
    assert result.skipped == {"Coinbase Earn": 1, "Send": 1}
    assert result.errors == errors((14, "Asset is empty"))
    assert result.total_rows == 7


def test_coinbase_transaction_history_2020_header_with_currency_in_column_names_in_cp1252():
    result = parse_file(fixture("coinbase_transactions_2020_cp1252.csv"))

    assert (result.format, result.broker) == ("coinbase_transactions", "coinbase")
    assert result.trades == [
        trade("cbtx-d13cbc542b8743883d351cbe99cc2e16c084966c", "BTC-EUR", "BUY", "0.02", "11865.5",
              at(2020, 11, 2, 8, 15, 30), "3", "EUR", "EUR"),
        trade("cbtx-68e606c471ca7f782ad9188a1bd46b6050473ba0", "ETH-EUR", "SELL", "1.25", "325.104",
              at(2020, 11, 3, 9), "6.06", "EUR", "EUR"),
    ]
    assert result.skipped == {"Receive": 1}
    assert result.errors == []
    assert result.total_rows == 3


def test_coinbase_pro_fills():
    result = parse_file(fixture("coinbase_pro_fills.csv"))

    assert (result.format, result.broker) == ("coinbase_pro_fills", "coinbase")
    assert result.trades == [
        trade("LTC-EUR:1234567", "LTC-EUR", "BUY", "1.5", "150.25", at(2021, 3, 4, 10, 0, 0, 123000),
              "0.5634375", "EUR", "EUR"),
        trade("LTC-EUR:1234568", "LTC-EUR", "SELL", "0.75", "160", at(2021, 3, 5, 11, 30, 15, 500000),
              "0.3", "EUR", "EUR"),
        trade("BTC-USD:98765", "BTC-USD", "BUY", "0.01", "50000", at(2021, 3, 6, 12), "2.5", "USD", "USD"),
        trade("ETH-BTC:555", "ETH-BTC", "SELL", "0.2", "0.03", at(2021, 3, 6, 12, 30, 0, 552204),
              "0.000015", "BTC", "BTC"),
        # Size given in the quote currency: 100 EUR at 40000 is 0.0025 BTC.
        trade("BTC-EUR:777", "BTC-EUR", "BUY", "0.0025", "40000", at(2021, 3, 7, 8), "0.5", "EUR", "EUR"),
    ]
    assert result.skipped == {}
    assert result.errors == errors(
        (7, "trade id is empty"),
        (8, "side: 'HOLD' is neither buy nor sell"),
        (9, "size unit 'DOGE' is neither LTC nor EUR"),
    )
    assert result.total_rows == 8


def test_coinbase_pro_account_statement_combines_match_and_fee_rows_into_fills():
    result = parse_file(fixture("coinbase_pro_account.csv"))

    assert (result.format, result.broker) == ("coinbase_pro_fills", "coinbase")
    assert result.trades == [
        trade("LTC-EUR:1234567", "LTC-EUR", "BUY", "1.5", "150.25", at(2021, 3, 4, 10, 0, 0, 123000),
              "0.5634375", "EUR", "EUR"),
        trade("LTC-EUR:1234568", "LTC-EUR", "SELL", "0.75", "160", at(2021, 3, 5, 11, 30, 15, 500000),
              "0.3", "EUR", "EUR"),
        trade("ETH-BTC:555", "ETH-BTC", "SELL", "0.2", "0.03", at(2021, 3, 6, 12, 30, 0, 552000),
              "0.000015", "BTC", "BTC"),
    ]
    assert result.skipped == {"deposit": 1, "withdrawal": 1}
    assert result.errors == errors(
        (13, "trade 999: needs exactly two match rows in different currencies"),
        (14, "trade 1000: amount: 'abc' is not a number"),
    )
    assert result.total_rows == 14


def test_binance_spot_trade_history():
    result = parse_file(fixture("binance_spot_trade_history.csv"))

    assert (result.format, result.broker) == ("binance_spot_trade_history", "binance")
    assert result.trades == [
        # BOM, every cell quoted.
        trade("bnc-1cff784d52426839235bb541e96babcc5353eff6", "DOGE-EUR", "BUY", "500", "0.31031",
              at(2021, 3, 4, 10), "0.5", "DOGE", "EUR"),
        # The whole row wrapped in one pair of quotes.
        trade("bnc-cc5d943a3293258e61341e335c0d6a02e197bbf5", "SOL-BUSD", "SELL", "2", "15.5",
              at(2021, 3, 4, 10, 5), "0.031", "BUSD", "BUSD"),
        # Thousand separators; two identical fills both import, with different ids.
        trade("bnc-afe7d5d059020d1b043543026fc4a04c1ff62145", "BTC-USDT", "BUY", "0.001", "50123.45",
              at(2021, 3, 5, 11), "0.00000201", "BTC", "USDT"),
        trade("bnc-1ad5f2d715851d7624baa8bda36940acfcec4bf8", "BTC-USDT", "BUY", "0.001", "50123.45",
              at(2021, 3, 5, 11), "0.00000201", "BTC", "USDT"),
        # Two-digit year; fee paid in BNB.
        trade("bnc-c9d6feac463d0165b0175f5bd841c89796234873", "ETH-BTC", "SELL", "0.5", "0.03412",
              at(2021, 3, 6, 12), "0.00001", "BNB", "BTC"),
        # An asset starting with a digit glued to its amount: 1,000.5 of 1INCH, fee 1 1INCH.
        trade("bnc-2f98c03cc655ebff16cdfc624eb60fe684ce64c8", "1INCH-USDT", "BUY", "1000.5", "3.2",
              at(2021, 3, 7, 13), "1", "1INCH", "USDT"),
        # Wrapped row with doubled quotes inside.
        trade("bnc-2f9da0c39d3f01722cf72215227c32c7a4d0093b", "BNB-FDUSD", "BUY", "0.1", "1234.5",
              at(2021, 3, 7, 14), "0.0001", "BNB", "FDUSD"),
    ]
    assert result.skipped == {}
    assert result.errors == errors(
        (9, "Pair: cannot tell the base from the quote asset in 'ZZZ'"),
        (10, "Price must be greater than zero, got 0"),
        (11, "Executed must be greater than zero, got -100"),
        (12, "Executed is in BTC, not in DOGE"),
        (13, "Date(UTC): '2021-02-30 10:00:00' is not a date and time"),
    )
    assert result.total_rows == 12


def test_binance_spot_trade_history_with_german_headers_and_decimal_commas():
    result = parse_file(fixture("binance_spot_trade_history_de.csv"))

    assert (result.format, result.broker) == ("binance_spot_trade_history", "binance")
    assert result.trades == [
        trade("bnc-1cff784d52426839235bb541e96babcc5353eff6", "DOGE-EUR", "BUY", "500", "0.31031",
              at(2021, 3, 4, 10), "0.5", "DOGE", "EUR"),
        trade("bnc-535ee604253d562e568bd90143d86ec70f71d6ba", "ETH-EUR", "SELL", "0.25", "1234.56",
              at(2021, 3, 12, 18, 30), "0.30864", "EUR", "EUR"),
    ]
    assert (result.skipped, result.errors, result.total_rows) == ({}, [], 2)


def test_binance_old_trade_history_semicolons():
    result = parse_file(fixture("binance_trade_history_old.csv"))

    assert (result.format, result.broker) == ("binance_trade_history_old", "binance")
    assert result.trades == [
        trade("bnc-1cff784d52426839235bb541e96babcc5353eff6", "DOGE-EUR", "BUY", "500", "0.31031",
              at(2021, 3, 4, 10), "0.5", "DOGE", "EUR"),
        trade("bnc-0530d09e446fb98feb865522cbda681dce506ffa", "ETH-USDT", "SELL", "0.5", "165.12",
              at(2019, 5, 1, 10, 5), "0.08256", "USDT", "USDT"),
        trade("bnc-ea86be13849cb4371bf932144617e6f2c3c09da7", "XRP-BTC", "BUY", "1000", "0.00003605",
              at(2019, 5, 3, 9), "1", "XRP", "BTC"),
        trade("bnc-682f5f4798cb7297e3c00f02eebfc2fe383e0526", "BNB-BTC", "BUY", "10", "0.003012",
              at(2019, 5, 3, 9, 30), "0.0075", "BNB", "BTC"),
    ]
    assert result.skipped == {}
    assert result.errors == errors((6, "Type: 'HOLD' is neither buy nor sell"), (7, "Amount is empty"))
    assert result.total_rows == 6


def test_binance_old_order_history_reads_the_nested_fills():
    result = parse_file(fixture("binance_order_history_old.csv"))

    assert (result.format, result.broker) == ("binance_order_history_old", "binance")
    assert result.trades == [
        trade("bnc-dea167967b029eb14e67a0b792143edd71fd7d94", "BNB-BTC", "BUY", "4", "0.003",
              at(2019, 5, 1, 10, 0, 1), "0.003", "BNB", "BTC"),
        trade("bnc-3db986347a5c9fb1c30ab1785f9cb6137bbaefeb", "BNB-BTC", "BUY", "6", "0.00302",
              at(2019, 5, 1, 10, 0, 2), "0.0045", "BNB", "BTC"),
        trade("bnc-64a21db99efea099c59c23317583b8f05116d5d6", "ETH-USDT", "SELL", "1", "170",
              at(2019, 5, 2, 12, 0, 3), "0.17", "USDT", "USDT"),
    ]
    assert result.skipped == {"Order summary": 4}
    assert result.errors == errors(
        (10, "Trading Price: 'oops' is not a number"),
        (12, "its order (above) cannot be read: Type: 'HODL' is neither buy nor sell"),
    )
    assert result.total_rows == 9


def test_coinbase_price_currency_from_a_symbol_or_from_the_price_cell():
    data = (
        "Timestamp,Transaction Type,Asset,Quantity Transacted,Spot Price Currency,Spot Price at Transaction,"
        "Subtotal,Total (inclusive of fees),Fees,Notes\n"
        "2021-03-04T10:00:00Z,Buy,BTC,0.01,€,40000,400,405,5,\n"
        "2021-03-05T10:00:00Z,Buy,BTC,0.01,,£30000,300,305,£5,\n"
        "2021-03-06T10:00:00Z,Buy,BTC,0.01,,30000,300,305,5,\n"
    ).encode()

    result = parse_file(data)

    assert [(t.symbol, t.price, t.fee_asset) for t in result.trades] == [
        ("BTC-EUR", 40000, "EUR"), ("BTC-GBP", 30000, "GBP")]
    assert result.errors == errors((4, "the price currency is missing"))


def test_binance_order_history_2021_orders_with_executed_amounts_at_the_average_price():
    result = parse_file(fixture("binance_order_history.csv"))

    assert (result.format, result.broker) == ("binance_order_history", "binance")
    assert result.trades == [
        # Time (the last fill) is the trade's time, not the order's creation date.
        trade("bnc-order-BTC-USDT:4410001", "BTC-USDT", "BUY", "0.01", "29990", at(2022, 6, 1, 9, 5, 10), None, "",
              "USDT"),
        # Partly filled: the executed part.
        trade("bnc-order-ETH-BUSD:4410002", "ETH-BUSD", "SELL", "0.5", "1901.5", at(2022, 6, 2, 10, 30), None, "",
              "BUSD"),
        trade("bnc-order-SOL-USDT:4410004", "SOL-USDT", "SELL", "3", "38.123", at(2022, 6, 4, 12, 0, 1), None, "",
              "USDT"),
        trade("bnc-order-1INCH-USDT:4410005", "1INCH-USDT", "BUY", "520.5", "0.9615", at(2022, 6, 5, 13), None, "",
              "USDT"),
    ]
    assert result.skipped == {"Canceled (not executed)": 1, "Expired (not executed)": 1}
    assert result.errors == errors((8, "Executed is in ETH, not in BTC"), (9, "OrderNo is empty"))
    assert result.total_rows == 8
