"""Binance Transaction History: legs paired into trades, the rest reported, nothing invented or lost."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from apps.trades.parsers import RowError, detect_format, parse_file
from apps.trades.parsers.binance_statement import Leg, pair_any, usual_trade

from .helpers import at, fixture, trade


def test_the_statement_until_2024_pairs_legs_by_time_and_account():
    result = parse_file(fixture("binance_transaction_history.csv"))

    assert (result.format, result.broker) == ("binance_transaction_history", "binance")
    assert result.trades == [
        # Two fills of one order in the same second: one trade at the average price, both fees.
        trade("bnc-415e9845e173a9bfbcbbdeeadcff59e356d37d81", "BTC-EUR", "BUY", "0.003", "40100",
              at(2021, 3, 4, 10, 5), "0.00075", "BNB", "EUR"),
        trade("bnc-4edc00e42f383b4ada08bc002f1a76d311ce60dd", "ETH-USDT", "SELL", "0.5", "1651",
              at(2021, 3, 5, 12), "0.8255", "USDT", "USDT"),
        trade("bnc-c63efb59ea417cb1508ba3dbbfaa79027a1067c2", "SOL-USDT", "BUY", "2", "15.5", at(2021, 3, 6, 8),
              "0.002", "SOL", "USDT"),
        trade("bnc-6dd46ea2152d247b2ba1bbcc70419863b839fe52", "DOGE-EUR", "SELL", "1000", "0.31031",
              at(2021, 3, 6, 9, 30), "0.31031", "EUR", "EUR"),
        # A convert: the pair is quoted in the coin that usually quotes (BTC), so receiving ETH is a buy.
        trade("bnc-5e3e2ef7e08a4ab3c873227c4ea0cc778d3b957d", "ETH-BTC", "BUY", "0.029", "0.034482758620689655",
              at(2021, 3, 9, 16), None, "", "BTC"),
    ]
    assert result.raw["bnc-415e9845e173a9bfbcbbdeeadcff59e356d37d81"] == {
        "quoteAmount": "120.3", "legLines": [3, 4, 5, 6, 7, 8]}
    assert result.raw["bnc-5e3e2ef7e08a4ab3c873227c4ea0cc778d3b957d"] == {"quoteAmount": "0.001", "legLines": [25, 26]}
    assert result.skipped == {"Deposit": 1, "Simple Earn Flexible Interest": 1, "Withdraw": 1}
    two_bought = ("was not imported: 2 coins received against 1 spent at this time and account; which pairs with "
                  "which is not in the file")
    assert result.errors == [
        RowError(18, f"Transaction Buy of 100 ADA at 2021-03-07 11:00:00 (Spot) {two_bought}"),
        RowError(19, f"Transaction Buy of 50 XRP at 2021-03-07 11:00:00 (Spot) {two_bought}"),
        RowError(20, f"Transaction Spend of -140 USDT at 2021-03-07 11:00:00 (Spot) {two_bought}"),
        RowError(21, "Transaction Fee of -0.001 BNB at 2021-03-07 11:00:00 (Spot) was not imported: no trade at "
                     "this time and account to charge the fee to"),
        # Same second, different accounts: not one trade.
        RowError(22, "Transaction Buy of 3 LINK at 2021-03-08 14:00:00 (Spot) was not imported: no opposite leg at "
                     "this time and account"),
        RowError(23, "Transaction Spend of -75 USDT at 2021-03-08 14:00:00 (Funding) was not imported: no opposite "
                     "leg at this time and account"),
        RowError(27, "Change: 'oops' is not a number"),
    ]
    assert result.total_rows == 27


def test_the_2025_statement_with_two_digit_years():
    result = parse_file(fixture("binance_transaction_history_2025.csv"))

    assert result.format == "binance_transaction_history"
    assert result.trades == [
        trade("bnc-39ce086f9aa5482c9fca31a36cafd916a3ca3ff0", "BTC-USDT", "BUY", "0.1", "42905",
              at(2024, 1, 20, 10, 11, 12), "0.0081", "BNB", "USDT"),
        trade("bnc-da2b29fe0b8e418f928f8351064da5c09691b772", "BTC-USDT", "SELL", "0.05", "41000",
              at(2024, 1, 21, 22, 0, 1), "2.05", "USDT", "USDT"),
    ]
    assert result.skipped == {"Deposit": 1}
    assert result.errors == [RowError(8, "Transaction Fee of -0.001 BNB at 2024-01-22 09:00:00 (Spot) was not "
                                         "imported: no trade at this time and account to charge the fee to")]


def test_buy_and_sell_legs_of_one_trade_written_as_received_and_spent():
    data = (b"User_ID,UTC_Time,Account,Operation,Coin,Change,Remark\n"
            b"1,2022-05-01 10:00:00,Spot,Buy,ETH,0.5,\n"
            b"1,2022-05-01 10:00:00,Spot,Sell,USDT,-1400,\n")

    result = parse_file(data)

    assert [(t.symbol, t.side, t.qty, t.price) for t in result.trades] == [
        ("ETH-USDT", "BUY", Decimal("0.5"), Decimal("2800"))]
    assert result.errors == []


# --- the property: every leg ends up in exactly one trade or one reported line, with its whole amount ------------

_COINS = ("BTC", "ETH", "USDT", "EUR", "BNB", "SOL")
_OPERATIONS = ("Buy", "Sell", "Transaction Buy", "Transaction Spend", "Transaction Sold", "Transaction Revenue",
               "Fee", "Transaction Fee", "Binance Convert", "Deposit")
_amounts = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=8).filter(lambda value: value != 0)
_legs = st.lists(st.tuples(st.integers(0, 3), st.sampled_from(("Spot", "Funding")), st.sampled_from(_OPERATIONS),
                           st.sampled_from(_COINS), _amounts), min_size=1, max_size=40)


def _statement(legs) -> bytes:
    lines = ["User_ID,UTC_Time,Account,Operation,Coin,Change,Remark"]
    lines += [f"7,2023-06-0{1 + second // 2} 12:00:0{second},{account},{operation},{coin},{amount},"
              for second, account, operation, coin, amount in legs]
    return "\n".join(lines).encode()


@settings(max_examples=300, deadline=None)
@given(_legs)
def test_pairing_never_invents_or_loses_a_leg(legs):
    result = parse_file(_statement(legs))

    by_line = {index + 2: leg for index, leg in enumerate(legs)}
    in_file: Counter = Counter()
    for _, _, operation, coin, amount in legs:
        if operation != "Deposit":
            in_file[coin] += amount
    accounted: Counter = Counter()
    lines_used: list[int] = []
    for item in result.trades:
        base, quote = item.symbol.split("-")
        extra = result.raw[item.ext_id]
        sign = 1 if item.side == "BUY" else -1
        accounted[base] += sign * item.qty
        accounted[quote] -= sign * Decimal(extra["quoteAmount"])
        if item.fee is not None:
            accounted[item.fee_asset] -= item.fee
        lines_used += extra["legLines"]
    for error in result.errors:
        accounted[by_line[error.line][3]] += by_line[error.line][4]
        lines_used.append(error.line)

    assert sorted(lines_used) == sorted(line for line, leg in by_line.items() if leg[2] != "Deposit")
    assert {coin: total for coin, total in in_file.items() if total} == {
        coin: total for coin, total in accounted.items() if total}
    assert result.skipped == ({"Deposit": sum(leg[2] == "Deposit" for leg in legs)}
                              if any(leg[2] == "Deposit" for leg in legs) else {})
    assert detect_format(_statement(legs)) == "binance_transaction_history"


_USUAL_OPERATIONS = ("Transaction Buy", "Transaction Spend", "Transaction Sold", "Transaction Revenue",
                     "Transaction Fee", "Fee", "Buy")


@settings(max_examples=400, deadline=None)
@example([("Transaction Buy", "BTC", Decimal("0.5")), ("Transaction Spend", "USDT", Decimal("-100")),
          ("Transaction Fee", "BNB", Decimal("-0.01"))])
@example([("Transaction Sold", "ETH", Decimal("-2")), ("Transaction Revenue", "EUR", Decimal("3000.5"))])
@given(st.lists(st.tuples(st.sampled_from(_USUAL_OPERATIONS), st.sampled_from(_COINS), _amounts), min_size=2,
                max_size=3))
def test_the_shortcut_for_a_single_fill_pairs_like_the_general_pairing(drawn):
    legs = [Leg(line=index + 2, ts=at(2023, 6, 1), account="Spot", operation=operation, coin=coin, change=amount)
            for index, (operation, coin, amount) in enumerate(drawn)]

    usual = usual_trade(legs)

    if usual is not None:
        assert pair_any(legs) == ([usual], [])


def test_the_shortcut_takes_a_buy_and_a_sell_with_their_fees():
    buy = [Leg(2, at(2023, 6, 1), "Spot", "Transaction Buy", "BTC", Decimal("0.5")),
           Leg(3, at(2023, 6, 1), "Spot", "Transaction Spend", "USDT", Decimal("-100")),
           Leg(4, at(2023, 6, 1), "Spot", "Transaction Fee", "BNB", Decimal("-0.01"))]
    sell = [Leg(5, at(2023, 6, 1), "Spot", "Transaction Revenue", "EUR", Decimal("3000.5")),
            Leg(6, at(2023, 6, 1), "Spot", "Transaction Sold", "ETH", Decimal("-2"))]

    assert [(t.base, t.quote, t.side, t.qty, t.price, t.fee, t.fee_asset, t.lines)
            for t in (usual_trade(buy), usual_trade(sell))] == [
        ("BTC", "USDT", "BUY", Decimal("0.5"), Decimal("200"), Decimal("0.01"), "BNB", [2, 3, 4]),
        ("ETH", "EUR", "SELL", Decimal("2"), Decimal("1500.25"), None, "", [5, 6])]


_HEADER = "User_ID,UTC_Time,Account,Operation,Coin,Change,Remark"


def _statement_of(*legs: str) -> bytes:
    return "\n".join([_HEADER, *legs]).encode()


def _read_one_by_one(data: bytes):
    """The same file read through the grouping path: a leg of zero change is an error that sends its block row by
    row (it is on the last line, so the trades do not change)."""
    return parse_file(data + b"\n1,2023-06-09 00:00:00,Spot,Transaction Buy,BTC,0,")


def _same_reading(data: bytes) -> None:
    by_columns, one_by_one = parse_file(data), _read_one_by_one(data)
    assert (by_columns.trades, by_columns.raw, by_columns.skipped) == (one_by_one.trades, one_by_one.raw,
                                                                       one_by_one.skipped)
    assert [(str(t.qty), str(t.price), str(t.fee)) for t in by_columns.trades] == [
        (str(t.qty), str(t.price), str(t.fee)) for t in one_by_one.trades]
    assert one_by_one.errors[-1].reason == "Change is zero"


def test_adjacent_triples_read_as_columns_pair_like_the_groups():
    data = _statement_of("1,2023-06-01 10:00:00,Spot,Transaction Buy,BTC,0.50,",
                      "1,2023-06-01 10:00:00,Spot,Transaction Spend,USDT,-100.000,",
                      "1,2023-06-01 10:00:00,Spot,Transaction Fee,BNB,-0.0100,",
                      "1,2023-06-01 10:00:05,Spot,Deposit,USDT,50,",
                      "1,2023-06-01 10:00:09,Spot,Transaction Revenue,EUR,3000.5,",
                      "1,2023-06-01 10:00:09,Spot,Transaction Fee,EUR,-3,",
                      "1,2023-06-01 10:00:09,Spot,Transaction Sold,ETH,-2,")

    result = parse_file(data)

    assert [(t.symbol, t.side, str(t.qty), str(t.price), str(t.fee), t.fee_asset) for t in result.trades] == [
        ("BTC-USDT", "BUY", "0.5", "200", "0.01", "BNB"), ("ETH-EUR", "SELL", "2", "1500.25", "3", "EUR")]
    assert [raw["legLines"] for raw in result.raw.values()] == [[2, 3, 4], [6, 7, 8]]
    assert result.skipped == {"Deposit": 1}
    _same_reading(data)


def test_values_longer_than_the_decimal_context_and_legs_of_one_time_apart_pair_like_the_groups():
    long_values = _statement_of("1,2023-06-01 10:00:00,Spot,Transaction Buy,BTC,1234567890123.123456789012345678,",
                             "1,2023-06-01 10:00:00,Spot,Transaction Spend,USDT,-9876543210987654.12345678901,",
                             "1,2023-06-01 10:00:00,Spot,Transaction Fee,BNB,-0.000000000000000001,")
    apart = _statement_of("1,2023-06-01 10:00:00,Spot,Transaction Buy,BTC,0.5,",
                       "1,2023-06-01 10:00:00,Spot,Transaction Spend,USDT,-100,",
                       "1,2023-06-01 10:00:00,Spot,Transaction Fee,BNB,-0.01,",
                       "1,2023-06-01 10:00:01,Spot,Transaction Buy,BTC,0.5,",
                       "1,2023-06-01 10:00:01,Spot,Transaction Spend,USDT,-100,",
                       "1,2023-06-01 10:00:01,Spot,Transaction Fee,BNB,-0.01,",
                       "1,2023-06-01 10:00:00,Spot,Transaction Buy,BTC,0.5,",
                       "1,2023-06-01 10:00:00,Spot,Transaction Spend,USDT,-100,",
                       "1,2023-06-01 10:00:00,Spot,Transaction Fee,BNB,-0.01,")

    for data in (long_values, apart):
        _same_reading(data)
    assert len(parse_file(apart).trades) == 2  # the first and third fills are one group: one order, one trade
