"""Two rows with the same exchange id: identical ones are one trade listed twice, different ones are two trades."""
from __future__ import annotations

from apps.trades.parsers import RowError, parse_file

from .helpers import at, trade

HEADER = "portfolio,trade id,product,side,created at,size,size unit,price,fee,total,price/fee/total unit\n"


def test_rows_sharing_an_id_with_different_values_are_both_kept_and_noted():
    data = (HEADER
            + "default,501,BTC-EUR,BUY,2021-03-04T10:00:00Z,0.01,BTC,40000,0.5,-400.5,EUR\n"
            + "default,501,BTC-EUR,BUY,2021-03-04T10:00:05Z,0.02,BTC,40010,1,-801.2,EUR\n"
            + "default,502,BTC-EUR,SELL,2021-03-04T11:00:00Z,0.01,BTC,41000,0.5,409.5,EUR\n").encode()

    result = parse_file(data)

    assert result.trades == [
        trade("BTC-EUR:501", "BTC-EUR", "BUY", "0.01", "40000", at(2021, 3, 4, 10), "0.5", "EUR", "EUR"),
        trade("BTC-EUR:501#ce1e68bac47d", "BTC-EUR", "BUY", "0.02", "40010", at(2021, 3, 4, 10, 0, 5), "1", "EUR",
              "EUR"),
        trade("BTC-EUR:502", "BTC-EUR", "SELL", "0.01", "41000", at(2021, 3, 4, 11), "0.5", "EUR", "EUR"),
    ]
    assert result.notes == [RowError(3, "the id BTC-EUR:501 is also on line 2 with different values; this row is "
                                        "stored as BTC-EUR:501#ce1e68bac47d")]
    assert result.errors == []


def test_the_renamed_id_depends_on_the_content_only_so_a_reupload_maps_onto_it():
    first = (HEADER
             + "default,501,BTC-EUR,BUY,2021-03-04T10:00:00Z,0.01,BTC,40000,0.5,-400.5,EUR\n"
             + "default,501,BTC-EUR,BUY,2021-03-04T10:00:05Z,0.02,BTC,40010,1,-801.2,EUR\n").encode()
    again = first + b"default,503,BTC-EUR,SELL,2021-03-05T11:00:00Z,0.01,BTC,41000,0.5,409.5,EUR\n"

    assert [t.ext_id for t in parse_file(again).trades][:2] == [t.ext_id for t in parse_file(first).trades]


def test_identical_rows_with_one_id_are_one_trade_listed_twice():
    row = "default,501,BTC-EUR,BUY,2021-03-04T10:00:00Z,0.01,BTC,40000,0.5,-400.5,EUR\n"

    result = parse_file((HEADER + row + row).encode())

    assert [t.ext_id for t in result.trades] == ["BTC-EUR:501", "BTC-EUR:501"]
    assert result.notes == []
