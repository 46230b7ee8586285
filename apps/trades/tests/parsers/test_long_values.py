"""Values with more significant digits than the default decimal context (28) keep every digit: signs are taken off
and put on exactly (copy_abs / copy_negate), never through abs() or unary minus, which round to the context."""
from __future__ import annotations

from decimal import Decimal

import pytest

from apps.trades.parsers import columns, parse_file
from apps.trades.parsers.values import parse_decimal, parse_glued, parse_money, read_decimal, read_money

# 30 significant digits: 12 before the point, 18 after
LONG = "123456789012.123456789012345678"
# 30 significant digits just under the storage limit of 10**22: abs() rounded it up to 1E+22, "out of range"
UNDER_LIMIT = "9999999999999999999999.99999999"


def _exactly(value: Decimal, text: str) -> None:
    assert str(value) == text
    assert value == Decimal(text)


def test_negative_cells_keep_every_digit():
    _exactly(parse_decimal("-" + LONG, what="Fee"), "-" + LONG)
    _exactly(read_decimal("-" + LONG, what="Fee")[0], "-" + LONG)
    _exactly(read_money("-" + LONG, what="Fee")[0], "-" + LONG)
    _exactly(parse_money("-€" + LONG, what="Fee")[0], "-" + LONG)
    _exactly(parse_glued("-" + LONG + "BNB", what="Fee", assets=("BNB",))[0], "-" + LONG)


def test_negative_zero_stays_zero():
    assert str(parse_money("-0", what="Fee")[0]) == "0"
    assert str(read_decimal("-0", what="Fee")[0]) == "0"


@pytest.mark.parametrize("sign", ["", "-"])
def test_values_just_under_the_limit_are_in_range(sign):
    _exactly(parse_decimal(sign + UNDER_LIMIT, what="Price"), sign + UNDER_LIMIT)
    stored = columns.stored_values([Decimal(sign + UNDER_LIMIT)])
    assert stored is not None
    _exactly(stored[0], sign + UNDER_LIMIT)


def _fee(data: bytes) -> Decimal:
    result = parse_file(data)
    assert not result.errors, result.errors
    (trade,) = result.trades
    return trade.fee


def test_a_negative_30_digit_fee_survives_in_every_binance_trade_history():
    spot = ("Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n"
            f"2024-01-02 03:04:05,BNBUSDT,BUY,300,1BNB,300USDT,-{LONG}BNB\n")
    _exactly(_fee(spot.encode()), LONG)
    old = ("Date(UTC);Market;Type;Price;Amount;Total;Fee;Fee Coin\n"
           f"2024-01-02 03:04:05;BNBBTC;BUY;0.005;2;0.01;-{LONG};BNB\n")
    _exactly(_fee(old.encode()), LONG)
    report = ("Date(UTC),Pair,Base Asset,Quote Asset,Type,Price,Amount,Total,Fee,Fee Coin\n"
              f"2024-01-02 03:04:05,BTC/USDT,BTC,USDT,BUY,40000,0.5,20000,-{LONG},USDT\n")
    _exactly(_fee(report.encode()), LONG)
