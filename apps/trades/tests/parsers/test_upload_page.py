"""The upload page names every export the parsers read."""
from __future__ import annotations

from pathlib import Path

from apps.trades.parsers import FORMATS

TEMPLATE = Path(__file__).resolve().parents[4] / "templates" / "trades" / "upload.html"

# How the page names each format.
NAMED_AS = {
    "coinbase_transactions": "Coinbase: transaction history",
    "coinbase_pro_fills": "Coinbase\n      Pro/Exchange fills or account statement",
    "binance_transaction_history": "Transaction History (\"Generate all statements\")",
    "binance_spot_trade_history": "Spot Trade History",
    "binance_spot_trade_history_report": "Spot Trade History\n      (from the Orders page or the Report Center)",
    "binance_trade_history_old": "the old Trade History",
    "binance_order_history_old": "the old Trade History and Order History",
    "binance_order_history": "Order History",
    "binance_auto_invest": "Auto-Invest history",
    "binance_buy_crypto": "Buy Crypto history",
    "kraken_trades": "Kraken: trades.csv",
    "kraken_ledgers": "ledgers.csv",
    "bybit_spot_trades": "Bybit: spot trade history",
    "kucoin_spot_trades": "KuCoin: filled spot orders",
    "okx_trading_history": "OKX: trading history",
    "generic": "Any other CSV: map its columns",
}


def test_every_format_is_listed_on_the_upload_page():
    page = TEMPLATE.read_text()

    assert set(FORMATS) == set(NAMED_AS)
    assert [name for name, label in NAMED_AS.items() if label not in page] == []
