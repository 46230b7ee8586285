"""Whatever the bytes, the parser answers with a ParseResult or a ParseError — never another error, never a hang."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.trades.parsers import ColumnMapping, ParseError, ParseResult, detect_format, parse_file, sniff_headers

from .helpers import FIXTURES

FUZZ = settings(max_examples=150, deadline=timedelta(seconds=2), derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FIXTURE_BYTES = [path.read_bytes() for path in sorted(FIXTURES.glob("*.csv"))]
HEADERS = [
    "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,"
    "Total (inclusive of fees and/or spread),Fees and/or Spread,Notes",
    "Timestamp,Transaction Type,Asset,Quantity Transacted,EUR Spot Price at Transaction,EUR Subtotal,"
    "EUR Total (inclusive of fees),EUR Fees,Notes",
    "portfolio,trade id,product,side,created at,size,size unit,price,fee,total,price/fee/total unit",
    "portfolio,type,time,amount,balance,amount/balance unit,transfer id,trade id,order id",
    "Date(UTC),Pair,Side,Price,Executed,Amount,Fee",
    "Date(UTC);Market;Type;Price;Amount;Total;Fee;Fee Coin",
    "Date(UTC),Pair,Type,Order Price,Order Amount,AvgTrading Price,Filled,Total,status",
]
CELL_ALPHABET = st.sampled_from(
    list("0123456789.,;-+eE $€£\"'\t\r\n ") + ["BTC", "EUR", "USDT", "DOGE", "Buy", "SELL", "match", "fee",
                                                "2021-03-04 10:00:00", "21-03-04 10:00:00", "2025-01-17 16:57:02 UTC",
                                                "2021-03-04T10:00:00.123Z", "BTC-EUR", "DOGEEUR", "1,234.5", "3.6E-05",
                                                "\ufeff", "\x00", "é", "Ä"])


def check(data: bytes, mapping: ColumnMapping | None = None) -> None:
    for call in (detect_format, sniff_headers):
        try:
            call(data)
        except ParseError as error:
            assert error.code != "parser_failure", repr(error.__cause__)
    try:
        result = parse_file(data, mapping=mapping)
    except ParseError as error:
        assert error.code != "parser_failure", repr(error.__cause__)
        return
    assert isinstance(result, ParseResult)
    for trade in result.trades:
        assert trade.side in ("BUY", "SELL")
        assert trade.qty > 0 and trade.price > 0
        assert trade.fee is None or trade.fee >= 0
        assert trade.ts.tzinfo is UTC
        assert 0 < len(trade.ext_id) <= 128 and len(trade.symbol) <= 32
        assert trade.symbol.count("-") == 1 and trade.symbol.endswith("-" + trade.quote_asset)
        assert isinstance(trade.qty, Decimal) and -trade.qty.as_tuple().exponent <= 18
    for error in result.errors:
        assert error.line >= 1 and error.reason
    assert len(result.errors) + sum(result.skipped.values()) <= result.total_rows


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(data):
    check(data)


@FUZZ
@given(st.sampled_from(HEADERS), st.lists(st.lists(st.lists(CELL_ALPHABET, max_size=6).map("".join), max_size=12),
                                          max_size=30),
       st.sampled_from([",", ";", "\t"]), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
def test_random_rows_under_a_known_header(header, rows, delimiter, newline, bom):
    text = newline.join([header] + [delimiter.join(row) for row in rows])
    check(("\ufeff" if bom else "").encode() + text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.text(max_size=2000))
def test_random_text(text):
    check(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.sampled_from(FIXTURE_BYTES), st.lists(st.tuples(st.sampled_from(["delete", "insert", "duplicate", "flip",
                                                                             "truncate"]),
                                                          st.integers(min_value=0, max_value=10_000),
                                                          st.binary(min_size=1, max_size=16)),
                                                min_size=1, max_size=8))
def test_mutated_fixtures(data, mutations):
    for action, position, chunk in mutations:
        position %= max(len(data), 1)
        if action == "delete":
            data = data[:position] + data[position + len(chunk):]
        elif action == "insert":
            data = data[:position] + chunk + data[position:]
        elif action == "duplicate":
            data = data[:position] + data[position:position + 200] + data[position:]
        elif action == "flip":
            data = data[:position] + bytes([data[position] ^ chunk[0]]) + data[position + 1:] if data else chunk
        else:
            data = data[:position]
    check(data)


@FUZZ
@given(st.lists(st.lists(CELL_ALPHABET, max_size=6).map("".join), min_size=1, max_size=8), st.sampled_from(
    [None, "%d.%m.%Y %H:%M:%S", "%Y", "%s"]))
def test_random_rows_through_a_mapping(cells, timestamp_format):
    header = "When,Pair,Base,Quote,Side,Qty,Price,Fee,Fee Asset,Id"
    data = (header + "\n" + ",".join(cells) + "\n" + ";".join(cells)).encode()
    mapping = ColumnMapping(timestamp="When", symbol="Pair", base="Base", quote="Quote", side="Side", qty="Qty",
                            price="Price", fee="Fee", fee_asset="Fee Asset", ext_id="Id",
                            timestamp_format=timestamp_format)
    check(data, mapping)


@pytest.mark.parametrize("data", [
    b"a,b,c\n" + b"x" * 5_000_000,
    b'"' * 3_000_000,
    b'",' * 1_500_000,
    (b',"a' * 2000 + b"\n") * 60,
    (b"a;b,c\td" * 2000 + b"\n") * 60,
    b"Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n2021-03-04 10:00:00,DOGEEUR,BUY,1" + b"0" * 5000 + b",5DOGE,5,0\n",
    b"Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n2021-03-04 10:00:00,DOGEEUR,BUY,1e999999,5DOGE,5,0\n",
], ids=["long-line", "quotes", "quote-delimiter", "sniffer-bait", "wide-lines", "long-number", "huge-exponent"])
@pytest.mark.timeout(20)
def test_pathological_inputs_finish(data):
    check(data)


@pytest.mark.timeout(60)
def test_a_file_with_too_many_rows_is_refused():
    data = b"portfolio,type,time,amount,balance,amount/balance unit,trade id\n" + b"default,deposit\n" * 200_001

    with pytest.raises(ParseError) as raised:
        parse_file(data)

    assert (raised.value.code, raised.value.message) == (
        "too_many_rows", "The file has more than 200000 rows; split it into smaller files.")


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(ParseError) as raised:
        parse_file(b" " * (32 * 1024 * 1024 + 1))

    assert (raised.value.code, raised.value.message) == ("file_too_large", "The file is larger than 32 MB.")


@pytest.mark.timeout(60)
def test_a_file_of_blank_lines_is_refused_without_reading_to_the_end():
    data = b"Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n" + b",,\n" * 1_000_001

    with pytest.raises(ParseError) as raised:
        parse_file(data)

    assert (raised.value.code, raised.value.message) == (
        "too_many_rows", "The file has more than 1000000 lines; split it into smaller files.")


PAIRS = [("DOGE", "EUR"), ("BTC", "USDT"), ("ETH", "BTC"), ("SOL", "FDUSD"), ("1INCH", "BUSD"), ("BNB", "TRY")]
AMOUNTS = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("100000000"), places=8)
FILLS = st.lists(st.tuples(st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2099, 12, 31)),
                           st.sampled_from(PAIRS), st.sampled_from(["BUY", "SELL"]), AMOUNTS, AMOUNTS,
                           st.decimals(min_value=0, max_value=1000, places=8), st.booleans()),
                 min_size=1, max_size=25)


def binance_line(fill) -> str:
    moment, (base, quote), side, qty, price, fee, styled = fill
    stamp = moment.replace(microsecond=0).strftime("%y-%m-%d %H:%M:%S" if styled else "%Y-%m-%d %H:%M:%S")
    qty_text = f'"{qty:,f}{base}"' if styled else f"{qty:f}{base}"
    price_text = f'"{price:,f}"' if styled else f"{price:f}"
    line = f"{stamp},{base}{quote},{side},{price_text},{qty_text},{qty * price:f}{quote},{fee:f}BNB"
    return '"' + line.replace('"', '""') + '"' if styled and side == "SELL" else line


@FUZZ
@given(FILLS, st.data())
def test_generated_binance_fills_read_back_exactly(fills, data):
    body = "\n".join(binance_line(fill) for fill in fills)
    result = parse_file(("\ufeffDate(UTC),Pair,Side,Price,Executed,Amount,Fee\n" + body).encode())

    assert result.errors == [] and result.total_rows == len(fills)
    assert [(t.ts, t.symbol, t.side, t.qty, t.price, t.fee, t.fee_asset) for t in result.trades] == [
        (moment.replace(microsecond=0, tzinfo=UTC), f"{base}-{quote}", side, qty, price, fee, "BNB")
        for moment, (base, quote), side, qty, price, fee, _ in fills]
    ids = [t.ext_id for t in result.trades]
    assert len(set(ids)) == len(ids)
    kept = data.draw(st.lists(st.sampled_from(range(len(fills))), unique=True).map(sorted))
    part = parse_file(("Date(UTC),Pair,Side,Price,Executed,Amount,Fee\n"
                       + "\n".join(binance_line(fills[index]) for index in kept)).encode())
    assert {t.ext_id for t in part.trades} <= set(ids)


SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


@FUZZ
@given(st.lists(st.tuples(st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2099, 12, 31)),
                          st.sampled_from(["BTC", "ETH", "ADA"]), st.sampled_from(sorted(SYMBOLS)),
                          st.sampled_from(["Buy", "Sell", "Advanced Trade Buy", "Send", "Staking Income"]),
                          AMOUNTS, AMOUNTS, st.decimals(min_value=0, max_value=1000, places=2)),
                min_size=1, max_size=25))
def test_generated_coinbase_rows_read_back_exactly(rows):
    lines = ["ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,Price at Transaction,Subtotal,"
             "Total (inclusive of fees and/or spread),Fees and/or Spread,Notes"]
    for index, (moment, asset, currency, kind, qty, price, fee) in enumerate(rows):
        sign = "-" if kind == "Sell" else ""
        money = SYMBOLS[currency]
        lines.append(f'tx{index},{moment:%Y-%m-%d %H:%M:%S} UTC,{kind},{asset},{sign}{qty:f},{currency},'
                     f'"{money}{price:,f}",{sign}{money}{qty * price:f},{sign}{money}{qty * price + fee:f},'
                     f"{money}{fee:f},")

    result = parse_file("\n".join(lines).encode())

    trades = [(index, row) for index, row in enumerate(rows) if row[3] not in ("Send", "Staking Income")]
    assert result.errors == [] and result.total_rows == len(rows)
    assert sum(result.skipped.values()) == len(rows) - len(trades)
    assert [(t.ext_id, t.ts, t.symbol, t.side, t.qty, t.price, t.fee, t.fee_asset) for t in result.trades] == [
        (f"tx{index}", moment.replace(microsecond=0, tzinfo=UTC), f"{asset}-{currency}",
         "SELL" if kind == "Sell" else "BUY", qty, price, fee, currency)
        for index, (moment, asset, currency, kind, qty, price, fee) in trades]
