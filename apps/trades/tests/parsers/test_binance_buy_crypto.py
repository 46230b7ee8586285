"""Binance Buy Crypto history: card, bank and cash-balance purchases, in the layout Binance exports them."""
from __future__ import annotations

from decimal import Decimal

import pytest

from apps.trades.parsers import ParseError, detect_format, parse_file

from .helpers import at, fixture, trade

HEADER = "Date(UTC),Method,Amount,Price,Fees,Final Amount,Status,Transaction ID"


def test_purchases_are_buys_at_amount_less_fees_over_final_amount_with_the_fees_given():
    result = parse_file(fixture("binance_buy_crypto.csv"))

    assert result.format == "binance_buy_crypto"
    assert result.trades == [
        trade("bnc-buy-8f2c61d0a4e94b7cb1d3e5f7a9c0b2d4", "BTC-EUR", "BUY", "0.00275842", "35600.089906540700835986",
              at(2022, 3, 14, 9, 12, 40), "1.8", "EUR", "EUR"),
        trade("bnc-buy-c4e6a8b0d2f44163a5b7c9d1e3f5a7b9", "USDT-USD", "BUY", "249.95", "1.0002000400080016",
              at(2022, 4, 2, 7, 45, 19), "0", "USD", "USD"),
    ]
    assert (result.skipped, result.errors, result.notes, result.total_rows) == ({"Failed": 1}, [], [], 3)


def test_quantity_times_price_plus_fee_is_what_was_paid():
    # The row Binance wrote in a public importer's pull request: 200 CAD paid, 4 CAD of it the fee.
    data = (f"{HEADER}\n"
            "2021-01-01 23:59:59,Credit Card,200.00 CAD,1.3059892 USDT/CAD,4.00 CAD,150.07781032 USDT,Completed,"
            "a5334fsad\n").encode()

    [bought] = parse_file(data).trades

    assert (bought.symbol, bought.qty, bought.fee, bought.fee_asset) == ("USDT-CAD", Decimal("150.07781032"),
                                                                          Decimal("4"), "CAD")
    assert abs(bought.qty * bought.price + bought.fee - Decimal("200")) < Decimal("1e-12")
    assert round(bought.price, 6) == Decimal("1.305989")  # Binance's own Price column, rounded


def test_a_spreadsheet_saved_copy_reads_the_same_purchases_under_the_same_ids():
    # Saved again with `;` between cells and the spreadsheet's day-first dates (14/3/2022: day first).
    original, resaved = parse_file(fixture("binance_buy_crypto.csv")), parse_file(
        fixture("binance_buy_crypto_resaved.csv"))

    assert resaved.format == "binance_buy_crypto"
    assert [(t.ext_id, t.symbol, t.qty, t.price, t.fee) for t in resaved.trades] == [
        (t.ext_id, t.symbol, t.qty, t.price, t.fee) for t in original.trades]
    assert [t.ts for t in resaved.trades] == [at(2022, 3, 14, 9, 12), at(2022, 4, 2, 7, 45)]


def test_a_purchase_without_an_id_gets_a_stable_one():
    data = (f"{HEADER}\n"
            "2021-10-03 11:31:19,Cash Balance,49.10 EUR,41266.053 BTC/EUR,0.00 EUR,0.00118984 BTC,Completed,\n").encode()

    first, second = parse_file(data).trades, parse_file(data).trades

    assert [t.ext_id for t in first] == [t.ext_id for t in second]
    assert first[0].ext_id.startswith("bnc-buy-") and len(first[0].ext_id) == len("bnc-buy-") + 40
    assert (first[0].symbol, first[0].price) == ("BTC-EUR", Decimal("41266.052578497949304108"))


def test_rows_that_cannot_be_read_are_reported_by_line_and_nothing_else_is_made_of_them():
    data = (f"{HEADER}\n"
            "2022-03-14 09:12:40,Credit Card,100.00,35600 BTC/EUR,1.80 EUR,0.00275842 BTC,Completed,x1\n"
            "2022-03-14 09:12:40,Credit Card,100.00 EUR,35600 BTC/EUR,1.80 USD,0.00275842 BTC,Completed,x2\n"
            "2022-03-14 09:12:40,Credit Card,100.00 EUR,35600 ETH/EUR,1.80 EUR,0.00275842 BTC,Completed,x3\n"
            "2022-03-14 09:12:40,Credit Card,1.80 EUR,35600 BTC/EUR,1.80 EUR,0.00275842 BTC,Completed,x4\n"
            "2022-03-14 09:12:40,Credit Card,100.00 EUR,35600 BTC/EUR,1.80 EUR,0 BTC,Completed,x5\n"
            "yesterday,Credit Card,100.00 EUR,35600 BTC/EUR,1.80 EUR,0.00275842 BTC,Completed,x6\n").encode()

    result = parse_file(data)

    assert result.trades == []
    assert [(error.line, error.reason) for error in result.errors] == [
        (2, "Amount names no coin"),
        (3, "Fees are in USD, not in EUR like the Amount"),
        (4, "Price is in ETH/EUR, not in BTC/EUR (Final Amount's coin / Amount's coin)"),
        (5, "Amount less Fees must be greater than zero, got 0.0"),
        (6, "Final Amount must be greater than zero, got 0"),
        (7, "Date(UTC): 'yesterday' is not a date and time"),
    ]


def test_dates_that_read_both_ways_are_refused():
    data = (f"{HEADER}\n"
            "5/1/2022 14:00,Credit Card,100.00 EUR,35600 BTC/EUR,1.80 EUR,0.00275842 BTC,Completed,x1\n").encode()

    with pytest.raises(ParseError) as caught:
        parse_file(data)

    assert caught.value.code == "ambiguous_date_format"


def test_the_layout_is_recognised_by_its_header():
    assert detect_format(f"{HEADER}\n".encode()) == "binance_buy_crypto"
