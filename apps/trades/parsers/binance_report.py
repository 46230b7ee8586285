"""Binance Spot Trade History as the Report Center hands it out (a spreadsheet, here saved as CSV): one row per fill,
base and quote in their own columns, bare numbers.

    Date(UTC),Pair,Base Asset,Quote Asset,Type,Price,Amount,Total,Fee,Fee Coin
    2025-12-25 14:00:15,BTC/USDT,BTC,USDT,BUY,87622.38,0.00236,206.7888168,0.00018534,BNB

Amount is the base quantity and Total the quote amount. The Orders page's download of the same history is the
layout in binance.py (`0.00236BTC` glued cells); a fill gets the same id from either, so both can be uploaded. The
header per language is in binance_headers.REPORT_SPOT_TRADE_HISTORY.
"""
from __future__ import annotations

from apps.brokers.types import TradeDTO

from . import columns
from .base import FormatSpec, ParseError, ParseResult, ResultBuilder, RowIdentity, RowProblem, new_trade
from .binance_headers import REPORT_SPOT_TRADE_FIELDS, REPORT_SPOT_TRADE_HISTORY, columns_of, required_groups
from .generic import month_first_in_column
from .plain_columns import ColumnOf, collect_columns
from .table import Table, column_index
from .values import clean_asset, parse_side, parse_timestamp, positive, read_decimal, symbol_of

BROKER = "binance"
FORMAT = "binance_spot_trade_history_report"
_REQUIRED = ("date", "base", "quote", "type", "price", "amount")


def parse_report_spot_trades(table: Table) -> ParseResult:
    found = columns_of(table.keys, REPORT_SPOT_TRADE_HISTORY, REPORT_SPOT_TRADE_FIELDS, _REQUIRED)
    if found is None:
        raise ParseError("unknown_format")
    at = {name: column_index(index) for name, index in found.items()}
    month_first = month_first_in_column(table, at["date"], table.header[at["date"]], advice=(
        "Save the export again with dates written year first (2025-12-25 14:00:15) and upload it again."))
    identity = RowIdentity("bnc")  # the namespace of binance.py's Spot Trade History: one fill, one id
    symbols: dict[tuple[str, str, str], str] = {}

    def fill(cells: list[str]) -> TradeDTO:
        ts = parse_timestamp(cells[at["date"]], what="Date(UTC)", month_first=month_first)
        key = (cells[at["base"]], cells[at["quote"]], cells[at["pair"]])
        symbol = symbols.get(key)
        if symbol is None:
            symbol = symbols[key] = _symbol(*key)
        quote = symbol.rpartition("-")[2]
        side = parse_side(cells[at["type"]], what="Type")
        price, price_text = read_decimal(cells[at["price"]].strip(), what="Price")
        qty, qty_text = read_decimal(cells[at["amount"]].strip(), what="Amount")
        positive(price, what="Price")
        positive(qty, what="Amount")
        fee_cell = cells[at["fee"]].strip()
        fee = None
        fee_text = fee_asset = ""
        if fee_cell:
            fee, fee_text = read_decimal(fee_cell, what="Fee")
            if fee < 0:
                fee, fee_text = fee.copy_negate(), fee_text[1:]
            fee_asset = clean_asset(cells[at["feecoin"]], what="Fee Coin")
        ext_id = identity.ext_id(ts.isoformat(), symbol, side, price_text, qty_text, fee_text, fee_asset)
        return new_trade(ext_id, symbol, side, qty, price, ts, fee, fee_asset, quote)

    def fills(column: ColumnOf) -> list[TradeDTO] | None:
        """The rows read column by column (see plain_columns.collect_columns); None to read them one by one."""
        read = columns.times(column(at["date"]))
        prices, qtys = columns.numbers(column(at["price"])), columns.numbers(column(at["amount"]))
        if read is None or prices is None or qtys is None or not (all(prices[0]) and all(qtys[0])):
            return None
        fee_cells = column(at["fee"])
        if at["fee"] < 0 or not all(fee_cells):
            return None  # fills without a fee: read one by one
        fees = columns.numbers(fee_cells)
        if fees is None:
            return None
        try:
            pairs = column(at["base"]), column(at["quote"]), column(at["pair"])
            if all(cells.count(cells[0]) == len(cells) for cells in pairs):  # one pair in the whole file
                fill_symbols = columns.lookup([(pairs[0][0], pairs[1][0], pairs[2][0])], symbols,
                                              _symbol_of_cells) * len(pairs[0])
            else:
                fill_symbols = columns.lookup(list(zip(*pairs, strict=True)), symbols, _symbol_of_cells)
            sides = columns.lookup(column(at["type"]), {}, _side)
            fee_assets = columns.lookup(column(at["feecoin"]), {}, _fee_coin)
        except RowProblem:
            return None
        quotes = columns.lookup(fill_symbols, {}, _quote_of_symbol)
        keys = list(map("|".join, zip(read[1], fill_symbols, sides, prices[1], qtys[1], fees[1], fee_assets, strict=True)))
        return columns.trades(columns.hashed_ids(identity, keys), fill_symbols, sides, qtys[0], prices[0], read[0],
                              fees[0], fee_assets, quotes)

    return collect_columns(ResultBuilder(format=FORMAT, broker=BROKER), table, fills, fill)


def _symbol_of_cells(cells: tuple[str, str, str]) -> str:
    return _symbol(*cells)


def _side(cell: str) -> str:
    return parse_side(cell, what="Type")


def _fee_coin(cell: str) -> str:
    return clean_asset(cell, what="Fee Coin")


def _quote_of_symbol(symbol: str) -> str:
    return symbol.rpartition("-")[2]


def _symbol(base_cell: str, quote_cell: str, pair_cell: str) -> str:
    base, quote = clean_asset(base_cell, what="Base Asset"), clean_asset(quote_cell, what="Quote Asset")
    pair = "".join(pair_cell.split("/")).strip().upper()
    if pair and pair != base + quote:
        raise RowProblem(f"Pair {pair_cell.strip()[:40]!r} is not {base}/{quote}")
    return symbol_of(base, quote)


REPORT_SPOT_TRADE_SPEC = FormatSpec(
    name=FORMAT,
    broker=BROKER,
    required=required_groups(REPORT_SPOT_TRADE_HISTORY, REPORT_SPOT_TRADE_FIELDS, _REQUIRED),
    parse=parse_report_spot_trades,
)
SPECS = (REPORT_SPOT_TRADE_SPEC,)
