"""Overlapping re-uploads: the same row gets the same ext_id, whatever else the file holds."""
from __future__ import annotations

from apps.trades.parsers import parse_file

from .helpers import fixture


def ids(data: bytes) -> list[str]:
    return [trade.ext_id for trade in parse_file(data).trades]


def test_an_overlapping_coinbase_file_without_ids_maps_shared_rows_to_the_same_ids():
    full = ids(fixture("coinbase_transactions_2021.csv"))
    # A later download: no preamble, CRLF, the values written differently, one new row, the old rows reordered.
    later = (
        b"Timestamp,Transaction Type,Asset,Quantity Transacted,Spot Price Currency,Spot Price at Transaction,"
        b"Subtotal,Total (inclusive of fees),Fees,Notes\r\n"
        b"2021-03-10T09:00:00Z,Buy,BTC,0.02,EUR,45000,900,910,10,\r\n"
        b"2021-03-08 13:00:00 UTC,Buy,LTC,1.50,EUR,150.250,225.38,229.37,3.990,\r\n"
        b"2021-03-05T11:30:00Z,Sell,ETH,0.50000,EUR,1400.50,700.25,690.00,10.25,\r\n"
        b"2021-03-04T10:00:00Z,Buy,BTC,0.01,EUR,40000,400.00,405.99,5.99,\r\n"
        b"2021-03-04T10:00:00Z,Buy,BTC,0.01,EUR,40000,400.00,405.99,5.99,\r\n"
    )

    again = ids(later)

    assert again[1:] == [full[3], full[2], full[0], full[1]]
    assert again[0] not in full


def test_a_binance_file_cut_in_the_middle_keeps_the_ids_of_its_rows():
    full = fixture("binance_spot_trade_history.csv").decode("utf-8-sig").splitlines()
    part = "\n".join([full[0], full[3], full[4], full[5]]).encode()

    assert ids(part) == ids(fixture("binance_spot_trade_history.csv"))[2:5]


def test_one_binance_fill_has_one_id_in_the_current_and_the_old_export():
    current = set(ids(fixture("binance_spot_trade_history.csv")))
    localised = set(ids(fixture("binance_spot_trade_history_de.csv")))
    old = set(ids(fixture("binance_trade_history_old.csv")))

    assert current & old == {"bnc-1cff784d52426839235bb541e96babcc5353eff6"}
    assert current & localised == {"bnc-1cff784d52426839235bb541e96babcc5353eff6"}


def test_coinbase_pro_fills_and_account_statement_give_a_trade_the_same_id():
    fills = set(ids(fixture("coinbase_pro_fills.csv")))
    account = set(ids(fixture("coinbase_pro_account.csv")))

    assert fills & account == {"LTC-EUR:1234567", "LTC-EUR:1234568", "ETH-BTC:555"}


def test_the_same_bytes_parse_to_the_same_result():
    data = fixture("coinbase_transactions_current.csv")

    assert parse_file(data) == parse_file(data)
