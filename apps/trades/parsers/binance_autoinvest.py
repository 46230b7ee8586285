"""Binance Auto-Invest history (Earn → Auto-Invest → History → Export): one row per recurring purchase.

    Auto-Invest Date(UTC),Holding Coin,Amount per period,Trading Fee,Units,From,Status
    2022-05-01 14:00:00,ETH,10.00000000 USDT,0.00250000 USDT,0.01000000 ETH,Flexible Savings,Success

There is no side and no price: every row is a purchase of the holding coin with the coin of the amount, at
amount ÷ units, the trading fee (`--` when there was none) in the amount's coin. Only successful purchases are
trades; others are counted by status. Binance hands this export out as a spreadsheet, so the CSV is the
spreadsheet saved again, and its dates may be the spreadsheet's (`5/1/2022 14:00`): their order is decided from
the whole column, as for a mapped date column.
"""
from __future__ import annotations

from decimal import Decimal

from .base import FormatSpec, ParseResult, ResultBuilder, RowIdentity, RowProblem, new_trade
from .generic import month_first_in_column
from .table import Table, column_index, header_key
from .values import clean_asset, decimal_text, divide, parse_glued, parse_timestamp, positive, symbol_of

BROKER = "binance"
FORMAT = "binance_auto_invest"
_NAMES = {
    "date": "Auto-Invest Date(UTC)", "coin": "Holding Coin", "amount": "Amount per period", "fee": "Trading Fee",
    "units": "Units", "status": "Status",
}
_KEYS = {field: header_key(name) for field, name in _NAMES.items()}
_REQUIRED = ("date", "coin", "amount", "units")
_NO_FEE = {"", "--", "-"}
_SUCCESS = "success"


def parse_auto_invest(table: Table) -> ParseResult:
    keys = table.keys
    at = {field: column_index(keys.index(key) if key in keys else None) for field, key in _KEYS.items()}
    month_first = month_first_in_column(table, at["date"], _NAMES["date"], advice=(
        "Save the export again with dates written year first (2022-05-01 14:00:00) and upload it again."))
    result = ResultBuilder(format=FORMAT, broker=BROKER)
    identity = RowIdentity("bnc-autoinvest").ext_id
    for line, cells, problem in table.rows():
        if problem:
            result.error(line, problem)
            continue
        status = cells[at["status"]].strip()
        if at["status"] >= 0 and status.lower() != _SUCCESS:
            result.skip(status[:64])
            continue
        try:
            result.add(_purchase(cells, at, month_first, identity), line)
        except RowProblem as problem:
            result.error(line, problem.reason)
    result.total_rows += table.row_count
    return result.build()


def _purchase(cells: list[str], at: dict[str, int], month_first: bool, identity):
    ts = parse_timestamp(cells[at["date"]], what=_NAMES["date"], month_first=month_first)
    base = clean_asset(cells[at["coin"]], what=_NAMES["coin"])
    amount, quote = parse_glued(cells[at["amount"]], what=_NAMES["amount"])
    units, units_asset = parse_glued(cells[at["units"]], what=_NAMES["units"])
    if not quote:
        raise RowProblem(f"{_NAMES['amount']} names no coin")
    if units_asset and units_asset != base:
        raise RowProblem(f"{_NAMES['units']} are in {units_asset}, not in {base}")
    positive(amount, what=_NAMES["amount"])
    positive(units, what=_NAMES["units"])
    fee_cell = cells[at["fee"]].strip()
    fee: Decimal | None = None
    fee_asset = ""
    if fee_cell not in _NO_FEE:
        fee, fee_asset = parse_glued(fee_cell, what=_NAMES["fee"])
        fee, fee_asset = abs(fee), fee_asset or quote
    elif at["fee"] >= 0:
        fee, fee_asset = Decimal(0), quote
    symbol = symbol_of(base, quote)
    price = divide(amount, units, what="Price (amount ÷ units)")
    ext_id = identity(ts.isoformat(), symbol, decimal_text(amount), decimal_text(units),
                      "" if fee is None else decimal_text(fee), fee_asset)
    return new_trade(ext_id, symbol, "BUY", units, price, ts, fee, fee_asset, quote)


AUTO_INVEST_SPEC = FormatSpec(
    name=FORMAT,
    broker=BROKER,
    required=tuple(frozenset({_KEYS[field]}) for field in _REQUIRED),
    parse=parse_auto_invest,
)
SPECS = (AUTO_INVEST_SPEC,)
