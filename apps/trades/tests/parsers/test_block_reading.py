"""Clean blocks of rows are read column by column; a block with one odd row is read row by row. Both readings
must give the same trades for the same rows."""
from __future__ import annotations

import random

import pytest

from apps.trades.parsers import RowError, parse_file
from benchmarks.parse_speed import FORMATS, MAPPINGS

# An extra row each format's row reader refuses, which sends the whole block down the row-by-row path.
ODD_ROW = {
    "binance_spot_trade_history": "2024-03-01 00:00:00,DOGEUSDT,HOLD,0.1,1DOGE,0.1USDT,0.001DOGE",
    "coinbase_pro_fills": "default,99999999,LTC-EUR,HOLD,2024-03-01T00:00:00.000Z,1,LTC,100,0.1,-100,EUR",
    "binance_trade_history_old": "2024-03-01 00:00:00;BNBBTC;HOLD;0.001;1;0.001;0.001;BNB",
    "generic": "G-x,2024-03-01T00:00:00Z,BTC/EUR,HOLD,1,100,0.1,EUR",
    "bybit_spot_trades": "BTCUSDT,LIMIT,HOLD,1,1,1,0.001,2299999999999999999,1,10:00 2024-03-01",
    "kucoin_spot_trades": "****1234,mainAccount,x1,2024-03-01 00:00:00,BTC-USDT,HOLD,LIMIT,1,1,1,1,1,1,"
                          "2024-03-01 00:00:00,0.001,USDT,,deal",
    "binance_order_history": "2024-03-01 00:00:00,1,BTCUSDT,LIMIT,HOLD,1,1BTC,2024-03-01 00:00:00,1BTC,1,1USDT,FILLED",
    "coinbase_transactions": "ffffffffffffffffffffffff,2024-03-01 00:00:00 UTC,Buy,BTC,0,EUR,€1,€0,€0,€0,",
    "kraken_trades": '"TX-1","OX-1","XXBTZEUR","2024-03-01 00:00:00.5","hold","limit","1","1","0.1","1","0","",""',
    "binance_auto_invest": "2024-03-01 00:00:00,BTC,10.00000000 USDT,--,0.00000000 BTC,Spot Wallet,Success",
    "binance_transaction_history": "41234567,2024-03-01 00:00:00,Spot,Transaction Buy,BTC,0.00000000,",
    "okx_trading_history": "999999,1,2024-03-01 00:00:00,Spot,BTC-USDT,Buy,0,BTC,1,0,0,BTC,0,0,0,1,BTC",
    "kraken_ledgers": '"LX-ODD","TX-ODD","2024-03-01 00:00:00","trade","","currency","XXBT",0.5,0,1',
    "binance_buy_crypto": "2024-03-01 00:00:00,Credit Card,100.00 EUR,1.0 BTC/EUR,200.00 EUR,0.001 BTC,Completed,ff",
    "binance_spot_trade_history_report": "2024-03-01 00:00:00,BTC/USDT,BTC,USDT,HOLD,1,1,1,0.001,BTC",
}
# Rows per trade where a trade takes more than one row.
ROWS_PER_TRADE = {"binance_transaction_history": 3, "okx_trading_history": 2, "kraken_ledgers": 2}


@pytest.mark.parametrize("name", sorted(ODD_ROW))
def test_the_column_reading_and_the_row_reading_agree(name):
    clean = FORMATS[name](300, random.Random(7))
    with_odd_row = clean + b"\n" + ODD_ROW[name].encode()

    by_columns = parse_file(clean, mapping=MAPPINGS.get(name))
    by_rows = parse_file(with_odd_row, mapping=MAPPINGS.get(name))

    assert len(by_columns.trades) > 150 // ROWS_PER_TRADE.get(name, 1)
    assert by_rows.trades == by_columns.trades
    assert (by_rows.skipped, by_rows.raw) == (by_columns.skipped, by_columns.raw)
    # Equal Decimals written the same way too (0.5, not 0.50).
    assert [(str(a.qty), str(a.price), str(a.fee)) for a in by_rows.trades] == [
        (str(b.qty), str(b.price), str(b.fee)) for b in by_columns.trades]
    last_line = with_odd_row.count(b"\n") + 1
    assert by_rows.errors == [RowError(last_line, by_rows.errors[0].reason)] and by_rows.errors[0].reason
