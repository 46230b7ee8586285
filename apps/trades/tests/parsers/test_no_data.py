"""An export with nothing in it: some exchanges write a "no data" line under the header instead of no rows."""
from __future__ import annotations

import pytest

from apps.trades.parsers import parse_file

from .helpers import fixture

JA_SPOT_HEADER = "時間,ペア,サイド,価格,実行済み,金額,手数料"
JA_STATEMENT_HEADER = "ユーザーID,時間,アカウント,操作,コイン,変更,備考"
EN_SPOT_HEADER = "Date(UTC),Pair,Side,Price,Executed,Amount,Fee"


@pytest.mark.parametrize(("header", "message", "expected_format"), [
    (JA_SPOT_HEADER, "該当するデータがありません", "binance_spot_trade_history"),
    (JA_SPOT_HEADER, "該当するデータがありません。,,,,,,", "binance_spot_trade_history"),
    (JA_STATEMENT_HEADER, '"該当するデータがありません"', "binance_transaction_history"),
    (EN_SPOT_HEADER, "No data", "binance_spot_trade_history"),
    (EN_SPOT_HEADER, "  NO DATA.  ", "binance_spot_trade_history"),
    (EN_SPOT_HEADER, "暂无数据", "binance_spot_trade_history"),
    ("txid,ordertxid,pair,time,type,ordertype,price,cost,fee,vol,margin,misc,ledgers", "No records found",
     "kraken_trades"),
])
def test_a_file_whose_only_body_line_says_there_is_no_data_has_no_trades_and_no_errors(header, message,
                                                                                          expected_format):
    for line_end in ("\n", "\r\n"):
        result = parse_file(f"\ufeff{header}{line_end}{message}{line_end}{line_end}".encode())

        assert (result.format, result.trades, result.errors, result.skipped, result.total_rows) == (
            expected_format, [], [], {}, 0)


def test_the_message_among_trade_rows_is_still_an_error():
    data = fixture("binance_spot_trade_history_ja.csv").decode("utf-8-sig").rstrip("\n") + "\n該当するデータがありません\n"

    result = parse_file(data.encode())

    assert len(result.trades) == len(parse_file(fixture("binance_spot_trade_history_ja.csv")).trades) > 0
    assert [error.reason for error in result.errors] == ["Date(UTC): '該当するデータがありません' is not a date and time"]


def test_a_line_that_is_not_a_known_message_is_still_an_error():
    result = parse_file(f"{JA_SPOT_HEADER}\nデータ\n".encode())

    assert result.trades == []
    assert [(error.line, error.reason) for error in result.errors] == [(2, "Date(UTC): 'データ' is not a date and time")]
